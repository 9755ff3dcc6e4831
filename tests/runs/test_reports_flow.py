"""Model reports through the whole platform: every trained version gets its figures, tables
and HTML report, signed beside its manifest; the Model page, the API and the project's
history show them."""

import json
import xml.etree.ElementTree as ET

import pytest

from integration.layout import report_path
from tests.runs.support import project_storage, start, train_project, wait_for

FIGURES = {
    "binary": {"confusion_matrix", "roc", "precision_recall", "calibration"},
    "multiclass": {"confusion_matrix", "roc", "precision_recall", "calibration"},
    "regression": {"predicted_vs_actual", "residuals"},
}
EVERY_VERSION = {"permutation_importance", "candidates"}


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_version_has_its_figures_and_report(client, team, app, task):
    admin = team.headers("admin")
    project, _, _ = train_project(client, team, app, task)
    base = f"/api/v1/projects/{project['id']}/models/1"
    plots = client.get(f"{base}/plots", headers=admin)
    assert plots.status_code == 200, plots.get_json()
    figures = {f["name"]: f for f in plots.get_json()["figures"]}
    assert FIGURES[task] | EVERY_VERSION <= set(figures)
    for item in figures.values():
        assert item["title"] and item["alt"] and isinstance(item["data"], dict)
        svg = client.get(item["svg_url"], headers=admin)
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        ET.fromstring(svg.get_data())  # well-formed
        assert len(svg.get_data()) <= 200_000
    report = client.get(f"{base}/report", headers=admin)
    assert report.status_code == 200 and report.mimetype == "text/html"
    html = report.get_data(as_text=True)
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html
    assert project["name"] in html
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    assert storage.read_bytes(report_path(stored, 1)).decode() == html

    team.login(client, "admin")
    page = client.get(f"/projects/{project['id']}/models/1")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for item in figures.values():
        assert item["title"] in text or json.dumps(item["title"])[1:-1] in text
    assert "Held-out metrics" in text


def test_figures_are_signed_like_the_model(client, team, app):
    admin = team.headers("admin")
    project, _, _ = train_project(client, team, app, "binary", name="tampered report")
    storage, stored = project_storage(app, team.workspace_id, project["id"])
    path = f"{stored.root}/models/v1/figures.json".lstrip("/")
    body = json.loads(storage.read_bytes(path))
    body["figures"][0]["title"] = "edited by someone else"
    storage.write_bytes(path, json.dumps(body).encode())
    response = client.get(f"/api/v1/projects/{project['id']}/models/1/plots", headers=admin)
    assert response.status_code == 409
    assert "signed manifest" in response.get_json()["error"]["message"]


def test_comparison_with_production_and_history(client, team, app):
    admin = team.headers("admin")
    project, _, _ = train_project(client, team, app, "multiclass", name="two versions")
    second = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert second["status"] == "succeeded", second
    models = client.get(f"/api/v1/projects/{project['id']}/models", headers=admin).get_json()
    production = models["production_version"]
    other = 2 if production == 1 else 1
    team.login(client, "viewer")
    page = client.get(f"/projects/{project['id']}/models/{other}")
    text = page.get_data(as_text=True)
    assert f"compared with production v{production}" in text
    assert f"vs v{production}" in text
    detail = client.get(f"/projects/{project['id']}").get_data(as_text=True)
    assert 'id="history"' in detail and "Held-out" in detail
    assert detail.count('class="point') == 2


def test_missing_version_and_figure_are_404(client, team, app):
    admin = team.headers("admin")
    project, _, _ = train_project(client, team, app, "regression", name="no such figure")
    base = f"/api/v1/projects/{project['id']}/models"
    assert client.get(f"{base}/1/plots/roc.svg", headers=admin).status_code == 404
    assert client.get(f"{base}/99/plots", headers=admin).status_code == 404
    assert client.get(f"{base}/{2**70}/report", headers=admin).status_code == 404
