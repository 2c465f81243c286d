"""The opening: ``hello`` → ``welcome``, for new and returning seekers and for staff.

A returning person gets back every session they are in (and any that ended while they were
away), then, per session, every message after their ``last_seen`` id, in order, each once.
"""

from __future__ import annotations

import json
from typing import Any

from matching import MatchQueue
from moderation import RiskContext

from ..core import frames, policy
from ..core.errors import Unauthorized
from ..core.participant import PEER_ROLES, Participant
from ..core.protocol import Hello
from ..store.presence import Presence
from ..store.records import Session
from ..store.seekers import SeekerStore
from ..store.sessions import SessionStore
from ..store.staff import StaffStore
from .lifecycle import Lifecycle
from .matchmaking import Matchmaking
from .metrics import Metrics
from .oncall import OnCall
from .ports import Delivery, Reply

CLOSE_POLICY = 1008
CLOSE_REPLACED = 4000


class Welcome:
    def __init__(self, *, seekers: SeekerStore, staff: StaffStore, sessions: SessionStore,
                 queue: MatchQueue, presence: Presence, delivery: Delivery,
                 lifecycle: Lifecycle, matchmaking: Matchmaking, oncall: OnCall,
                 metrics: Metrics, node: str) -> None:
        self.seekers = seekers
        self.staff = staff
        self.sessions = sessions
        self.queue = queue
        self.presence = presence
        self.delivery = delivery
        self.lifecycle = lifecycle
        self.matchmaking = matchmaking
        self.oncall = oncall
        self.metrics = metrics
        self.node = node

    async def hello(self, reply: Reply, frame: Hello) -> None:
        who = reply.who
        try:
            if frame.role == "seeker":
                await self._seeker(who, frame)
            else:
                await self._staff(who, frame)
        except Unauthorized as exc:
            self.metrics.errors.labels(exc.code).inc()
            reply.send(frames.error(exc.code, exc.detail, frame.ref))
            reply.close(CLOSE_POLICY, "unauthorized")
            return
        # From here until the transcript is replayed, live frames for this person are held back,
        # so that the welcome comes first and no message is delivered twice or out of order.
        reply.hold()
        old = self.delivery.register(reply)
        if old is not None:
            old.close(CLOSE_REPLACED, "replaced by a newer connection")
        self.metrics.connections.labels(who.role).inc()
        elsewhere = await self.presence.arrived(who.uid, who.role)
        if elsewhere is not None:
            self.delivery.replace_elsewhere(who.uid, elsewhere)
        await self.lifecycle.reconnected(who)

        summaries: list[dict[str, Any]] = []
        replay: list[tuple[str, str | None]] = []
        last_seen = frame.last_seen or {}
        for sid in await self.sessions.sessions_of(who.uid):
            session = await self.sessions.get(sid)
            role = policy.role_in(session.members, who.uid) if session is not None else None
            if session is None or role is None:
                await self.sessions.forget_for(who.uid, sid)
                continue
            summaries.append(await self.summary(session, role))
            if session.ended:
                await self.sessions.forget_for(who.uid, sid)
            else:
                self.delivery.join(reply, sid, role)
                if role == "seeker" and session.risk:
                    who.risk[sid] = RiskContext.from_dict(json.loads(session.risk))
                if session.state == "queued" and role == "seeker":
                    self.matchmaking.watch_position(sid, reply)
            if who.role == "seeker" or frame.last_seen is not None:
                # Staff get a replay only when they ask for one (a `last_seen`, even empty): a
                # console written to the contract expects no messages it did not ask for.
                replay.append((sid, last_seen.get(sid)))

        if who.role == "seeker":
            welcome = frames.welcome(who.role, who.alias, summaries, self.node, frame.ref,
                                     resume=who.resume_token)
        else:
            if who.role == "counselor":
                await self.oncall.restore_on_call(who, reply)
                presence = self.oncall.presence_frame(who, reply)
            else:
                presence = await self.matchmaking.presence(who)
            welcome = frames.welcome(who.role, who.alias, summaries, self.node, frame.ref,
                                     presence=presence)
        first: list[dict[str, Any]] = [welcome]
        replayed: dict[str, int] = {}
        for sid, after in replay:
            for message in await self.sessions.messages(sid, after,
                                                        for_staff=who.role != "seeker"):
                first.append(message)
                replayed[sid] = message["seq"]
        reply.release(first, replayed)
        if who.role == "helper":
            await self.matchmaking.helper_online(who)
        elif who.role == "counselor":
            await self.oncall.counselor_online(who, reply)

    async def _seeker(self, who: Participant, frame: Hello) -> None:
        store = self.seekers
        seeker = await store.resume(frame.resume) if frame.resume else await store.create(
            frame.lang
        )
        who.uid, who.role, who.alias = seeker.uid, "seeker", seeker.alias
        who.resume_token = seeker.resume
        who.lang = frame.lang or seeker.lang

    async def _staff(self, who: Participant, frame: Hello) -> None:
        account = await self.staff.authenticate(frame.token, frame.role)
        who.uid, who.role, who.alias, who.tier = (
            account.uid, account.role, account.alias, account.tier,
        )

    async def summary(self, session: Session, role: str) -> dict[str, Any]:
        """A session as its participant ``role`` sees it."""
        peers = [frames.peer(other, session.alias_of(other)) for other in PEER_ROLES
                 if other != role and session.members[other]]
        position = None
        if session.state == "queued":
            (position,) = await self.queue.positions([session.sid])
        out: dict[str, Any] = {"session": session.sid, "state": session.state, "peers": peers,
                               "position": position}
        if role != "seeker":
            out.update(topic=session.topic or None, lang=session.lang or None,
                       note=session.note or None)
            if session.alert:
                out["alert"] = session.alert
        if session.ended:
            out["ended_by"] = session.ended_by or None
            out["reason"] = session.end_reason or None
        return out
