"""Generated tables shaped like intake's ``load_table`` output, from sklearn's bundled data."""

import numpy as np
import pandas as pd
from sklearn import datasets

LOADERS = {
    "binary": datasets.load_breast_cancer,
    "multiclass": datasets.load_wine,
    "regression": datasets.load_diabetes,
}


def table(task, *, duplicate_rows=0, files=2, seed=0):
    data = LOADERS[task](as_frame=True)
    frame = data.frame.rename(columns=lambda c: str(c).replace(" ", "_"))
    frame = frame.rename(columns={"target": "label"})
    if task == "binary":
        frame["label"] = np.where(frame["label"] == 1, "benign", "malignant")
    rng = np.random.default_rng(seed)
    frame.insert(0, "sample_id", [f"S{i:05d}" for i in range(len(frame))])
    frame["colour"] = pd.Series(rng.choice(["red", "green", "blue"], len(frame)), dtype="str")
    frame["empty"] = np.nan
    frame["constant"] = 7.0
    first_numeric = frame.columns[1]
    frame.loc[frame.sample(frac=0.05, random_state=seed).index, first_numeric] = np.nan
    if duplicate_rows:
        frame = pd.concat([frame, frame.iloc[:duplicate_rows]], ignore_index=True)
    frame["_source_file"] = [f"batch_{i % files}.csv" for i in range(len(frame))]
    frame["_row"] = frame.groupby("_source_file").cumcount() + 1
    return frame
