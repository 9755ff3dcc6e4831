"""Automation pages: a project's schedules (add, change, pause, resume, delete, live preview)
and its storage watcher; the Automation card of the project page reads ``automation_for``."""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from controllers.access import require_role
from controllers.audit.trail import audit, target
from controllers.context import actor, get_store, now, workspace, workspace_id
from entity import validators
from exception_layer.errors import AppError, ValidationError
from project_library.automation import overview, schedules, watchers

bp = Blueprint("automation", __name__, url_prefix="/projects")

PRESETS = (
    ("daily", "Daily", "Every day at a time"),
    ("weekdays", "On weekdays", "Monday to Friday at a time"),
    ("weekly", "Weekly", "On chosen days at a time"),
    ("hours", "Every N hours", "At a fixed interval"),
    ("once", "Once", "On one date and time"),
    ("cron", "Cron expression", "Five fields, for anything else"),
)
DAYS = (
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
)
EVERY = {"daily": "day", "weekdays": "weekday"}
TRAINING_MODES = (
    ("off", "Not watched"),
    ("validate", "Validate new files"),
    ("train", "Train on new files"),
)
MAX_GRACE_MIN = 7 * 24 * 60


@lru_cache(maxsize=1)
def time_zones():
    """Every IANA zone name, sorted (without the aliases that name no place)."""
    return sorted(available_timezones() - {"localtime", "posixrules", "Factory"})


# -- the form and the body of the JSON API -----------------------------------------------
def schedule_body(form, with_kind=True):
    """The schedule form's fields as the JSON API's body (``kind`` left out for an update)."""
    body = {}
    if with_kind:
        body["kind"] = form.get("kind", "")
    zone = form.get("timezone", "").strip()
    if zone:
        body["timezone"] = zone
    preset, time = form.get("preset", ""), form.get("time", "").strip()
    if preset == "once":
        day = form.get("date", "").strip()
        if not day or not time:
            raise ValidationError("Choose the day and the time of the run.")
        body["at"] = f"{day}T{time}"
    elif preset in EVERY:
        body.update(every=EVERY[preset], time=time)
    elif preset == "weekly":
        days = form.getlist("days")
        if not days:
            raise ValidationError("Tick at least one day of the week.")
        body.update(every="week", days=days, time=time)
    elif preset == "hours":
        hours = validators.whole_number(
            form.get("hours", ""), "The hours between two runs", low=1, high=168
        )
        body.update(every="hours", hours=hours)
    elif preset == "cron":
        body["cron"] = form.get("cron", "").strip()
    else:
        raise ValidationError("Choose when the schedule runs.")
    grace = form.get("misfire_grace_min", "").strip()
    if grace:
        try:
            minutes = float(grace)
        except ValueError:
            minutes = -1
        if not 0 <= minutes <= MAX_GRACE_MIN:
            raise ValidationError("The grace period is a number of minutes, 0 to 10080 (a week).")
        body["misfire_grace_s"] = round(minutes * 60)
    if form.get("overlap"):
        body["overlap"] = form["overlap"]
    return body


def _new_values(project):
    zone = workspace().timezone
    tomorrow = (now().astimezone(ZoneInfo(zone)) + timedelta(days=1)).date().isoformat()
    kind = "train" if project.production_version is None else "predict"
    return MultiDict(
        [
            ("kind", kind),
            ("preset", "daily"),
            ("time", "06:00"),
            ("date", tomorrow),
            ("days", "mon"),
            ("hours", "6"),
            ("cron", "30 2 * * 1-5"),
            ("timezone", zone),
            ("misfire_grace_min", "60"),
            ("overlap", "skip"),
        ]
    )


