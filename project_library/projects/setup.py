"""Create projects: lay out their folders, import a classic project folder or zip, or make
the breast-cancer sample. Plain functions that receive the repository and the storage."""

import io
import logging
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pymongo.errors import PyMongoError

from cloud_storage.paths import clean_path
from exception_layer.errors import AppError, ValidationError
from integration.layout import PREDICTION_BATCHES, PROJECT_FOLDERS, TRAINING_BATCHES, project_path
from project_library.validation.csv_rows import FieldTooLarge, rows
from project_library.validation.samples import target_values
from project_library.validation.schema import (
    MAX_SCHEMA_BYTES,
    infer_target,
    infer_task,
    parse_schema,
)

logger = logging.getLogger(__name__)

_FOLDER_KINDS = {
    "trainingbatchfiles": "training",
    "trainingbatch": "training",
    "trainingbatches": "training",
    "trainingfiles": "training",
    "predictionbatchfiles": "prediction",
    "predictionbatch": "prediction",
    "predictionbatches": "prediction",
    "predictionfiles": "prediction",
}
_SCHEMA_FILES = {"schematraining.json": "training", "schemaprediction.json": "prediction"}
MAX_IMPORT_FILES = 5000
MAX_UNPACKED_BYTES = 20 * 1024**3


def slug(text):
    value = re.sub(r"[^A-Za-z0-9]+", "-", text.strip().lower()).strip("-")
    return value[:60] or "project"


def lay_out_folders(storage, root):
    """Create the project's folders (names in integration.layout) below ``root``; return the
    ones that did not exist yet, outermost first: what undoing this removes."""
    wanted = [root, *(project_path(root, folder) for folder in PROJECT_FOLDERS)]
    made = [path for path in wanted if path and not storage.exists(path)]
    for folder in PROJECT_FOLDERS:
        storage.make_folder(project_path(root, folder))
    return made


class _Written:
    """The storage paths a create wrote (folders that did not exist, files), to take back."""

    def __init__(self, storage, folders):
        self.storage = storage
        self.paths = list(folders)

    def file(self, path, stream, length=None):
        if not self.storage.exists(path):
            self.paths.append(path)
        self.storage.write(path, stream, length=length)

    def take_back(self):
        for path in self.paths:  # outermost first: a new folder goes with what it holds
            try:
                if self.storage.exists(path):
                    self.storage.delete(path)
            except AppError as error:
                logger.warning("create_undo_failed path=%s error=%s", path, error.code)


def create_project(projects, storage, project, then=None):
    """Lay out a new project's folders, store it, then ``then(project, write)`` (write:
    ``(path, stream, length)``, e.g. its batch files). Any failure takes back what this
    wrote, the stored project and the new folders and files, so a refused create leaves
    nothing behind."""
    if not project.root:
        project.root = slug(project.name)
    written = _Written(storage, lay_out_folders(storage, project.root))
    try:
        created = projects.create(project)
        if then is not None:
            then(created, written.file)
    except Exception:
        _forget(projects, project)
        written.take_back()
        raise
    return created


def _forget(projects, project):
    """Remove a project stored by a create that then failed (if it got that far)."""
    if project.id is None:
        return
    try:
        projects.delete(project.workspace_id, project.id)
    except (AppError, PyMongoError) as error:
        logger.warning("create_undo_failed project=%s error=%s", project.id, error)


@dataclass
class SourceFile:
    path: str  # relative posix path inside the source
    open: object  # callable returning a binary stream (context manager)
    size: int = 0


def folder_source(path):
    base = Path(path)
    if not base.is_dir():
        raise ValidationError("That is not a folder.")
    files = []
    for item in sorted(base.rglob("*")):
        if item.is_file():
            files.append(
                SourceFile(
                    item.relative_to(base).as_posix(),
                    lambda item=item: item.open("rb"),
                    item.stat().st_size,
                )
            )
    return files


# What zipfile raises for an archive that is damaged, encrypted or packed in a way it cannot read.
_UNREADABLE_ZIP = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
)


