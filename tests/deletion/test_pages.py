"""The project's danger zone: two choices in words, the deletion's state, then the list."""

import time

from tests.runs.support import create_project
from tests.support import web


def test_the_danger_zone_deletes_and_says_so(client, team, app):
    project, _, _ = create_project(client, team.headers("admin"), "binary")
    team.login(client, "admin")
    page = f"/projects/{project['id']}"
    body = client.get(page).get_data(as_text=True)
    assert "Remove what the platform wrote, keep the batch files" in body
    assert "Remove the project's whole folder" in body
    response = web.post_form(client, f"{page}/delete", {"files": "all"}, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    deadline = time.monotonic() + 30
    while (shown := client.get(page)).status_code == 200:  # "Deleting…" meanwhile
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert shown.status_code == 302 and shown.headers["Location"].endswith("/projects")
    listing = client.get("/projects").get_data(as_text=True)
    assert "deleted:" in listing and "records removed" in listing
    assert (
        client.get(f"/api/v1/projects/{project['id']}", headers=team.headers("admin")).status_code
        == 404
    )
