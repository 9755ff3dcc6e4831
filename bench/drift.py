"""Benchmark: the drift check of a 1,000,000-row, 30-feature batch against predicting it.

The batch is the generated project of ``tests/drift/synthetic.py`` (22 numeric and 8
categorical features), put through the platform's ``prepare_features`` so the categorical
columns hold one Python string object per cell, as ``TrainedModel.prepare(batch)`` gives them.
The model is the platform's HistGradientBoosting candidate (its tree preprocessing, default
settings) fitted on 20,000 generated rows; the profile comes from 25,000 training rows and
5,000 held-out predictions.

Both sides start from the prepared frame:
  prediction = ``model.predict(X)``;
  drift      = ``batch_predictions(predicted, profile)`` + ``check_batch(profile, X, ...)``.

Time: ``--rounds`` alternating rounds in this process, medians compared. Peak memory: each
side once more in a fresh subprocess that builds the same data, then measures with
``tracemalloc`` (which numpy and pandas report their buffers to) the peak of what the call
allocates on top of the data. Goals: drift <= 0.3x the prediction's time and <= 1.2x its peak.

    .venv/bin/python bench/drift.py [--rounds 5] [--rows 1000000]
"""

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from project_library.drift import (  # noqa: E402
    batch_predictions,
    build_profile,
    check_batch,
    reference_predictions,
)
from project_library.training.candidates import tree_preprocessor  # noqa: E402
from project_library.training.cleaning import prepare_features  # noqa: E402
from tests.drift import synthetic  # noqa: E402

TRAIN_ROWS, HELD_OUT_ROWS = 20_000, 5_000
GOALS = {"time": 0.3, "memory": 1.2}


def prepared(rows, seed):
    """Generated rows as the predict pipeline hands them to the model: loaded, then prepared."""
    raw = synthetic.features(rows, seed=seed)
    for column in synthetic.CATEGORICAL:
        raw[column] = raw[column].astype("str")  # what intake's load_table gives
    return raw, prepare_features(raw, synthetic.NUMERIC, synthetic.CATEGORICAL)


def setup(rows):
    """(model, profile, batch X): the same in every process (fixed seeds)."""
    raw, X = prepared(TRAIN_ROWS + HELD_OUT_ROWS, seed=1)
    y = synthetic.target(raw)
    model = Pipeline(
        [
            ("prepare", tree_preprocessor(synthetic.NUMERIC, synthetic.CATEGORICAL, False)),
            ("model", HistGradientBoostingClassifier(random_state=0)),
        ]
    ).fit(X.iloc[:TRAIN_ROWS], y[:TRAIN_ROWS])
    held_out = reference_predictions(model.predict(X.iloc[TRAIN_ROWS:]), ["no", "yes"])
    profile = build_profile(
        X, synthetic.NUMERIC, synthetic.CATEGORICAL, predictions=held_out, weights=None
    )
    profile = json.loads(json.dumps(profile))  # as saved beside the model and read back
    return model, profile, prepared(rows, seed=2)[1]


def drift(profile, X, predicted):
    report = check_batch(profile, X, batch_predictions(predicted, profile["predictions"]))
    return report.summary()


def timed(call):
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def time_rounds(rows, rounds):
    model, profile, X = setup(rows)
    predict_s, drift_s, summary = [], [], ""
    for _ in range(rounds):
        seconds, predicted = timed(lambda: model.predict(X))
        predict_s.append(seconds)
        seconds, summary = timed(lambda predicted=predicted: drift(profile, X, predicted))
        drift_s.append(seconds)
    return predict_s, drift_s, summary


def peak_child(side, rows):
    """In a fresh process: the peak bytes ``side`` allocates on top of the data it needs."""
    model, profile, X = setup(rows)
    predicted = model.predict(X) if side == "drift" else None
    tracemalloc.start()
    tracemalloc.reset_peak()
    if side == "predict":
        model.predict(X)
    else:
        drift(profile, X, predicted)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"peak": peak}))


def peak(side, rows):
    command = [sys.executable, __file__, "--child", side, "--rows", str(rows)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak"]


def table(rows, predict_s, drift_s, peaks, summary):
    median_p, median_d = float(np.median(predict_s)), float(np.median(drift_s))
    time_ratio, memory_ratio = median_d / median_p, peaks["drift"] / peaks["predict"]
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    rounds = ", ".join(f"{p:.2f}/{d:.2f}" for p, d in zip(predict_s, drift_s, strict=True))

    def verdict(ratio, goal):
        return "met" if ratio <= goal else "MISSED"

    return "\n".join(
        [
            f"Drift check, {rows:,} rows x 30 features (22 numeric, 8 categorical); "
            f"rounds predict/drift s: {rounds}",
            "",
            "| | prediction | drift check | ratio | goal |",
            "|---|---:|---:|---:|---|",
            f"| time (median of {len(predict_s)}) | {median_p:.2f} s | {median_d:.2f} s | "
            f"{time_ratio:.2f}x | <= {GOALS['time']}x, {verdict(time_ratio, GOALS['time'])} |",
            f"| peak memory (tracemalloc) | {peaks['predict'] / 2**20:.0f} MiB | "
            f"{peaks['drift'] / 2**20:.1f} MiB | {memory_ratio:.2f}x | "
            f"<= {GOALS['memory']}x, {verdict(memory_ratio, GOALS['memory'])} |",
            "",
            f"Report: {summary}",
            f"Load: {load}",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", choices=["predict", "drift"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        peak_child(args.child, args.rows)
        return
    predict_s, drift_s, summary = time_rounds(args.rows, args.rounds)
    peaks = {side: peak(side, args.rows) for side in ("predict", "drift")}
    print(table(args.rows, predict_s, drift_s, peaks, summary))


if __name__ == "__main__":
    main()
