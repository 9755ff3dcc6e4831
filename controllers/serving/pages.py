"""Online prediction pages: a project's prediction tokens (create, revoke), "try one row", and
the "Use the API" card of the project page, which reads ``serving_for`` (docs/serving.md)."""

import json
import shlex
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from controllers.access import can, require_role
from controllers.audit.trail import audit, target
from controllers.context import actor, get_store, now, workspace_id
from entity.serving import BUCKETS_MS
from entity.token import DEFAULT_EXPIRY, EXPIRY_LABELS
from exception_layer.errors import AppError
from project_library.projects import overview
from project_library.serving import service, tokens
from project_library.validation.schema import parse_schema

bp = Blueprint("serving", __name__, url_prefix="/projects")

CURL_COLUMNS = 4  # schema columns the curl example fills in
EXAMPLE_VALUES = {"float": 1.5, "integer": 3, "string": "text"}
FIELD_PREFIX = "col:"  # the try form's inputs are named "col:<column name>"


def _project(project_id):
    return get_store().projects.get(workspace_id(), project_id)


def _token_key(project_id):
    """Where a just-created token waits, in the session, for the page that shows it once."""
    return f"new_prediction_token:{project_id}"


def _back(project_id, anchor="serving"):
    return redirect(url_for("projects.detail", project_id=project_id, _anchor=anchor))


# -- prediction tokens -------------------------------------------------------------------
@bp.post("/<project_id>/prediction-tokens")
@require_role("admin")
def create_token(project_id):
    project = _project(project_id)
    try:
        token, secret = tokens.create_token(
            get_store(),
            workspace_id(),
            project.id,
            actor(),
            request.form.get("name"),
            request.form.get("expires"),
        )
    except AppError as error:
        flash(error.message, "error")
        return _back(project.id, "serving-tokens")
    audit("prediction_token.create", target=target("prediction_token", token.id, token.name))
    session[_token_key(project.id)] = {"name": token.name, "secret": secret}
    return _back(project.id, "serving-tokens")


@bp.post("/<project_id>/prediction-tokens/<token_id>/revoke")
@require_role("admin")
def revoke_token(project_id, token_id):
    project = _project(project_id)
    tokens.revoke_token(get_store(), workspace_id(), project.id, token_id)
    audit("prediction_token.revoke", target=target("prediction_token", token_id))
    flash("Prediction token revoked: calls with it are refused from now on.", "success")
    return _back(project.id, "serving-tokens")


# -- try one row -------------------------------------------------------------------------
def row_from_form(form, columns):
    """The form's values as one row: an empty field is null; text goes as typed, so the
    endpoint's own rules judge a numeric column's value."""
    values = {c.name: form.get(FIELD_PREFIX + c.name, "") for c in columns}
    row = {name: (text if text.strip() else None) for name, text in values.items()}
    return values, row


@bp.post("/<project_id>/try")
@require_role("admin")
def try_row(project_id):
    project = _project(project_id)
    columns = _columns(project)
    values, row = row_from_form(request.form, columns)
    status = 200
    try:
        answer = current_app.extensions["serving"].predict(
            workspace_id(), project.id, {"rows": [row]}
        )
        tried = {"fields": values, "answer": _shown_answer(answer)}
    except AppError as error:
        status = error.status_code
        tried = {"fields": values, "error": _shown_error(error)}
    g.serving_try = tried
    page = overview.project_overview(get_store(), workspace_id(), project.id)
    return render_template("projects/detail.html", **page), status


def _shown_answer(answer):
    """The one row's answer as the page shows it: the prediction, then the classes by
    probability, highest first."""
    shown = {
        "prediction": answer["predictions"][0],
        "model_version": answer["model_version"],
        "request_id": answer["request_id"],
        "probabilities": None,
    }
    if answer.get("probabilities"):
        ranked = sorted(answer["probabilities"][0].items(), key=lambda kv: -kv[1])
        shown["probabilities"] = [
            {"label": label, "p": p, "percent": percent(p)} for label, p in ranked
        ]
    return shown


def percent(p):
    """A probability in words: one decimal, never a rounded 0 % or 100 % that is not one."""
    if 0 < p < 0.0005:
        return "<0.1%"
    if 0.9995 < p < 1:
        return ">99.9%"
    return f"{p * 100:.1f}%"


