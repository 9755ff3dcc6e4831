"""Benchmark: the platform's training against a seed-style pipeline and HGB defaults.

On each real classic-format project in ../shared/datasets, with the same cleaned table and
the same held-out split for all three:
  (a) the platform: ``project_library.training.train.train`` with the project's metric and the
      default time budget (intake's validation and merged table are timed apart);
  (b) seed-style: KMeans with an elbow on k = 1..10, then per cluster a grid search (5-fold)
      over random forest and XGBoost with the classic repositories' grids, the better one
      kept per cluster; capped at --seed-cap seconds per project (then the best so far);
  (c) HistGradientBoosting with default settings.

    .venv/bin/python bench/training.py --write-docs            # all four projects
    .venv/bin/python bench/training.py --only cement mushroom   # a subset
"""

import argparse
import itertools
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from docs_section import write_section  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.preprocessing import LabelEncoder  # noqa: E402

from cloud_storage.local import LocalStorage  # noqa: E402
from entity.project import Project  # noqa: E402
from project_library.training import metrics as metric_defs  # noqa: E402
from project_library.training.candidates import tree_preprocessor  # noqa: E402
from project_library.training.cleaning import clean_training_table  # noqa: E402
from project_library.training.clustering import elbow_k  # noqa: E402
from project_library.training.splitting import fold_ids, holdout_mask  # noqa: E402
from project_library.training.train import TrainingOptions, train  # noqa: E402
from project_library.validation.batches import load_table, validate_batches  # noqa: E402

DATASETS = ROOT / ".." / "shared" / "datasets"
START, END = "<!-- bench:training:start -->", "<!-- bench:training:end -->"
PROJECTS = {
    "wafer": {"task": "binary", "target": "Output", "id_columns": ["Wafer"]},
    "cement": {"task": "regression", "target": "Concrete_compressive_strength"},
    "mushroom": {"task": "binary", "target": "class"},
    "forest_cover": {"task": "multiclass", "target": "class"},
}
RF_GRID = {
    "n_estimators": [10, 50, 100, 130],
    "criterion": ["gini", "entropy"],
    "max_depth": [2, 3],
    "max_features": ["sqrt", "log2"],
}
RF_REG_GRID = {
    "n_estimators": [10, 50, 100, 130],
    "criterion": ["squared_error", "absolute_error"],
    "max_depth": [2, 3],
    "max_features": ["sqrt", "log2"],
}
XGB_GRID = {
    "learning_rate": [0.5, 0.1, 0.01, 0.001],
    "max_depth": [3, 5, 10, 20],
    "n_estimators": [10, 50, 100, 200],
}


def load_project(name, work):
    source = DATASETS / name
    shutil.copytree(source / "training_batch", work / name / "training_batches")
    settings = PROJECTS[name]
    project = Project(
        workspace_id="bench",
        name=name,
        root=name,
        task=settings["task"],
        target=settings["target"],
        id_columns=settings.get("id_columns", []),
        training_schema=json.loads((source / "schema_training.json").read_text()),
        id=name,
    )
    storage = LocalStorage(str(work))
    began = time.perf_counter()
    result = validate_batches(storage, project, "training")
    frame = load_table(storage, project, result, "training")
    return project, frame, time.perf_counter() - began, result


def grid(space):
    keys = list(space)
    for values in itertools.product(*(space[k] for k in keys)):
        yield dict(zip(keys, values, strict=True))


