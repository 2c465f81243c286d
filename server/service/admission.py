"""Admission of new anonymous identities: a per-process budget, then a proof-of-work.

Under normal load a plain ``{"type":"hello","role":"seeker"}`` is welcomed at once, as the
contract says. Each process admits ``burst`` new identities at once, refilled at ``per_s`` a
second; beyond that a new-seeker ``hello`` must carry ``proof`` answering a challenge the server
sends in a ``proof_required`` error (``core/proof.py``). The connection stays open, so the
client solves it and says ``hello`` again. Returning seekers (a valid ``resume``) never pay.

The difficulty rises with the flood: one more bit (twice the work) for each doubling of the
recent rate of new identities over the budget, up to ``max_extra_bits``. A challenge can be
answered once (answered challenges are remembered until they expire) and only within
``max_age_s``. Nothing here identifies anyone: no address, no device, only counts.
"""

from __future__ import annotations

import math
import secrets
import time

from ..core import proof
from ..core.errors import ProofRequired
from ..core.ratelimit import TokenBucket

_HALF_LIFE_S = 10.0


class Admission:
    def __init__(self, burst: int, per_s: float, bits: int, max_extra_bits: int = 4,
                 max_age_s: float = 120.0) -> None:
        self.bucket = TokenBucket(burst, per_s)
        self.per_s = per_s
        self.bits = bits
        self.max_extra_bits = max_extra_bits
        self.max_age_ms = int(max_age_s * 1000)
        self._secret = secrets.token_bytes(32)
        self._used: dict[str, float] = {}
        self._rate = 0.0
        self._rate_at = time.monotonic()
        self.proofs_asked = 0
        self.proofs_accepted = 0

    def admit(self, answer: tuple[str, str] | None) -> None:
        """Let one new identity in, or raise ``ProofRequired`` with a fresh challenge.
        ``answer`` is the hello's ``(challenge, nonce)``, if it carried one."""
        now = time.monotonic()
        self._observe(now)
        if self.bits <= 0:
            return
        if answer is not None and self._accept(answer, now):
            self.proofs_accepted += 1
            return
        if answer is None and self.bucket.take(now):
            return
        self.proofs_asked += 1
        bits = self.difficulty()
        raise ProofRequired("many new visitors right now: your browser must solve a small "
                            "puzzle first", proof.issue(self._secret, bits, _now_ms()), bits)

    def difficulty(self) -> int:
        """Base bits, plus one per doubling of the recent new-identity rate over the budget."""
        over = self._rate / max(self.per_s, 1e-9)
        extra = int(math.log2(over)) if over > 1 else 0
        return self.bits + min(self.max_extra_bits, extra)

    def _accept(self, answer: tuple[str, str], now: float) -> bool:
        challenge, nonce = answer
        if challenge in self._used:
            return False
        if not proof.check(self._secret, challenge, nonce, _now_ms(), self.max_age_ms):
            return False
        self._forget_old(now)
        self._used[challenge] = now + self.max_age_ms / 1000
        return True

    def _forget_old(self, now: float) -> None:
        # Insertion order is expiry order (one fixed max age): drop from the front.
        while self._used:
            first, expires = next(iter(self._used.items()))
            if expires > now:
                return
            del self._used[first]

    def _observe(self, now: float) -> None:
        """Count one new-identity hello in an exponentially decaying rate (per second, with a
        10 s half-life: each event weighs 1/τ, τ = 10 s / ln 2)."""
        elapsed = now - self._rate_at
        self._rate_at = now
        self._rate = self._rate * 0.5 ** (elapsed / _HALF_LIFE_S) + math.log(2) / _HALF_LIFE_S


def _now_ms() -> int:
    return int(time.time() * 1000)
