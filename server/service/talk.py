"""Talking: ``say`` (screen → store → ack → deliver → flag) and ``typing``.

The message path, in the order it runs (``transport/connection.py`` calls each step):
  1. ``screen``: the sender must be in the session (checked here, and again atomically in
     ``say.lua``); moderation masks personal data and scores a seeker's text in the context of
     the conversation so far;
  2. ``store_call``: the ``say.lua`` call that stores it in the session's stream, gives it its
     ``seq`` and publishes it to the processes holding the other participants, in one round
     trip (sent without a task by the connection, answered in a callback);
  3. ``stored``: only then the sender gets ``ack`` and participants on this process get
     ``message``;
  4. ``flagged``: a flagged message goes to staff as ``flag``, and may raise an alert.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import orjson

from moderation import Verdict

from ..core import frames
from ..core.errors import Forbidden
from ..core.participant import MONITOR, Participant
from ..core.protocol import Say, Typing
from ..store.records import Stored
from ..store.sessions import SessionStore
from .escalation import Escalation
from .metrics import Metrics
from .ports import Delivery, Reply
from .refusals import refusal_for


@dataclass(slots=True)
class Saying:
    """A ``say`` checked and screened (step 1), on its way to the store."""

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
    def __init__(self, *, sessions: SessionStore, escalation: Escalation, delivery: Delivery,
                 metrics: Metrics) -> None:
        self.sessions = sessions
        self.escalation = escalation
        self.delivery = delivery
        self.metrics = metrics

    def screen(self, who: Participant, frame: Say) -> Saying | None:
        """Step 1; None when the sender is not in the session (``refusal`` says why)."""
        sid = frame.session
        role = who.sessions.get(sid)
        if role is None or role == MONITOR:
            return None
        text = frame.text.strip()  # ``parse_frame`` has checked it (``check_text``)
        if role == "seeker":
            before = who.risk.get(sid)
            verdict = self.escalation.screen(text, who.lang, before)
            # A quiet conversation's context stops changing once its window is full of quiet
            # lines: then there is nothing to store again.
            risk = ("" if verdict.context == before
                    else orjson.dumps(verdict.context.to_dict()).decode())
            return Saying(sid, role, verdict.masked, frame.ref, frame.resend, verdict, risk)
        return Saying(sid, role, self.escalation.mask(text), frame.ref, frame.resend, None, "")

    async def say(self, reply: Reply, frame: Say) -> None:
        """The whole path as one coroutine. The connection runs the same steps without a task
        for a participant's ``say``; this runs when ``screen`` said no there (to say why)."""
        saying = self.screen(reply.who, frame)
        if saying is None and reply.who.role_in(frame.session) == MONITOR:
            raise Forbidden("you are watching this chat: whisper to the helper, or join it")
        if saying is None:
            raise await refusal_for(self.sessions, reply.who, frame.session)
        stored = await self.sessions.store(self.store_call(reply.who, saying))
        if self.stored(reply, saying, stored):
            await self.flagged(saying, stored)

    def store_call(self, who: Participant, saying: Saying) -> bytes:
        """Step 2, the ``say.lua`` call packed in RESP (for ``ScriptRunner.submit_packed``)."""
        sessions = self.sessions
        head = who.store_heads.get(saying.sid)
        if head is None:
            head = who.store_heads[saying.sid] = sessions.say_head(saying.sid, who.uid,
                                                                   saying.role, who.alias)
        severity = saying.verdict.severity if saying.verdict is not None else 0
        return sessions.say_command(head, who.uid, saying.text, severity, saying.risk,
                                    saying.ref, saying.resend)

    def stored(self, reply: Reply, saying: Saying, stored: Stored) -> bool:
        """Step 3: ``ack`` to the sender, ``message`` to the others on this process. True when
        staff must be told (step 4, ``flagged``)."""
        who = reply.who
        sid = saying.sid
        reply.send(frames.ack(sid, saying.ref, id=stored.id, ts=stored.ts, seq=stored.seq,
                              text=saying.text))
        # A re-sent message found stored (``duplicate``) may never have been delivered: its
        # first sending got ``unavailable`` (no replica confirmed it, or its call ran after
        # the reply was given up on), so it goes out again; a connection that already had it
        # drops the second copy (``SessionOrder``).
        self.delivery.deliver_session(
            sid, frames.message(sid, stored.id, saying.role, who.alias, saying.text, stored.ts,
                                stored.seq),
            exclude=who.uid)
        if stored.nodes:  # not published by say.lua (``replica``, a Cluster, a re-send)
            self.delivery.to_nodes(stored.nodes, {
                "k": "msg", "session": sid, "id": stored.id, "seq": stored.seq,
                "from": saying.role, "alias": who.alias, "text": saying.text, "ts": stored.ts})
        if stored.duplicate:
            return False  # screened, counted and flagged the first time
        verdict = saying.verdict
        if verdict is not None:
            who.risk[sid] = verdict.context
        self.metrics.message_stored(saying.role)
        return verdict is not None and verdict.severity > 0

    async def flagged(self, saying: Saying, stored: Stored) -> None:
        """Step 4: a flagged line goes to staff as ``flag``, and may raise an alert."""
        assert saying.verdict is not None
        await self.escalation.flagged(saying.sid, stored.id, saying.text, saying.verdict)

    async def typing(self, who: Participant, reply: Reply, frame: Typing) -> None:
        sid = frame.session
        role = who.sessions.get(sid)
        if role is None:
            raise await refusal_for(self.sessions, who, sid)
        if role == MONITOR:
            return  # a supervisor writing a whisper: nobody, least of all the seeker, is told
        await self.delivery.to_session(sid, frames.typing(sid, role), exclude=who.uid,
                                       sender=(who.uid, role))

    def ping(self, reply: Reply, ref: str | None) -> None:
        reply.send(frames.pong(int(time.time() * 1000), ref))
