"""API keys and session tokens: random secrets, stored only as salted scrypt (keys) or SHA-256
(sessions, which are 256-bit random and short-lived) hashes.

A key reads ``dafu_<key id>_<secret>``: the id (public, shown in the audit trail) finds the stored
hash, the secret is checked against it in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "dafu_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def new_secret() -> tuple[str, str]:
    """(key id, secret)."""
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def compose(key_id: str, secret: str) -> str:
    return f"{PREFIX}{key_id}_{secret}"


def split(key: str) -> tuple[str, str] | None:
    """(key id, secret) of a key as sent, or None when it does not have the shape of one."""
    key = key.strip()
    if not key.startswith(PREFIX):
        return None
    key_id, sep, secret = key[len(PREFIX) :].partition("_")
    if not sep or not key_id or not secret or len(key) > 200:
        return None
    return key_id, secret


def hash_secret(secret: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    """(salt, scrypt hash)."""
    salt = salt or secrets.token_bytes(16)
    return salt, hashlib.scrypt(secret.encode("utf-8", "surrogatepass"), salt=salt, **_SCRYPT)


def verify(secret: str, salt: bytes, digest: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret, salt)[1], digest)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)
