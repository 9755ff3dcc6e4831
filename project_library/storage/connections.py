"""Storage connections of a workspace: list, create, change, delete, test."""

import logging

from integration.registry import PROVIDERS, get_storage

logger = logging.getLogger(__name__)


def may_use_local(actor):
    """Only site administrators may connect a folder of the server itself."""
    return bool(getattr(actor, "is_site_admin", False))


def providers_for(actor):
    ordered = [name for name in PROVIDERS if name != "local"] + ["local"]
    return [name for name in ordered if name != "local" or may_use_local(actor)]


def list_connections(store, workspace_id):
    repo = store.connections
    repo.ensure_default(workspace_id)
    return repo.list(workspace_id)


def get_connection(store, workspace_id, connection_id):
    return store.connections.get(workspace_id, connection_id)


def connection_storage(store, workspace_id, connection_id):
    """The adapter of one of the workspace's connections; NotFound for another's id."""
    return get_storage(get_connection(store, workspace_id, connection_id))


def create_connection(store, workspace_id, actor, name, provider, settings):
    created = store.connections.create(
        workspace_id,
        name,
        provider,
        settings,
        created_by=actor.id,
        allow_local=may_use_local(actor),
    )
    logger.info("connection_created_by user=%s connection=%s", actor.id, created.id)
    return created


def update_connection(store, workspace_id, actor, connection_id, name=None, settings=None):
    return store.connections.update(
        workspace_id,
        connection_id,
        name=name,
        settings=settings,
        allow_local=may_use_local(actor),
    )


def delete_connection(store, workspace_id, connection_id):
    store.connections.delete(workspace_id, connection_id)


def test_connection(store, workspace_id, connection_id):
    connection_storage(store, workspace_id, connection_id).test_connection()


def rotate_secrets(store, rotating_encryptor):
    """Re-encrypt every stored secret (``rotating_encryptor``: new key first, then old)."""
    return store.connections.rotate_secrets(rotating_encryptor)
