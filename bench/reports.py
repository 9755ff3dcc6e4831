"""Benchmark: drawing a model version's report against the training that produced it.

On each real classic-format project in ../shared/datasets (loaded with bench/training.py's
``load_project``), train as the platform does (``project_library.training.train.train``),
rebuild its held-out split (``train.clean`` and ``train.split``, the same deterministic
split), then time over several rounds what the report costs: permutation importance on the
held-out rows, every figure (``build_figures``) and the HTML report (``render_report``).

Goals: rendering (all three) <= 10% of the training's wall time and <= 3 s; each SVG <= 200 KB.

    .venv/bin/python bench/reports.py                      # all four projects, 3 rounds
    .venv/bin/python bench/reports.py --only cement --rounds 5
"""

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs_section import write_section  # noqa: E402
from training import DATASETS, PROJECTS, load_project  # noqa: E402

from project_library.reports import figures as report_figures  # noqa: E402
from project_library.reports.candidates import candidates_figure  # noqa: E402
from project_library.reports.document import render_report  # noqa: E402
from project_library.reports.importance import importance_figure  # noqa: E402
from project_library.reports.tables import class_table, regression_summary  # noqa: E402
from project_library.training import evaluation  # noqa: E402
from project_library.training import metrics as metric_defs  # noqa: E402
from project_library.training import train as train_module  # noqa: E402
from project_library.training.train import TrainingOptions, clean, split, train  # noqa: E402

START, END = "<!-- bench:reports:start -->", "<!-- bench:reports:end -->"
OUT = ROOT / "bench" / "out" / "reports.json"
log = logging.getLogger("bench.reports")


