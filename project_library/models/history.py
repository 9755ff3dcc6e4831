"""A project's history as the project page draws it: the held-out selection metric of every
model version over time (production marked, promotions and roll-backs as events), and the
accepted and rejected files of every validation.

The geometry is computed here, in plain numbers, so the page draws a light inline SVG with
no plotting library and no script: one database read per chart, whatever the number of
versions.
"""

from dataclasses import dataclass

from project_library.training.metrics import GREATER_IS_BETTER, LABELS

WIDTH, HEIGHT = 720, 200
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 14, 30
MAX_VERSIONS = 200
MAX_VALIDATIONS = 60
MAX_BAR_WIDTH = 28


@dataclass
class Chart:
    width: int
    height: int
    points: list  # [{"x", "y", "label", "title", "production"}]
    y_ticks: list  # [{"y", "label"}]
    x_ticks: list  # [{"x", "label"}]
    events: list  # [{"x", "title"}]
    bars: list  # validation bars: [{"x", "width", "y", "height", "kind", "title"}]
    caption: str

    @property
    def path(self):
        steps = [f"{p['x']:.1f},{p['y']:.1f}" for p in self.points]
        return ("M" + " L".join(steps)) if steps else ""


def _scale(values, low, high):
    """A function mapping ``values``' range onto [low, high] (a flat range maps to the middle)."""
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        return lambda _value: (low + high) / 2
    return lambda value: low + (value - lo) / (hi - lo) * (high - low)


def _padded(lo, hi):
    """A value range with some room above and below, never empty (one version, or several
    with the same score, still get a readable axis)."""
    span = hi - lo
    pad = span * 0.1 if span > 1e-12 else max(abs(hi) * 0.01, 0.01)
    return lo - pad, hi + pad


def _ticks(lo, hi, count=4):
    if hi - lo < 1e-12:
        return [lo]
    return [lo + (hi - lo) * i / count for i in range(count + 1)]


def metric_history(store, workspace_id, project):
    """The chart of the selection metric over the project's versions, or None with none."""
    versions = [
        v
        for v in store.models.scores(workspace_id, project.id, MAX_VERSIONS)
        if v.metric_value is not None and v.created_at is not None
    ]
    if not versions:
        return None
    versions.sort(key=lambda v: v.created_at)
    metric = project.effective_metric or versions[-1].metric
    shown = [v for v in versions if v.metric == metric] or versions
    values = [float(v.metric_value) for v in shown]
    times = [v.created_at.timestamp() for v in shown]
    x = _scale(times, PAD_LEFT, WIDTH - PAD_RIGHT)
    lo, hi = _padded(min(values), max(values))
    y = _scale([lo, hi], HEIGHT - PAD_BOTTOM, PAD_TOP)
    points = [
        {
            "x": x(t),
            "y": y(value),
            "label": f"v{v.version}",
            "title": f"v{v.version}: {value:.4f}, {v.estimator_label}, {v.created_at:%Y-%m-%d}",
            "production": v.version == project.production_version,
            "version": v.version,
        }
        for v, t, value in zip(shown, times, values, strict=True)
    ]
    events = _events(store, workspace_id, project, x, min(times), max(times))
    label = LABELS.get(metric, metric)
    better = "higher" if GREATER_IS_BETTER.get(metric, True) else "lower"
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        y_ticks=[{"y": y(t), "label": f"{t:.3f}"} for t in _ticks(lo, hi)],
        x_ticks=_time_ticks(shown, x),
        events=events,
        bars=[],
        caption=f"Held-out {label} of {len(shown)} versions ({better} is better)",
    )


def _events(store, workspace_id, project, x, first, last):
    """Promotions by an admin and roll-backs (not a training's own promotion) on the axis."""
    events = []
    for entry in store.models.promotions_for(workspace_id, project.id, MAX_VERSIONS):
        at, reason = entry.get("at"), entry.get("reason") or ""
        if at is None or reason.startswith("trained by") or not first <= at.timestamp() <= last:
            continue
        events.append({"x": x(at.timestamp()), "title": f"v{entry['version']}: {reason}"})
    return events


def _time_ticks(versions, x):
    """At most six date labels along the time axis."""
    step = max(1, len(versions) // 6)
    picked = versions[::step]
    span = versions[-1].created_at - versions[0].created_at
    shape = "%H:%M" if span.total_seconds() < 2 * 86400 else "%b %d"
    return [{"x": x(v.created_at.timestamp()), "label": f"{v.created_at:{shape}}"} for v in picked]


def validation_history(store, workspace_id, project):
    """Bars of accepted and rejected files per validation, oldest first; None with none."""
    done = [
        d
        for d in store.validations.summaries_for_project(workspace_id, project.id, MAX_VALIDATIONS)
        if d.get("counts")
    ]
    if not done:
        return None
    done.reverse()
    counts = [
        (int(d["counts"].get("accepted", 0)), int(d["counts"].get("rejected", 0))) for d in done
    ]
    top = max(max(a + r for a, r in counts), 1)
    plot = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = (WIDTH - PAD_LEFT - PAD_RIGHT) / len(done)
    bars = []
    for i, (doc, (accepted, rejected)) in enumerate(zip(done, counts, strict=True)):
        bars += _validation_bars(doc, accepted, rejected, PAD_LEFT + i * slot, slot, plot / top)
    ticks = sorted({round(t) for t in _ticks(0, top)})
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=[],
        y_ticks=[{"y": HEIGHT - PAD_BOTTOM - t * plot / top, "label": str(t)} for t in ticks],
        x_ticks=[],
        events=[],
        bars=bars,
        caption=f"Files accepted and rejected in the last {len(done)} validations",
    )


def _validation_bars(doc, accepted, rejected, left, slot, per_file):
    """One stacked bar: accepted files at the bottom, rejected ones on top."""
    width = min(max(2.0, slot * 0.7), MAX_BAR_WIDTH)
    left += (slot - width) / 2
    base = HEIGHT - PAD_BOTTOM
    when = doc.get("started_at")
    title = f"{doc.get('kind')}: {accepted} accepted, {rejected} rejected"
    if when is not None:
        title += f" ({when:%Y-%m-%d %H:%M})"
    low, high = accepted * per_file, rejected * per_file
    return [
        {
            "x": left,
            "width": width,
            "y": base - low,
            "height": low,
            "kind": "accepted",
            "title": title,
        },
        {
            "x": left,
            "width": width,
            "y": base - low - high,
            "height": high,
            "kind": "rejected",
            "title": title,
        },
    ]
