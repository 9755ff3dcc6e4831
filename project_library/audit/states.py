"""What an event records of an entity before and after a change: its settable fields only."""

from entity.project import SETTABLE_FIELDS


def connection_state(connection):
    """A connection's name, provider and settings, secrets masked (``record`` then drops them)."""
    return {
        "name": connection.name,
        "provider": connection.provider,
        "settings": connection.masked_settings(),
    }


def project_state(project):
    """A project's settable fields (schemas are recorded by ``schema.*`` events)."""
    return {name: getattr(project, name, None) for name in SETTABLE_FIELDS if "schema" not in name}


def changed(before, after):
    """``before`` and ``after`` narrowed to the keys whose values differ."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
