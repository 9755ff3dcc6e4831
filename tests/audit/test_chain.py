"""The hash chain: verify passes, then finds an edited, a removed and a reordered event; many
writers at once keep it linear; retention's cut is accepted, a removal is not."""

import threading
from datetime import timedelta

import pytest

from entity.audit import GENESIS, event_hash
from project_library.audit import record, verify
from project_library.audit.redaction import redact


@pytest.fixture
def store(app):
    return app.extensions["store"]


def write(store, count, workspace_id="ws-a"):
    return [
        record(
            store,
            workspace_id=workspace_id,
            actor="scheduler",
            action="run.start",
            target={"type": "run", "id": f"run-{i}", "name": "train"},
        )
        for i in range(count)
    ]


def only(store, workspace_id="ws-a"):
    (report,) = verify(store, workspace_id)
    return report


def test_a_written_chain_verifies_and_links_each_event_to_the_previous(store):
    events = write(store, 4)
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert events[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
    report = only(store)
    assert report.ok and report.events == 4 and report.cut is None


def test_verify_finds_an_edited_event(store):
    write(store, 5)
    store.db["audit_events"].update_one(
        {"workspace_id": "ws-a", "seq": 3}, {"$set": {"outcome": "denied"}}
    )
    report = only(store)
    assert (report.problem, report.seq) == ("edited", 3)


def test_verify_finds_an_edited_event_whose_hash_was_recomputed(store):
    write(store, 5)
    doc = store.db["audit_events"].find_one({"workspace_id": "ws-a", "seq": 2})
    doc["action"] = "project.update"
    doc["hash"] = event_hash(doc)
    store.db["audit_events"].replace_one({"_id": doc["_id"]}, doc)
    report = only(store)
    assert report.problem == "reordered" and report.seq == 3  # event 3 no longer follows 2


def test_verify_finds_a_removed_event_in_the_middle_and_at_the_end(store):
    write(store, 5)
    store.db["audit_events"].delete_one({"workspace_id": "ws-a", "seq": 3})
    assert (only(store).problem, only(store).seq) == ("removed", 3)

    write(store, 3, "ws-b")
    store.db["audit_events"].delete_one({"workspace_id": "ws-b", "seq": 3})
    report = only(store, "ws-b")
    assert (report.problem, report.seq) == ("removed", 3)


def test_verify_finds_a_swapped_pair(store):
    write(store, 5)
    events = store.db["audit_events"]
    events.update_one({"workspace_id": "ws-a", "seq": 2}, {"$set": {"seq": -2}})
    events.update_one({"workspace_id": "ws-a", "seq": 3}, {"$set": {"seq": 2}})
    events.update_one({"workspace_id": "ws-a", "seq": -2}, {"$set": {"seq": 3}})
    report = only(store)
    assert (report.problem, report.seq) == ("reordered", 2)
    assert "position 3" in report.message


def test_removing_the_oldest_events_is_found_unless_retention_cut_them(store):
    write(store, 4)
    store.db["audit_events"].delete_many({"workspace_id": "ws-a", "seq": {"$lt": 3}})
    report = only(store)
    assert (report.problem, report.seq) == ("removed", 2)

    later = verify(store, "ws-a", moment=store.audit.head("ws-a")["time"] + timedelta(days=400))
    assert later[0].ok
    cut = store.db["audit_events"].find_one({"workspace_id": "ws-a", "seq": 3})
    assert later[0].cut == {"seq": 3, "prev_hash": cut["prev_hash"]}


def test_the_chain_continues_after_every_event_expired(store):
    last = write(store, 2)[-1]
    store.db["audit_events"].delete_many({"workspace_id": "ws-a"})
    (after,) = write(store, 1)
    assert after["seq"] == 3 and after["prev_hash"] == last["hash"]


def test_concurrent_writers_keep_the_chain_linear(store):
    def writer():
        write(store, 10)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = [e["seq"] for e in store.audit.chain("ws-a")]
    assert seqs == list(range(1, 81))
    assert only(store).ok


def test_the_retention_setting_is_a_ttl_index_on_time(store):
    index = store.db["audit_events"].index_information()["time_ttl"]
    assert index["expireAfterSeconds"] == 365 * 86400


def test_redaction_drops_secrets_and_masks_at_any_depth():
    value = {
        "name": "s3",
        "settings": {"bucket": "b", "secret_access_key": "k", "account_key": "a", "x": "--------"},
        "new_password": "p",
        "token_id": "kept",
        "items": [{"sas_token": "s", "region": "eu"}],
    }
    assert redact(value) == {
        "name": "s3",
        "settings": {"bucket": "b"},
        "token_id": "kept",
        "items": [{"region": "eu"}],
    }


def test_the_cli_reports_a_break_and_exits_non_zero(app, store):
    write(store, 3)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify", "--workspace", "ws-a"])
    assert ok.exit_code == 0 and "ok workspace=ws-a events=3" in ok.output
    store.db["audit_events"].update_one(
        {"workspace_id": "ws-a", "seq": 2}, {"$set": {"action": "x"}}
    )
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN workspace=ws-a problem=edited seq=2" in broken.output
