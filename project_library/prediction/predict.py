"""Predict a loaded table with a trained model and write the predictions CSV."""

import logging
import tempfile

import pandas as pd

from project_library.cancellation import check_cancel
from project_library.training.model import predict_with_proba

logger = logging.getLogger(__name__)

CHUNK_ROWS = 200_000
SPOOL_BYTES = 32 * 1024 * 1024


def probability_column(label):
    return f"probability_{label}"


def predict_table(model, frame, id_columns=(), *, cancel=None, features=None):
    """One row per input row: source file, row number, identifiers, prediction, probabilities.
    ``features`` is ``model.prepare(frame)`` when the caller already has it (the predict
    pipeline shares it with the drift check), so the batch is prepared once."""
    features = model.prepare(frame) if features is None else features
    parts = []
    for start in range(0, len(frame), CHUNK_ROWS):
        check_cancel(cancel)
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        out = pd.DataFrame(index=chunk.index)
        out["source_file"] = chunk["_source_file"] if "_source_file" in chunk else ""
        out["row"] = chunk["_row"] if "_row" in chunk else range(start + 1, start + len(chunk) + 1)
        for column in id_columns or ():
            if column in chunk.columns and column not in out.columns:
                out[column] = chunk[column]
        rows = features.iloc[start : start + CHUNK_ROWS]
        out["prediction"], proba = predict_with_proba(model.estimator, rows, model.classes)
        if proba is not None:
            for position, label in enumerate(model.classes):
                out[probability_column(label)] = proba[:, position].round(6)
        parts.append(out)
    if not parts:
        columns = ["source_file", "row", *(id_columns or ()), "prediction"]
        columns += [probability_column(c) for c in (model.classes or [])]
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def write_csv(storage, path, frame):
    """Write ``frame`` as CSV to ``path`` in storage, streamed through a temporary file."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as spool:
        frame.to_csv(spool, index=False, encoding="utf-8")
        size = spool.tell()
        spool.seek(0)
        storage.write(path, spool, length=size)
    logger.info("predictions_written path=%s rows=%d bytes=%d", path, len(frame), size)
    return size
