"""The run page's Drift section renders any report, escapes what the data says, and draws
its histograms with CSS bars only."""

import re
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import pytest

from project_library.drift import build_profile, check_batch, reference_predictions

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def render():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    template = env.from_string(
        '{% from "runs/_drift.html" import drift_section %}{{ drift_section(report) }}'
    )
    return lambda report: template.render(report=report.to_dict())


def report_of(columns=16, rows=400, hostile=False):
    rng = np.random.default_rng(0)
    names = [f"f{i}" for i in range(columns)]
    frame = pd.DataFrame({n: rng.normal(size=2_000) for n in names})
    frame["label"] = pd.Series(rng.choice(["a", "b"], 2_000)).astype(object)
    profile = build_profile(
        frame, names, ["label"], predictions=reference_predictions(rng.normal(size=300)),
        weights=None,
    )  # fmt: skip
    batch = pd.DataFrame({n: rng.normal(size=rows) for n in names}).assign(f0=lambda b: b.f0 + 3)
    batch["label"] = HOSTILE if hostile else "a"
    if hostile:
        batch = batch.rename(columns={"f1": HOSTILE})
    return check_batch(profile, batch, None)


def test_the_section_shows_the_verdict_and_every_feature(render):
    html = render(report_of())
    assert 'id="drift"' in html and "<h2>Drift</h2>" in html
    assert "2 of 17 features</strong> drifted" in html
    assert html.count("<tr class=") == 17
    assert "Show the other 5 features" in html  # 12 shown, the rest folded away


def test_histograms_are_css_bars(render):
    html = render(report_of())
    heights = re.findall(
        r'class="drift-bar drift-bar-(?:ref|batch)" style="height: ([\d.]+)%"', html
    )
    assert heights and all(0 <= float(h) <= 100 for h in heights)
    assert "<script" not in html and "<img" not in html and "<svg" not in html


def test_data_is_escaped(render):
    html = render(report_of(hostile=True))
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_an_empty_batch_renders(render):
    html = render(report_of(rows=0))
    assert "The batch is empty" in html and "Not checked" in html
