"""Password and token hashing."""

import functools
import hashlib
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

TOKEN_PREFIX = "mlp_"


@functools.cache
def _dummy_hash():
    """A hash of a random password, checked when the account does not exist, so that an
    unknown email takes as long as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def hash_password(password):
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash, password):
    return check_password_hash(password_hash or _dummy_hash(), password) and bool(password_hash)


def new_token():
    """Return a new personal access token; only its hash is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()
