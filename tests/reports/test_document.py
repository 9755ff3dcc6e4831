"""The HTML report: one self-contained page, escaped, printable, opening offline in Chromium."""

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from project_library.reports.canvas import Figure
from project_library.reports.document import render_report
from project_library.reports.figures import build_figures
from project_library.reports.tables import class_table, regression_summary
from tests.reports import cases

META = {
    "project_name": "Churn <b>& co</b>",
    "version": 7,
    "task": "binary",
    "target": "churned",
    "estimator_label": "Histogram gradient boosting",
    "metric": "balanced_accuracy",
    "metric_value": 0.912345,
    "metrics": {"balanced_accuracy": 0.912345, "roc_auc": 0.97},
    "created_at": datetime(2025, 3, 4, 10, 20, tzinfo=UTC),
    "rows": {"train": 1_440, "held_out": 120},
    "feature_count": 6,
}


class Structure(HTMLParser):
    """Counts the elements that matter and notes any script, link or external reference."""

    def __init__(self):
        super().__init__()
        self.tags, self.outside = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and not (value or "").startswith("#"):
                self.outside.append((tag, name, value))


@pytest.fixture(scope="module")
def report(binary):
    held, importance = binary
    figures = build_figures(held, importance, cases.candidates(), cases.CHOSEN)
    return render_report(META, figures, {"classes": class_table(held)}), figures


def test_report_is_one_self_contained_page(report):
    html, figures = report
    page = Structure()
    page.feed(html)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert page.outside == []
    assert "http" not in html
    assert page.tags.count("figure") == len(figures) == page.tags.count("svg")
    assert page.tags.count("figcaption") == len(figures)
    assert html.count('role="img"') == len(figures)
    assert "@page { size: A4" in html and "break-inside: avoid" in html


def test_report_header_reads_the_meta(report):
    html, _ = report
    for text in (
        "Churn &lt;b&gt;&amp; co&lt;/b&gt;",
        "v7",
        "Histogram gradient boosting",
        "Balanced accuracy",
        "0.9123",
        "2025-03-04 10:20 UTC",
        "1,440 / 120",
        "ROC AUC",
        "0.9700",
    ):
        assert text in html, text
    assert "<b>& co" not in html


def test_every_figure_has_its_title_and_alt_text(report):
    html, figures = report
    for figure in figures:
        section = html.split(f'id="figure-{figure.name}"', 1)[1].split("</section>", 1)[0]
        assert f"<strong>{figure.title}.</strong>" in section
        assert "<figcaption>" in section and 'aria-label="' in section


def test_class_names_are_escaped_in_html_and_svg(report):
    html, _ = report
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the per-class table and the alt
    table = html.split("Per-class scores", 1)[1]
    assert "Macro average" in table.split("<tfoot>", 1)[1]


def test_missing_meta_shows_dashes_and_regression_tables(regression):
    held, importance = regression
    figures = build_figures(held, importance, [], None)
    html = render_report({}, figures, {"regression": regression_summary(held), "notes": {"a": 1}})
    assert "Errors on the held-out rows" in html and "RMSE" in html and "Notes" in html
    assert "—" in html


def test_an_unsafe_svg_is_refused():
    bad = Figure("x", "X", "x", '<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')
    with pytest.raises(ValueError, match="script"):
        render_report(META, [bad], {})
    linked = '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(http://x/y)"/></svg>'
    with pytest.raises(ValueError, match="outside"):
        render_report(META, [Figure("y", "Y", "y", linked)], {})


@pytest.mark.browser
def test_report_opens_offline_in_chromium_without_errors(report, page):
    html, figures = report
    requests, problems = [], []
    page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else 0)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_content(html)
    assert page.locator("figure svg").count() == len(figures)
    assert page.locator("figure svg").first.bounding_box()["width"] > 300
    page.emulate_media(media="print")
    assert page.pdf(format="A4")[:4] == b"%PDF"
    assert requests == [] and problems == []
