"""Talking: ``say`` (screen → store → ack → deliver) and ``typing``.

The message path in one place:
  1. the sender must be in the session (checked here, and again atomically in ``say.lua``);
  2. moderation screens the text: personal data is masked; a seeker's text is scored in the
     context of the conversation so far;
  3. ``say.lua`` stores it in the session's stream, gives it its ``seq`` and publishes it to the
     processes holding the other participants, in one round trip;
  4. only then the sender gets ``ack`` and participants on this process get ``message``;
  5. a flagged message goes to staff as ``flag``, and may raise an alert.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from . import protocol as p
from .sessions import SessionStore, Stored

if TYPE_CHECKING:
    from moderation import Verdict

    from .connection import Connection
    from .services import Services


@dataclass(slots=True)
class Saying:
    """A ``say`` checked and screened (steps 1-2), on its way to the store."""

    sid: str
    role: str
    text: str
    """As delivered: personal data masked."""
    ref: str | None
    resend: bool
    verdict: Verdict | None
    """The seeker's screening; None for staff lines (masked only)."""
    risk: str
    """The seeker's updated risk context, as stored with the session ('' = unchanged)."""


class Talk:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def say(self, conn: Connection, frame: p.Say) -> None:
        """The whole path as one coroutine. ``Connection`` runs the same steps without a task
        for a participant's ``say`` (``screen``, ``store_call``, ``stored``, ``flagged``)."""
        saying = self.screen(conn, frame)
        if saying is None:
            raise await self.svc.lifecycle.refusal(conn, frame.session)
        reply = await self.svc.runner.run_packed(self.store_call(conn, saying))
        stored = SessionStore.stored(reply)
        if self.stored(conn, saying, stored):
            await self.flagged(saying, stored)

    def screen(self, conn: Connection, frame: p.Say) -> Saying | None:
        """Steps 1-2; None when the sender is not in the session (``lifecycle.refusal`` says
        why, from Redis)."""
        sid = frame.session
        role = conn.sessions.get(sid)
        if role is None:
            return None
        text = frame.text.strip()  # ``parse_frame`` has checked it (``check_text``)
        escalation = self.svc.escalation
        if role == "seeker":
            before = conn.risk.get(sid)
            verdict = escalation.screen(text, conn.lang, before)
            # A quiet conversation's context stops changing once its window is full of quiet
            # lines: then there is nothing to store again.
            risk = ("" if verdict.context == before
                    else orjson.dumps(verdict.context.to_dict()).decode())
            return Saying(sid, role, verdict.masked, frame.ref, frame.resend, verdict, risk)
        return Saying(sid, role, escalation.mask(text), frame.ref, frame.resend, None, "")

    def store_call(self, conn: Connection, saying: Saying) -> bytes:
        """Step 3, the ``say.lua`` call (for ``ScriptRunner.run_packed`` or ``submit_packed``)."""
        sessions = self.svc.sessions
        head = conn.say_heads.get(saying.sid)
        if head is None:
            head = conn.say_heads[saying.sid] = sessions.say_head(
                saying.sid, conn.uid or "", saying.role, conn.alias)
        severity = saying.verdict.severity if saying.verdict is not None else 0
        return sessions.say_command(head, conn.uid or "", saying.text, severity, saying.risk,
                                    saying.ref, saying.resend)

    def stored(self, conn: Connection, saying: Saying, stored: Stored) -> bool:
        """Step 4: ``ack`` to the sender, ``message`` to the others on this process. True when
        staff must be told (step 5, ``flagged``)."""
        svc = self.svc
        sid = saying.sid
        conn.send(p.with_ref({"type": "ack", "session": sid, "id": stored.id, "ts": stored.ts,
                              "seq": stored.seq, "text": saying.text}, saying.ref))
        if stored.duplicate:
            return False  # already delivered (and screened) the first time
        verdict = saying.verdict
        if verdict is not None:
            conn.risk[sid] = verdict.context
        svc.hub.deliver_session(
            sid,
            {"type": "message", "session": sid, "id": stored.id, "from": saying.role,
             "alias": conn.alias, "text": saying.text, "ts": stored.ts, "seq": stored.seq},
            exclude=conn.uid,
        )
        svc.metrics.message_stored(saying.role)
        return verdict is not None and verdict.severity > 0

    async def flagged(self, saying: Saying, stored: Stored) -> None:
        """Step 5: a flagged line goes to staff as ``flag``, and may raise an alert."""
        assert saying.verdict is not None
        await self.svc.escalation.flagged(saying.sid, stored.id, saying.text, saying.verdict)

    async def typing(self, conn: Connection, frame: p.Typing) -> None:
        sid = frame.session
        role = conn.sessions.get(sid)
        if role is None:
            raise await self.svc.lifecycle.refusal(conn, sid)
        event: dict[str, Any] = {"type": "typing", "session": sid, "from": role}
        await self.svc.hub.to_session(sid, event, exclude=conn.uid, sender=(conn.uid or "", role))

    async def ping(self, conn: Connection, frame: p.Ping) -> None:
        conn.send(p.with_ref({"type": "pong", "ts": int(time.time() * 1000)}, frame.ref))
