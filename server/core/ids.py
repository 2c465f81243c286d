"""Unguessable ids and tokens, and the digests under which tokens are stored."""

from __future__ import annotations

import hashlib
import secrets


def new_id() -> str:
    """A session or alert id: 128 random bits, URL-safe, 22 characters, never starting with
    ``-`` (an operator types alert ids as command arguments: ``peerline alerts show ID`` read
    ``-KKj…`` as an option, one id in 64)."""
    while True:
        value = secrets.token_urlsafe(16)
        if not value.startswith("-"):
            return value


def new_token() -> str:
    """A resume or staff token: 256 random bits. Only its digest is stored."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """SHA-256 of a high-entropy token: enough to store it safely (no need for a slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()
