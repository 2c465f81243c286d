"""The error for a frame that names a session its sender is not in (read from Redis)."""

from __future__ import annotations

from ..core.errors import NotInSession, SessionEnded
from ..core.participant import Participant
from ..core.policy import refusal
from ..store.sessions import SessionStore


async def refusal_for(sessions: SessionStore, who: Participant,
                      sid: str) -> NotInSession | SessionEnded:
    session = await sessions.get(sid)
    if session is None:
        return refusal(None, {}, "", who.uid)
    return refusal(session.state, session.members, session.former_helper, who.uid)
