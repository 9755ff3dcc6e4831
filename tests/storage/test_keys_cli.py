"""`flask keys rotate` re-encrypts stored secrets under a new key."""

from cryptography.fernet import Fernet

from controllers.context import get_db, get_store
from entity.connection import ConnectionRepository
from entity.encryption import Encryptor

S3 = {"bucket": "b", "access_key_id": "AKID", "secret_access_key": "rotate-me"}


def test_rotate_with_a_given_key(app):
    with app.app_context():
        created = get_store().connections.create("ws", "S3", "s3", S3)
        old_token = get_db()["connections"].find_one()["secrets"]["secret_access_key"]
    new_key = Fernet.generate_key().decode()
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--new-key", new_key])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted the secrets of 1 storage connection(s)." in result.output
    assert f"MLP_ENCRYPTION_KEY={new_key}" in result.output  # the key came from the config
    with app.app_context():
        stored = get_db()["connections"].find_one()["secrets"]["secret_access_key"]
        assert stored != old_token
        rotated = ConnectionRepository(get_db(), encryptor=Encryptor(new_key))
        assert rotated.get("ws", created.id).settings["secret_access_key"] == "rotate-me"


def test_rotate_rejects_a_malformed_key(app):
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--new-key", "short"])
    assert result.exit_code != 0 and "not a Fernet key" in result.output


def test_rotate_updates_the_embedded_key_file(app_config, monkeypatch):
    from pathlib import Path

    from app import create_app
    from entity.db import client_for

    monkeypatch.delenv("MLP_ENCRYPTION_KEY", raising=False)
    app_config.pop("ENCRYPTION_KEY")
    application = create_app(app_config)
    try:
        key_file = Path(application.config["DATA_DIR"]) / "encryption_key.txt"
        old_key = key_file.read_text().strip()
        with application.app_context():
            created = get_store().connections.create("ws", "S3", "s3", S3)
        result = application.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        new_key = key_file.read_text().strip()
        assert new_key != old_key and new_key not in result.output
        restarted = create_app(app_config)
        with restarted.app_context():
            found = get_store().connections.get("ws", created.id)
            assert found.settings["secret_access_key"] == "rotate-me"
    finally:
        client_for(app_config["MONGODB_URI"]).drop_database(app_config["MONGODB_DB"])
