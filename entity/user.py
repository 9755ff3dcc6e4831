"""Accounts."""

from dataclasses import dataclass, field
from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from entity import access_cache
from entity.records import now, object_id
from exception_layer.errors import Conflict, NotFound


@dataclass
class User:
    id: str
    email: str
    password_hash: str = field(repr=False)
    display_name: str = ""
    notification_email: str = ""
    is_site_admin: bool = False
    disabled: bool = False
    current_workspace_id: str | None = None
    created_at: datetime | None = None

    # flask-login's protocol
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self):
        return not self.disabled

    def get_id(self):
        return self.id

    @property
    def name(self):
        return self.display_name or self.email

    @property
    def mail_to(self):
        return self.notification_email or self.email

    @classmethod
    def from_doc(cls, doc):
        return cls(
            id=str(doc["_id"]),
            email=doc["email"],
            password_hash=doc.get("password_hash", ""),
            display_name=doc.get("display_name", ""),
            notification_email=doc.get("notification_email", ""),
            is_site_admin=doc.get("is_site_admin", False),
            disabled=doc.get("disabled", False),
            current_workspace_id=doc.get("current_workspace_id"),
            created_at=doc.get("created_at"),
        )


class UserRepository:
    def __init__(self, db):
        self.col = db.users

    @staticmethod
    def ensure_indexes(db):
        db.users.create_index([("email", ASCENDING)], unique=True)

    def create(self, email, password_hash, display_name="", is_site_admin=False):
        doc = {
            "email": email,
            "password_hash": password_hash,
            "display_name": display_name,
            "notification_email": "",
            "is_site_admin": is_site_admin,
            "disabled": False,
            "created_at": now(),
        }
        try:
            doc["_id"] = self.col.insert_one(doc).inserted_id
        except DuplicateKeyError as exc:
            raise Conflict(
                "An account with that email already exists.", code="email_taken"
            ) from exc
        return User.from_doc(doc)

    def count(self):
        return self.col.estimated_document_count()

    def get_cached(self, user_id):
        """Like ``get``, through the per-process access cache (for loading the signed-in user)."""
        return access_cache.cached(
            self.col.database, "user", str(user_id), lambda: self.get(user_id)
        )

    def get(self, user_id):
        doc = self.col.find_one({"_id": object_id(user_id, "user")})
        if not doc:
            raise NotFound("That user does not exist.")
        return User.from_doc(doc)

    def find_by_email(self, email):
        doc = self.col.find_one({"email": email})
        return User.from_doc(doc) if doc else None

    def list(self):
        return [User.from_doc(d) for d in self.col.find().sort("created_at", ASCENDING)]

    def get_many(self, user_ids):
        ids = [object_id(u, "user") for u in user_ids]
        return {str(d["_id"]): User.from_doc(d) for d in self.col.find({"_id": {"$in": ids}})}

    def update(self, user_id, **fields):
        allowed = {
            "display_name",
            "notification_email",
            "password_hash",
            "disabled",
            "current_workspace_id",
            "is_site_admin",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        result = self.col.update_one({"_id": object_id(user_id, "user")}, {"$set": fields})
        access_cache.forget(str(user_id))
        if not result.matched_count:
            raise NotFound("That user does not exist.")
