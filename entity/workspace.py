"""Workspaces (the tenants) and their members."""

from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from entity import access_cache
from entity.records import now, object_id
from exception_layer.errors import Conflict, NotFound, ValidationError

ROLES = ("viewer", "admin", "owner")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


def role_allows(role, needed):
    return role in ROLE_RANK and ROLE_RANK[role] >= ROLE_RANK[needed]


@dataclass
class Workspace:
    id: str
    name: str
    personal: bool = False
    created_by: str | None = None
    created_at: datetime | None = None
    timezone: str = "UTC"  # the default zone of its schedules

    @classmethod
    def from_doc(cls, doc):
        return cls(
            id=str(doc["_id"]),
            name=doc["name"],
            personal=doc.get("personal", False),
            timezone=doc.get("timezone") or "UTC",
            created_by=doc.get("created_by"),
            created_at=doc.get("created_at"),
        )


@dataclass
class Membership:
    workspace_id: str
    user_id: str
    role: str
    created_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc):
        return cls(
            workspace_id=doc["workspace_id"],
            user_id=doc["user_id"],
            role=doc["role"],
            created_at=doc.get("created_at"),
        )


class WorkspaceRepository:
    def __init__(self, db):
        self.col = db.workspaces
        self.members = db.memberships

    @staticmethod
    def ensure_indexes(db):
        db.memberships.create_index(
            [("workspace_id", ASCENDING), ("user_id", ASCENDING)], unique=True
        )
        db.memberships.create_index([("user_id", ASCENDING)])

    def create(self, name, owner_id, personal=False):
        doc = {"name": name, "personal": personal, "created_by": owner_id, "created_at": now()}
        doc["_id"] = self.col.insert_one(doc).inserted_id
        workspace = Workspace.from_doc(doc)
        self.add_member(workspace.id, owner_id, "owner")
        return workspace

    def get(self, workspace_id):
        doc = self.col.find_one({"_id": object_id(workspace_id, "workspace")})
        if not doc:
            raise NotFound("That workspace does not exist.")
        return Workspace.from_doc(doc)

    def named(self, name_or_id, limit=2):
        """The workspace with this id, else up to ``limit`` workspaces with this name."""
        try:
            return [self.get(name_or_id)]
        except NotFound:
            pass
        return [Workspace.from_doc(d) for d in self.col.find({"name": name_or_id}).limit(limit)]

    def every(self):
        """(id, name) of every workspace, for site-wide maintenance commands."""
        return [(str(d["_id"]), d.get("name")) for d in self.col.find({}, {"name": 1})]

    def rename(self, workspace_id, name):
        self.col.update_one({"_id": object_id(workspace_id, "workspace")}, {"$set": {"name": name}})
        access_cache.forget()

    def set_timezone(self, workspace_id, timezone):
        self.col.update_one(
            {"_id": object_id(workspace_id, "workspace")}, {"$set": {"timezone": timezone}}
        )
        access_cache.forget()

    def delete(self, workspace_id):
        """Drop the workspace and its memberships; return how many documents."""
        members = self.members.delete_many({"workspace_id": workspace_id}).deleted_count
        found = self.col.delete_one({"_id": object_id(workspace_id, "workspace")}).deleted_count
        access_cache.forget()
        return members + found

    def for_user_cached(self, user_id):
        """``for_user`` through the per-process access cache (for every page's header)."""
        return access_cache.cached(
            self.col.database, "workspaces", user_id, lambda: self.for_user(user_id)
        )

    def for_user(self, user_id):
        """The user's workspaces with their role, personal first, then by name."""
        roles = {m["workspace_id"]: m["role"] for m in self.members.find({"user_id": user_id})}
        ids = [object_id(w) for w in roles]
        found = [Workspace.from_doc(d) for d in self.col.find({"_id": {"$in": ids}})]
        found.sort(key=lambda w: (not w.personal, w.name.lower()))
        return [(w, roles[w.id]) for w in found]

    def membership(self, workspace_id, user_id):
        doc = self.members.find_one({"workspace_id": workspace_id, "user_id": user_id})
        return Membership.from_doc(doc) if doc else None

    def list_members(self, workspace_id):
        docs = self.members.find({"workspace_id": workspace_id}).sort("created_at", ASCENDING)
        return [Membership.from_doc(d) for d in docs]

    def add_member(self, workspace_id, user_id, role):
        _check_role(role)
        try:
            self.members.insert_one(
                {
                    "workspace_id": workspace_id,
                    "user_id": user_id,
                    "role": role,
                    "created_at": now(),
                }
            )
        except DuplicateKeyError as exc:
            raise Conflict("That person is already a member of this workspace.") from exc
        access_cache.forget(user_id, workspace_id)

    def set_role(self, workspace_id, user_id, role):
        _check_role(role)
        current = self.membership(workspace_id, user_id)
        if not current:
            raise NotFound("That person is not a member of this workspace.")
        if current.role == "owner" and role != "owner":
            self._keep_an_owner(workspace_id)
        self.members.update_one(
            {"workspace_id": workspace_id, "user_id": user_id}, {"$set": {"role": role}}
        )
        access_cache.forget(user_id, workspace_id)

    def remove_member(self, workspace_id, user_id):
        current = self.membership(workspace_id, user_id)
        if not current:
            raise NotFound("That person is not a member of this workspace.")
        if current.role == "owner":
            self._keep_an_owner(workspace_id)
        self.members.delete_one({"workspace_id": workspace_id, "user_id": user_id})
        access_cache.forget(user_id, workspace_id)

    def _keep_an_owner(self, workspace_id):
        owners = self.members.count_documents({"workspace_id": workspace_id, "role": "owner"})
        if owners <= 1:
            raise Conflict("A workspace needs at least one owner; make someone else owner first.")


def _check_role(role):
    if role not in ROLES:
        raise ValidationError(f"Role must be one of: {', '.join(ROLES)}.")
