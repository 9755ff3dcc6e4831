"""The storage provider registry: provider name -> adapter class; the adapter of a saved
connection (``get_storage``) and of a project (``project_storage``, the one way to reach a
project's files, for jobs and views alike)."""

import hashlib
import json
import threading
from collections import OrderedDict

from cloud_storage.azure import AzureBlobStorage
from cloud_storage.gcs import GCSStorage
from cloud_storage.local import LocalStorage
from cloud_storage.s3 import S3Storage
from exception_layer.errors import ValidationError

PROVIDERS = {
    "local": LocalStorage,
    "s3": S3Storage,
    "azure": AzureBlobStorage,
    "gcs": GCSStorage,
}


def provider_class(provider):
    try:
        return PROVIDERS[provider]
    except KeyError:
        raise ValidationError(
            f"Unknown storage provider '{provider}'. Choose one of: {', '.join(PROVIDERS)}."
        ) from None


def build_storage(provider, settings, **options):
    """An adapter for ``provider`` from plain (decrypted) settings; no network call."""
    cls = provider_class(provider)
    if cls is LocalStorage:
        return cls.from_settings(settings)
    return cls.from_settings(settings, **options)


_CACHE_SIZE = 64
_cache = OrderedDict()
_cache_lock = threading.Lock()


def get_storage(connection):
    """An adapter for a connection entity (``provider`` and decrypted ``settings``).

    Adapters are reused across requests while the connection's settings stay the same:
    building an SDK client (boto3 above all) costs more than most storage calls.
    """
    fingerprint = hashlib.sha256(
        json.dumps([connection.provider, connection.settings], sort_keys=True).encode()
    ).hexdigest()
    key = (connection.id, fingerprint)
    with _cache_lock:
        adapter = _cache.get(key)
        if adapter is not None:
            _cache.move_to_end(key)
            return adapter
    adapter = build_storage(connection.provider, connection.settings)
    with _cache_lock:
        _cache[key] = adapter
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return adapter


def project_storage(store, project):
    """The adapter for a project's files: its connection, or the workspace's built-in folder."""
    connections = store.connections
    connection_id = project.connection_id or connections.ensure_default(project.workspace_id).id
    return get_storage(connections.get(project.workspace_id, connection_id))
