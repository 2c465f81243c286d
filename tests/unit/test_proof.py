"""The new-identity proof-of-work (server/core/proof.py) and its admission budget."""

from __future__ import annotations

import hashlib

import pytest

from server.core import proof
from server.core.errors import ProofRequired
from server.service.admission import Admission

SECRET = b"k" * 32


def test_leading_zero_bits() -> None:
    assert proof.leading_zero_bits(b"\x00\x00\x80") == 16
    assert proof.leading_zero_bits(b"\x00\x01") == 15
    assert proof.leading_zero_bits(b"\xff") == 0
    assert proof.leading_zero_bits(b"\x00\x00") == 16


def test_a_solved_challenge_checks_and_nothing_else_does() -> None:
    challenge = proof.issue(SECRET, 10, now_ms=1_000_000)
    nonce = proof.solve(challenge, 10)
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    assert proof.leading_zero_bits(digest) >= 10
    assert proof.check(SECRET, challenge, nonce, 1_000_500, 120_000)
    assert not proof.check(b"x" * 32, challenge, nonce, 1_000_500, 120_000)  # another process
    assert not proof.check(SECRET, challenge, nonce, 1_200_001, 120_000)  # too old
    # The difficulty is inside the MAC: lowering it breaks the challenge.
    issued, bits, rand, mac = challenge.split(".")
    assert not proof.check(SECRET, f"{issued}.0.{rand}.{mac}", "1", 1_000_500, 120_000)
    assert not proof.check(SECRET, challenge, "", 1_000_500, 120_000)
    assert not proof.check(SECRET, challenge, "n" * 65, 1_000_500, 120_000)


def test_admission_asks_beyond_the_budget_and_harder_under_a_flood() -> None:
    admission = Admission(burst=3, per_s=0.5, bits=6, max_extra_bits=4)
    for _ in range(3):
        admission.admit(None)
    with pytest.raises(ProofRequired) as first:
        admission.admit(None)
    assert first.value.bits >= 6
    for _ in range(200):
        with pytest.raises(ProofRequired) as later:
            admission.admit(None)
    assert later.value.bits == 10  # base + the cap: the flood is far over the budget
    answer = (later.value.challenge, proof.solve(later.value.challenge, later.value.bits))
    admission.admit(answer)
    with pytest.raises(ProofRequired):
        admission.admit(answer)  # once only


def test_admission_off() -> None:
    admission = Admission(burst=0, per_s=0, bits=0)
    for _ in range(100):
        admission.admit(None)
