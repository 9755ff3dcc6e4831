"""Project prediction tokens: service credentials that call one project's prediction
endpoint and nothing else. Shown once, stored as a hash, revocable."""

from entity import validators


def create_token(store, workspace_id, project_id, actor, name, expires=None):
    """(token entity, the token itself, which is shown once); it lives ``expires`` (see
    entity.token.EXPIRY_CHOICES; None: the default, 90 days)."""
    project = store.projects.get(workspace_id, project_id)
    name = validators.text(name or "Prediction token", "Token name")
    return store.tokens.create(
        getattr(actor, "id", None),
        name,
        expires=expires,
        workspace_id=workspace_id,
        project_id=project.id,
    )


def project_tokens(store, workspace_id, project_id):
    project = store.projects.get(workspace_id, project_id)
    return store.tokens.for_project(workspace_id, project.id)


def revoke_token(store, workspace_id, project_id, token_id):
    project = store.projects.get(workspace_id, project_id)
    store.tokens.revoke_project_token(workspace_id, project.id, token_id)


def to_json(token):
    return token.to_dict()
