"""A returning person's missed messages, read from the transcripts one page at a time.

Why pages: a resume used to read every missed message of every session into memory and queue
them all at once, past the outbox's limit, so a client that resumed a long transcript and then
did not read held the whole of it in the server (ten such resumes of a 6,000-message transcript
took a process from 88 to 482 MB). The transport now asks for the next page only when the
connection's outbox has drained below its low-water mark and its socket is writable again, so a
replay costs at most a page or two of memory however long the transcript and however slow the
reader.
"""

from __future__ import annotations

from ..core.frames import Frame
from ..store.sessions import SessionStore
from ..store.supervision import SupervisionStore


class Replay:
    """The messages after each session's ``last_seen`` id, in order, session after session.

    ``replayed`` maps each session to the last ``seq`` handed out, so that live messages held
    back during the replay can be dropped when they were already in it. With ``staff_log``
    (staff only, never a seeker), each session's staff log (whispers, notes, handover notes)
    follows its messages, in pages of the same size.
    """

    def __init__(self, sessions: SessionStore, plan: list[tuple[str, str | None]],
                 for_staff: bool, staff_log: SupervisionStore | None = None) -> None:
        self.sessions = sessions
        self.plan = list(plan)
        """(session, the last message id already seen, or None for all), in replay order."""
        self.for_staff = for_staff
        self.staff_log = staff_log
        self.replayed: dict[str, int] = {}
        self._pending: list[Frame] = []
        """The staff log of the session just finished, still to hand out."""

    async def next_page(self, size: int) -> list[Frame]:
        """Up to ``size`` more frames, all of one session; an empty list once all are out."""
        while True:
            if self._pending:
                page, self._pending = self._pending[:size], self._pending[size:]
                return page
            if not self.plan:
                return []
            sid, after = self.plan[0]
            page = await self.sessions.messages(sid, after, for_staff=self.for_staff, count=size)
            if page:
                self.plan[0] = (sid, page[-1]["id"])
                self.replayed[sid] = page[-1]["seq"]
                if len(page) < size:
                    await self._finished(sid)  # the end of this transcript, as of this read
                return page
            await self._finished(sid)

    async def _finished(self, sid: str) -> None:
        self.plan.pop(0)
        if self.staff_log is not None:
            self._pending = list(await self.staff_log.log(sid))
