"""The named schemas of the OpenAPI document (components.schemas)."""

from controllers.openapi.building import ID, TEXT, TIME, nullable, obj, ref
from entity.deletion import FILE_CHOICES, STATES, TARGETS
from entity.project import DRIFT_ACTIONS, STRATEGIES, TASKS
from entity.run import KINDS
from entity.schedule import OVERLAP
from entity.validators import MAX_DESCRIPTION, MAX_NAME
from entity.watcher import TRAINING_MODES
from project_library.validation.schema import MAX_STAMP_DIGITS


def schemas():
    """The named schemas operations refer to with ``ref``."""
    project_fields = {
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
        "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
        "connection_id": nullable("string"),
        "root": TEXT,
        "task": {"enum": [*TASKS, None]},
        "target": nullable("string"),
        "ignore_columns": {"type": "array", "items": TEXT},
        "id_columns": {"type": "array", "items": TEXT},
        "metric": nullable("string"),
        "missing_markers": {"type": "array", "items": TEXT},
        "training_schema": {"oneOf": [ref("ClassicSchema"), {"type": "null"}]},
        "prediction_schema": {"oneOf": [ref("ClassicSchema"), {"type": "null"}]},
        "strict_headers": {"type": "boolean"},
        "notify_emails": {"type": "array", "items": {"type": "string", "format": "email"}},
        "time_budget_s": {"type": "integer", "minimum": 5, "maximum": 86400},
        "strategy": {"enum": list(STRATEGIES)},
        "drift_action": {"enum": list(DRIFT_ACTIONS)},
    }
    stamp = {"type": "integer", "minimum": 0, "maximum": MAX_STAMP_DIGITS}
    token = obj(
        ["id", "name", "hint"],
        id=ID,
        name=TEXT,
        hint=TEXT,
        created_at=TIME,
        last_used_at=TIME,
        expires_at=TIME,
    )
    schedule_body = {
        "kind": {"enum": list(KINDS)},
        "timezone": TEXT,
        "at": TEXT,
        "every": {"enum": ["day", "weekday", "week", "hours"]},
        "time": TEXT,
        "days": {"type": "array", "items": TEXT},
        "hours": {"type": "integer", "minimum": 1, "maximum": 168},
        "cron": TEXT,
        "misfire_grace_s": {"type": "integer", "minimum": 0, "maximum": 604800},
        "overlap": {"enum": list(OVERLAP)},
        "paused": {"type": "boolean"},
    }
    return {
        "Error": obj(
            ["error"],
            error=obj(["code", "message"], code=TEXT, message=TEXT, details={}),
        ),
        "ClassicSchema": obj(
            [
                "SampleFileName",
                "LengthOfDateStampInFile",
                "LengthOfTimeStampInFile",
                "NumberofColumns",
                "ColName",
            ],
            SampleFileName={"type": "string", "minLength": 1},
            LengthOfDateStampInFile=stamp,
            LengthOfTimeStampInFile=stamp,
            NumberofColumns={"type": "integer", "minimum": 0},
            ColName={"type": "object", "additionalProperties": TEXT},
        ),
        "ProjectInput": {**obj(**project_fields), "additionalProperties": False},
        "NewProject": {**obj(["name"], **project_fields), "additionalProperties": False},
        "Project": obj(
            ["id", "workspace_id", "name"],
            id=ID,
            workspace_id=ID,
            **project_fields,
            production_version=nullable("integer"),
            deletion_id=nullable("string"),
            deleting={"type": "boolean"},
            created_by=nullable("string"),
            created_at=TIME,
            updated_at=TIME,
        ),
        "Validation": obj(
            ["id", "kind", "status"],
            id=ID,
            project_id=nullable("string"),
            kind=TEXT,
            status={"enum": ["running", "done", "failed"]},
            counts={"type": ["object", "null"]},
            notes={"type": "array", "items": TEXT},
            error=nullable("string"),
            files={"type": "array", "items": {"type": "object"}},
            started_at=TIME,
            finished_at=TIME,
        ),
        "Deletion": obj(
            ["id", "workspace_id", "target", "state", "counts"],
            id=ID,
            workspace_id=ID,
            target=obj(
                ["type", "id"],
                type={"enum": list(TARGETS)},
                id=ID,
                name=nullable("string"),
            ),
            files={"enum": list(FILE_CHOICES)},
            requested_by={"type": "object"},
            state={"enum": list(STATES)},
            step=TEXT,
            counts=obj(
                ["objects", "records"],
                objects={"type": "integer"},
                records={"type": "integer"},
            ),
            error=nullable("string"),
            attempts={"type": "integer"},
            heartbeat_at=TIME,
            created_at=TIME,
            finished_at=TIME,
        ),
        "Run": obj(
            ["id", "project_id", "kind", "status"],
            id=ID,
            project_id=ID,
            kind={"enum": list(KINDS)},
            status=TEXT,
            step=TEXT,
            percent={"type": "number"},
            message=nullable("string"),
            metrics={"type": "object"},
            model_version=nullable("integer"),
            trigger={"type": "object"},
            created_at=TIME,
            started_at=TIME,
            finished_at=TIME,
            duration_s=nullable("number"),
        ),
        "ModelVersion": obj(["version"], version={"type": "integer"}, metrics={}),
        "Schedule": obj(
            ["id", "project_id", "kind"],
            id=ID,
            project_id=ID,
            **{key: {} for key in schedule_body},
            next_runs={"type": "array", "items": TEXT},
        ),
        "ScheduleInput": {**obj(**schedule_body), "additionalProperties": False},
        "Watch": obj(
            ["project_id", "training", "prediction"],
            project_id=ID,
            training={"enum": list(TRAINING_MODES)},
            prediction={"type": "boolean"},
            active={"type": "boolean"},
        ),
        "Connection": obj(["id", "name", "provider"], id=ID, name=TEXT, provider=TEXT),
        "Token": token,
        "NewToken": {**token, "required": [*token["required"], "token"]},
        "Listing": obj(
            ["folders", "files", "next"],
            folders={"type": "array", "items": TEXT},
            files={
                "type": "array",
                "items": obj(["name", "size"], name=TEXT, size={"type": "integer"}, modified=TIME),
            },
            next=nullable("string"),
        ),
    }
