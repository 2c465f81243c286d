"""Who is speaking on a connection: identity, language and the sessions they are in.

A ``Participant`` is what every use case is given (with a ``Reply`` to answer through): the
socket that carries it is the transport's business. It is filled in by ``hello`` and changed
only by the use cases and the hub's registry (joining and leaving sessions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PEER_ROLES = ("seeker", "helper", "counselor")
STAFF_ROLES = ("helper", "counselor", "admin")
SUPERVISOR_ROLES = ("counselor", "admin")
"""Who may watch over any session (``monitor``)."""
OVERSEER_ROLES = ("admin",)
"""Who gets every counselor frame (alerts, the watch list, warnings) on call or not: the
centre's coordinator sees what happens without taking part in the on-call rota."""
MONITOR = "monitor"
"""A supervisor's role in a session they watch: not a member, never seen by the seeker."""


@dataclass(slots=True, eq=False)
class Participant:
    uid: str = ""
    """Empty until ``hello`` succeeds."""
    role: str = ""
    alias: str = ""
    tier: int = 0
    level: str = ""
    """A counselor's level (``department`` or ``centre``); '' for everyone else."""
    department: str = ""
    """A department counselor's department; '' for everyone else."""
    lang: str | None = None
    """The language moderation reads a seeker's messages in."""
    resume_token: str | None = None
    sessions: dict[str, str] = field(default_factory=dict)
    """Sessions this participant is in (on this connection) → their role in each."""
    risk: dict[str, Any] = field(default_factory=dict)
    """A seeker's running moderation context per session (the seeker's process owns it)."""
    store_heads: dict[str, bytes] = field(default_factory=dict)
    """Per session, the packed start of this sender's store call (see ``service.talk``)."""

    @property
    def known(self) -> bool:
        """``hello`` has succeeded."""
        return bool(self.uid)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def role_in(self, sid: str) -> str | None:
        return self.sessions.get(sid)

    def seeker_session(self) -> str | None:
        """The session this person is the seeker of, if any (a seeker has one open at most)."""
        for sid, role in self.sessions.items():
            if role == "seeker":
                return sid
        return None

    def counselor_sessions(self) -> int:
        return sum(1 for role in self.sessions.values() if role == "counselor")

    def enter(self, sid: str, role: str) -> None:
        self.sessions[sid] = role

    def leave(self, sid: str) -> None:
        self.sessions.pop(sid, None)
        self.store_heads.pop(sid, None)
