"""A small proof-of-work for new anonymous identities: pure functions, no I/O.

Why: anonymous use must stay free of accounts and of anything that identifies a person, yet a
script could mint identities (and queue entries) as fast as it can open sockets (issue 16,
defect 7: 300 fresh identities in 1.5 s put a real seeker at position 304). Beyond a per-process
budget, a new identity costs a few seconds of hashing on the client: nothing for one student,
a real cost for a flood.

The server issues ``challenge`` = ``<issued ms>.<random>.<MAC>`` (MAC with a per-process secret,
so no state is kept until it is answered); the client finds a ``nonce`` (any string of up to 64
characters) such that SHA-256(``challenge`` + ":" + ``nonce``) starts with ``bits`` zero bits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

MAX_NONCE_CHARS = 64


def leading_zero_bits(digest: bytes) -> int:
    """How many zero bits ``digest`` starts with."""
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        return count + 8 - byte.bit_length()
    return count


def _mac(secret: bytes, body: str) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:32]


def issue(secret: bytes, bits: int, now_ms: int) -> str:
    """A fresh challenge of ``bits`` difficulty (the difficulty is inside the MAC)."""
    body = f"{now_ms}.{bits}.{secrets.token_urlsafe(12)}"
    return f"{body}.{_mac(secret, body)}"


def check(secret: bytes, challenge: str, nonce: str, now_ms: int, max_age_ms: int) -> bool:
    """Whether ``nonce`` answers ``challenge``: issued here, fresh, and hashed to enough zeros.
    Whether it was already used is the caller's business (``Admission`` remembers)."""
    if len(challenge) > 200 or not 0 < len(nonce) <= MAX_NONCE_CHARS:
        return False
    body, _, mac = challenge.rpartition(".")
    if not hmac.compare_digest(mac, _mac(secret, body)):
        return False
    issued, bits, _ = body.split(".", 2)
    if not 0 <= now_ms - int(issued) <= max_age_ms:
        return False
    work = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return leading_zero_bits(work) >= int(bits)


def solve(challenge: str, bits: int) -> str:
    """A nonce for ``challenge`` (what a client does; used by tests and the load generator)."""
    prefix = (challenge + ":").encode()
    n = 0
    while True:
        nonce = str(n)
        if leading_zero_bits(hashlib.sha256(prefix + nonce.encode()).digest()) >= bits:
            return nonce
        n += 1
