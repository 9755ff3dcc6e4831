"""Create projects: lay out their folders, import a classic project folder or zip, or make
the breast-cancer sample. Plain functions that receive the repository and the storage."""

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from exception_layer.errors import ValidationError
from integration.layout import PREDICTION_BATCHES, PROJECT_FOLDERS, TRAINING_BATCHES, project_path
from project_library.validation.schema import (
    infer_target,
    infer_task,
    parse_schema,
    target_values,
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
    """Create the project's folders (names in integration.layout) below ``root``."""
    for folder in PROJECT_FOLDERS:
        storage.make_folder(project_path(root, folder))


def create_project(projects, storage, project):
    """Store a new project and lay out its folders; the folders come first so a storage
    failure leaves no project behind."""
    if not project.root:
        project.root = slug(project.name)
    lay_out_folders(storage, project.root)
    return projects.create(project)


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


def zip_source(stream):
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise ValidationError("That upload is not a zip archive.") from exc
    files = []
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError("The zip unpacks to more than this platform imports at once.")
    for info in archive.infolist():
        name = PurePosixPath(info.filename)
        if info.is_dir() or name.is_absolute() or ".." in name.parts:
            continue
        if name.parts and name.parts[0] == "__MACOSX":
            continue
        files.append(
            SourceFile(name.as_posix(), lambda info=info: archive.open(info), info.file_size)
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
    with item.open() as stream:
        text = stream.read().decode("utf-8-sig", errors="replace")
    parse_schema(text)  # raises SchemaError with the problems in words
    return parse_schema(text).to_classic(), text


def _header_width(item):
    with item.open() as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        return len(next(csv.reader(text), []))


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
):
    """Create a project from a classic project folder or zip and copy its batch files."""
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
    project = create_project(projects, storage, project)
    copied = 0
    for kind, folder in (("training", TRAINING_BATCHES), ("prediction", PREDICTION_BATCHES)):
        for item in batches[kind]:
            destination = project_path(project.root, folder, PurePosixPath(item.path).name)
            with item.open() as stream:
                storage.write(destination, stream, length=item.size or None)
            copied += 1
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
