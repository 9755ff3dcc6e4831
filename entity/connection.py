"""Storage connections: a workspace's buckets/folders, with secrets encrypted at rest.

Secret settings (per the adapter's settings schema) are stored Fernet-encrypted under the
app's ENCRYPTION_KEY, shown to people only as ``MASK`` and kept when the mask comes back
unchanged from a form. They are never logged and never rendered.
"""

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from entity import validators
from entity.project import ProjectRepository
from entity.read_cache import cached_read
from entity.records import now, object_id
from exception_layer.errors import Conflict, NotFound, PermissionDenied, ValidationError

logger = logging.getLogger(__name__)

MASK = "--------"
DEFAULT_NAME = "Workspace files"
MAX_NAME = 80


@dataclass
class Connection:
    workspace_id: str
    name: str
    provider: str
    settings: dict = field(default_factory=dict)  # decrypted; never render it as is
    builtin: bool = False
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: str | None = None
    secret_keys: tuple = ()  # the settings stored encrypted

    def masked_settings(self):
        """Settings safe to show: secrets as MASK (or '' when unset)."""
        return {
            key: (MASK if value else "") if key in self.secret_keys else value
            for key, value in self.settings.items()
            if not (self.builtin and key == "path")
        }

    def to_dict(self):
        return {"id": self.id, "name": self.name, "provider": self.provider}


