"""JSON API for storage connections and their files (docs/api.md, "Storage")."""

from flask import jsonify, request

from controllers.access import require_role
from controllers.api_support import api_blueprint, field, json_body, query_number
from controllers.audit.trail import audit, target
from controllers.context import actor, get_store, workspace_id
from controllers.transfer import file_response, request_body
from exception_layer.errors import StorageError, ValidationError
from project_library.audit import connection_state
from project_library.storage import connections, files

bp = api_blueprint("storage_api", __name__)


@bp.get("/connections")
@require_role("viewer")
def list_connections():
    return jsonify([c.to_dict() for c in connections.list_connections(get_store(), workspace_id())])


@bp.post("/connections")
@require_role("owner")
def create_connection():
    body = json_body()
    created = connections.create_connection(
        get_store(),
        workspace_id(),
        actor(),
        field(body, "name"),
        field(body, "provider"),
        field(body, "settings", kind=dict),
    )
    audit(
        "connection.create", target=target("connection", created), after=connection_state(created)
    )
    # Saved either way (a bucket may be created later); the answer says whether it works now.
    try:
        connections.test_connection(get_store(), workspace_id(), created.id)
        test = {"ok": True, "message": "Connected: the bucket is reachable."}
    except StorageError as exc:
        test = {"ok": False, "message": exc.message}
    audit(
        "connection.test",
        target=target("connection", created),
        outcome="ok" if test["ok"] else "failed",
    )
    return jsonify({**created.to_dict(), "test": test}), 201


@bp.get("/connections/<connection_id>")
@require_role("owner")
def get_connection(connection_id):
    found = connections.get_connection(get_store(), workspace_id(), connection_id)
    return jsonify(
        {**found.to_dict(), "builtin": found.builtin, "settings": found.masked_settings()}
    )


@bp.patch("/connections/<connection_id>")
@require_role("owner")
def update_connection(connection_id):
    found = connections.get_connection(get_store(), workspace_id(), connection_id)  # 404 first
    body = json_body()
    updated = connections.update_connection(
        get_store(),
        workspace_id(),
        actor(),
        connection_id,
        name=field(body, "name", required=False),
        settings=field(body, "settings", kind=dict, required=False),
    )
    audit(
        "connection.update",
        target=target("connection", updated),
        before=connection_state(found),
        after=connection_state(updated),
    )
    return jsonify(updated.to_dict())


@bp.delete("/connections/<connection_id>")
@require_role("owner")
def delete_connection(connection_id):
    found = connections.get_connection(get_store(), workspace_id(), connection_id)
    connections.delete_connection(get_store(), workspace_id(), connection_id)
    audit("connection.delete", target=target("connection", found), before=connection_state(found))
    return "", 204


@bp.post("/connections/<connection_id>/test")
@require_role("owner")
def test_connection(connection_id):
    try:
        connections.test_connection(get_store(), workspace_id(), connection_id)
    except StorageError:
        audit("connection.test", target=target("connection", connection_id), outcome="failed")
        raise
    audit("connection.test", target=target("connection", connection_id))
    return jsonify({"ok": True, "message": "Connected: the bucket is reachable."})


@bp.get("/connections/<connection_id>/files")
@require_role("viewer")
def list_files(connection_id):
    storage = _storage(connection_id)
    listing = files.list_folder(
        storage,
        request.args.get("path", ""),
        request.args.get("page"),
        query_number("limit", low=1, high=files.API_PAGE_SIZE, default=files.API_PAGE_SIZE),
    )
    return jsonify(
        {
            "folders": [entry.name for entry in listing.folders],
            "files": [
                {
                    "name": entry.name,
                    "size": entry.size,
                    "modified": entry.modified.isoformat() if entry.modified else None,
                }
                for entry in listing.files
            ],
            "next": listing.next,
        }
    )


@bp.put("/connections/<connection_id>/files")
@require_role("admin")
def upload_file(connection_id):
    storage = _storage(connection_id)
    stream, length = request_body()
    path, size = files.upload(storage, request.args.get("path", ""), stream, length)
    audit("file.upload", target=_file(connection_id, path), after={"size": size})
    return jsonify({"path": path, "size": size}), 201


@bp.get("/connections/<connection_id>/files/content")
@require_role("viewer")
def download_file(connection_id):
    storage = _storage(connection_id)
    download = files.open_download(storage, _required_path())
    audit("file.download", target=_file(connection_id, _required_path()))
    return file_response(*download)


@bp.delete("/connections/<connection_id>/files")
@require_role("admin")
def delete_path(connection_id):
    files.delete(_storage(connection_id), _required_path())
    audit("file.delete", target=_file(connection_id, _required_path()))
    return "", 204


@bp.post("/connections/<connection_id>/folders")
@require_role("admin")
def make_folder(connection_id):
    storage = _storage(connection_id)
    path = files.make_folder(storage, field(json_body(), "path"))
    audit("folder.create", target=_file(connection_id, path, "folder"))
    return jsonify({"path": path}), 201


def _storage(connection_id):
    """The connection's adapter: a foreign or unknown id is a 404 before any input is read."""
    return connections.connection_storage(get_store(), workspace_id(), connection_id)


def _required_path():
    path = request.args.get("path")
    if path is None or path == "":
        raise ValidationError("Say which file: ?path=folder/file.csv")
    return path


def _file(connection_id, path, kind="file"):
    """The audit target of a path in a connection."""
    return target(kind, f"{connection_id}:{path}", path)
