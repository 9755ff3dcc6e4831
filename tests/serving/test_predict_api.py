"""The prediction endpoint: answers equal a batch prediction of the same rows, bad rows are
422 with every problem located, and only admins or the project's own token may call it."""

import csv
import io
import json
import math

import pytest

from tests.runs.support import TARGET, create_project, start, wait_for, write_batches

DONE = ("succeeded", "failed", "cancelled", "interrupted", "skipped")


def trained(client, team, app, task):
    admin = team.headers("admin")
    project, frame, prefix = create_project(client, admin, task, name=f"{task} served")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "training")
    done = wait_for(client, admin, start(client, admin, project["id"], "train")["id"])
    assert done["status"] == "succeeded", done
    return project, frame, prefix


def features(frame, count):
    data = frame.drop(columns=[TARGET, *(c for c in frame.columns if c.startswith("_"))])
    part = data.iloc[:count]
    rows = part.astype(object).where(part.notna(), None).to_dict(orient="records")
    return part, rows


def batch_predictions(client, team, app, project, frame, prefix, count):
    """The platform's batch prediction of the first ``count`` rows (one file)."""
    admin = team.headers("admin")
    write_batches(app, team.workspace_id, project["id"], frame, prefix, "prediction", 1, count)
    run = client.post(
        f"/api/v1/projects/{project['id']}/runs", json={"kind": "predict"}, headers=admin
    ).json
    done = wait_for(client, admin, run["id"], statuses=DONE)
    assert done["status"] == "succeeded", done
    text = client.get(f"/api/v1/runs/{done['id']}/predictions", headers=admin).get_data(
        as_text=True
    )
    return done, list(csv.DictReader(io.StringIO(text)))


def predict(client, headers, project, body):
    return client.post(
        f"/api/v1/projects/{project['id']}/predict",
        data=json.dumps(body),
        headers=headers,
        content_type="application/json",
    )


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_answers_equal_a_batch_prediction_in_both_shapes(client, team, app, task):
    project, frame, prefix = trained(client, team, app, task)
    data, rows = features(frame, 60)
    admin = team.headers("admin")
    by_rows = predict(client, admin, project, {"rows": rows})
    assert by_rows.status_code == 200, by_rows.json
    split = {"columns": list(data.columns), "data": [list(r.values()) for r in rows]}
    by_split = predict(client, admin, project, split)
    assert by_split.status_code == 200, by_split.json
    assert by_rows.json["predictions"] == by_split.json["predictions"]
    assert by_rows.json["model_version"] == 1 and by_rows.json["request_id"]
    done, batch = batch_predictions(client, team, app, project, frame, prefix, 60)
    assert done["model_version"] == by_rows.json["model_version"]
    if task == "binary":
        assert by_rows.json["predictions"] == [r["prediction"] for r in batch]
        for answer, row in zip(by_rows.json["probabilities"], batch, strict=True):
            for label, p in answer.items():
                assert math.isclose(p, float(row[f"probability_{label}"]), abs_tol=1e-6)
    else:
        assert "probabilities" not in by_rows.json
        for value, row in zip(by_rows.json["predictions"], batch, strict=True):
            assert math.isclose(value, float(row["prediction"]), rel_tol=1e-9)
    single = predict(client, admin, project, {"rows": rows[:1]})
    assert single.json["predictions"] == by_rows.json["predictions"][:1]


def test_a_thousand_rows_in_one_request(client, team, app):
    project, frame, _ = trained(client, team, app, "binary")
    _, rows = features(frame, len(frame))
    many = (rows * 2)[:1000]
    answer = predict(client, team.headers("admin"), project, {"rows": many})
    assert answer.status_code == 200 and len(answer.json["predictions"]) == 1000


def test_bad_rows_are_422_with_every_problem_located(client, team, app):
    project, frame, _ = trained(client, team, app, "binary")
    admin = team.headers("admin")
    _, rows = features(frame, 3)
    numeric = next(k for k, v in rows[0].items() if isinstance(v, float))
    bad = [dict(r) for r in rows]
    bad[0][numeric] = "lots"
    del bad[1]["colour"]
    bad[2]["surprise"] = 1
    answer = predict(client, admin, project, {"rows": bad})
    assert answer.status_code == 422
    problems = answer.json["error"]["details"]["problems"]
    located = {(p["row"], p["column"]) for p in problems}
    assert {(1, numeric), (2, "colour"), (None, "surprise")} <= located
    assert all(p["message"] for p in problems)
    for body in ({}, {"rows": []}, {"rows": "x"}, {"columns": ["a"], "data": [[1, 2]]}, []):
        response = predict(client, admin, project, body)
        assert response.status_code == 422, body
        assert response.json["error"]["message"]
    nan = client.post(
        f"/api/v1/projects/{project['id']}/predict",
        data='{"rows": [{"a": NaN}]}',
        headers=admin,
        content_type="application/json",
    )
    assert nan.status_code == 422 and "NaN" in nan.json["error"]["message"]
    huge = client.post(
        f"/api/v1/projects/{project['id']}/predict",
        data=b'{"rows": [' + b'{"a": 1},' * 1_200_000 + b'{"a": 1}]}',
        headers=admin,
        content_type="application/json",
    )
    assert huge.status_code == 413 and "Traceback" not in huge.get_data(as_text=True)


def test_who_may_call_it(client, team, app):
    project, frame, _ = trained(client, team, app, "binary")
    other, _, _ = create_project(client, team.headers("admin"), "binary", name="Other")
    _, rows = features(frame, 2)
    body = {"rows": rows}
    assert predict(client, {}, project, body).status_code == 401
    assert predict(client, team.headers("viewer"), project, body).status_code == 403
    assert predict(client, team.headers("outsider"), project, body).status_code == 404
    created = client.post(
        f"/api/v1/projects/{project['id']}/prediction-tokens",
        json={"name": "shop"},
        headers=team.headers("admin"),
    )
    assert created.status_code == 201
    scoped = {"Authorization": f"Bearer {created.json['token']}"}
    assert predict(client, scoped, project, body).status_code == 200
    assert predict(client, scoped, other, body).status_code == 403
    assert client.get(f"/api/v1/projects/{project['id']}", headers=scoped).status_code == 403
    assert client.get("/api/v1/me", headers=scoped).status_code == 403
    listed = client.get(
        f"/api/v1/projects/{project['id']}/prediction-tokens", headers=team.headers("admin")
    ).json["tokens"]
    assert [t["name"] for t in listed] == ["shop"] and "token" not in listed[0]
    revoked = client.delete(
        f"/api/v1/projects/{project['id']}/prediction-tokens/{created.json['id']}",
        headers=team.headers("admin"),
    )
    assert revoked.status_code == 204
    assert predict(client, scoped, project, body).status_code == 401