def _schedule_values(schedule):
    """A saved schedule (its JSON view) as the form's fields."""
    values = MultiDict(
        [
            ("kind", schedule["kind"]),
            ("time", schedule.get("time") or "06:00"),
            ("hours", str(schedule.get("hours") or 6)),
            ("cron", schedule.get("cron") or "30 2 * * 1-5"),
            ("timezone", schedule["timezone"]),
            ("misfire_grace_min", f"{schedule['misfire_grace_s'] / 60:g}"),
            ("overlap", schedule["overlap"]),
        ]
    )
    every = schedule.get("every")
    if schedule.get("at"):
        values["preset"] = "once"
        values["date"], values["time"] = schedule["at"][:10], schedule["at"][11:16]
    elif schedule.get("cron"):
        values["preset"] = "cron"
    else:
        values["preset"] = {"day": "daily", "weekday": "weekdays", "week": "weekly"}.get(
            every, "hours"
        )
    for day in schedule.get("days") or ["mon"]:
        values.add("days", day)
    return values


def _form_page(project, values, schedule=None, status=200):
    try:
        shown = schedules.preview(
            schedule_body(values, with_kind=False), workspace().timezone, now()
        )
    except ValidationError as error:
        shown = {"error": error.message, "next_runs": []}
    return render_template(
        "automation/schedule_form.html",
        project=project,
        schedule=schedule,
        values=values,
        preview=shown,
        presets=PRESETS,
        days=DAYS,
        zones=time_zones(),
    ), status


def _back(project_id):
    return redirect(url_for("projects.detail", project_id=project_id, _anchor="automation"))


def _project(project_id):
    return get_store().projects.get(workspace_id(), project_id)


def _schedule(project_id, schedule_id):
    """The project's schedule; another project's or workspace's is a 404."""
    _project(project_id)
    return schedules.project_schedule(get_store(), workspace_id(), project_id, schedule_id)


# -- schedules ---------------------------------------------------------------------------
@bp.get("/<project_id>/schedules/new")
@require_role("admin")
def new_schedule(project_id):
    project = _project(project_id)
    return _form_page(project, _new_values(project))


@bp.post("/<project_id>/schedules/new")
@require_role("admin")
def create_schedule(project_id):
    project = _project(project_id)
    try:
        created = schedules.create_schedule(
            get_store(), workspace(), project.id, schedule_body(request.form), actor(), now()
        )
    except ValidationError as error:
        flash(error.message, "error")
        return _form_page(project, request.form, status=error.status_code)
    audit(
        "schedule.create",
        target=target("schedule", created.id, created.description),
        after=schedules.to_json(created),
    )
    flash(f"Schedule added: {created.description}.", "success")
    return _back(project.id)


@bp.get("/<project_id>/schedules/<schedule_id>/edit")
@require_role("admin")
def edit_schedule(project_id, schedule_id):
    schedule = schedules.to_json(_schedule(project_id, schedule_id))
    return _form_page(_project(project_id), _schedule_values(schedule), schedule)


@bp.post("/<project_id>/schedules/<schedule_id>/edit")
@require_role("admin")
def update_schedule(project_id, schedule_id):
    current = schedules.to_json(_schedule(project_id, schedule_id))
    try:
        updated = schedules.update_schedule(
            get_store(),
            workspace(),
            current["id"],
            schedule_body(request.form, with_kind=False),
            now(),
        )
    except ValidationError as error:
        flash(error.message, "error")
        return _form_page(_project(project_id), request.form, current, error.status_code)
    audit(
        "schedule.update",
        target=target("schedule", updated.id, updated.description),
        before=current,
        after=schedules.to_json(updated),
    )
    flash(f"Schedule saved: {updated.description}.", "success")
    return _back(project_id)


@bp.post("/<project_id>/schedules/<schedule_id>/pause")
@require_role("admin")
def pause_schedule(project_id, schedule_id):
    schedule = _schedule(project_id, schedule_id)
    schedules.set_paused(get_store(), workspace_id(), schedule.id, True, now())
    audit("schedule.pause", target=target("schedule", schedule.id, schedule.description))
    flash(f"Paused: {schedule.description}. It runs again once resumed.", "info")
    return _back(project_id)


