"""Model and run actions leave their audit events: promote (API), roll back (page), report
download, predictions download and cancel, each naming its actor and target."""

from tests.audit.helpers import events, last
from tests.runs.support import start, train_project, wait_for, write_batches
from tests.support import web


def test_model_and_run_actions_are_recorded(app, client, team):
    admin = team.headers("admin")
    admin_id = str(team.user("admin").id)
    project, frame, prefix = train_project(client, team, app)
    pid = project["id"]
    second = wait_for(client, admin, start(client, admin, pid, "train")["id"])
    assert second["status"] == "succeeded", second

    promoted = client.post(f"/api/v1/projects/{pid}/models/2/promote", headers=admin)
    assert promoted.status_code == 200, promoted.json
    event = last(app, "model.promote")
    assert event["outcome"] == "ok" and event["actor"]["user_id"] == admin_id
    assert event["target"]["type"] == "model" and event["project_id"] == pid
    promote_count = len(events(app, "model.promote"))

    report = client.get(f"/api/v1/projects/{pid}/models/1/report", headers=admin)
    assert report.status_code == 200
    assert last(app, "model.report_download")["project_id"] == pid

    write_batches(app, team.workspace_id, pid, frame, prefix, "prediction")
    predicted = wait_for(client, admin, start(client, admin, pid, "predict")["id"])
    assert predicted["status"] == "succeeded", predicted
    # closed, as a server would: a streamed body keeps its request context until then
    with client.get(f"/api/v1/runs/{predicted['id']}/predictions", headers=admin) as download:
        assert download.status_code == 200 and download.get_data()
    assert last(app, "run.predictions_download")["target"]["id"] == predicted["id"]

    run = start(client, admin, pid, "train")
    cancelled = client.post(f"/api/v1/runs/{run['id']}/cancel", headers=admin)
    assert cancelled.status_code == 200, cancelled.json
    assert wait_for(client, admin, run["id"], statuses=("cancelled",))["status"] == "cancelled"
    assert last(app, "run.cancel")["target"]["id"] == run["id"]

    browser = team.login(client, "admin")
    back = web.post_form(
        browser, f"/projects/{pid}/models/rollback", page=f"/projects/{pid}/models"
    )
    assert back.status_code == 302
    rolled = last(app, "model.rollback")
    assert rolled["actor"] == {**rolled["actor"], "type": "user", "id": admin_id}
    assert rolled["project_id"] == pid and rolled["target"]["name"] == "v1"
    assert len(events(app, "model.promote")) == promote_count