def seed_style(X, y, task, metric, classes, deadline):
    """KMeans + elbow, then per cluster the best of RF/XGB grid searches (5-fold CV)."""
    from xgboost import XGBClassifier, XGBRegressor

    classify = task != "regression"
    encoder = LabelEncoder().fit(y) if classify else None
    y_fit = encoder.transform(y) if classify else y
    matrix = SimpleImputer(strategy="median").fit_transform(X)
    inertias = [
        KMeans(n_clusters=k, n_init=10, random_state=0).fit(matrix).inertia_ for k in range(1, 11)
    ]
    k = elbow_k(inertias)
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=0).fit(matrix)
    models, cut_short = {}, False
    for cluster in range(k):
        rows = kmeans.labels_ == cluster
        Xc, yc = matrix[rows], y_fit[rows]
        if classify and len(np.unique(yc)) < 2:
            models[cluster] = ("constant", yc[0])
            continue
        folds = fold_ids(yc, np.arange(len(yc)), task, 5, 0)
        families = [
            (
                RandomForestClassifier if classify else RandomForestRegressor,
                RF_GRID if classify else RF_REG_GRID,
                {"n_jobs": -1, "random_state": 0},
            ),
            (
                XGBClassifier if classify else XGBRegressor,
                XGB_GRID,
                {"n_jobs": 2, "random_state": 0, "verbosity": 0},
            ),
        ]
        best, best_score = None, None
        for cls, space, fixed in families:
            for params in grid(space):
                if time.monotonic() > deadline:
                    cut_short = True
                    break
                scores = []
                for fold in range(5):
                    tr, te = folds != fold, folds == fold
                    if classify and len(np.unique(yc[tr])) < 2:
                        continue
                    model = _fit(cls, {**params, **fixed}, Xc[tr], yc[tr], classify)
                    scores.append(_score(metric, task, model, Xc[te], yc[te], classify))
                mean = float(np.nanmean(scores)) if scores else float("nan")
                if metric_defs.is_better(metric, mean, best_score):
                    best, best_score = (cls, {**params, **fixed}), mean
        if best is None:
            models[cluster] = ("constant", np.bincount(yc).argmax() if classify else yc.mean())
        else:
            models[cluster] = ("model", _fit(best[0], best[1], Xc, yc, classify))
    imputer = SimpleImputer(strategy="median").fit(X)
    return (imputer, kmeans, models, encoder), k, cut_short


def _fit(cls, params, X, y, classify):
    if classify and "XGB" in cls.__name__:
        # XGBoost wants labels 0..n-1 inside a cluster.
        local = LabelEncoder().fit(y)
        model = cls(**params).fit(X, local.transform(y))
        model.global_classes_ = local.classes_
        return model
    return cls(**params).fit(X, y)


def _predict(model, X):
    out = model.predict(X)
    if hasattr(model, "global_classes_"):
        out = model.global_classes_[np.asarray(out, dtype=int)]
    return out


def _proba(model, X, n_classes):
    raw = model.predict_proba(X)
    classes = getattr(model, "global_classes_", getattr(model, "classes_", None))
    out = np.zeros((len(X), n_classes))
    for j, c in enumerate(classes):
        out[:, int(c)] = raw[:, j]
    return out


def _score(metric, task, model, X, y, classify):
    predicted = _predict(model, X)
    proba = None
    if classify and metric == "roc_auc":
        proba = _proba(model, X, int(max(y.max(), 1)) + 1)
    classes = list(range(proba.shape[1])) if proba is not None else None
    return metric_defs.score(metric, task, y, predicted, proba, classes)


def seed_predict(bundle, X):
    imputer, kmeans, models, encoder = bundle
    matrix = imputer.transform(X)
    labels = kmeans.predict(matrix)
    out = np.empty(len(X), dtype=float)
    for cluster, (kind, model) in models.items():
        rows = labels == cluster
        if rows.any():
            out[rows] = model if kind == "constant" else _predict(model, matrix[rows])
    if encoder is not None:
        return encoder.inverse_transform(out.astype(int))
    return out


