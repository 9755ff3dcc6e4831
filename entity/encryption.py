"""Encryption of secrets at rest (storage credentials) with Fernet under the app's key."""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from exception_layer.errors import AppError


class Encryptor:
    """Encrypt with the first key; decrypt with any (so a key rotation can re-encrypt)."""

    def __init__(self, *keys):
        if not keys or not all(keys):
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    def encrypt(self, text):
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token):
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise AppError(
                "Stored credentials cannot be decrypted with the current encryption key.",
                code="bad_encryption_key",
            ) from exc

    def rotate(self, token):
        return self._fernet.rotate(token.encode()).decode()
