"""Account and workspace operations: the rules, over the repositories."""

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from entity import access_cache, validators
from entity.hashing import hash_password, verify_password
from exception_layer.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthorized,
    ValidationError,
)

logger = logging.getLogger(__name__)

SIGN_IN_FAILED = "Unknown email or wrong password."


def register(store, email, password, display_name="", *, signup="open", admin=None):
    """Create an account with its personal workspace; the very first account is site admin."""
    email = validators.email(email)
    password = validators.password(password)
    display_name = validators.text(display_name, "Display name", required=False)
    users = store.users
    is_first = users.count() == 0
    if signup != "open" and not is_first and admin is None:
        raise PermissionDenied("Sign-up is by invitation: ask a site administrator for an account.")
    user = users.create(
        email,
        hash_password(password),
        display_name,
        is_site_admin=is_first if admin is None else admin,
    )
    workspace = store.workspaces.create(
        f"{display_name or email.split('@')[0]}'s workspace", user.id, personal=True
    )
    users.update(user.id, current_workspace_id=workspace.id)
    user.current_workspace_id = workspace.id
    logger.info("account=created user=%s site_admin=%s", user.id, user.is_site_admin)
    return user


def authenticate(store, email, password):
    """The account for these credentials, or Unauthorized with one message for every failure."""
    if not isinstance(email, str) or not isinstance(password, str):
        raise Unauthorized(SIGN_IN_FAILED, code="bad_credentials")
    user = store.users.find_by_email(email.strip().lower())
    ok = verify_password(user.password_hash if user else None, password)
    if not user or not ok:
        raise Unauthorized(SIGN_IN_FAILED, code="bad_credentials")
    if user.disabled:
        raise Unauthorized(
            "This account is disabled. Ask a site administrator.", code="account_disabled"
        )
    return user


def change_password(store, user, current, new):
    if not verify_password(user.password_hash, current or ""):
        raise Unauthorized("The current password is wrong.", code="bad_credentials")
    store.users.update(user.id, password_hash=hash_password(validators.password(new)))


def update_profile(store, user, display_name, notification_email):
    store.users.update(
        user.id,
        display_name=validators.text(display_name, "Display name", required=False),
        notification_email=validators.email(
            notification_email, "Notification email", required=False
        ),
    )


def create_token(store, user, name, expires=None):
    """A personal token living ``expires`` (see entity.token.EXPIRY_CHOICES; None: the default)."""
    name = validators.text(name or "API token", "Token name")
    return store.tokens.create(user.id, name, expires=expires)


def token_for_credentials(store, email, password, name="API token", expires=None):
    user = authenticate(store, email, password)
    return create_token(store, user, name, expires)


def create_team_workspace(store, user, name):
    workspace = store.workspaces.create(validators.text(name, "Workspace name"), user.id)
    store.users.update(user.id, current_workspace_id=workspace.id)
    return workspace


def invite(store, workspace_id, email, role):
    email = validators.email(email)
    invitee = store.users.find_by_email(email)
    if not invitee:
        raise NotFound(f"No account uses {email}. Ask them to register first, then invite them.")
    if invitee.disabled:
        raise Conflict("That account is disabled.")
    store.workspaces.add_member(workspace_id, invitee.id, role)
    return invitee


def switch_workspace(store, user, workspace_id):
    if not store.workspaces.membership(workspace_id, user.id):
        raise NotFound("That workspace does not exist.")
    store.users.update(user.id, current_workspace_id=workspace_id)


def set_disabled(store, actor, user_id, disabled):
    if actor.id == user_id:
        raise Conflict("You cannot disable your own account.")
    store.users.update(user_id, disabled=bool(disabled))


def workspace_people(store, workspace_id):
    """The workspace's members as (User, Membership), oldest first; cached like the header."""

    def load():
        members = store.workspaces.list_members(workspace_id)
        people = store.users.get_many([m.user_id for m in members])
        return [(people[m.user_id], m) for m in members if m.user_id in people]

    return access_cache.cached(store.db, "people", workspace_id, load)


def rename_workspace(store, workspace_id, name):
    store.workspaces.rename(workspace_id, validators.text(name, "Workspace name"))


def set_timezone(store, workspace_id, timezone):
    """The workspace's default time zone for schedules: an IANA name such as Europe/Berlin."""
    name = (timezone or "").strip() if isinstance(timezone, str) else ""
    if name in available_timezones() and name not in ("localtime", "posixrules"):
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
        else:
            store.workspaces.set_timezone(workspace_id, name)
            return name
    raise ValidationError(
        f"Unknown time zone {name!r}; choose an IANA name such as Europe/Berlin.",
        details={"field": "timezone"},
    )


def _member(store, workspace_id, user_id):
    if not store.workspaces.membership(workspace_id, user_id):
        raise NotFound("That person is not a member of this workspace.")
    return user_id


def set_member_role(store, workspace_id, user_id, role):
    """NotFound (before anything else) when ``user_id`` is not a member here."""
    store.workspaces.set_role(workspace_id, _member(store, workspace_id, user_id), role)


def remove_member(store, workspace_id, user_id):
    store.workspaces.remove_member(workspace_id, _member(store, workspace_id, user_id))


def revoke_token(store, user, token_id):
    store.tokens.revoke(user.id, token_id)


def user_tokens(store, user):
    return store.tokens.list(user.id)
