"""Remove secrets from what an event records: storage credentials never appear, not even masked.

A key is secret when a storage provider's settings schema says so (``secret_fields``) or
when its name says so (passwords, tokens, keys); such keys are dropped, not masked, and so
is any value that is the form's mask. Times become ISO strings (a stored time loses its
microseconds, which would break the event's hash).
"""

import re
from datetime import date

from entity.connection import MASK
from integration.registry import PROVIDERS

# A name that ends in one of these words is a secret ("new_password", "api_token"); an id of
# one is not ("token_id").
_SECRET_NAME = re.compile(
    r"(^|_)(password|passwd|secret|token|credentials?|private_key|api_key|key_json)$",
    re.IGNORECASE,
)


def storage_secret_fields():
    """Every setting any storage provider declares secret."""
    return frozenset(name for cls in PROVIDERS.values() for name in cls.secret_fields())


_STORAGE_SECRETS = storage_secret_fields()


def is_secret(key):
    return key in _STORAGE_SECRETS or bool(_SECRET_NAME.search(str(key)))


def redact(value):
    """``value`` with every secret key (at any depth) and every mask removed, as plain JSON."""
    if isinstance(value, dict):
        return {str(k): redact(v) for k, v in value.items() if not is_secret(k) and v != MASK}
    if isinstance(value, list | tuple | set):
        return [redact(v) for v in value if v != MASK]
    if isinstance(value, date):
        return value.isoformat()
    return value
