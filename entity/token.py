"""Access tokens; only a hash of each token is stored.

A personal token acts as its user. A project prediction token (``project_id`` set) is a
service credential: it may call the prediction endpoint of that one project and nothing else.

Every token expires after the lifetime chosen when it was created (``EXPIRY_CHOICES``), or
never. Tokens created before expiry existed have no ``expires_at`` and never expire.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING

from entity import access_cache
from entity.hashing import hash_token, new_token
from entity.read_cache import cached_read
from entity.records import now, object_id
from exception_layer.errors import NotFound, ValidationError

LAST_USED_RESOLUTION = timedelta(minutes=1)
# Lifetime choices, as the forms and the API spell them -> days (None: never expires).
EXPIRY_CHOICES = {"30d": 30, "90d": 90, "365d": 365, "never": None}
EXPIRY_LABELS = {"30d": "30 days", "90d": "90 days", "365d": "1 year", "never": "Never"}
DEFAULT_EXPIRY = "90d"


def _iso(moment):
    return moment.isoformat() if moment else None


def expiry_date(choice, moment):
    """When a token created at ``moment`` with lifetime ``choice`` expires (None: never)."""
    choice = DEFAULT_EXPIRY if choice is None else choice
    if not isinstance(choice, str) or choice not in EXPIRY_CHOICES:
        raise ValidationError(
            f"'expires' is one of {', '.join(EXPIRY_CHOICES)} (default {DEFAULT_EXPIRY}).",
            details={"field": "expires"},
        )
    days = EXPIRY_CHOICES[choice]
    return None if days is None else moment + timedelta(days=days)


@dataclass
class ApiToken:
    id: str
    user_id: str
    name: str
    hint: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    workspace_id: str | None = None  # with project_id: a project prediction token
    project_id: str | None = None
    expires_at: datetime | None = None  # None: never

    @property
    def scoped(self):
        return self.project_id is not None

    def expired(self, moment=None):
        return self.expires_at is not None and self.expires_at <= (moment or now())

    def to_dict(self):
        """The API's view: never the token itself, nor its hash."""
        return {
            "id": self.id,
            "name": self.name,
            "hint": self.hint,
            "created_at": _iso(self.created_at),
            "last_used_at": _iso(self.last_used_at),
            "expires_at": _iso(self.expires_at),
        }

    @classmethod
    def from_doc(cls, doc):
        return cls(
            id=str(doc["_id"]),
            user_id=doc["user_id"],
            name=doc["name"],
            hint=doc["hint"],
            created_at=doc.get("created_at"),
            last_used_at=doc.get("last_used_at"),
            workspace_id=doc.get("workspace_id"),
            project_id=doc.get("project_id"),
            expires_at=doc.get("expires_at"),
        )


class TokenRepository:
    def __init__(self, db):
        self.col = db.api_tokens

    @staticmethod
    def ensure_indexes(db):
        db.api_tokens.create_index([("token_hash", ASCENDING)], unique=True)
        db.api_tokens.create_index([("user_id", ASCENDING)])
        db.api_tokens.create_index([("workspace_id", ASCENDING), ("project_id", ASCENDING)])

    def create(self, user_id, name, *, expires=DEFAULT_EXPIRY, workspace_id=None, project_id=None):
        """Create a token living ``expires`` (an EXPIRY_CHOICES key); return (entity, the
        token itself, which is shown once)."""
        token = new_token()
        created = now()
        doc = {
            "user_id": user_id,
            "workspace_id": workspace_id,
            "project_id": project_id,
            "name": name,
            "token_hash": hash_token(token),
            "hint": token[:8] + "…" + token[-4:],
            "created_at": created,
            "last_used_at": None,
            "expires_at": expiry_date(expires, created),
        }
        doc["_id"] = self.col.insert_one(doc).inserted_id
        return ApiToken.from_doc(doc), token

    def lookup(self, token, cached=False):
        """The token (expired ones too: ``ApiToken.expired`` tells), or None when it does not
        exist; `last_used_at` is kept to the minute, for tokens still valid.

        ``cached``: through the per-process access cache (the prediction endpoint, where a
        revocation takes effect within the cache's two seconds in other processes)."""
        digest = hash_token(token)
        if cached:
            return access_cache.cached(
                self.col.database, "token", digest, lambda: self._find(digest)
            )
        return self._find(digest)

    def _find(self, digest):
        doc = self.col.find_one({"token_hash": digest}, {"token_hash": 0})
        if not doc:
            return None
        token = ApiToken.from_doc(doc)
        moment = now()
        last = token.last_used_at
        if not token.expired(moment) and (last is None or moment - last > LAST_USED_RESOLUTION):
            self.col.update_one({"_id": doc["_id"]}, {"$set": {"last_used_at": moment}})
        return token

    def list(self, user_id):
        """The user's personal tokens."""
        docs = self.col.find({"user_id": user_id, "project_id": None})
        return [ApiToken.from_doc(d) for d in docs.sort("created_at", ASCENDING)]

    @cached_read("api_tokens")
    def for_project(self, workspace_id, project_id):
        docs = self.col.find({"workspace_id": workspace_id, "project_id": project_id})
        return [ApiToken.from_doc(d) for d in docs.sort("created_at", ASCENDING)]

    def revoke_project_token(self, workspace_id, project_id, token_id):
        result = self.col.delete_one(
            {
                "_id": object_id(token_id, "token"),
                "workspace_id": workspace_id,
                "project_id": project_id,
            }
        )
        if not result.deleted_count:
            raise NotFound("That token does not exist.")
        access_cache.forget()

    def delete_for_project(self, workspace_id, project_id):
        """Drop the project's prediction tokens; return how many."""
        deleted = self.col.delete_many({"workspace_id": workspace_id, "project_id": project_id})
        access_cache.forget()
        return deleted.deleted_count

    def revoke(self, user_id, token_id):
        result = self.col.delete_one(
            {"_id": object_id(token_id, "token"), "user_id": user_id, "project_id": None}
        )
        if not result.deleted_count:
            raise NotFound("That token does not exist.")
        access_cache.forget()
