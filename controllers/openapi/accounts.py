"""Tokens and identity in the OpenAPI document."""

from controllers.openapi.building import ID, TEXT, body, json_response, list_of, obj, operation, ref
from entity.token import DEFAULT_EXPIRY, EXPIRY_CHOICES


def paths():
    """{path: {method: operation}} of this area."""
    expires = {"enum": list(EXPIRY_CHOICES), "default": DEFAULT_EXPIRY}
    credentials = obj(["email", "password"], email=TEXT, password=TEXT, name=TEXT, expires=expires)
    me = obj(["id", "email"], id=ID, email=TEXT, display_name=TEXT, workspace={})
    workspace = obj(["id", "name", "role"], id=ID, name=TEXT, personal={}, role=TEXT)
    return {
        "/openapi.json": {
            "get": operation(
                "This document.", None, {"200": json_response({"type": "object"})}, public=True
            )
        },
        "/tokens": {
            "post": operation(
                "Exchange credentials for a personal access token.",
                None,
                {"201": json_response(ref("NewToken"), "Created; the token is shown only here.")},
                request=body(credentials),
                public=True,
            ),
            "get": operation(
                "Your personal tokens, with their last use and expiry.",
                None,
                {"200": json_response(list_of(ref("Token"), "tokens"))},
            ),
        },
        "/me": {"get": operation("Who you are.", None, {"200": json_response(me)})},
        "/workspaces": {
            "get": operation(
                "The workspaces you belong to.",
                None,
                {"200": json_response({"type": "array", "items": workspace})},
            )
        },
    }
