"""Personal access tokens for scripts; only a hash of each token is stored."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING

from entity.hashing import hash_token, new_token
from entity.records import now, object_id
from exception_layer.errors import NotFound

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass
class ApiToken:
    id: str
    user_id: str
    name: str
    hint: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc):
        return cls(
            id=str(doc["_id"]),
            user_id=doc["user_id"],
            name=doc["name"],
            hint=doc["hint"],
            created_at=doc.get("created_at"),
            last_used_at=doc.get("last_used_at"),
        )


class TokenRepository:
    def __init__(self, db):
        self.col = db.api_tokens

    @staticmethod
    def ensure_indexes(db):
        db.api_tokens.create_index([("token_hash", ASCENDING)], unique=True)
        db.api_tokens.create_index([("user_id", ASCENDING)])

    def create(self, user_id, name):
        """Create a token; return (entity, the token itself, which is shown once)."""
        token = new_token()
        doc = {
            "user_id": user_id,
            "name": name,
            "token_hash": hash_token(token),
            "hint": token[:8] + "…" + token[-4:],
            "created_at": now(),
            "last_used_at": None,
        }
        doc["_id"] = self.col.insert_one(doc).inserted_id
        return ApiToken.from_doc(doc), token

    def user_id_for(self, token):
        """The owner of a live token, or None; `last_used_at` is kept to the minute."""
        doc = self.col.find_one(
            {"token_hash": hash_token(token)}, {"user_id": 1, "last_used_at": 1}
        )
        if not doc:
            return None
        moment = now()
        last = doc.get("last_used_at")
        if last is None or moment - last > LAST_USED_RESOLUTION:
            self.col.update_one({"_id": doc["_id"]}, {"$set": {"last_used_at": moment}})
        return doc["user_id"]

    def list(self, user_id):
        docs = self.col.find({"user_id": user_id}).sort("created_at", ASCENDING)
        return [ApiToken.from_doc(d) for d in docs]

    def revoke(self, user_id, token_id):
        result = self.col.delete_one({"_id": object_id(token_id, "token"), "user_id": user_id})
        if not result.deleted_count:
            raise NotFound("That token does not exist.")
