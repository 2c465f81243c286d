"""Typed records read from Redis: what a session, an alert and a store's answers hold.

The session hash's fields are written by ``sessions.py`` and the Lua scripts beside it
(``say.lua`` bumps ``seq``, ``max_sev``, ``risk``; ``raise_alert.lua`` sets ``alert`` and
``escalated``; ``claim_alert.lua`` the counselor; ``end_session.lua`` the end); every reader
goes through ``Session.from_hash``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _text(raw: dict[bytes, bytes], name: bytes) -> str:
    value = raw.get(name)
    return value.decode() if value else ""


def _int(raw: dict[bytes, bytes], name: bytes) -> int:
    value = raw.get(name)
    return int(value) if value else 0


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    state: str
    """queued → active → ended."""
    seeker: str
    helper: str
    counselor: str
    former_helper: str
    """The helper a counselor took the session over from."""
    taken_over: str
    """The counselor who took it over."""
    seeker_alias: str
    helper_alias: str
    counselor_alias: str
    topic: str
    lang: str
    note: str
    """The request's note, masked."""
    alert: str
    """The session's current alert ('' = none)."""
    max_sev: int
    note_sev: int
    note_cats: list[str]
    seq: int
    created: int
    risk: str
    """The seeker's moderation context (JSON), as ``say.lua`` stores it."""
    watch_sev: int
    watch: str
    """The watch-list frame (JSON) last sent for this session."""
    feedback: bool
    ended_by: str
    end_reason: str
    monitors: dict[str, str] = field(default_factory=dict)
    """Supervisors watching (uid → alias): staff-only, never in anything a seeker is sent."""
    handover_note: str = ""
    """The last helper's staff-only note when they handed the session on."""
    transferred_from: str = ""
    """The helper who last handed the session on (never given it back)."""
    transfer_pending: bool = False
    """Handed back to the queue: the next helper's ``matched`` says it was transferred."""

    @classmethod
    def from_hash(cls, sid: str, raw: dict[Any, Any]) -> Session | None:
        if not raw:
            return None
        return cls(
            sid=sid, state=_text(raw, b"state"), seeker=_text(raw, b"seeker"),
            helper=_text(raw, b"helper"), counselor=_text(raw, b"counselor"),
            former_helper=_text(raw, b"former_helper"), taken_over=_text(raw, b"taken_over"),
            seeker_alias=_text(raw, b"seeker_alias"), helper_alias=_text(raw, b"helper_alias"),
            counselor_alias=_text(raw, b"counselor_alias"), topic=_text(raw, b"topic"),
            lang=_text(raw, b"lang"), note=_text(raw, b"note"), alert=_text(raw, b"alert"),
            max_sev=_int(raw, b"max_sev"), note_sev=_int(raw, b"note_sev"),
            note_cats=[c for c in _text(raw, b"note_cats").split(",") if c],
            seq=_int(raw, b"seq"), created=_int(raw, b"created"), risk=_text(raw, b"risk"),
            watch_sev=_int(raw, b"watch_sev"), watch=_text(raw, b"watch"),
            feedback=bool(raw.get(b"feedback")), ended_by=_text(raw, b"ended_by"),
            end_reason=_text(raw, b"end_reason"),
            monitors={k[4:].decode(): v.decode() for k, v in raw.items()
                      if k.startswith(b"mon.")},
            handover_note=_text(raw, b"handover_note"),
            transferred_from=_text(raw, b"transferred_from"),
            transfer_pending=raw.get(b"transfer_pending") == b"1",
        )

    @property
    def members(self) -> dict[str, str]:
        """``{role: uid}`` of who is in the session now."""
        return {"seeker": self.seeker, "helper": self.helper, "counselor": self.counselor}

    def alias_of(self, role: str) -> str:
        return {"seeker": self.seeker_alias, "helper": self.helper_alias,
                "counselor": self.counselor_alias}.get(role, "")

    @property
    def ended(self) -> bool:
        return self.state == "ended"


@dataclass(frozen=True, slots=True)
class Alert:
    aid: str
    sid: str
    state: str
    """open → claimed → resolved (claimed → open again if its counselor is gone)."""
    severity: int
    excerpt: str
    reason: str
    categories: list[str]
    raised_at: int
    raised_by: str
    message: str
    tier: int
    """How far it has gone: 0 not yet delivered, a tier, or ``policy.ALL_TIERS``."""
    claimed_by: str
    outcome: str = ""
    note: str = ""
    """The resolving counselor's note (staff only)."""

    @classmethod
    def from_hash(cls, aid: str, raw: dict[Any, Any]) -> Alert | None:
        if not raw:
            return None
        return cls(
            aid=aid, sid=_text(raw, b"session"), state=_text(raw, b"state"),
            severity=_int(raw, b"severity"), excerpt=_text(raw, b"excerpt"),
            reason=_text(raw, b"reason"),
            categories=[c for c in _text(raw, b"categories").split(",") if c],
            raised_at=_int(raw, b"raised_at"), raised_by=_text(raw, b"raised_by"),
            message=_text(raw, b"message"), tier=_int(raw, b"tier"),
            claimed_by=_text(raw, b"claimed_by"), outcome=_text(raw, b"outcome"),
            note=_text(raw, b"note"),
        )


@dataclass(frozen=True, slots=True)
class Stored:
    """``say.lua``'s answer: the message as stored."""

    id: str
    seq: int
    ts: int
    duplicate: bool = False
    """The sender had already sent this ``ref``: nothing new was stored."""
    nodes: tuple[str, ...] = ()
    """The processes still to be sent the message, when ``say.lua`` did not publish it itself
    (durability ``replica``: the caller publishes once a replica holds it)."""


@dataclass(frozen=True, slots=True)
class Ended:
    """``end_session.lua``'s answer: who was in the session it ended."""

    seeker: str
    helper: str
    counselor: str
    escalated: bool


@dataclass(frozen=True, slots=True)
class Claim:
    """``claim_alert.lua``'s answer: ``won`` with the session, or who holds it."""

    won: bool
    sid: str = ""


def decode_map(raw: dict[Any, Any]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}
