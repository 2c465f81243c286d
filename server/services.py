"""Everything one server process shares, made once in the app's lifespan, and frame dispatch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from matching import MatchQueue

from . import protocol as p
from .errors import Forbidden, ProtocolError
from .flushing import FlushTurn
from .hub import Hub
from .metrics import Metrics
from .redis_setup import Keys
from .scripts import ScriptRunner
from .seekers import SeekerStore
from .sessions import SessionStore
from .settings import Settings
from .staff import StaffStore

if TYPE_CHECKING:
    from moderation import Moderator

    from .connection import Connection
    from .escalation import Escalation
    from .lifecycle import Lifecycle
    from .matchmaker import Matchmaker
    from .nodes import Nodes
    from .oncall import OnCall
    from .talk import Talk
    from .welcome import Welcome

log = logging.getLogger("peerline")


@dataclass
class Services:
    settings: Settings
    redis: aioredis.Redis
    keys: Keys
    node: str
    runner: ScriptRunner
    staff: StaffStore
    seekers: SeekerStore
    sessions: SessionStore
    queue: MatchQueue
    hub: Hub
    moderator: Moderator
    metrics: Metrics
    welcome: Welcome = field(init=False)
    matchmaker: Matchmaker = field(init=False)
    talk: Talk = field(init=False)
    escalation: Escalation = field(init=False)
    lifecycle: Lifecycle = field(init=False)
    nodes: Nodes = field(init=False)
    oncall: OnCall = field(init=False)
    flush_turn: FlushTurn = field(init=False)

    @property
    def stopping(self) -> asyncio.Event:
        return self.hub.stopping

    def __post_init__(self) -> None:
        from .escalation import Escalation
        from .lifecycle import Lifecycle
        from .matchmaker import Matchmaker
        from .nodes import Nodes
        from .oncall import OnCall
        from .talk import Talk
        from .welcome import Welcome

        self.flush_turn = FlushTurn()
        self.welcome = Welcome(self)
        self.matchmaker = Matchmaker(self)
        self.talk = Talk(self)
        self.escalation = Escalation(self)
        self.lifecycle = Lifecycle(self)
        self.nodes = Nodes(self)
        self.oncall = OnCall(self)
        self.hub.on_queued = self.matchmaker.watch_position
        self._routes: dict[type[Any], tuple[str, Callable[[Connection, Any], Awaitable[None]]]] = {
            p.Say: ("*", self.talk.say),
            p.Typing: ("*", self.talk.typing),
            p.Leave: ("*", self.lifecycle.leave),
            p.Ping: ("*", self.talk.ping),
            p.Request: ("seeker", self.matchmaker.request),
            p.Feedback: ("seeker", self.lifecycle.feedback),
            p.Status: ("staff", self.matchmaker.status),
            p.Escalate: ("helper", self.escalation.escalate),
            p.Claim: ("counselor", self.escalation.claim),
            p.Join: ("counselor", self.escalation.join),
            p.Takeover: ("counselor", self.escalation.takeover),
            p.Resolve: ("counselor", self.escalation.resolve),
        }

    async def dispatch(self, conn: Connection, frame: Any, expect_hello: bool) -> None:
        """Route one validated frame to the code that owns it, enforcing the opening and roles."""
        if isinstance(frame, p.Hello):
            if not expect_hello:
                raise ProtocolError("hello was already received on this connection")
            await self.welcome.hello(conn, frame)
            return
        if expect_hello:
            raise ProtocolError("the first frame must be hello")
        who, handler = self._routes[type(frame)]
        if who != "*" and who != conn.role and not (
            who == "staff" and conn.role in ("helper", "counselor")
        ):
            raise Forbidden(f"a {conn.role} cannot send {frame.type}")
        await handler(conn, frame)
