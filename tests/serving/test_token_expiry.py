"""A prediction token's lifetime is chosen through the API as on the page (30, 90 or 365
days, or never; 90 by default); an unknown choice is a 400 naming the choices, and an
expired token is refused."""

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from tests.serving.test_predict_api import features, predict, trained

TOKENS = "api_tokens"


def test_prediction_token_lifetimes_through_the_api(client, team, app):
    project, frame, _ = trained(client, team, app, "binary")
    admin = team.headers("admin")
    url = f"/api/v1/projects/{project['id']}/prediction-tokens"
    made = {}
    for choice, days in (("30d", 30), ("365d", 365), (None, 90), ("never", None)):
        body = {"name": f"t {choice}"} | ({"expires": choice} if choice else {})
        response = client.post(url, json=body, headers=admin)
        assert response.status_code == 201, response.json
        made[choice] = response.json
        expires_at = response.json["expires_at"]
        if days is None:
            assert expires_at is None
        else:
            left = datetime.fromisoformat(expires_at) - datetime.now(UTC)
            assert timedelta(days=days - 1) < left <= timedelta(days=days)
    wrong = client.post(url, json={"expires": "forever"}, headers=admin)
    assert wrong.status_code == 400 and "30d, 90d, 365d, never" in wrong.json["error"]["message"]

    _, rows = features(frame, 2)
    bearer = {"Authorization": f"Bearer {made['30d']['token']}"}
    assert predict(client, bearer, project, {"rows": rows}).status_code == 200
    db = app.extensions["store"].db
    past = datetime.now(UTC) - timedelta(seconds=1)
    changed = db[TOKENS].update_one(
        {"_id": ObjectId(made["30d"]["id"])}, {"$set": {"expires_at": past}}
    )
    assert changed.modified_count == 1
    refused = predict(client, bearer, project, {"rows": rows})
    assert refused.status_code == 401 and refused.json["error"]["message"]
