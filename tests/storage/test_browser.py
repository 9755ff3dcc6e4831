"""In Chromium: upload three files with progress bars, list, download one, delete one.
Screenshots go to test-artifacts/ (files-*.png, connections-*.png)."""

import pytest

from tests.plugins.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open_team_files(page, live_server, team, role):
    sign_in(page, live_server, team.users[role].email, team.password)
    page.goto(f"{live_server}/workspace")
    with page.expect_navigation():
        page.select_option("#ws-select", team.workspace_id)
    page.goto(f"{live_server}/files/")


def test_upload_list_download_delete(app, live_server, team, page, tmp_path):
    files = {
        "train_08012020_120000.csv": b"id,age,label\n" + b"1,34,yes\n" * 20000,
        "train_09012020_120000.csv": b"id,age,label\n2,51,no\n",
        "notes été.txt": "Résumé of the batch\n".encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    _open_team_files(page, live_server, team, "admin")
    page.get_by_role("button", name="Create").wait_for(state="hidden")
    page.get_by_text("New folder").click()
    page.get_by_label("Folder name").fill("training_batches")
    page.get_by_role("button", name="Create").click()
    page.locator(".crumb-current", has_text="training_batches").wait_for()
    screenshot(page, "files-empty-folder")

    page.set_input_files("#file-input", [str(tmp_path / name) for name in files])
    # every file gets its own row and progress bar; they reach 100% and turn green
    assert page.locator(".upload-item .progress").count() == 3
    page.wait_for_function("document.querySelectorAll('.upload-item.done').length === 3")
    page.wait_for_load_state()
    page.locator(".file-table .file-name", has_text="notes été.txt").wait_for()
    assert page.locator(".upload-item.done").count() == 3
    widths = page.eval_on_selector_all(
        ".upload-item .progress > span", "els => els.map(e => e.style.width)"
    )
    assert widths == ["100%"] * 3
    listed = page.locator(".file-table .file-name").all_inner_texts()
    assert sorted(listed) == sorted(files)
    screenshot(page, "files-uploaded")

    row = page.locator("tr", has_text="train_09012020_120000.csv")
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "train_09012020_120000.csv"
    assert open(download.path(), "rb").read() == files["train_09012020_120000.csv"]

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="notes été.txt").get_by_role("button", name="Delete").click()
    page.get_by_text("Deleted 'notes été.txt'.").wait_for()
    listed = page.locator(".file-table .file-name").all_inner_texts()
    assert sorted(listed) == sorted(n for n in files if n != "notes été.txt")
    screenshot(page, "files-after-delete")

    # drag and drop: a file dropped on the browser card uploads into the open folder
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(["x,y\\n1,2\\n"], "dropped.csv", {type: "text/csv"}));
            const target = document.getElementById("browser");
            target.dispatchEvent(new DragEvent("dragenter", {dataTransfer: data, bubbles: true}));
            target.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
        }"""
    )
    page.locator(".file-table .file-name", has_text="dropped.csv").wait_for()


def test_viewer_sees_no_write_controls(app, live_server, team, page):
    from controllers.context import get_store
    from integration.registry import get_storage

    with app.app_context():
        storage = get_storage(get_store().connections.ensure_default(team.workspace_id))
    storage.write_bytes("reports/summary.csv", b"a,b\n1,2\n")
    _open_team_files(page, live_server, team, "viewer")
    page.get_by_role("link", name="reports").click()
    page.get_by_text("summary.csv").wait_for()
    assert page.get_by_role("link", name="Download").count() == 1  # viewers read and download
    assert page.get_by_role("button", name="Upload files").count() == 0
    assert page.get_by_text("Upload files").count() == 0
    assert page.get_by_text("New folder").count() == 0
    assert page.get_by_role("button", name="Delete").count() == 0
    assert page.get_by_role("link", name="+ Connect a bucket").count() == 0
    screenshot(page, "files-viewer", full_page=False)
    page.goto(f"{live_server}/connections/")
    page.get_by_role("heading", name="Storage connections").wait_for()
    assert page.get_by_role("link", name="Connect a bucket").count() == 0
    assert page.get_by_role("button", name="Delete").count() == 0


def test_owner_connection_pages_render(app, live_server, team, page):
    _open_team_files(page, live_server, team, "owner")
    page.goto(f"{live_server}/connections/")
    page.get_by_role("heading", name="Storage connections").wait_for()
    screenshot(page, "connections-list")
    page.get_by_role("link", name="Connect a bucket").first.click()
    screenshot(page, "connections-choose")
    page.get_by_role("link", name="Amazon S3").click()
    page.get_by_label("Bucket").fill("team-data")
    screenshot(page, "connections-form-s3")
    page.goto(f"{live_server}/connections/new?provider=azure")
    page.get_by_label("Connection string").wait_for()
    page.goto(f"{live_server}/connections/new?provider=gcs")
    page.get_by_label("Service-account key (JSON)").wait_for()


def test_unreachable_storage_shows_a_clear_message(app, live_server, team, page):
    from tests.support.process import free_port

    _open_team_files(page, live_server, team, "owner")
    page.goto(f"{live_server}/connections/new?provider=s3")
    page.get_by_label("Name").fill("Archive bucket")
    page.get_by_label("Bucket").fill("archive")
    page.get_by_label("Endpoint URL").fill(f"http://127.0.0.1:{free_port()}")
    page.get_by_label("Access key ID").fill("AKIAEXAMPLE")
    page.get_by_label("Secret access key").fill("not-a-real-secret")
    page.get_by_role("button", name="Connect and test").click()
    page.wait_for_url("**/connections/")
    page.get_by_text("but the test failed: Cannot reach the storage endpoint").wait_for()
    screenshot(page, "connections-test-failed")
    page.get_by_role("link", name="Archive bucket").click()
    page.get_by_role("alert").get_by_text("Cannot reach the storage endpoint").wait_for()
    screenshot(page, "files-storage-error")


def test_a_large_folder_pages_through(app, live_server, team, page):
    from controllers.context import get_store
    from integration.registry import get_storage

    with app.app_context():
        storage = get_storage(get_store().connections.ensure_default(team.workspace_id))
    for i in range(450):
        storage.write_bytes(f"archive/batch_{i:04d}.csv", b"a,b\n1,2\n")
    _open_team_files(page, live_server, team, "viewer")
    page.get_by_role("link", name="archive").click()
    assert page.locator(".file-table .file-name").count() == 200
    assert page.get_by_role("button", name="Upload files").count() == 0  # viewers only read
    screenshot(page, "files-large-folder", full_page=False)
    page.get_by_role("link", name="Next page →").click()
    assert page.locator(".file-table .file-name").first.inner_text() == "batch_0200.csv"
    page.get_by_role("link", name="Next page →").click()
    assert page.locator(".file-table .file-name").count() == 50
    assert page.get_by_role("link", name="Next page →").count() == 0
