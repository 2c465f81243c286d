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
from typing import TYPE_CHECKING, Any

import orjson

from . import protocol as p

if TYPE_CHECKING:
    from .connection import Connection
    from .services import Services


class Talk:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def say(self, conn: Connection, frame: p.Say) -> None:
        svc = self.svc
        sid = frame.session
        role = conn.sessions.get(sid)
        if role is None:
            raise await self.svc.lifecycle.refusal(conn, sid)
        text = p.check_text(frame.text)
        verdict = None
        risk = ""
        if role == "seeker":
            verdict = svc.escalation.screen(text, conn.lang, conn.risk.get(sid))
            text = verdict.masked
            risk = orjson.dumps(verdict.context.to_dict()).decode()
        else:
            text = svc.escalation.mask(text)
        severity = verdict.severity if verdict is not None else 0
        stored = await svc.sessions.say(sid, conn.uid or "", role, conn.alias, text, severity,
                                        risk, frame.ref, frame.resend)
        conn.send(p.with_ref({"type": "ack", "session": sid, "id": stored.id, "ts": stored.ts,
                              "seq": stored.seq, "text": text}, frame.ref))
        if stored.duplicate:
            return  # already delivered (and screened) the first time
        if verdict is not None:
            conn.risk[sid] = verdict.context
        svc.hub.deliver_session(
            sid,
            {"type": "message", "session": sid, "id": stored.id, "from": role,
             "alias": conn.alias, "text": text, "ts": stored.ts, "seq": stored.seq},
            exclude=conn.uid,
        )
        svc.metrics.message_stored(role)
        if verdict is not None and verdict.severity > 0:
            await svc.escalation.flagged(sid, stored.id, text, verdict)

    async def typing(self, conn: Connection, frame: p.Typing) -> None:
        sid = frame.session
        role = conn.sessions.get(sid)
        if role is None:
            raise await self.svc.lifecycle.refusal(conn, sid)
        event: dict[str, Any] = {"type": "typing", "session": sid, "from": role}
        await self.svc.hub.to_session(sid, event, exclude=conn.uid, sender=(conn.uid or "", role))

    async def ping(self, conn: Connection, frame: p.Ping) -> None:
        conn.send(p.with_ref({"type": "pong", "ts": int(time.time() * 1000)}, frame.ref))
