"""Real storage emulators for the tests: moto (S3), Azurite (Azure Blob), gcp-storage-emulator.

Each runs once per session on a free port and is stopped at the end. ``storage_factory``
hands out adapters on a fresh bucket/container per call, so tests never share state.
``start_storage_service`` starts a private instance for tests that stop or pause it.
"""

import shutil
import subprocess
import urllib.request
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from integration.registry import build_storage
from tests.support.process import ServiceProcess, find_executable, free_port, port_open

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
GCS_EMULATOR = Path(__file__).resolve().parents[1] / "support" / "gcs_emulator.py"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
PROVIDERS = ("local", "s3", "azure", "gcs")
# Short timeouts so a dead or paused emulator fails a test in seconds.
FAST_OPTIONS = {"connect_timeout": 2, "read_timeout": 4, "attempts": 1}
FAST_GCS_OPTIONS = {"connect_timeout": 2, "read_timeout": 4, "retry_seconds": 2}


def _http_ok(url):
    with urllib.request.urlopen(url, timeout=1) as response:
        return response.status < 500


def _azurite_binary():
    binary = NODE_DIR / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("Azurite needs Node and npm: run `npm ci --prefix tests/node`")
        subprocess.run(
            [npm, "ci", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    return str(binary)


@dataclass
class StorageService:
    provider: str
    process: ServiceProcess
    port: int

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def settings(self, bucket):
        if self.provider == "s3":
            return {
                "bucket": bucket,
                "endpoint_url": self.endpoint,
                "region": "us-east-1",
                "access_key_id": "testing",
                "secret_access_key": "testing",
            }
        if self.provider == "azure":
            return {"container": bucket, "connection_string": self.connection_string()}
        return {"bucket": bucket, "project": "test", "endpoint": self.endpoint}

    def connection_string(self, key=AZURITE_KEY):
        return (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={key};BlobEndpoint={self.endpoint}/devstoreaccount1;"
        )

    def create_bucket(self, bucket):
        if self.provider == "s3":
            import boto3

            boto3.client(
                "s3",
                endpoint_url=self.endpoint,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            ).create_bucket(Bucket=bucket)
        elif self.provider == "azure":
            from azure.storage.blob import BlobServiceClient

            BlobServiceClient.from_connection_string(self.connection_string()).create_container(
                bucket
            )
        else:
            from google.auth.credentials import AnonymousCredentials
            from google.cloud import storage

            storage.Client(
                project="test",
                credentials=AnonymousCredentials(),
                client_options={"api_endpoint": self.endpoint},
            ).create_bucket(bucket)

    def storage(self, bucket=None, create=True, fast=False, **overrides):
        bucket = bucket or f"b-{uuid.uuid4().hex[:16]}"
        if create:
            self.create_bucket(bucket)
        options = dict(FAST_GCS_OPTIONS if self.provider == "gcs" else FAST_OPTIONS) if fast else {}
        return build_storage(self.provider, {**self.settings(bucket), **overrides}, **options)


def start_storage_service(provider, log_dir):
    port = free_port()
    if provider == "s3":
        argv = [find_executable("moto_server"), "-H", "127.0.0.1", "-p", str(port)]
        ready = lambda: _http_ok(f"http://127.0.0.1:{port}/moto-api/")  # noqa: E731
    elif provider == "azure":
        argv = [
            _azurite_binary(),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--inMemoryPersistence",
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
        ]
        ready = partial(port_open, port)
    elif provider == "gcs":
        argv = [
            find_executable("python"),
            str(GCS_EMULATOR),
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--in-memory",
            "--quiet",
        ]
        ready = lambda: _http_ok(f"http://127.0.0.1:{port}/storage/v1/b")  # noqa: E731
    else:
        raise ValueError(provider)
    process = ServiceProcess(f"{provider}-{port}", argv, ready, log_dir, timeout=60).start()
    return StorageService(provider, process, port)


def _session_service(provider, tmp_path_factory):
    service = start_storage_service(provider, tmp_path_factory.mktemp(f"{provider}-logs"))
    try:
        yield service
    finally:
        service.process.stop()


@pytest.fixture(scope="session")
def moto_service(tmp_path_factory):
    yield from _session_service("s3", tmp_path_factory)


@pytest.fixture(scope="session")
def azurite_service(tmp_path_factory):
    yield from _session_service("azure", tmp_path_factory)


@pytest.fixture(scope="session")
def gcs_service(tmp_path_factory):
    yield from _session_service("gcs", tmp_path_factory)


@pytest.fixture
def storage_service(request):
    """The running emulator for a provider name (``None`` for local)."""

    def lookup(provider):
        if provider == "local":
            return None
        name = {"s3": "moto_service", "azure": "azurite_service", "gcs": "gcs_service"}[provider]
        return request.getfixturevalue(name)

    return lookup


@pytest.fixture
def storage_factory(storage_service, tmp_path):
    """``storage_factory(provider, **options)`` → an adapter on a fresh, empty bucket."""

    def make(provider, fast=False, **overrides):
        if provider == "local":
            root = tmp_path / f"root-{uuid.uuid4().hex[:8]}"
            root.mkdir()
            return build_storage("local", {"path": str(root)})
        return storage_service(provider).storage(fast=fast, **overrides)

    return make
