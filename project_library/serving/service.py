"""Online prediction: a project's production model answering rows sent as JSON.

``Server`` is built once per process. It keeps each production model loaded (its signature
verified once, at load), looks the project up at most every ``PROJECT_TTL_S`` seconds (so a
promotion or roll-back is seen by every process within that time, without a restart), and
counts calls, errors and latencies in memory, writing them (and a bounded sample of requests)
to the database every ``FLUSH_S`` seconds. A request therefore does no storage I/O and at most
one database read.
"""

import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from pymongo.errors import PyMongoError

from entity.serving import BUCKETS_MS
from exception_layer.errors import Conflict, NotFound, ServiceUnavailable
from integration.layout import models_folder
from integration.registry import project_storage
from project_library.models import artifacts
from project_library.serving import rows as request_rows
from project_library.validation.schema import parse_schema

logger = logging.getLogger(__name__)

PROJECT_TTL_S = 2.0
REFUSED_TTL_S = 5.0
FLUSH_S = 5.0
MAX_MODELS = 16


@dataclass
class Loaded:
    model: object
    version: int


@dataclass
class _Counts:
    calls: int = 0
    errors: int = 0
    rows: int = 0
    buckets: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)


class Server:
    def __init__(
        self, store, secret, *, max_rows=10_000, sample_per_day=1000, clock=time.monotonic
    ):
        self.store = store
        self.secret = secret
        self.max_rows = int(max_rows)
        self.sample_per_day = int(sample_per_day)
        self.clock = clock
        self._lock = threading.Lock()
        self._projects = {}  # project id -> (expires, project)
        self._models = OrderedDict()  # (project id, version) -> Loaded
        self._refused = {}  # (project id, version) -> (expires, error)
        self._schemas = {}  # (project id, updated at) -> prediction Schema
        self._counts = {}  # (workspace id, project id, day) -> _Counts
        self._sampled = {}  # (project id, day) -> samples kept so far
        self._flushed_at = clock()

    # -- the request path ---------------------------------------------------------------
    def predict(self, workspace_id, project_id, body):
        """The answer for ``body`` (already parsed JSON), or an AppError."""
        began = time.perf_counter()
        project = self.project(workspace_id, project_id)
        try:
            loaded = self.production(project)
            schema = self.schema(project)
            frame = request_rows.table(body, schema, project.missing_markers, self.max_rows)
            answer = answer_for(loaded, frame)
        except Exception:
            self._count(project, began, None, None)
            raise
        self._count(project, began, body, answer)
        return answer

    def project(self, workspace_id, project_id):
        now = self.clock()
        cached = self._projects.get(project_id)
        if cached and cached[0] > now and cached[1].workspace_id == workspace_id:
            return cached[1]
        project = self.store.projects.get(workspace_id, project_id)  # NotFound: 404
        if project.deletion_id:  # the endpoint goes with the project being deleted
            raise NotFound("Project not found.")
        self._projects[project_id] = (now + PROJECT_TTL_S, project)
        return project

    def schema(self, project):
        """The project's prediction schema as it is now (re-read when the project changes)."""
        key = (project.id, project.updated_at)
        schema = self._schemas.get(key)
        if schema is None:
            schema = self._schemas[key] = parse_schema(project.prediction_schema)
            if len(self._schemas) > 4 * MAX_MODELS:
                self._schemas.pop(next(iter(self._schemas)))
        return schema

    def production(self, project):
        version = project.production_version
        if version is None:
            raise Conflict("The project has no production model yet; train one first.")
        key = (project.id, int(version))
        loaded = self._models.get(key)
        if loaded is not None:
            self._models.move_to_end(key)  # least recently used goes first
            return loaded
        refused = self._refused.get(key)
        if refused and refused[0] > self.clock():
            raise refused[1]
        with self._lock:
            loaded = self._models.get(key) or self._load(project, key)
        return loaded

    def _load(self, project, key):
        try:
            model, _ = artifacts.load_model(
                project_storage(self.store, project),
                models_folder(project),
                key[1],
                self.secret,
                expected={"workspace_id": project.workspace_id, "project_id": project.id},
            )
        except artifacts.ModelRejected as exc:
            error = ServiceUnavailable(
                f"{exc.message} Until then this endpoint cannot answer.", code="model_rejected"
            )
            self._refused[key] = (self.clock() + REFUSED_TTL_S, error)
            logger.warning("serving_model_refused project=%s version=%s", *key)
            raise error from None
        loaded = self._models[key] = Loaded(model, key[1])
        while len(self._models) > MAX_MODELS:
            self._models.popitem(last=False)
        logger.info("serving_model_loaded project=%s version=%s", *key)
        return loaded

    # -- records ------------------------------------------------------------------------
    def _count(self, project, began, body, answer):
        """Count one call (``answer`` None: it failed); sample it while today's quota lasts."""
        ok = answer is not None
        ms = (time.perf_counter() - began) * 1000
        day = datetime.now(UTC).date().isoformat()
        if ok and (project.id, day) not in self._sampled:  # one read a day, outside the lock
            self._sampled.setdefault(
                (project.id, day), self.store.serving.sampled_today(project.id, day)
            )
        with self._lock:
            counts = self._counts.setdefault((project.workspace_id, project.id, day), _Counts())
            counts.calls += 1
            counts.errors += 0 if ok else 1
            if ok:
                counts.rows += len(answer["predictions"])
            bucket = next((str(b) for b in BUCKETS_MS if ms <= b), "more")
            counts.buckets[bucket] = counts.buckets.get(bucket, 0) + 1
            if ok and self._may_sample(project.id, day):
                counts.samples.append({"request": body, "answer": answer, "ms": round(ms, 2)})
            due = self.clock() - self._flushed_at >= FLUSH_S
        if due:
            self.flush()

    def _may_sample(self, project_id, day):
        key = (project_id, day)
        if self._sampled.get(key, 0) >= self.sample_per_day:
            return False
        self._sampled[key] = self._sampled.get(key, 0) + 1
        return True

    def flush(self):
        """Write the counts gathered since the last flush (any thread may call it)."""
        with self._lock:
            counts, self._counts = self._counts, {}
            self._flushed_at = self.clock()
        serving = self.store.serving
        for key, c in counts.items():
            workspace_id, project_id, day = key
            try:
                serving.add(workspace_id, project_id, day, c.calls, c.errors, c.rows, c.buckets)
                serving.keep_samples(workspace_id, project_id, day, c.samples)
            except PyMongoError:  # the database is away: keep the counts for the next flush
                logger.warning("serving_flush_failed project=%s", project_id)
                with self._lock:
                    self._merge(key, c)

    def _merge(self, key, counts):
        into = self._counts.setdefault(key, _Counts())
        into.calls += counts.calls
        into.errors += counts.errors
        into.rows += counts.rows
        for bucket, n in counts.buckets.items():
            into.buckets[bucket] = into.buckets.get(bucket, 0) + n
        into.samples.extend(counts.samples)


