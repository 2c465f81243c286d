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
from ..core.errors import ProofRequired, Unauthorized
from ..core.participant import MONITOR, PEER_ROLES, Participant
from ..core.protocol import Hello
from ..store.presence import Presence
from ..store.records import Session
from ..store.seekers import SeekerStore
from ..store.sessions import SessionStore
from ..store.staff import StaffStore
from ..store.supervision import SupervisionStore
from .admission import Admission
from .lifecycle import Lifecycle
from .matchmaking import Matchmaking
from .metrics import Metrics
from .oncall import OnCall
from .ports import Delivery, Reply
from .replay import Replay

CLOSE_POLICY = 1008
CLOSE_REPLACED = 4000


class Welcome:
    def __init__(self, *, seekers: SeekerStore, staff: StaffStore, sessions: SessionStore,
                 queue: MatchQueue, presence: Presence, delivery: Delivery,
                 lifecycle: Lifecycle, matchmaking: Matchmaking, oncall: OnCall,
                 metrics: Metrics, node: str, staff_log: SupervisionStore,
                 admission: Admission | None = None) -> None:
        self.seekers = seekers
        self.staff_log = staff_log
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
        self.admission = admission

    async def hello(self, reply: Reply, frame: Hello) -> None:
        who = reply.who
        try:
            if frame.role == "seeker":
                await self._seeker(who, frame)
            else:
                await self._staff(who, frame)
        except ProofRequired as exc:
            # Not a refusal of the person: the connection stays open for the answer.
            self.metrics.errors.labels(exc.code).inc()
            reply.send(dict(frames.error(exc.code, exc.detail, frame.ref),
                            challenge=exc.challenge, bits=exc.bits))
            return
        except Unauthorized as exc:
            self.metrics.errors.labels(exc.code).inc()
            reply.send(frames.error(exc.code, exc.detail, frame.ref))
            reply.close(CLOSE_POLICY, "unauthorized")
            return
        # From here until the transcript is replayed, live frames for this person are held back,
        # so that the welcome comes first and no message is delivered twice or out of order.
        reply.hold()
        previous = self.delivery.find(who.uid)
        watched = ([sid for sid, role in previous.who.sessions.items() if role == MONITOR]
                   if previous is not None and previous is not reply else [])
        old = self.delivery.register(reply)
        if old is not None:
            old.close(CLOSE_REPLACED, "replaced by a newer connection")
        await self._keep_watching(reply, watched)
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
                # Where they are now, in the session's hash (say.lua reads it there).
                await self.sessions.locate(sid, [who.uid])
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
        # The missed messages are read page by page as the connection drains (replay.py).
        # Staff also get each session's staff log (whispers, notes, handover notes: each with
        # its id, for the console to show once) after its messages. Never a seeker: this is the
        # only replay path that reads the staff log.
        staff = who.role != "seeker"
        reply.release([welcome], {}, Replay(self.sessions, replay, for_staff=staff,
                                            staff_log=self.staff_log if staff else None))
        if who.role == "helper":
            await self.matchmaking.helper_online(who)
        elif who.role == "counselor":
            await self.oncall.counselor_online(who, reply)

    async def _keep_watching(self, reply: Reply, watched: list[str]) -> None:
        """A supervisor's newer connection (a reload) replaces one on this process that was
        watching: it goes on watching the sessions that are still open and still list them
        (the helper's badge stays true, and no stale entry is left in the session's hash). A
        console that comes back after its connection had closed sends ``monitor`` again."""
        if not watched:
            return
        for session in await self.sessions.get_many(watched):
            if (session is not None and not session.ended
                    and reply.who.uid in session.monitors):
                self.delivery.join(reply, session.sid, MONITOR)

    async def _seeker(self, who: Participant, frame: Hello) -> None:
        store = self.seekers
        if frame.resume:
            seeker = await store.resume(frame.resume)
        else:
            if self.admission is not None:
                self.admission.admit((frame.proof.challenge, frame.proof.nonce)
                                     if frame.proof is not None else None)
            seeker = await store.create(frame.lang)
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
