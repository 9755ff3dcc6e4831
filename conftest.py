# Test plugins, one per area; each area's fixtures live in its own module under tests/plugins.
import importlib.util

pytest_plugins = [
    name
    for name in (
        "tests.plugins.services",
        "tests.plugins.app",
        "tests.plugins.storage_services",
        "tests.plugins.smtp",
        "tests.plugins.browser",
    )
    if importlib.util.find_spec(name) is not None
]