def _field_message(problem):
    """A located problem as its field shows it: "Row 1 column 'x' is declared float but
    holds 'lots', not a number." -> "Declared float but holds 'lots', not a number."."""
    message = problem["message"]
    where = f"Row {problem['row']} column '{problem['column']}' "
    if problem.get("row") and message.startswith(where):
        message = message[len(where) :]
    elif message.startswith(f"Column '{problem['column']}' "):
        message = message[len(f"Column '{problem['column']}' ") :]
    message = message.removeprefix("is ")
    return message[:1].upper() + message[1:]


def _shown_error(error):
    details = error.details or {}
    problems = details.get("problems") or []
    by_column = {}
    for problem in problems:
        if problem.get("column") and problem.get("row") in (1, None):
            by_column.setdefault(problem["column"], _field_message(problem))
    return {
        "status": error.status_code,
        "code": error.code,
        "message": error.message,
        "problems": problems,
        "more": details.get("more") or 0,
        "by_column": by_column,
    }


# -- what the project page reads ---------------------------------------------------------
def _columns(project):
    if not project.prediction_schema:
        return []
    return list(parse_schema(project.prediction_schema).columns)


def _quote(text):
    """``text`` in single quotes for a POSIX shell."""
    return "'" + text.replace("'", "'\\''") + "'"


def curl_example(endpoint, columns):
    """A curl call with the first few schema columns filled with an example value by type."""
    row = {c.name: EXAMPLE_VALUES.get(c.type, "text") for c in columns[:CURL_COLUMNS]}
    fields = ",\n".join(
        f"      {json.dumps(name, ensure_ascii=False)}: {json.dumps(value)}"
        for name, value in row.items()
    )
    body = '{"rows": [{\n' + fields + "\n    }]}" if row else '{"rows": [{}]}'
    return " \\\n  ".join(
        [
            f"curl -X POST {shlex.quote(endpoint)}",
            '-H "Authorization: Bearer $PREDICTION_TOKEN"',
            "-H 'Content-Type: application/json'",
            f"-d {_quote(body)}",
        ]
    )


def _week(stats):
    """The last seven UTC days, oldest first, with their calls (0 for a day without)."""
    calls = {d["day"]: d["calls"] for d in stats["days"]}
    today = now().date()
    days = [today - timedelta(days=back) for back in range(6, -1, -1)]
    top = max([calls.get(d.isoformat(), 0) for d in days] + [1])
    return [
        {
            "day": d.isoformat(),
            "label": "Today" if d == today else f"{d:%a}",
            "calls": calls.get(d.isoformat(), 0),
            "share": calls.get(d.isoformat(), 0) / top,
        }
        for d in days
    ]


def _limits(config):
    return {
        "rows": config["PREDICT_MAX_ROWS"],
        "bytes": config["PREDICT_MAX_BYTES"],
        "rate": config["PREDICT_RATELIMIT"],
    }


def _token_rows(project):
    return [
        {
            **tokens.to_json(t),
            "created": t.created_at,
            "last_used": t.last_used_at,
            "expires": t.expires_at,
            "expired": t.expired(),
        }
        for t in tokens.project_tokens(get_store(), workspace_id(), project.id)
    ]


def _serving(project):
    server = current_app.extensions["serving"]
    server.flush()  # this process's buffered counts, so the card is up to date here
    config = current_app.config
    endpoint = config["BASE_URL"].rstrip("/") + url_for(
        "serving_api.predict", project_id=project.id
    )
    columns = _columns(project)
    stats = service.stats_summary(get_store(), workspace_id(), project.id)
    admin = can("admin")
    return {
        "endpoint": endpoint,
        "curl": curl_example(endpoint, columns),
        "curl_columns": min(len(columns), CURL_COLUMNS),
        "tokens": _token_rows(project) if admin else [],
        "expiry_labels": EXPIRY_LABELS,
        "default_expiry": DEFAULT_EXPIRY,
        "new_token": session.pop(_token_key(project.id), None) if admin else None,
        "stats": stats,
        "week": _week(stats),
        "columns": [{"name": c.name, "type": c.type} for c in columns],
        "limits": _limits(config),
        "production_version": project.production_version,
        "tried": g.get("serving_try"),
        "over_ms": BUCKETS_MS[-1],  # a percentile past the last bucket: "> 5 s"
    }


@bp.app_context_processor
def serving_helpers():
    def serving_for(project):
        if not g.get("workspace") or not getattr(project, "id", None):
            return None
        shown = g.setdefault("serving_shown", {})
        if project.id not in shown:  # once per request: the new token is popped once
            shown[project.id] = _serving(project)
        return shown[project.id]

    return {"serving_for": serving_for, "field_prefix": FIELD_PREFIX}
