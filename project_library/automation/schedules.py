"""Schedules of a project: add, change, pause, resume, delete, and how each reads to people.

The body is the JSON API's (the form builds the same dict): ``kind`` ("train"|"predict"),
``timezone`` (default: the workspace's), one timing form (``at``, ``every``+``time``/
``days``/``hours``, or ``cron``; see ``timing``), and optional ``misfire_grace_s``,
``overlap`` ("skip"|"queue") and ``paused``.
"""

from datetime import UTC, datetime

from entity.run import KINDS
from entity.schedule import DEFAULT_GRACE_S, OVERLAP, Schedule
from exception_layer.errors import NotFound, ValidationError
from project_library.automation import timing

TIMING_KEYS = ("at", "every", "time", "days", "hours", "cron")
OPTION_KEYS = ("misfire_grace_s", "overlap", "paused")
MAX_GRACE_S = 7 * 24 * 3600
NEXT_COUNT = 5


def _minute(moment):
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _options(body, current=None):
    values = {}
    if "misfire_grace_s" in body:
        grace = body["misfire_grace_s"]
        if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE_S:
            raise ValidationError(
                "'misfire_grace_s' is a whole number of seconds from 0 to 604800 (a week).",
                details={"field": "misfire_grace_s"},
            )
        values["misfire_grace_s"] = grace
    if "overlap" in body:
        if body["overlap"] not in OVERLAP:
            raise ValidationError("'overlap' is 'skip' or 'queue'.", details={"field": "overlap"})
        values["overlap"] = body["overlap"]
    if "paused" in body:
        if not isinstance(body["paused"], bool):
            raise ValidationError("'paused' is true or false.", details={"field": "paused"})
        values["paused"] = body["paused"]
    return values


def _check_keys(body, allowed):
    if not isinstance(body, dict):
        raise ValidationError("A schedule is a JSON object.")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(unknown)}.")


def _spec(body, timezone):
    return timing.normalise(
        {**{k: body[k] for k in TIMING_KEYS if k in body}, "timezone": timezone}
    )


def _first_run(spec, moment, anchor):
    next_at = timing.next_run(spec, moment, anchor)
    if next_at is None:
        raise ValidationError("That time has already passed; choose a time in the future.")
    return next_at


def create_schedule(store, workspace, project_id, body, actor, moment):
    """Add a schedule to the project; return it."""
    project = store.projects.get(workspace.id, project_id)  # 404 before the body is read
    _check_keys(body, ("kind", "timezone", *TIMING_KEYS, *OPTION_KEYS))
    kind = body.get("kind")
    if kind not in KINDS:
        raise ValidationError("'kind' is 'train' or 'predict'.", details={"field": "kind"})
    spec = _spec(body, body.get("timezone") or workspace.timezone)
    options = {"misfire_grace_s": DEFAULT_GRACE_S, "overlap": "skip", "paused": False}
    options.update(_options(body))
    anchor = _minute(moment)
    schedule = Schedule(
        workspace_id=workspace.id,
        project_id=project.id,
        kind=kind,
        spec=spec,
        description=timing.describe(spec),
        next_run_at=_first_run(spec, moment, anchor),
        anchor=anchor,
        created_by=getattr(actor, "id", None),
        created_by_email=getattr(actor, "email", None),
        **options,
    )
    return store.schedules.create(schedule)


def update_schedule(store, workspace, schedule_id, body, moment):
    """Change a schedule's timing or options; its next run is computed anew."""
    current = store.schedules.get(workspace.id, schedule_id)  # 404 first
    _check_keys(body, ("timezone", *TIMING_KEYS, *OPTION_KEYS))
    values = _options(body)
    if any(k in body for k in (*TIMING_KEYS, "timezone")):
        timing_body = body if any(k in body for k in TIMING_KEYS) else _as_body(current.spec)
        zone = body.get("timezone") or current.spec.get("timezone")
        values["spec"] = _spec(timing_body, zone)
        values["description"] = timing.describe(values["spec"])
        values["anchor"] = _minute(moment)
    spec = values.get("spec", current.spec)
    paused = values.get("paused", current.paused)
    if "spec" in values or (current.paused and not paused):
        anchor = values.get("anchor", current.anchor)
        values["next_run_at"] = _first_run(spec, moment, anchor)
    return store.schedules.update(workspace.id, current.id, **values)


def set_paused(store, workspace_id, schedule_id, paused, moment):
    """Pause, or resume from now on (slots passed while paused are not caught up)."""
    current = store.schedules.get(workspace_id, schedule_id)
    values = {"paused": bool(paused)}
    if not paused and current.paused:
        values["next_run_at"] = timing.next_run(current.spec, moment, current.anchor)
    return store.schedules.update(workspace_id, current.id, **values)


def delete_schedule(store, workspace_id, schedule_id):
    store.schedules.delete(workspace_id, schedule_id)


def project_schedules(store, workspace_id, project_id):
    project = store.projects.get(workspace_id, project_id)
    return project, store.schedules.for_project(workspace_id, project.id)


def next_runs(schedule, count=NEXT_COUNT):
    """The schedule's next run times, as ISO 8601 in its zone (with the offset)."""
    if schedule.next_run_at is None:
        return []
    later = timing.next_runs(schedule.spec, schedule.next_run_at, count - 1, schedule.anchor)
    zone = schedule.spec.get("timezone", "UTC")
    return [timing.local_iso(t, zone) for t in [schedule.next_run_at, *later]]


def preview(body, timezone, moment):
    """What a schedule body would mean, before it is saved (for the form)."""
    _check_keys(body, ("kind", "timezone", *TIMING_KEYS, *OPTION_KEYS))
    spec = _spec(body, body.get("timezone") or timezone)
    anchor = _minute(moment)
    times = timing.next_runs(spec, moment, NEXT_COUNT, anchor)
    zone = spec["timezone"]
    return {
        "description": timing.describe(spec),
        "next_runs": [timing.local_iso(t, zone) for t in times],
    }


def _as_body(spec):
    """A normalised spec back in the API's shape (to re-normalise with another zone)."""
    kind = spec["type"]
    if kind == "once":
        return {"at": spec["at"]}
    if kind == "cron":
        return {"cron": spec["cron"]}
    if kind == "hours":
        return {"every": "hours", "hours": spec["hours"]}
    if kind == "weekly":
        return {"every": "week", "days": spec["days"], "time": spec["time"]}
    return {"every": "day" if kind == "daily" else "weekday", "time": spec["time"]}


def to_json(schedule):
    """The API's view of a schedule."""
    return {
        "id": schedule.id,
        "project_id": schedule.project_id,
        "kind": schedule.kind,
        **_as_body(schedule.spec),
        "timezone": schedule.spec.get("timezone"),
        "description": schedule.description,
        "next_runs": [] if schedule.paused else next_runs(schedule),
        "next_run_at": _iso(schedule.next_run_at),
        "misfire_grace_s": schedule.misfire_grace_s,
        "overlap": schedule.overlap,
        "paused": schedule.paused,
        "last_outcome": _outcome_json(schedule.last_outcome),
        "created_by": schedule.created_by_email,
        "created_at": _iso(schedule.created_at),
    }


def _outcome_json(outcome):
    if not outcome:
        return None
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in outcome.items()}


def _iso(value):
    return value.isoformat() if value else None


def project_schedule(store, workspace_id, project_id, schedule_id):
    """One schedule of the project (NotFound for another project's or workspace's)."""
    schedule = store.schedules.get(workspace_id, schedule_id)
    if schedule.project_id != project_id:
        raise NotFound("That schedule does not exist.")
    return schedule
