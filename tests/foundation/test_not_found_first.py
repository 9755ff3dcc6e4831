"""Another workspace's id answers 404 before its input is read: a bad body never turns a
foreign id into a 400 that tells the id exists."""

import json

from tests.projects.factories import prediction_classic, training_classic


def _project(client, team):
    body = {"name": "Mine", "training_schema": training_classic()}
    body["prediction_schema"] = prediction_classic()
    response = client.post(
        "/api/v1/projects",
        data=json.dumps(body),
        headers=team.headers("admin"),
        content_type="application/json",
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_foreign_ids_with_bad_input_are_404(client, team):
    pid = _project(client, team)
    vid = client.post(
        f"/api/v1/projects/{pid}/validations",
        json={"kind": "training"},
        headers=team.headers("admin"),
    ).json["id"]
    cid = client.get("/api/v1/connections", headers=team.headers("viewer")).json[0]["id"]
    outsider = team.headers("outsider")
    calls = [
        ("patch", f"/api/v1/projects/{pid}", {"task": 5}),
        ("patch", f"/api/v1/projects/{pid}", {"unknown_field": 1}),
        ("put", f"/api/v1/projects/{pid}/schemas/training", None),
        ("post", f"/api/v1/projects/{pid}/validations", {"kind": "nonsense"}),
        ("post", f"/api/v1/validations/{vid}/restore", {}),
        ("post", f"/api/v1/projects/{pid}/runs", {}),
        ("post", f"/api/v1/projects/{pid}/runs", {"kind": "dance"}),
        ("post", f"/api/v1/projects/{pid}/models/x/promote", None),
        ("patch", f"/api/v1/connections/{cid}", {"name": 7}),
        ("post", f"/api/v1/connections/{cid}/folders", {}),
        ("get", f"/api/v1/connections/{cid}/files?path=../x", None),
        ("get", f"/api/v1/connections/{cid}/files/content", None),
        ("delete", f"/api/v1/connections/{cid}/files", None),
        ("put", f"/api/v1/connections/{cid}/files?path=bad/", None),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, json=body, headers=outsider)
        assert response.status_code == 404, (method, url, response.status_code)
    # the same bad input from a member is a 400, so the 404 above came from the id
    admin = team.headers("admin")
    assert client.post(f"/api/v1/projects/{pid}/runs", json={}, headers=admin).status_code == 400
    owner = team.headers("owner")
    renamed = client.patch(f"/api/v1/connections/{cid}", json={"name": 7}, headers=owner)
    assert renamed.status_code == 400