@bp.post("/<project_id>/schedules/<schedule_id>/resume")
@require_role("admin")
def resume_schedule(project_id, schedule_id):
    schedule = _schedule(project_id, schedule_id)
    schedules.set_paused(get_store(), workspace_id(), schedule.id, False, now())
    audit("schedule.resume", target=target("schedule", schedule.id, schedule.description))
    flash(f"Resumed: {schedule.description}. Slots passed while paused are not caught up.", "info")
    return _back(project_id)


@bp.post("/<project_id>/schedules/<schedule_id>/delete")
@require_role("admin")
def delete_schedule(project_id, schedule_id):
    schedule = _schedule(project_id, schedule_id)
    schedules.delete_schedule(get_store(), workspace_id(), schedule.id)
    audit("schedule.delete", target=target("schedule", schedule.id, schedule.description))
    flash(f"Schedule deleted: {schedule.description}.", "success")
    return _back(project_id)


@bp.get("/<project_id>/schedules/preview")
@require_role("viewer")
def preview(project_id):
    _project(project_id)
    try:
        body = schedule_body(request.args, with_kind=False)
        return jsonify(schedules.preview(body, workspace().timezone, now()))
    except ValidationError as error:
        return jsonify({"error": {"message": error.message}}), 400


# -- the storage watcher -----------------------------------------------------------------
def watch_body(form):
    """The watcher form as the JSON API's body."""
    return {
        "training": form.get("training", "off"),
        "prediction": form.get("prediction") in ("on", "1", "true"),
    }


@bp.post("/<project_id>/watch")
@require_role("admin")
def watch(project_id):
    project = _project(project_id)
    try:
        state = watchers.configure_watch(
            get_store(), workspace_id(), project.id, watch_body(request.form), now()
        )
    except AppError as error:
        flash(error.message, "error")
        return _back(project.id)
    audit("watcher.update", target=target("project", project), after=watchers.to_json(state))
    flash(_watch_words(state), "success")
    return _back(project.id)


def _watch_words(state):
    if not state.active:
        return "The watcher is off: new files start nothing."
    parts = []
    if state.training != "off":
        parts.append(dict(TRAINING_MODES)[state.training].lower() + " (training batches)")
    if state.prediction:
        parts.append("predict new files (prediction batches)")
    return "Watching the folders: " + " and ".join(parts) + "."


# -- what the templates read -------------------------------------------------------------
def _span(seconds):
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def relative(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (moment - now()).total_seconds()
    if abs(seconds) < 5:
        return "now" if seconds >= 0 else "just now"
    return f"in {_span(seconds)}" if seconds > 0 else f"{_span(seconds)} ago"


def local_when(iso, zone=None):
    """A local ISO time (``2027-01-05T06:00:00+01:00``) as the page shows it; with ``zone``,
    the instant is shown on that zone's clock first."""
    if zone:
        iso = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")
    moment = datetime.fromisoformat(iso)
    offset = iso[19:] if len(iso) > 19 else ""
    return {
        "day": f"{moment:%a} {moment.day} {moment:%b} {moment.year}",
        "time": f"{moment:%H:%M}",
        "zone": "UTC" if offset in ("", "+00:00", "Z") else f"UTC{offset}",
        "relative": relative(moment),
        "iso": iso,
    }


def stamp_when(iso):
    """A UTC instant (ISO) as the rest of the platform shows times: 2026-12-01 09:14 UTC."""
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    return {"text": moment.strftime("%Y-%m-%d %H:%M UTC"), "relative": relative(moment)}


@bp.app_context_processor
def automation_helpers():
    def automation_for(project):
        if not g.get("workspace") or not getattr(project, "id", None):
            return None
        return overview.automation_overview(get_store(), workspace_id(), project.id)

    return {
        "automation_for": automation_for,
        "local_when": local_when,
        "stamp_when": stamp_when,
        "training_modes": TRAINING_MODES,
    }