class _ZipMember(io.RawIOBase):
    """One file of a zip as a binary stream; a member that cannot be unpacked is a
    ValidationError naming it, whenever the reading finds out."""

    def __init__(self, archive, info):
        super().__init__()
        self._name = info.filename
        self._stream = None
        self._stream = self._guarded(archive.open, info)

    def _guarded(self, call, *args):
        try:
            return call(*args)
        except _UNREADABLE_ZIP:
            raise ValidationError(
                f"The zip is damaged: '{self._name[:200]}' cannot be unpacked."
            ) from None

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._guarded(self._stream.read, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        if self._stream is not None:
            self._stream.close()
        super().close()


def zip_source(stream):
    """The files of a zip archive, each opened as a ``_ZipMember``."""
    try:
        archive = zipfile.ZipFile(stream)
    except _UNREADABLE_ZIP as exc:
        raise ValidationError("That upload is not a zip archive.") from exc
    files = []
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError("The zip unpacks to more than this platform imports at once.")
    for info in archive.infolist():
        name = PurePosixPath(info.filename)
        if not info.filename or info.is_dir() or name.is_absolute() or ".." in name.parts:
            continue
        if name.parts and name.parts[0] == "__MACOSX":
            continue
        files.append(
            SourceFile(name.as_posix(), lambda info=info: _ZipMember(archive, info), info.file_size)
        )
    return files


def _key(name):
    return re.sub(r"[\s_\-]", "", name.lower())


def classify_source(files):
    """Find the schema files and batch folders in an import source, however they are spelt."""
    if len(files) > MAX_IMPORT_FILES:
        raise ValidationError(f"An import holds at most {MAX_IMPORT_FILES} files.")
    schemas, batches = {}, {"training": [], "prediction": []}
    for item in files:
        parts = PurePosixPath(item.path).parts
        if any(p.startswith(".") for p in parts):
            continue
        kind = _SCHEMA_FILES.get(_key(parts[-1]))
        if kind and (kind not in schemas or len(parts) < len(schemas[kind].path.split("/"))):
            schemas[kind] = item
            continue
        if len(parts) >= 2:
            folder_kind = _FOLDER_KINDS.get(_key(parts[-2]))
            if folder_kind:
                batches[folder_kind].append(item)
    if "training" not in schemas and "prediction" not in schemas:
        raise ValidationError(
            "No schema_training.json or schema_prediction.json was found in the import."
        )
    return schemas, batches


def _read_schema(item):
    """(classic dict, text) of a schema file; SchemaError in words, a 413 when too large."""
    with item.open() as stream:
        schema = parse_schema(stream.read(MAX_SCHEMA_BYTES + 1))
    return schema.to_classic(), schema.source_text


def _header_width(item):
    """The number of header fields (0 when a field is too large to read)."""
    with item.open() as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        try:
            return len(next(rows(text), []))
        except FieldTooLarge:
            return 0


def _destinations(root, batches, max_file_bytes):
    """(source, storage path) of every batch file to copy, all checked before any is
    written: a name that is not a safe file name, or a file over the upload limit, refuses
    the import in words."""
    copies = []
    for kind, folder in (("training", TRAINING_BATCHES), ("prediction", PREDICTION_BATCHES)):
        for item in batches[kind]:
            name = PurePosixPath(item.path).name
            if max_file_bytes is not None and item.size > max_file_bytes:
                raise ValidationError(
                    f"'{name}' unpacks to more than one upload may hold; import it on its own."
                )
            try:
                copies.append((item, clean_path(project_path(root, folder, name))))
            except ValidationError as error:
                raise ValidationError(f"{item.path[:200]!r}: {error.message}") from None
    return copies


def import_project(
    projects,
    storage,
    files,
    *,
    workspace_id,
    name,
    connection_id=None,
    target=None,
    task=None,
    created_by=None,
    project_factory=None,
    max_file_bytes=None,
):
    """Create a project from a classic project folder or zip and copy its batch files (none
    larger than ``max_file_bytes``); a failure leaves nothing behind."""
    from entity.project import Project

    schemas, batches = classify_source(files)
    training = prediction = None
    texts = {}
    if "training" in schemas:
        training, texts["training"] = _read_schema(schemas["training"])
    if "prediction" in schemas:
        prediction, texts["prediction"] = _read_schema(schemas["prediction"])
    training_schema = parse_schema(training) if training else None
    prediction_schema = parse_schema(prediction) if prediction else None
    if target is None:
        target = infer_target(training_schema, prediction_schema)
    if target and training_schema and training_schema.column(target) is None:
        raise ValidationError(f"The training schema has no column '{target}'.")
    inferred = None
    if task is None and target and training_schema:
        column = training_schema.column(target)
        values = []
        for item in sorted(batches["training"], key=lambda i: i.path):
            if _header_width(item) == len(training_schema.columns):
                values = target_values(item.open, column.position - 1)
                break
        task, inferred = infer_task(column.type, values or None)
    project = (project_factory or Project)(
        workspace_id=workspace_id,
        name=name,
        description="Imported from a classic project folder.",
        connection_id=connection_id,
        task=task,
        target=target,
        training_schema=training,
        prediction_schema=prediction,
        schema_texts=texts,
        created_by=created_by,
    )
    if not project.root:
        project.root = slug(project.name)
    copies = _destinations(project.root, batches, max_file_bytes)

    def copy_files(_, write):
        for item, destination in copies:
            with item.open() as stream:
                write(destination, stream, item.size or None)

    project = create_project(projects, storage, project, then=copy_files)
    copied = len(copies)
    logger.info(
        "project_imported project=%s files=%d task=%s inferred=%s",
        project.id,
        copied,
        task,
        bool(inferred),
    )
    return project, {
        "files": copied,
        "task_reason": inferred,
        "training_files": len(batches["training"]),
        "prediction_files": len(batches["prediction"]),
    }
