"""Validate a project's batch folder, quarantine rejects, and build the merged table.

Folder names come from ``integration.layout``: batches live in ``<root>/training_batches``
and ``<root>/prediction_batches``; a rejected file moves to
``<root>/quarantine/<validation id>/<file>`` beside ``<file>.reason.txt``. Nothing is deleted.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from bson import ObjectId

from entity.validation import BATCHES
from exception_layer.errors import Conflict, NotFound, ValidationError
from integration.layout import BATCH_FOLDER, QUARANTINE, project_path
from project_library.cancellation import check_cancel
from project_library.validation.schema import parse_schema
from project_library.validation.verification import (
    DEFAULT_BLOCK_SIZE,
    Reason,
    clean_cell,
    marker_set,
    verify,
)

module_logger = logging.getLogger(__name__)
REASON_SUFFIX = ".reason.txt"


@dataclass
class FileReport:
    name: str
    path: str
    accepted: bool
    reasons: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    rows: int = 0
    sha256: str | None = None
    duplicate_of: str | None = None
    size: int = 0
    quarantine_path: str | None = None
    restored: bool = False

    def to_dict(self):
        return {
            "name": self.name,
            "path": self.path,
            "accepted": self.accepted,
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": [w.to_dict() for w in self.warnings],
            "rows": self.rows,
            "sha256": self.sha256,
            "duplicate_of": self.duplicate_of,
            "size": self.size,
            "quarantine_path": self.quarantine_path,
            "restored": self.restored,
        }

    @classmethod
    def from_dict(cls, data):
        values = dict(data)
        values["reasons"] = [Reason.from_dict(r) for r in data.get("reasons", [])]
        values["warnings"] = [Reason.from_dict(w) for w in data.get("warnings", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass
class ValidationResult:
    id: str
    kind: str
    files: list = field(default_factory=list)
    accepted: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    status: str = "done"
    project_id: str | None = None
    workspace_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None

    @property
    def rejected(self):
        return [f for f in self.files if not f.accepted]

    def to_dict(self):
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "project_id": self.project_id,
            "workspace_id": self.workspace_id,
            "files": [f.to_dict() for f in self.files],
            "accepted": list(self.accepted),
            "notes": list(self.notes),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "counts": {
                "files": len(self.files),
                "accepted": sum(1 for f in self.files if f.accepted),
                "rejected": sum(1 for f in self.files if not f.accepted),
                "rows": sum(f.rows for f in self.files if f.accepted),
            },
        }

    @classmethod
    def from_dict(cls, data):
        return cls(
            id=str(data.get("id") or data.get("_id")),
            kind=data["kind"],
            files=[FileReport.from_dict(f) for f in data.get("files", [])],
            accepted=list(data.get("accepted", [])),
            notes=list(data.get("notes", [])),
            status=data.get("status", "done"),
            project_id=data.get("project_id"),
            workspace_id=data.get("workspace_id"),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            error=data.get("error"),
        )


def schema_for(project, batch):
    if batch not in BATCHES:
        raise ValidationError("The batch of batch is 'training' or 'prediction'.")
    classic = project.training_schema if batch == "training" else project.prediction_schema
    if not classic:
        raise ValidationError(f"The project has no {batch} schema yet; import or define one.")
    return parse_schema(classic)


def batch_folder(project, batch):
    return project_path(project.root, BATCH_FOLDER[batch])


def _batch_files(storage, folder):
    files, page = [], None
    if not storage.exists(folder):
        return files
    while True:
        listing = storage.list(folder, page=page)
        files.extend(entry for entry in listing.files if not entry.name.startswith("."))
        if not listing.next:
            return sorted(files, key=lambda entry: entry.name)
        page = listing.next


def validate_batches(storage, project, batch, *, logger=None, cancel=None, validation_id=None):
    """Check every file in the batch folder of ``batch``; move rejects into quarantine."""
    log = logger or module_logger
    schema = schema_for(project, batch)
    result = ValidationResult(
        id=validation_id or str(ObjectId()),
        kind=batch,
        project_id=project.id,
        workspace_id=project.workspace_id,
        started_at=datetime.now(UTC),
    )
    folder = batch_folder(project, batch)
    required = [project.target] if batch == "training" and project.target else []
    seen_hashes = {}
    entries = _batch_files(storage, folder)
    log.info("validation_started kind=%s files=%d folder=%s", batch, len(entries), folder)
    for entry in entries:
        check_cancel(cancel)
        check = verify(
            lambda path=entry.path: storage.open_read(path),
            entry.name,
            schema,
            missing_markers=project.missing_markers,
            strict_headers=project.strict_headers,
            required_columns=required,
        )
        report = FileReport(
            name=entry.name,
            path=entry.path,
            accepted=check.accepted,
            reasons=check.reasons,
            warnings=check.warnings,
            rows=check.rows,
            sha256=check.sha256,
            size=check.size,
        )
        if report.accepted and report.sha256 in seen_hashes:
            report.duplicate_of = seen_hashes[report.sha256]
            report.warnings.append(
                Reason(
                    "duplicate_content",
                    f"Identical content to {report.duplicate_of}; its rows are learned from once.",
                    {"duplicate_of": report.duplicate_of, "sha256": report.sha256},
                )
            )
        elif report.accepted:
            seen_hashes[report.sha256] = report.name
        if report.accepted:
            result.accepted.append(report.path)
            log.info("file_accepted file=%s rows=%d", report.name, report.rows)
        else:
            report.quarantine_path = _quarantine(storage, project, result.id, report)
            codes = ",".join(r.code for r in report.reasons)
            log.warning("file_rejected file=%s reasons=%s", report.name, codes)
        result.files.append(report)
    result.notes = _notes(result, schema)
    result.finished_at = datetime.now(UTC)
    log.info(
        "validation_finished kind=%s accepted=%d rejected=%d",
        batch,
        len(result.accepted),
        len(result.rejected),
    )
    return result


def _notes(result, schema):
    notes = []
    names_failed = [f for f in result.files if any(r.code == "file_name" for r in f.reasons)]
    if result.files and len(names_failed) == len(result.files):
        notes.append(
            f"Every file fails the name check. Is the schema's SampleFileName right? It expects "
            f"names like {schema.file_pattern()} (prefix '{schema.prefix}'), and the files are "
            f"named like {result.files[0].name}."
        )
    if result.files and not result.accepted:
        notes.append("No file was accepted, so there is nothing to learn from or score yet.")
    if not result.files:
        notes.append("The batch folder is empty: upload batch files first.")
    return notes


def reason_text(report, validation_id):
    lines = [
        f"File: {report.name}",
        f"Validation: {validation_id}",
        "Rejected because:",
    ]
    for reason in report.reasons:
        lines.append(f"- [{reason.code}] {reason.message}")
        for key, value in reason.evidence.items():
            lines.append(f"    {key}: {value}")
    lines.append("")
    lines.append("Fix the file, then restore it from quarantine (or upload it again).")
    return "\n".join(lines) + "\n"


def _quarantine(storage, project, validation_id, report):
    target = project_path(project.root, QUARANTINE, validation_id, report.name)
    storage.move(report.path, target)
    storage.write_bytes(target + REASON_SUFFIX, reason_text(report, validation_id).encode())
    return target


def restore_from_quarantine(storage, project, result, file_name):
    """Move a rejected file back into its batch folder (after it was fixed)."""
    report = next((f for f in result.files if f.name == file_name and not f.accepted), None)
    if report is None or not report.quarantine_path:
        raise NotFound("That file is not in this validation's quarantine.")
    if report.restored:
        raise Conflict("That file was already restored.")
    if not storage.exists(report.quarantine_path):
        raise NotFound("The quarantined file is no longer there.")
    destination = project_path(batch_folder(project, result.kind), report.name)
    if storage.exists(destination):
        raise Conflict("A file with that name is already in the batch folder.")
    storage.move(report.quarantine_path, destination)
    if storage.exists(report.quarantine_path + REASON_SUFFIX):
        storage.delete_file(report.quarantine_path + REASON_SUFFIX)
    report.restored = True
    return destination


def load_table(storage, project, result, batch, *, block_size=DEFAULT_BLOCK_SIZE):
    """The accepted files merged into one DataFrame, typed by the schema, read once each."""
    schema = schema_for(project, batch)
    markers = sorted(marker_set(project.missing_markers))
    tables = []
    for report in result.files:
        if not report.accepted or report.duplicate_of or report.restored:
            continue
        table = _read_file(storage, report.path, schema, markers, block_size)
        table = table.append_column("_source_file", pa.array([report.name] * table.num_rows))
        table = table.append_column("_row", pa.array(range(1, table.num_rows + 1), pa.int64()))
        tables.append(table)
    if not tables:
        columns = [*schema.names, "_source_file", "_row"]
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in columns})
    merged = pa.concat_tables(tables)
    del tables
    frame = merged.to_pandas(split_blocks=True, self_destruct=True)
    for col in schema.columns:
        series = frame[col.name]
        if col.type == "integer" and not series.isna().any() and (series % 1 == 0).all():
            frame[col.name] = series.astype("int64")
    return frame


def _read_file(storage, path, schema, markers, block_size):
    names = [f"c{c.position}" for c in schema.columns]
    types = {
        f"c{c.position}": pa.string() if c.type == "string" else pa.float64()
        for c in schema.columns
    }
    try:
        table = _parse(storage, path, names, types, markers, block_size)
    except pa.ArrowInvalid:
        # Values a person accepts but the typed parser does not (' 1.5', "'3'", ' NULL').
        table = _parse(storage, path, names, dict.fromkeys(names, pa.string()), markers, block_size)
        table = pa.table(
            [
                _clean_numbers(table.column(i), markers) if c.type != "string" else table.column(i)
                for i, c in enumerate(schema.columns)
            ],
            names=names,
        )
    columns = []
    marker_array = pa.array(markers, pa.string())
    for i, col in enumerate(schema.columns):
        column = table.column(i)
        if col.type == "string":
            column = _clean_strings(column, marker_array)
        columns.append(column)
    return pa.table(columns, names=schema.names)


def _parse(storage, path, names, types, markers, block_size):
    with storage.open_read(path) as stream:
        reader = pacsv.open_csv(
            pa.PythonFile(stream, mode="r"),
            read_options=pacsv.ReadOptions(
                skip_rows=1, column_names=names, block_size=block_size, encoding="utf-8"
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=markers,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        return reader.read_all()


def _clean_numbers(column, markers):
    values = [
        None if v is None or clean_cell(v) in markers else float(clean_cell(v))
        for v in column.to_pylist()
    ]
    return pa.array(values, pa.float64())


def _clean_strings(column, marker_array):
    column = pc.utf8_trim_whitespace(column)
    column = pc.replace_substring_regex(column, pattern=r"^'(.*)'$", replacement=r"\1")
    return pc.if_else(pc.is_in(column, value_set=marker_array), None, column)