def load():
    """The 1-, 5- and 15-minute load averages, as `uptime` prints them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def trained_project(name, work, budget):
    """(project, options, training result, training seconds, X_test, y_test)."""
    project, frame, _, _ = load_project(name, work)
    options = TrainingOptions(
        task=project.task,
        target=project.target,
        metric=project.effective_metric,
        id_columns=tuple(project.id_columns),
        time_budget_s=budget,
    )
    began = time.perf_counter()
    result = train(frame, options, log=log)
    seconds = time.perf_counter() - began
    table = clean(frame, options, log)
    y = table.target.to_numpy()
    _, (X_test, y_test) = split(table, y, options, result.metric, log)
    return project, options, result, seconds, X_test, y_test


def render_once(project, result, X_test, y_test):
    """Seconds per stage of one report, the figures, and the HTML."""
    estimator, task, metric = result.model.estimator, project.task, result.metric
    classes = result.model.classes
    began = time.perf_counter()
    budget = max(train_module.IMPORTANCE_MIN_S, train_module.IMPORTANCE_SHARE * result.seconds)
    importance = evaluation.permutation(
        estimator, X_test, y_test, task=task, metric=metric, classes=classes, budget_s=budget
    )
    held = evaluation.held_out(task, metric, classes, estimator, X_test, y_test, result.metrics)
    scored = time.perf_counter()
    candidates = [c.to_dict() for c in result.candidates]
    figures = report_figures.build_figures(held, importance, candidates, result.estimator)
    drawn = time.perf_counter()
    tables = {"classes": class_table(held)} if classes else {"regression": regression_summary(held)}
    html = render_report(report_meta(project, result), figures, tables)
    done = time.perf_counter()
    stages = {"importance": scored - began, "figures": drawn - scored, "report": done - drawn}
    return stages, figures, held, importance, html


def report_meta(project, result):
    return {
        "project_name": project.name,
        "version": 1,
        "task": project.task,
        "target": project.target,
        "estimator_label": result.estimator_label,
        "metric": result.metric,
        "metric_value": result.metric_value,
        "metrics": result.metrics,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "rows": result.rows,
        "feature_count": len(result.model.feature_columns),
    }


def figure_costs(held, importance, candidates, chosen):
    """Milliseconds of each figure drawn on its own (one pass, after the timed rounds)."""
    classify = metric_defs.is_classification(held.task)
    drawers = report_figures.CLASSIFICATION if classify else report_figures.REGRESSION
    costs = {}
    for draw in drawers:
        began = time.perf_counter()
        figure = draw(held)
        costs[figure.name] = (time.perf_counter() - began) * 1000
    for name, call in (
        ("permutation_importance", lambda: importance_figure(importance)),
        ("candidates", lambda: candidates_figure(candidates, chosen, held.metric)),
    ):
        began = time.perf_counter()
        call()
        costs[name] = (time.perf_counter() - began) * 1000
    return costs


def bench_project(name, work, budget, rounds):
    project, _, result, train_s, X_test, y_test = trained_project(name, work, budget)
    stages = []
    for _ in range(rounds):
        timing, figures, held, importance, html = render_once(project, result, X_test, y_test)
        stages.append(timing)
    candidates = [c.to_dict() for c in result.candidates]
    median = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    return {
        "project": name,
        "task": project.task,
        "estimator": result.estimator,
        "held_out_rows": held.rows,
        "columns": len(X_test.columns),
        "classes": len(held.classes or []),
        "training_s": train_s,
        "stages_s": median,
        "render_s": sum(median.values()),
        "max_svg_kb": max(len(f.svg.encode()) for f in figures) / 1024,
        "html_kb": len(html.encode()) / 1024,
        "figure_ms": figure_costs(held, importance, candidates, result.estimator),
        "importance_repeats": importance.repeats,
        "importance_rows": importance.rows,
        "load": load(),
    }


def mark(ok):
    return "✓" if ok else "✗"


def render(rows, budget, rounds, load_before):
    lines = [
        START,
        "## Reports: drawing a version's figures and report against its training",
        "",
        "`.venv/bin/python bench/reports.py` on the real projects in `../shared/datasets` (2 "
        f"shared cores; load average before {load_before}). Training time budget {budget:.0f} s. "
        "Render = permutation importance on the held-out rows + `build_figures` + "
        f"`render_report`, median of {rounds} rounds; passes = repeats × columns, each one "
        "prediction of the held-out sample (at most 2,000 rows).",
        "",
        "| project | held-out rows × columns | training s | importance s (passes) | figures s "
        "| report s | render s | render / training | figures + report / training "
        "| max SVG KB | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        s = r["stages_s"]
        drawing = s["figures"] + s["report"]
        ratio, drawing_ratio = r["render_s"] / r["training_s"], drawing / r["training_s"]
        passes = r["importance_repeats"] * r["columns"]
        lines.append(
            f"| {r['project']} | {r['held_out_rows']:,} × {r['columns']} | "
            f"{r['training_s']:.1f} | {s['importance']:.2f} ({passes:,}) | {s['figures']:.2f} | "
            f"{s['report']:.3f} | {r['render_s']:.2f} {mark(r['render_s'] <= 3)} | "
            f"{ratio:.1%} {mark(ratio <= 0.1 and r['render_s'] <= 3)} | "
            f"{drawing_ratio:.1%} {mark(drawing_ratio <= 0.1 and drawing <= 3)} | "
            f"{r['max_svg_kb']:.0f} {mark(r['max_svg_kb'] <= 200)} | {r['load']} |"
        )
    lines += ["", "Per figure (ms, drawn once each after the timed rounds):", ""]
    names = list(dict.fromkeys(n for r in rows for n in r["figure_ms"]))
    lines += ["| project | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for r in rows:
        cells = [f"{r['figure_ms'][n]:.0f}" if n in r["figure_ms"] else "" for n in names]
        lines.append(f"| {r['project']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Goals: render ≤ 10% of the training's wall time and ≤ 3 s; each SVG ≤ 200 KB.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(PROJECTS))
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if not DATASETS.exists():
        print(f"skipped: no datasets at {DATASETS}")
        return
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
    load_before = load()
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    rows = []
    try:
        for name in args.only:
            row = bench_project(name, work, args.budget, args.rounds)
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=2))
    section = render(rows, args.budget, args.rounds, load_before)
    print(section)
    if args.write_docs:
        write_section(section, START, END)


if __name__ == "__main__":
    main()
