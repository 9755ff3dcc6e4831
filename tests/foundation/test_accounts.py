"""Accounts over HTTP against the real embedded database: register, sign in, bad input."""

import pytest

from controllers.context import get_db
from tests.support import web


def test_register_sign_in_sign_out(client, app):
    response = web.post_form(
        client,
        "/register",
        {"email": "Ada@Example.com", "password": web.PASSWORD, "display_name": "Ada"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    first = web.get_user(app, "ada@example.com")
    assert first.is_site_admin, "the first account becomes site administrator"

    response = web.post_form(client, "/logout", page="/")
    assert response.status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")

    web.login(client, "ada@example.com")
    page = client.get("/")
    assert page.status_code == 200 and b"Ada" in page.data


def test_second_account_is_not_site_admin(client, app):
    web.create_user(app, "first@example.com")
    second = web.create_user(app, "second@example.com")
    assert not second.is_site_admin


def test_password_is_hashed_with_scrypt(app):
    web.create_user(app, "hash@example.com")
    with app.app_context():
        stored = get_db().users.find_one({"email": "hash@example.com"})
    assert stored["password_hash"].startswith("scrypt:")
    assert web.PASSWORD not in str(stored)


def test_one_message_for_unknown_user_and_wrong_password(client, app):
    web.create_user(app, "known@example.com")
    unknown = web.post_form(client, "/login", {"email": "nobody@example.com", "password": "x" * 9})
    wrong = web.post_form(client, "/login", {"email": "known@example.com", "password": "x" * 9})
    assert unknown.status_code == wrong.status_code == 401
    assert b"Unknown email or wrong password." in unknown.data
    assert b"Unknown email or wrong password." in wrong.data


@pytest.mark.parametrize(
    "data, status, message",
    [
        ({"email": "not-an-email", "password": "long enough pw"}, 400, b"not a valid email"),
        ({"email": "short@example.com", "password": "short"}, 400, b"at least 8 characters"),
        ({"email": "x" * 300 + "@example.com", "password": "long enough pw"}, 400, b"at most"),
        (
            {"email": "ok@example.com", "password": "long enough pw", "display_name": "n" * 200},
            400,
            b"at most 80",
        ),
        ({"email": "", "password": "long enough pw"}, 400, b"Email is required"),
    ],
)
def test_bad_registration_input_is_refused_and_nothing_written(client, app, data, status, message):
    response = web.post_form(client, "/register", data)
    assert response.status_code == status
    assert message in response.data
    with app.app_context():
        assert get_db().users.count_documents({}) == 0


def test_duplicate_email_is_a_conflict(client, app):
    web.create_user(app, "dup@example.com")
    response = web.post_form(
        client, "/register", {"email": "DUP@example.com", "password": web.PASSWORD}
    )
    assert response.status_code == 409
    assert b"already exists" in response.data
    with app.app_context():
        assert get_db().users.count_documents({}) == 1


def test_forms_without_csrf_token_are_rejected(client, app):
    response = client.post(
        "/register", data={"email": "csrf@example.com", "password": web.PASSWORD}
    )
    assert response.status_code == 400
    assert b"Reload the page" in response.data
    with app.app_context():
        assert get_db().users.count_documents({}) == 0
    wrong = client.post(
        "/register",
        data={"email": "csrf@example.com", "password": web.PASSWORD, "csrf_token": "forged"},
    )
    assert wrong.status_code == 400


@pytest.fixture
def limited_config(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_SIGNIN="3 per minute")
    return app_config


def test_sign_in_is_rate_limited(limited_config, client, app):
    web.create_user(app, "limit@example.com")
    statuses = [
        web.post_form(
            client, "/login", {"email": "limit@example.com", "password": "wrong password"}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    blocked = web.post_form(
        client, "/login", {"email": "limit@example.com", "password": web.PASSWORD}
    )
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data


def test_remember_me_sets_a_persistent_cookie(client, app):
    web.create_user(app, "remember@example.com")
    response = web.login(client, "remember@example.com", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "Expires=" in remember[0]
    session = [c for c in cookies if c.startswith("session=")]
    assert session and "HttpOnly" in session[0] and "SameSite=Lax" in session[0]


def test_change_password_and_profile(client, app):
    web.create_user(app, "pw@example.com")
    web.login(client, "pw@example.com")
    wrong = web.post_form(
        client,
        "/account/password",
        {
            "current_password": "nope nope",
            "new_password": "brand new pass",
            "confirm_password": "brand new pass",
        },
        page="/account",
    )
    assert wrong.status_code == 401
    ok = web.post_form(
        client,
        "/account/password",
        {
            "current_password": web.PASSWORD,
            "new_password": "brand new pass",
            "confirm_password": "brand new pass",
        },
        page="/account",
    )
    assert ok.status_code == 302
    profile = web.post_form(
        client,
        "/account/profile",
        {"display_name": "Pat", "notification_email": "alerts@example.com"},
        page="/account",
    )
    assert profile.status_code == 302
    user = web.get_user(app, "pw@example.com")
    assert (user.display_name, user.notification_email) == ("Pat", "alerts@example.com")
    web.post_form(client, "/logout", page="/")
    web.login(client, "pw@example.com", password="brand new pass")


def test_invite_only_signup(app_config, mongo_uri):
    from app import create_app

    app_config["SIGNUP"] = "invite"
    application = create_app(app_config)
    client = application.test_client()
    first = web.post_form(
        client, "/register", {"email": "boss@example.com", "password": web.PASSWORD}
    )
    assert first.status_code == 302, "the very first account can always register"
    web.post_form(client, "/logout", page="/")
    second = web.post_form(
        client, "/register", {"email": "late@example.com", "password": web.PASSWORD}
    )
    assert second.status_code == 403
    assert b"by invitation" in second.data


def test_site_admin_disables_an_account(client, app):
    web.create_user(app, "root@example.com")
    victim = web.create_user(app, "victim@example.com")
    token = web.create_token(app, victim)
    web.login(client, "root@example.com")
    response = web.post_form(
        client, f"/admin/users/{victim.id}/disabled", {"disabled": "1"}, page="/admin/users"
    )
    assert response.status_code == 302
    other = app.test_client()
    refused = web.post_form(
        other, "/login", {"email": "victim@example.com", "password": web.PASSWORD}
    )
    assert refused.status_code == 401 and b"disabled" in refused.data
    assert other.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_non_admin_cannot_open_admin_pages(client, app):
    web.create_user(app, "root@example.com")
    web.create_user(app, "plain@example.com")
    web.login(client, "plain@example.com")
    assert client.get("/admin/users").status_code == 403


def test_no_traceback_or_path_in_error_pages(client, app):
    response = client.get("/does/not/exist")
    assert response.status_code == 404
    assert b"Traceback" not in response.data and b".py" not in response.data
