"""Reading the raw audit collection in tests."""


def events(app, action=None, **match):
    """The stored events (raw documents, oldest first), optionally of one action."""
    query = {"action": action} if action else {}
    query.update(match)
    db = app.extensions["store"].db
    return list(db["audit_events"].find(query).sort([("workspace_id", 1), ("seq", 1)]))


def last(app, action):
    found = events(app, action)
    assert found, f"no {action} event was recorded"
    return found[-1]
