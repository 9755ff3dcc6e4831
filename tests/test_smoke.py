from tests.support import web


def test_team_fixture_roles(team, client):
    team.login(client, "viewer")
    page = client.get("/workspace")
    assert page.status_code == 200
    assert b"owner@example.com" in page.data and b"viewer@example.com" in page.data
    me = client.get("/api/v1/me", headers=team.headers("admin")).get_json()
    assert me["workspace"] == {"id": team.workspace_id, "name": "Team", "role": "admin"}


def test_live_server_serves_login(live_server):
    import urllib.request

    with urllib.request.urlopen(f"{live_server}/login") as response:
        assert response.status == 200
        assert b"Sign in" in response.read()


def test_post_form_helper_registers(client):
    response = web.post_form(
        client, "/register", {"email": "new@example.com", "password": web.PASSWORD}
    )
    assert response.status_code == 302
