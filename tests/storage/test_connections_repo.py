"""ConnectionRepository against the real MongoDB-wire server: encryption, masking, scoping."""

import pytest
from cryptography.fernet import Fernet

from controllers.context import get_store
from entity.connection import MASK, ConnectionRepository
from entity.encryption import Encryptor
from exception_layer.errors import Conflict, NotFound, PermissionDenied, ValidationError
from integration.registry import get_storage

S3 = {
    "bucket": "team-data",
    "endpoint_url": "http://127.0.0.1:9",
    "region": "eu-west-1",
    "access_key_id": "AKIDEXAMPLE",
    "secret_access_key": "very-secret-value",
}


@pytest.fixture
def repo(app):
    with app.app_context():
        yield get_store().connections


def test_secrets_are_encrypted_at_rest_and_masked(repo):
    created = repo.create("ws1", "Team bucket", "s3", S3, created_by="u1")
    raw = repo.collection.find_one({"workspace_id": "ws1"})
    assert "very-secret-value" not in str(raw)
    assert raw["secrets"]["secret_access_key"] != "very-secret-value"
    assert created.settings["secret_access_key"] == "very-secret-value"
    masked = created.masked_settings()
    assert masked["secret_access_key"] == MASK
    assert masked["access_key_id"] == "AKIDEXAMPLE"


def test_unchanged_mask_keeps_the_secret_and_a_new_value_replaces_it(repo):
    created = repo.create("ws1", "Team bucket", "s3", S3)
    kept = repo.update("ws1", created.id, settings={**created.masked_settings(), "region": "x"})
    assert kept.settings["secret_access_key"] == "very-secret-value"
    assert kept.settings["region"] == "x"
    changed = repo.update("ws1", created.id, settings={**S3, "secret_access_key": "new-one"})
    assert changed.settings["secret_access_key"] == "new-one"


def test_lookups_are_scoped_to_the_workspace(repo):
    created = repo.create("ws1", "Team bucket", "s3", S3)
    with pytest.raises(NotFound):
        repo.get("ws2", created.id)
    with pytest.raises(NotFound):
        repo.get("ws1", "not-an-id")
    with pytest.raises(NotFound):
        repo.delete("ws2", created.id)
    assert [c.name for c in repo.list("ws2")] == []


def test_validation_uses_the_adapter_schema(repo):
    with pytest.raises(ValidationError, match="Bucket is required"):
        repo.create("ws1", "x", "s3", {"region": "eu"})
    with pytest.raises(ValidationError, match="Unknown storage provider"):
        repo.create("ws1", "x", "ftp", {})
    with pytest.raises(ValidationError, match="connection string"):
        repo.create("ws1", "x", "azure", {"container": "c"})
    with pytest.raises(ValidationError, match="service-account"):
        repo.create("ws1", "x", "gcs", {"bucket": "b", "credentials_json": "{nope"})
    with pytest.raises(PermissionDenied):
        repo.create("ws1", "x", "local", {"path": "/tmp"})
    repo.create("ws1", "dup", "s3", S3)
    with pytest.raises(Conflict):
        repo.create("ws1", "dup", "s3", S3)


def test_default_local_connection_is_created_once_and_hides_its_path(repo, app, tmp_path):
    first = repo.ensure_default("ws1")
    second = repo.ensure_default("ws1")
    assert first.id == second.id and first.builtin and first.provider == "local"
    assert first.settings["path"].startswith(app.config["DATA_DIR"])
    assert "path" not in first.masked_settings()
    storage = get_storage(repo.get("ws1", first.id))
    storage.write_bytes("hello.txt", b"hi")
    assert storage.read_bytes("hello.txt") == b"hi"
    with pytest.raises(ValidationError):
        repo.delete("ws1", first.id)


def test_rotation_re_encrypts_every_secret(repo, app):
    created = repo.create("ws1", "Team bucket", "s3", S3)
    new_key = Fernet.generate_key().decode()
    count = repo.rotate_secrets(Encryptor(new_key, app.config["ENCRYPTION_KEY"]))
    assert count == 1
    rotated = ConnectionRepository(repo.db, encryptor=Encryptor(new_key))
    assert rotated.get("ws1", created.id).settings["secret_access_key"] == "very-secret-value"
