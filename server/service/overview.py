"""The supervisor's overview: which conversations are going on now, so a counselor can choose
one to watch over (``monitor``) without waiting for a flag.

It lists no seeker identity at all (no alias, no first words, no token): a session id, its
topic and language, who is helping, since when, how worrying it has been so far, and who is
already watching. The people behind it are found through the staff accounts (each helper's
active sessions in matching, each counselor's sessions), so no new index is kept in Redis.
"""

from __future__ import annotations

from typing import Any

from matching import MatchQueue

from ..store.sessions import SessionStore
from ..store.staff import StaffStore

MAX_LISTED = 500
"""A bound on the answer (a centre has far fewer chats at once)."""


class Overview:
    def __init__(self, *, staff: StaffStore, queue: MatchQueue, sessions: SessionStore) -> None:
        self.staff = staff
        self.queue = queue
        self.sessions = sessions

    async def active(self) -> list[dict[str, Any]]:
        """Active sessions, oldest first, as a supervisor may see them."""
        sids: set[str] = set()
        for account in await self.staff.list():
            if account.role == "helper":
                sids.update(await self.queue.helper_sessions(account.uid))
            else:
                sids.update(await self.sessions.sessions_of(account.uid))
        found = [s for s in await self.sessions.get_many(sorted(sids))
                 if s is not None and s.state == "active" and not s.ended]
        found.sort(key=lambda s: (s.created, s.sid))
        return [{
            "session": s.sid,
            "topic": s.topic or None,
            "lang": s.lang or None,
            "helper": s.helper_alias if s.helper else None,
            "counselor": s.counselor_alias if s.counselor else None,
            "started": s.created or None,
            "max_severity": s.max_sev,
            "alert": s.alert or None,
            "watched_by": sorted(s.monitors.values()),
        } for s in found[:MAX_LISTED]]
