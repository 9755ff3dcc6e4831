"""The run log is a logging.Handler: any logger's line emitted while a run executes lands in
that run's log (at its level, with the step), and nothing from outside the run does."""

import logging
import threading

from pymongo import MongoClient

from controllers.context import get_store
from entity.run import Run
from entity.run_log import RunLogRepository
from logging_layer.run_log import RunContextFilter, run_scope


def _run(store):
    return store.runs.create(Run(workspace_id="ws", project_id="p1", kind="predict"))


def test_lines_of_any_logger_during_a_run_reach_its_log(app):
    with app.app_context():
        store = get_store()
        run, other = _run(store), _run(store)
    library = logging.getLogger("some.storage.library")
    library.warning("outside any run")
    with run_scope(store.run_logs, run) as scope:
        scope.step = "load"
        library.warning("retrying request attempt=%d", 2)
        logging.getLogger("project_library.pipelines").info("step=load reading")
        logging.getLogger("noisy").debug("below the root level: dropped")
        elsewhere = threading.Thread(target=lambda: library.error("another thread's line"))
        elsewhere.start()
        elsewhere.join()
        with run_scope(store.run_logs, other):
            library.info("belongs to the other run")
        library.info("back in the first run")
    library.warning("after the run")
    lines = store.run_logs.lines(run.id)
    assert [(r["level"], r["step"], r["message"]) for r in lines] == [
        ("WARNING", "load", "retrying request attempt=2"),
        ("INFO", "load", "step=load reading"),
        ("INFO", "load", "back in the first run"),
    ]
    assert [r["seq"] for r in lines] == [1, 2, 3]
    assert [r["message"] for r in store.run_logs.lines(other.id)] == ["belongs to the other run"]


def test_the_filter_stamps_the_ids_of_the_current_run(app):
    with app.app_context():
        store = get_store()
        run = _run(store)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    RunContextFilter().filter(record)
    assert (record.run_id, record.workspace_id, record.project_id) == ("-", "-", "-")
    with run_scope(store.run_logs, run):
        RunContextFilter().filter(record)
    assert (record.run_id, record.workspace_id, record.project_id) == (run.id, "ws", "p1")


def test_while_the_database_is_away_lines_are_dropped_with_one_notice(app, capsys, caplog):
    with app.app_context():
        store = get_store()
        run = _run(store)
    away = MongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=50, connect=False)
    library = logging.getLogger("some.storage.library")
    with caplog.at_level(logging.WARNING), run_scope(store.run_logs, run) as scope:
        scope.repository = RunLogRepository(away["nowhere"])
        for attempt in range(5):
            library.warning("retrying attempt=%d", attempt)
        scope.repository = store.run_logs
        library.warning("the database is back")
    notices = [r for r in caplog.records if "run_log_write_failed" in r.getMessage()]
    assert len(notices) == 1 and "ServerSelectionTimeoutError" in notices[0].getMessage()
    assert "Traceback" not in capsys.readouterr().err
    assert [r["message"] for r in store.run_logs.lines(run.id)] == ["the database is back"]
    away.close()
