"""Model reports through the whole platform: every trained version gets its figures, tables
and HTML report, signed beside its manifest; the Model page, the API and the project's
history show them."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from controllers.context import get_store
from entity.model_version import ModelVersion
from integration.layout import report_path
from tests.runs.support import create_project, project_storage, start, train_project, wait_for

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


def test_fifty_versions_render_their_history_in_one_page_load(client, team, app):
    admin = team.headers("admin")
    project, _, _ = create_project(client, admin, "binary", name="fifty versions")
    start_at = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        store = get_store()
        for number in range(1, 51):
            store.models.create(
                ModelVersion(
                    workspace_id=team.workspace_id,
                    project_id=project["id"],
                    version=number,
                    metric="balanced_accuracy",
                    metric_value=0.8 + number / 500,
                    estimator_label="Extra trees",
                    created_at=start_at + timedelta(days=number),
                )
            )
        store.projects.set_production(team.workspace_id, project["id"], 42)
        store.models.record_promotion(
            team.workspace_id, project["id"], 42, "admin@example.com", "promoted by an admin"
        )
    team.login(client, "viewer")
    page = client.get(f"/projects/{project['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('class="point') == 50
    assert text.count("point-production") == 1
    assert "Held-out Balanced accuracy of 50 versions" in text
