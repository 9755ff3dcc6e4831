"""The File Management page: browse a connection's folders, upload, download, delete."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from cloud_storage.paths import clean_path, parent_of
from controllers.access import require_role
from controllers.audit.trail import audit, target
from controllers.context import get_store, workspace_id
from controllers.transfer import breadcrumbs, file_response
from exception_layer.errors import NotFound, StorageError, ValidationError
from integration.registry import PROVIDERS
from project_library.storage import connections, files

bp = Blueprint("files", __name__, url_prefix="/files")


def _chosen(found, wanted):
    if not wanted:
        return found[0]
    for item in found:
        if item.id == wanted:
            return item
    raise NotFound("That storage connection does not exist.")


def _storage(connection_id):
    return connections.connection_storage(get_store(), workspace_id(), connection_id)


@bp.get("/")
@require_role("viewer")
def index():
    found = connections.list_connections(get_store(), workspace_id())
    current = _chosen(found, request.args.get("connection"))
    folder = clean_path(request.args.get("path", ""))
    page = request.args.get("page") or None
    listing, error, status = None, None, 200
    try:
        listing = files.list_folder(_storage(current.id), folder, page)
    except StorageError as exc:
        error, status = exc.message, exc.status_code
    except NotFound as exc:
        error, status = exc.message, 404
    return (
        render_template(
            "files/index.html",
            connections=found,
            current=current,
            folder=folder,
            parent=parent_of(folder) if folder else None,
            crumbs=breadcrumbs(folder),
            listing=listing,
            page=page,
            error=error,
            providers=PROVIDERS,
            max_upload=current_app.config["MAX_UPLOAD_BYTES"],
        ),
        status,
    )


def _back(connection_id, folder):
    return redirect(url_for("files.index", connection=connection_id, path=folder or None))


@bp.post("/folder")
@require_role("admin")
def make_folder():
    connection_id = request.form.get("connection", "")
    parent = request.form.get("parent", "")
    storage = _storage(connection_id)
    try:
        path = files.make_folder_in(storage, parent, request.form.get("name", ""))
    except (ValidationError, StorageError) as exc:
        flash(exc.message, "error")
        return _back(connection_id, clean_path(parent))
    audit("folder.create", target=target("folder", f"{connection_id}:{path}", path))
    flash(f"Folder '{path.rsplit('/', 1)[-1]}' created.", "success")
    return _back(connection_id, path)


@bp.post("/delete")
@require_role("admin")
def delete():
    connection_id = request.form.get("connection", "")
    path = clean_path(request.form.get("path", ""))
    try:
        files.delete(_storage(connection_id), path)
    except (ValidationError, StorageError, NotFound) as exc:
        flash(exc.message, "error")
        return _back(connection_id, parent_of(path) if path else "")
    audit("file.delete", target=target("file", f"{connection_id}:{path}", path))
    flash(f"Deleted '{path.rsplit('/', 1)[-1]}'.", "success")
    return _back(connection_id, parent_of(path))


@bp.get("/download")
@require_role("viewer")
def download():
    connection_id, path = request.args.get("connection", ""), request.args.get("path", "")
    download = files.open_download(_storage(connection_id), path)
    audit("file.download", target=target("file", f"{connection_id}:{path}", path))
    return file_response(*download)


@bp.app_context_processor
def provider_labels():
    return {"PROVIDER_LABELS": {name: cls.label for name, cls in PROVIDERS.items()}}