class ConnectionRepository:
    """``provider_class(name)`` gives a provider's adapter class (its settings schema), so the
    repository validates and encrypts what it stores without knowing the providers itself."""

    def __init__(self, db, encryptor=None, files_root=None, provider_class=None):
        self.collection = db["connections"]
        self.db = db
        self._encryptor = encryptor
        self._files_root = files_root
        self._provider_class = provider_class

    @staticmethod
    def ensure_indexes(db):
        db["connections"].create_index(
            [("workspace_id", ASCENDING), ("name", ASCENDING)], unique=True
        )
        db["connections"].create_index([("workspace_id", ASCENDING), ("builtin", ASCENDING)])

    @property
    def encryptor(self):
        if self._encryptor is None:
            raise RuntimeError("this ConnectionRepository was built without an encryptor")
        return self._encryptor

    def provider_class(self, provider):
        if self._provider_class is None:
            raise RuntimeError("this ConnectionRepository was built without the providers")
        return self._provider_class(provider)

    def builtin_root(self, workspace_id):
        if self._files_root is None:
            raise RuntimeError("this ConnectionRepository was built without a files root")
        return os.path.join(self._files_root, str(workspace_id))

    # -- documents <-> entities ---------------------------------------------------------
    def _entity(self, doc):
        settings = dict(doc.get("settings") or {})
        secrets = doc.get("secrets") or {}
        for key, token in secrets.items():
            settings[key] = self.encryptor.decrypt(token)
        if doc.get("builtin"):
            settings["path"] = self.builtin_root(doc["workspace_id"])
        return Connection(
            workspace_id=doc["workspace_id"],
            name=doc["name"],
            provider=doc["provider"],
            settings=settings,
            builtin=bool(doc.get("builtin")),
            created_by=doc.get("created_by"),
            created_at=doc.get("created_at"),
            updated_at=doc.get("updated_at"),
            id=str(doc["_id"]),
            secret_keys=tuple(secrets),
        )

    def _split(self, provider, settings):
        """Plain settings and encrypted secrets, for storing."""
        secret = set(self.provider_class(provider).secret_fields())
        plain = {k: v for k, v in settings.items() if k not in secret}
        secrets = {k: self.encryptor.encrypt(v) for k, v in settings.items() if k in secret}
        return plain, secrets

    # -- queries ------------------------------------------------------------------------
    @cached_read("connections")
    def list(self, workspace_id):
        cursor = self.collection.find({"workspace_id": workspace_id}).sort(
            [("builtin", -1), ("name", ASCENDING)]
        )
        return [self._entity(doc) for doc in cursor]

    @cached_read("connections")
    def get(self, workspace_id, connection_id):
        oid = object_id(connection_id, "storage connection")
        doc = self.collection.find_one({"_id": oid, "workspace_id": workspace_id})
        if not doc:
            raise NotFound("That storage connection does not exist.")
        return self._entity(doc)

    # -- changes ------------------------------------------------------------------------
    @staticmethod
    def _clean_name(name):
        """The name with its runs of spaces collapsed; length and characters as any name."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("A connection needs a name.", details={"field": "name"})
        return validators.text(re.sub(" {2,}", " ", name), "Connection name", max_len=MAX_NAME)

    def _validate(self, provider, settings, allow_local):
        cls = self.provider_class(provider)
        if provider == "local" and not allow_local:
            raise PermissionDenied("Only site administrators can connect a server folder.")
        if not isinstance(settings, dict):
            raise ValidationError("Settings must be an object of named values.")
        return cls.validate_settings(settings)

    def create(self, workspace_id, name, provider, settings, created_by=None, allow_local=False):
        name = self._clean_name(name)
        cleaned = self._validate(provider, settings, allow_local)
        plain, secrets = self._split(provider, cleaned)
        doc = {
            "workspace_id": workspace_id,
            "name": name,
            "provider": provider,
            "settings": plain,
            "secrets": secrets,
            "builtin": False,
            "created_by": created_by,
            "created_at": now(),
            "updated_at": now(),
        }
        try:
            result = self.collection.insert_one(doc)
        except DuplicateKeyError as exc:
            raise Conflict(f"A connection named '{name}' already exists here.") from exc
        logger.info(
            "connection_created workspace=%s connection=%s provider=%s",
            workspace_id,
            result.inserted_id,
            provider,
        )
        return self.get(workspace_id, result.inserted_id)

    def update(self, workspace_id, connection_id, name=None, settings=None, allow_local=False):
        current = self.get(workspace_id, connection_id)
        if current.builtin:
            raise ValidationError("The built-in workspace folder cannot be changed.")
        values = {"updated_at": now()}
        if name is not None:
            values["name"] = self._clean_name(name)
        if settings is not None:
            if not isinstance(settings, dict):
                raise ValidationError("Settings must be an object of named values.")
            merged = dict(settings)
            for key in self.provider_class(current.provider).secret_fields():
                if merged.get(key) == MASK:  # unchanged mask: keep the stored secret
                    merged[key] = current.settings.get(key, "")
            cleaned = self._validate(current.provider, merged, allow_local)
            values["settings"], values["secrets"] = self._split(current.provider, cleaned)
        try:
            self.collection.update_one(
                {"_id": ObjectId(current.id), "workspace_id": workspace_id}, {"$set": values}
            )
        except DuplicateKeyError as exc:
            raise Conflict(f"A connection named '{values['name']}' already exists here.") from exc
        logger.info("connection_updated workspace=%s connection=%s", workspace_id, current.id)
        return self.get(workspace_id, current.id)

    def delete(self, workspace_id, connection_id):
        current = self.get(workspace_id, connection_id)
        if current.builtin:
            raise ValidationError("The built-in workspace folder cannot be deleted.")
        if ProjectRepository(self.db).uses_connection(workspace_id, current.id):
            raise Conflict("Projects use this connection; move or delete them first.")
        self.collection.delete_one({"_id": ObjectId(current.id), "workspace_id": workspace_id})
        logger.info("connection_deleted workspace=%s connection=%s", workspace_id, current.id)

    def delete_for_workspace(self, workspace_id):
        """Drop every connection of the workspace (the built-in one too); return how many."""
        return self.collection.delete_many({"workspace_id": workspace_id}).deleted_count

    @cached_read("connections")
    def ensure_default(self, workspace_id):
        """The workspace's built-in local folder (DATA_DIR/files/<workspace id>)."""
        doc = self.collection.find_one({"workspace_id": workspace_id, "builtin": True})
        if doc is None:
            try:
                self.collection.insert_one(
                    {
                        "workspace_id": workspace_id,
                        "name": DEFAULT_NAME,
                        "provider": "local",
                        "settings": {},
                        "secrets": {},
                        "builtin": True,
                        "created_by": None,
                        "created_at": now(),
                        "updated_at": now(),
                    }
                )
            except DuplicateKeyError:
                pass  # created meanwhile by another request
            doc = self.collection.find_one({"workspace_id": workspace_id, "builtin": True})
            if doc is None:
                raise Conflict(f"A connection named '{DEFAULT_NAME}' already exists here.")
        os.makedirs(self.builtin_root(workspace_id), exist_ok=True)
        return self._entity(doc)

    # -- key rotation -------------------------------------------------------------------
    def rotate_secrets(self, rotating_encryptor):
        """Re-encrypt every stored secret with ``rotating_encryptor`` (new key first)."""
        count = 0
        for doc in self.collection.find({"secrets": {"$ne": {}}}, {"secrets": 1}):
            rotated = {k: rotating_encryptor.rotate(v) for k, v in doc["secrets"].items()}
            self.collection.update_one({"_id": doc["_id"]}, {"$set": {"secrets": rotated}})
            count += 1
        return count
