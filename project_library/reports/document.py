"""One self-contained HTML report for a model version: a header, every figure, the tables.

``render_report(meta, figures, tables)`` returns a page with its CSS inline and its figures
as inline SVG: no scripts, no links, no URL of any kind (the SVG namespace declarations are
dropped, which HTML does not need), so it opens offline, can be mailed, and prints on A4.
The template, ``report.html.j2`` beside this module, is rendered by jinja2 with autoescape on;
the SVG is the only markup inserted as is, and only after ``inline_svg`` has checked it holds
no script, event handler, foreign object or reference outside itself.

``meta`` keys read (each optional; a missing one shows as "—"):
``project_name``, ``version``, ``estimator_label``, ``metric``, ``metric_label`` (else the
platform's label for ``metric``), ``metric_value``, ``created_at`` (datetime or ISO text),
``train_rows`` and ``held_out_rows`` (else ``rows["train"]`` / ``rows["held_out"]``), ``task``,
``target``, ``feature_count`` and ``metrics`` (every held-out metric, name -> value).

``tables``: ``"classes"`` (rows of ``tables.class_table``; the average rows go in the table's
footer), ``"regression"`` (``tables.regression_summary``); any other key is drawn as a
generic table: a list of dicts as rows and columns, a dict as name/value pairs.
"""

import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from project_library.training import metrics as metric_defs

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TABLE_TITLES = {
    "classes": "Per-class scores on the held-out rows",
    "regression": "Errors on the held-out rows",
}
COLUMN_TITLES = {
    "class": "Class",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "support": "Support (rows)",
    "rows": "Rows",
    **metric_defs.LABELS,
}
UNSAFE_TAGS = {"script", "foreignobject", "iframe", "object", "embed", "image", "a"}
_NAMESPACES = re.compile(r'\sxmlns(?::xlink)?="[^"]*"')
_XLINK = re.compile(r"(<[^>]*?)\bxlink:href=")
_OUTSIDE = re.compile(r"url\((?!#)|@import", re.IGNORECASE)
# Attributes that may load a resource through url(...); text such as aria-label may not.
URL_ATTRIBUTES = {"style", "fill", "stroke", "clip-path", "mask", "filter", "cursor"}
URL_ATTRIBUTES |= {"marker-start", "marker-mid", "marker-end"}


def render_report(meta, figures, tables):
    """The report as one HTML string (see the module docstring for ``meta`` and ``tables``)."""
    template = _ENV.get_template("report.html.j2")
    return template.render(
        header=header(meta),
        metrics=metric_rows(meta.get("metrics") or {}),
        figures=[
            {"name": f.name, "title": f.title, "alt": f.alt, "svg": inline_svg(f.svg, f.name)}
            for f in figures
        ],
        tables=[table_view(key, value) for key, value in (tables or {}).items()],
        show=show,
    )


def header(meta):
    rows = meta.get("rows") or {}
    metric = meta.get("metric")
    return {
        "project": meta.get("project_name"),
        "version": None if meta.get("version") is None else str(meta["version"]),
        "estimator": meta.get("estimator_label"),
        "metric": meta.get("metric_label") or metric_defs.LABELS.get(metric, metric),
        "metric_value": meta.get("metric_value"),
        "created_at": when(meta.get("created_at")),
        "train_rows": meta.get("train_rows", rows.get("train")),
        "held_out_rows": meta.get("held_out_rows", rows.get("held_out")),
        "task": meta.get("task"),
        "target": meta.get("target"),
        "feature_count": meta.get("feature_count"),
    }


def metric_rows(metrics):
    return [(metric_defs.LABELS.get(name, name), value) for name, value in metrics.items()]


def when(value):
    """A moment as "YYYY-MM-DD HH:MM UTC" (naive times are taken as UTC); text left as is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return value
    moment = value.astimezone(UTC) if value.tzinfo else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def show(value):
    """A cell's text: thousands separators for integers, 4 decimals for floats, "—" for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:,.4f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def table_view(key, value):
    """{title, kind, columns, rows, footer} for the template."""
    title = TABLE_TITLES.get(key, str(key).replace("_", " ").capitalize())
    if isinstance(value, dict):
        pairs = [(COLUMN_TITLES.get(k, str(k)), v) for k, v in value.items()]
        return {"title": title, "kind": "pairs", "rows": pairs}
    rows = [r for r in value or [] if isinstance(r, dict)]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    if key == "classes":
        keys = [k for k in keys if k != "average"]
    body = [r for r in rows if not (key == "classes" and r.get("average"))]
    footer = [r for r in rows if key == "classes" and r.get("average")]
    return {
        "title": title,
        "kind": "rows",
        "columns": [(k, COLUMN_TITLES.get(k, str(k))) for k in keys],
        "rows": body,
        "footer": footer,
    }


def inline_svg(svg, name):
    """``svg`` ready to sit inside HTML: checked, namespace declarations dropped, plain href."""
    check_svg(svg, name)
    root_end = svg.index(">") + 1
    svg = _NAMESPACES.sub("", svg[:root_end]) + svg[root_end:]
    return _XLINK.sub(r"\1href=", svg)


def check_svg(svg, name):
    """ValueError unless ``svg`` is one well-formed SVG that refers to nothing outside itself."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise ValueError(f"figure {name}: not well-formed SVG ({exc})") from None
    if root.tag.rsplit("}", 1)[-1] != "svg":
        raise ValueError(f"figure {name}: the root element is not <svg>")
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in UNSAFE_TAGS:
            raise ValueError(f"figure {name}: SVG holds a <{tag}> element")
        if tag == "style" and _OUTSIDE.search(element.text or ""):
            raise ValueError(f"figure {name}: SVG style refers outside itself")
        for attribute, text in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                raise ValueError(f"figure {name}: SVG holds an event handler ({local})")
            outside = local in URL_ATTRIBUTES and _OUTSIDE.search(text)
            if outside or (local == "href" and not text.startswith("#")):
                raise ValueError(f"figure {name}: SVG refers outside itself in {local}")
