"""Frame dispatch: each validated client frame to the use case that owns it, with the opening
(``hello`` first, once) and the roles enforced here, in one table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..core import protocol as p
from ..core.errors import Forbidden, ProtocolError
from ..core.participant import MONITOR
from ..core.policy import may_send
from .blocking import Blocking
from .early_warning import EarlyWarning
from .escalation import Escalation
from .handover import Handover
from .lifecycle import Lifecycle
from .matchmaking import Matchmaking
from .oncall import OnCall
from .passup import PassUp
from .ports import Reply
from .sharing import Sharing
from .supervision import Supervision
from .talk import Talk
from .welcome import Welcome

Handler = Callable[[Reply, Any], Awaitable[None]]


class Dispatch:
    def __init__(self, *, welcome: Welcome, talk: Talk, lifecycle: Lifecycle,
                 matchmaking: Matchmaking, escalation: Escalation, oncall: OnCall,
                 supervision: Supervision, handover: Handover, blocking: Blocking,
                 sharing: Sharing | None = None, passup: PassUp | None = None,
                 early_warning: EarlyWarning | None = None) -> None:
        self.welcome = welcome
        self.talk = talk

        async def ping(r: Reply, f: p.Ping) -> None:
            talk.ping(r, f.ref)

        async def leave(r: Reply, f: p.Leave) -> None:
            if r.who.role_in(f.session) == MONITOR:  # a supervisor stops watching, no more
                await supervision.unmonitor(r.who, r, f.session, f.ref)
            else:
                await lifecycle.leave(r.who, r, f.session, f.ref)

        async def status(r: Reply, f: p.Status) -> None:
            if r.who.role == "counselor":
                await oncall.status(r.who, r, f.on_call, f.ref)
            elif r.who.role == "admin":
                # An admin is not in the on-call rota (it sees every counselor frame anyway):
                # its status is answered, never changed.
                await oncall.status(r.who, r, None, f.ref)
            else:
                await matchmaking.status(r.who, r, f)

        self._routes: dict[type[Any], tuple[str, Handler]] = {
            p.Say: ("*", talk.say),
            p.Typing: ("*", lambda r, f: talk.typing(r.who, r, f)),
            p.Leave: ("*", leave),
            p.Ping: ("*", ping),
            p.Request: ("seeker", lambda r, f: matchmaking.request(r.who, r, f)),
            p.Feedback: ("seeker", lambda r, f: lifecycle.feedback(
                r.who, r, f.session, f.rating, f.feeling, f.ref, f.mood)),
            p.Status: ("staff", status),
            p.Escalate: ("helper", lambda r, f: escalation.escalate(
                r.who, r, f.session, f.reason, f.ref)),
            p.Claim: ("counselor", lambda r, f: escalation.claim(r.who, r, f.alert, f.ref)),
            p.Join: ("counselor", lambda r, f: supervision.join(r.who, r, f.session, f.ref)),
            p.Takeover: ("counselor", lambda r, f: supervision.takeover(
                r.who, r, f.session, f.ref)),
            p.Resolve: ("counselor", lambda r, f: escalation.resolve(
                r.who, r, f.alert, f.outcome, f.ref, f.note)),
            # Supervision and handover (PROTOCOL.md v1.1).
            p.Monitor: ("supervisor", lambda r, f: supervision.monitor(
                r.who, r, f.session, f.ref)),
            p.Unmonitor: ("supervisor", lambda r, f: supervision.unmonitor(
                r.who, r, f.session, f.ref)),
            p.Whisper: ("staff", lambda r, f: supervision.whisper(r.who, r, f)),
            p.Note: ("staff", lambda r, f: supervision.note(r.who, r, f)),
            p.Transfer: ("helper", lambda r, f: handover.transfer(r.who, r, f)),
            p.Block: ("*", lambda r, f: blocking.block(r.who, r, f)),
        }
        if sharing is not None:  # cards in a chat (between chats: library items, mood)
            self._routes[p.Share] = ("*", sharing.share)
        if early_warning is not None:  # issue 19: admins and counselors acknowledge warnings
            self._routes[p.AckWarning] = ("*", lambda r, f: early_warning.ack_frame(
                r.who, r, f.warning, f.ref))
        if passup is not None:  # the school's network: department counselors pass up
            self._routes[p.Claim] = ("counselor", lambda r, f: passup.claim(
                r.who, r, f.alert, f.ref))
            self._routes[p.PassUp] = ("counselor", lambda r, f: passup.pass_up(
                r.who, r, f.alert, f.reason, f.ref))

    async def dispatch(self, reply: Reply, frame: Any, expect_hello: bool) -> None:
        """Route one validated frame to the code that owns it, enforcing the opening and roles."""
        if isinstance(frame, p.Hello):
            if not expect_hello:
                raise ProtocolError("hello was already received on this connection")
            await self.welcome.hello(reply, frame)
            return
        if expect_hello:
            raise ProtocolError("the first frame must be hello")
        who, handler = self._routes[type(frame)]
        if not may_send(who, reply.who.role):
            raise Forbidden(f"a {reply.who.role} cannot send {frame.type}")
        await handler(reply, frame)