def answer_for(loaded, frame):
    """Predictions (and class probabilities) in the order the rows came."""
    predictions, proba = loaded.model.predict_with_proba(frame)
    answer = {
        "model_version": loaded.version,
        "request_id": uuid.uuid4().hex,
        "predictions": [_plain(v) for v in np.asarray(predictions).tolist()],
    }
    if proba is not None:
        classes = [str(c) for c in loaded.model.classes]
        answer["probabilities"] = [
            dict(zip(classes, (round(float(p), 6) for p in row), strict=True)) for row in proba
        ]
    return answer


def _plain(value):
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def stats_summary(store, workspace_id, project_id, days=7):
    """Calls, errors, rows and latency percentiles over the last ``days`` days."""
    docs = store.serving.days(workspace_id, project_id, days)
    totals = {"calls": 0, "errors": 0, "rows": 0}
    buckets = {}
    for doc in docs:
        for key in totals:
            totals[key] += doc.get(key, 0)
        for bucket, count in (doc.get("latency") or {}).items():
            buckets[bucket] = buckets.get(bucket, 0) + count
    totals["p50_ms"] = _percentile(buckets, 0.50)
    totals["p95_ms"] = _percentile(buckets, 0.95)
    totals["p99_ms"] = _percentile(buckets, 0.99)
    totals["days"] = [{"day": d["day"], "calls": d.get("calls", 0)} for d in docs]
    return totals


def _percentile(buckets, share):
    """The upper bound (ms) of the histogram bucket holding the ``share`` quantile."""
    total = sum(buckets.values())
    if not total:
        return None
    seen = 0
    for bound in [*(str(b) for b in BUCKETS_MS), "more"]:
        seen += buckets.get(bound, 0)
        if seen >= share * total:
            return None if bound == "more" else int(bound)
    return None