def bench_project(name, work, seed_cap, budget):
    project, frame, intake_s, validation = load_project(name, work)
    task, metric = project.task, project.effective_metric
    options = TrainingOptions(
        task=task,
        target=project.target,
        metric=metric,
        id_columns=tuple(project.id_columns),
        time_budget_s=budget,
    )
    began = time.perf_counter()
    result = train(frame, options, log=logging.getLogger("bench.platform"))
    platform_s = time.perf_counter() - began

    table = clean_training_table(
        frame, task=task, target=project.target, id_columns=project.id_columns
    )
    y = table.target.to_numpy()
    held = holdout_mask(y, table.groups, task, options.test_size, options.random_state)
    prep = tree_preprocessor(table.numeric_columns, table.categorical_columns, impute=False)
    X_train = prep.fit_transform(table.features[~held])
    X_test = prep.transform(table.features[held])
    classify = task != "regression"
    classes = sorted(np.unique(y).tolist()) if classify else None

    began = time.perf_counter()
    hgb = (HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor)(
        random_state=0
    ).fit(X_train, y[~held])
    hgb_s = time.perf_counter() - began
    hgb_value = metric_defs.score(
        metric,
        task,
        y[held],
        hgb.predict(X_test),
        hgb.predict_proba(X_test) if classify else None,
        classes,
    )

    began = time.perf_counter()
    bundle, k, cut_short = seed_style(
        X_train, y[~held], task, metric, classes, time.monotonic() + seed_cap
    )
    seed_s = time.perf_counter() - began
    predicted = seed_predict(bundle, X_test)
    seed_value = metric_defs.score(metric, task, y[held], predicted, None, classes)
    return {
        "project": name,
        "task": task,
        "metric": metric,
        "rows": len(frame),
        "files_accepted": len(validation.accepted),
        "files": len(validation.files),
        "intake_s": intake_s,
        "platform": {
            "seconds": platform_s,
            "value": result.metric_value,
            "estimator": result.estimator,
        },
        "hgb": {"seconds": hgb_s, "value": hgb_value},
        "seed": {"seconds": seed_s, "value": seed_value, "clusters": k, "cut_short": cut_short},
    }


def render(rows, seed_cap, budget):
    lines = [
        START,
        "## Training: platform vs seed-style vs HistGradientBoosting defaults",
        "",
        "`.venv/bin/python bench/training.py --write-docs` on the real projects in "
        "`../shared/datasets` (2 shared cores). Same cleaned table and same held-out split "
        f"(20%, stratified, duplicates never straddling it) for all three. Platform time budget "
        f"{budget:.0f} s; seed-style capped at {seed_cap:.0f} s per project. Lower is better for "
        "RMSE; higher for the others.",
        "",
        "| project | rows | metric | platform | platform s | seed-style | seed-style s | "
        "HGB defaults | HGB s | time vs seed | metric ≥ both |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        p, s, h = r["platform"], r["seed"], r["hgb"]
        ok = not metric_defs.is_better(r["metric"], s["value"], p["value"]) and not (
            metric_defs.is_better(r["metric"], h["value"], p["value"])
        )
        seed_time = f"{s['seconds']:.0f}" + (" (cap)" if s["cut_short"] else "")
        ratio = p["seconds"] / s["seconds"]
        lines.append(
            f"| {r['project']} | {r['rows']} | {r['metric']} | {p['value']:.4f} "
            f"({p['estimator']}) | {p['seconds']:.1f} | {s['value']:.4f} | {seed_time} | "
            f"{h['value']:.4f} | {h['seconds']:.1f} | {ratio:.3f}× "
            f"{'✓' if ratio <= 0.1 else '✗'} | {'✓' if ok else '✗'} |"
        )
    lines += [
        "",
        "Goals: platform metric ≥ seed-style and ≥ HGB defaults; platform time ≤ 0.1× "
        "seed-style. A seed-style time marked (cap) stopped its grid search at the cap, so "
        "its true time is longer and the ratio shown is an upper bound.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(PROJECTS))
    parser.add_argument("--seed-cap", type=float, default=900.0)
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if not DATASETS.exists():
        sys.exit(f"no datasets at {DATASETS}")
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    logging.getLogger("project_library").setLevel(logging.WARNING)
    work = Path(tempfile.mkdtemp(prefix="bench-training-"))
    rows = []
    try:
        for name in args.only:
            row = bench_project(name, work, args.seed_cap, args.budget)
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    section = render(rows, args.seed_cap, args.budget)
    print(section)
    if args.write_docs:
        write_section(section, START, END)


if __name__ == "__main__":
    main()
