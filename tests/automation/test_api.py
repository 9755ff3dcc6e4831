"""The automation API and CLI as scripts use them: schedules, watchers, run triggers."""

import pytest

from tests.projects.factories import post_classic_project


@pytest.fixture
def project(client, team):
    return post_classic_project(client, team.headers("admin"), "Automated")


def url(project, tail=""):
    return f"/api/v1/projects/{project['id']}/schedules{tail}"


@pytest.mark.parametrize(
    "timing, words",
    [
        ({"every": "day", "time": "06:00"}, "Every day at 06:00 (Europe/Berlin)"),
        ({"every": "weekday", "time": "06:00"}, "weekdays"),
        ({"every": "week", "days": ["mon", "thu"], "time": "06:00"}, "Monday and Thursday"),
        ({"every": "hours", "hours": 6}, "Every 6 hours"),
        ({"cron": "30 2 * * 1-5"}, "02:30"),
        ({"at": "2099-01-05T06:00"}, "Once"),
    ],
)
def test_create_each_preset(client, team, project, timing, words):
    body = {"kind": "predict", "timezone": "Europe/Berlin", **timing}
    response = client.post(url(project), json=body, headers=team.headers("admin"))
    assert response.status_code == 201, response.json
    created = response.json
    assert words in created["description"]
    assert len(created["next_runs"]) == (1 if "at" in timing else 5)
    assert all(t.endswith(("+01:00", "+02:00")) for t in created["next_runs"])
    assert created["overlap"] == "skip" and created["misfire_grace_s"] == 3600
    assert created["created_by"] == "admin@example.com"
    listed = client.get(url(project), headers=team.headers("viewer")).json["schedules"]
    assert [s["id"] for s in listed] == [created["id"]]


def test_bad_schedules_are_refused_in_words(client, team, project):
    admin = team.headers("admin")
    cases = [
        ({"kind": "predict", "cron": "0 0 * * * *"}, "5 fields"),
        ({"kind": "predict", "cron": "0 0 L * *"}, "L"),
        ({"kind": "predict", "every": "day", "time": "25:00"}, "25:00"),
        ({"kind": "predict", "every": "day", "time": "06:00", "timezone": "Mars/Olympus"}, "zone"),
        ({"kind": "dance", "every": "day", "time": "06:00"}, "'kind'"),
        ({"kind": "predict", "at": "2001-01-01T06:00"}, "passed"),
        ({"kind": "predict", "every": "day", "time": "06:00", "overlap": "maybe"}, "overlap"),
        ({"kind": "predict", "every": "day", "time": "06:00", "colour": "red"}, "colour"),
    ]
    for body, hint in cases:
        response = client.post(url(project), json=body, headers=admin)
        assert response.status_code == 400, (body, response.json)
        assert hint in response.json["error"]["message"], (body, response.json)
    assert client.get(url(project), headers=admin).json["schedules"] == []


def test_pause_edit_delete_and_roles(client, team, project):
    body = {"kind": "train", "every": "day", "time": "06:00", "timezone": "UTC"}
    assert client.post(url(project), json=body, headers=team.headers("viewer")).status_code == 403
    created = client.post(url(project), json=body, headers=team.headers("admin")).json
    one = url(project, f"/{created['id']}")
    paused = client.patch(one, json={"paused": True}, headers=team.headers("admin")).json
    assert paused["paused"] is True and paused["next_runs"] == []
    edited = client.patch(
        one, json={"paused": False, "every": "hours", "hours": 2}, headers=team.headers("admin")
    ).json
    assert edited["description"] == "Every 2 hours" and len(edited["next_runs"]) == 5
    assert client.get(one, headers=team.headers("outsider")).status_code == 404
    assert client.delete(one, headers=team.headers("outsider")).status_code == 404
    assert client.delete(one, headers=team.headers("admin")).status_code == 204
    assert client.get(one, headers=team.headers("admin")).status_code == 404


def test_watch_state_round_trip(client, team, project):
    watch = f"/api/v1/projects/{project['id']}/watch"
    state = client.get(watch, headers=team.headers("viewer")).json
    assert state["active"] is False and state["training"] == "off"
    body = {"training": "validate", "prediction": True}
    assert client.put(watch, json=body, headers=team.headers("viewer")).status_code == 403
    state = client.put(watch, json=body, headers=team.headers("admin")).json
    assert state["training"] == "validate" and state["prediction"] is True and state["active"]
    bad = client.put(watch, json={"training": "sometimes"}, headers=team.headers("admin"))
    assert bad.status_code == 400 and "'training'" in bad.json["error"]["message"]
    assert client.put(watch, json=body, headers=team.headers("outsider")).status_code == 404


def test_runs_say_who_started_them_and_filter_by_trigger(client, team, project):
    runs = f"/api/v1/projects/{project['id']}/runs"
    bad = client.post(
        runs, json={"kind": "predict", "files": "some"}, headers=team.headers("admin")
    )
    assert bad.status_code == 400
    started = client.post(
        runs, json={"kind": "predict", "files": "all"}, headers=team.headers("admin")
    )
    assert started.status_code == 202
    run = started.json
    assert run["trigger"]["type"] == "token" and run["trigger"]["email"] == "admin@example.com"
    assert run["files"] == "all"
    by_token = client.get(f"{runs}?trigger=token", headers=team.headers("viewer")).json["runs"]
    assert [r["id"] for r in by_token] == [run["id"]]
    assert client.get(f"{runs}?trigger=schedule", headers=team.headers("viewer")).json == {
        "runs": []
    }
    assert client.get(f"{runs}?trigger=nobody", headers=team.headers("viewer")).status_code == 400


def test_cli_adds_lists_pauses_and_deletes(app, project):
    cli = app.test_cli_runner()
    added = cli.invoke(
        args=[
            "schedules",
            "add",
            project["id"],
            "--kind",
            "predict",
            "--every",
            "weekday",
            "--time",
            "07:15",
            "--timezone",
            "UTC",
        ]
    )
    assert added.exit_code == 0, added.output
    schedule_id = added.stdout.strip().splitlines()[-1]
    listed = cli.invoke(args=["schedules", "list"])
    assert schedule_id in listed.output and "On weekdays at 07:15 (UTC)" in listed.output
    assert cli.invoke(args=["schedules", "pause", schedule_id]).exit_code == 0
    assert "paused" in cli.invoke(args=["schedules", "list"]).output
    assert cli.invoke(args=["schedules", "resume", schedule_id]).exit_code == 0
    bad = cli.invoke(
        args=["schedules", "add", project["id"], "--kind", "predict", "--cron", "@daily"]
    )
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    watched = cli.invoke(args=["watch", project["id"], "--prediction", "on"])
    assert watched.exit_code == 0 and "prediction folder on" in watched.output
    assert cli.invoke(args=["schedules", "delete", schedule_id]).exit_code == 0
    assert schedule_id not in cli.invoke(args=["schedules", "list"]).output
