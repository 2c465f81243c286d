"""Seekers asking for help, helpers saying they are available, and turning pairs into sessions.

Pairing itself is ``matching/lua/match.lua`` (atomic in Redis). This module runs it when
something changed (a request, a helper's status, a freed place: ``QueueChanged``) and on a slow
tick, tells both sides, and keeps waiting seekers' positions and estimates current.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from matching import MatchQueue, Pair, Priority, estimate_wait_s

from ..core import frames, policy
from ..core.errors import Conflict, SessionEnded
from ..core.participant import Participant
from ..core.protocol import Request, Status
from ..store.health import unavailable
from ..store.records import Session
from ..store.seekers import SeekerStore
from ..store.sessions import SessionStore
from .escalation import Escalation
from .events import Events, Matched, QueueChanged
from .events import SessionEnded as SessionEndedEvent
from .metrics import Metrics
from .ports import Delivery, Reply

log = logging.getLogger("peerline.match")

DEFAULT_CAPACITY = 2
DEFAULT_LANGS = ["zh", "en"]
TICK_S = 1.0


class Matchmaking:
    def __init__(self, *, queue: MatchQueue, sessions: SessionStore, escalation: Escalation,
                 delivery: Delivery, events: Events, metrics: Metrics, max_note_chars: int,
                 refresh_s: float, stopping: asyncio.Event,
                 seekers: SeekerStore | None = None,
                 admission: Callable[[Participant], Awaitable[None]] | None = None) -> None:
        self.queue = queue
        self.seekers = seekers
        self.sessions = sessions
        self.escalation = escalation
        self.delivery = delivery
        self.events = events
        self.metrics = metrics
        self.max_note_chars = max_note_chars
        self.refresh_s = refresh_s
        self.stopping = stopping
        self.admission = admission
        """Raises the refusal when a seeker may not ask for help now (``service.admission``)."""
        self.waiting: dict[str, tuple[Reply, tuple[Any, ...]]] = {}
        """Seekers waiting whose connection is here: session → (reply, last queued sent)."""
        self._running = False
        self._again = False
        delivery.on_queued = self.watch_position
        delivery.on_caught_up = self.rejoin
        events.on(SessionEndedEvent, self._session_ended)
        events.on(QueueChanged, self._queue_changed)

    # -- seekers -----------------------------------------------------------------------------

    async def request(self, who: Participant, reply: Reply, frame: Request) -> None:
        open_sid = who.seeker_session()
        if open_sid is not None:
            raise Conflict(f"you already have an open session ({open_sid})")
        if self.admission is not None:
            await self.admission(who)  # operating hours, a pause after repeated abuse
        if self.seekers is not None:
            await self.seekers.asking(who.uid, who.resume_token, who.alias, frame.lang or who.lang)
        lang = frame.lang or who.lang
        who.lang = lang  # the language moderation reads this seeker's messages in
        note = (frame.note or "").strip()[: self.max_note_chars]
        verdict = self.escalation.screen(note, lang, None) if note else None
        masked = verdict.masked if verdict else ""
        sid = await self.sessions.create(who.uid, who.alias, frame.topic, lang, masked)
        severity = verdict.severity if verdict else 0
        priority = Priority(policy.queue_priority(severity))
        if verdict is not None:
            who.risk[sid] = verdict.context
            await self.sessions.set_fields(sid, note_sev=severity, max_sev=severity,
                                           note_cats=",".join(verdict.categories))
        # Tell the seeker their place before they become visible to pairing, so that `queued`
        # always reaches them before `matched`, even when another process pairs them at once.
        now = int(time.time() * 1000)
        position = await self.queue.position_if_queued(priority, now)
        estimate, helpers_online = await self.queue.estimate(position)
        queued = frames.queued(sid, position, estimate, helpers_online)
        self.delivery.join(reply, sid, "seeker")
        reply.send(frames.with_ref(dict(queued), frame.ref))
        self.waiting[sid] = (reply, _key(queued))
        await self.queue.enqueue(sid, lang, frame.topic, priority, at_ms=now, seeker=who.uid)
        if verdict is not None and severity >= 2:
            await self.escalation.first_words(sid, verdict)
        await self._nudge()

    async def queued_frame(self, sid: str) -> dict[str, Any]:
        (position,) = await self.queue.positions([sid])
        if position is None:
            raise SessionEnded("this session is no longer waiting")
        estimate, helpers_online = await self.queue.estimate(position)
        return frames.queued(sid, position, estimate, helpers_online)

    def watch_position(self, sid: str, reply: Reply) -> None:
        self.waiting[sid] = (reply, ())

    async def refresh_positions(self) -> None:
        """Send ``queued`` to each waiting seeker here whose position or outlook changed."""
        if not self.waiting:
            return
        sids = list(self.waiting)
        positions = await self.queue.positions(sids)
        helpers_online, free, recent = await self.queue.cached_outlook()
        now = int(time.time() * 1000)
        for sid, position in zip(sids, positions, strict=True):
            reply, last = self.waiting.get(sid, (None, ()))
            if reply is None:
                continue
            if position is None or sid not in reply.who.sessions or reply.closed:
                self.waiting.pop(sid, None)
                continue
            frame = frames.queued(sid, position, estimate_wait_s(position, helpers_online, free,
                                                                 recent, now), helpers_online)
            key = _key(frame)
            if key != last:
                self.waiting[sid] = (reply, key)
                reply.send(frame)

    # -- helpers -----------------------------------------------------------------------------

    async def status(self, who: Participant, reply: Reply, frame: Status) -> None:
        current = await self.queue.helper(who.uid)
        available = current.available if frame.available is None else frame.available
        capacity = next(c for c in (frame.capacity, current.capacity, DEFAULT_CAPACITY)
                        if c is not None)
        topics = frame.topics if frame.topics is not None else current.topics
        langs = frame.langs if frame.langs is not None else (current.langs or DEFAULT_LANGS)
        await self.queue.set_helper(who.uid, available=available, capacity=capacity,
                                    topics=list(topics), langs=list(langs))
        await self.queue.set_alias(who.uid, who.alias)
        if frame.skip_cooldown:
            if current.cooldown_until > time.time() * 1000:
                # Skipping the rest after a crisis chat is the helper's choice, and recorded.
                left_s = int(current.cooldown_until / 1000 - time.time())
                await self.escalation.audit("cooldown_skipped", "", by=who.uid,
                                            seconds_left=left_s)
            await self.queue.set_cooldown(who.uid, 0)
        reply.send(frames.with_ref(await self.presence(who), frame.ref))
        await self._nudge()

    async def presence(self, who: Participant) -> dict[str, Any]:
        state = await self.queue.helper(who.uid)
        frame = frames.presence(available=state.available,
                                capacity=DEFAULT_CAPACITY if state.capacity is None
                                else state.capacity,
                                active=state.active, topics=state.topics,
                                langs=state.langs or DEFAULT_LANGS)
        if state.cooldown_until > time.time() * 1000:
            frame["cooldown_until"] = state.cooldown_until
        return frame

    async def helper_online(self, who: Participant) -> None:
        await self.queue.set_online(who.uid, True)
        await self.queue.set_alias(who.uid, who.alias)
        await self.kick()

    # -- pairing -----------------------------------------------------------------------------

    async def kick(self) -> None:
        """Run pairing now; if it is already running here, run it once more when it ends."""
        if self._running:
            self._again = True
            return
        self._running = True
        try:
            while True:
                self._again = False
                pairs = await self.queue.match()
                if pairs:
                    await self._announce(pairs)
                    await self.delivery.broadcast({"k": "queue"})
                if not self._again:
                    break
        finally:
            self._running = False

    async def _announce(self, pairs: list[Pair]) -> None:
        aliases = await self.queue.aliases([pair.helper for pair in pairs])
        sessions = await self.sessions.get_many([pair.session for pair in pairs])
        for pair, alias, session in zip(pairs, aliases, sessions, strict=True):
            sid = pair.session
            helper_alias = alias or "Helper"
            if session is None or session.ended:
                await self.sessions.end(sid, "server", "seeker_gone")
                # Paired after it ended (its end's matching step had not run yet): the helper
                # is given the place back.
                await self.sessions.release_matching(sid, pair.helper)
                continue
            await self.sessions.activate(sid, pair.helper, helper_alias)
            self.metrics.matches.inc()
            self.metrics.match_wait.observe(pair.wait_ms / 1000)
            seeker_frame, sent = await self._matched_frames(
                session, helper_alias, transferred=session.transfer_pending)
            if session.transfer_pending:
                await self.sessions.set_fields(sid, transfer_pending=0)
            await self.delivery.to_user(session.seeker, [seeker_frame], attach=(sid, "seeker"))
            await self.delivery.to_user(pair.helper, sent, attach=(sid, "helper"))
            await self.events.emit(Matched(sid, session, pair.helper))

    async def _matched_frames(self, session: Session, helper_alias: str, *,
                              transferred: bool = False
                              ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """What the seeker and the helper are told of a match (the helper gets the transcript
        so far, and the first words' flag). ``transferred``: a helper handed the session on, so
        the history comes in ``matched`` with the staff-only handover note (PROTOCOL.md v1.1,
        transfer)."""
        sid = session.sid
        seeker_frame = frames.matched(sid, [frames.peer("helper", helper_alias)])
        helper_frame = frames.matched(
            sid, [frames.peer("seeker", session.seeker_alias)], topic=session.topic or None,
            lang=session.lang or None, note=session.note or None)
        if session.note_sev:
            helper_frame["severity"] = session.note_sev
            helper_frame["categories"] = session.note_cats
        if session.alert:
            helper_frame["alert"] = session.alert
        sent: list[dict[str, Any]] = [helper_frame]
        if transferred:
            helper_frame.update(transferred=True, handover_note=session.handover_note,
                                transcript=await self.sessions.messages(sid, for_staff=True))
        elif session.seq:
            sent += await self.sessions.messages(sid)
        return seeker_frame, sent

    async def rejoin(self, replies: list[Reply]) -> None:
        """After this process's subscription was down, a ``matched`` published to it meanwhile
        was lost: each seeker or helper here who is in an active session their connection does
        not know of is told of it now, and joins it here."""
        for reply in replies:
            who = reply.who
            if who.role not in ("seeker", "helper"):
                continue
            for sid in await self.sessions.sessions_of(who.uid):
                if sid in who.sessions:
                    continue
                session = await self.sessions.get(sid)
                if session is None or session.state != "active":
                    continue
                role = policy.role_in(session.members, who.uid)
                if role not in ("seeker", "helper"):
                    continue
                # A helper given the session by a handover (its `transfer_pending` is already
                # cleared) still needs the history and the handover note.
                seeker_frame, helper_frames = await self._matched_frames(
                    session, session.helper_alias or "Helper",
                    transferred=bool(session.transferred_from))
                self.delivery.join(reply, sid, role)
                for frame in [seeker_frame] if role == "seeker" else helper_frames:
                    reply.send(frame)

    async def _nudge(self) -> None:
        """Pair now and tell the other processes, after a frame's own work is done: if Redis
        fails here the frame still succeeded (its answer is sent), and the tick pairs later."""
        try:
            await self._queue_changed(QueueChanged())
        except Exception as exc:
            if unavailable(exc) is None:
                raise
            log.warning("pairing after a change waits for redis")

    async def _queue_changed(self, event: QueueChanged) -> None:
        await self.kick()
        await self.delivery.broadcast({"k": "queue"})

    async def _session_ended(self, event: SessionEndedEvent) -> None:
        self.waiting.pop(event.sid, None)

    async def run(self) -> None:
        """Background duty: a slow pairing tick (cooldowns end, missed triggers) and positions."""
        last_tick = 0.0
        quiet = False
        changed = self.delivery.queue_changed
        while not self.stopping.is_set():
            try:
                await asyncio.sleep(self.refresh_s)
                now = time.monotonic()
                if now - last_tick >= TICK_S:
                    last_tick = now
                    await self.kick()
                    changed.set()
                if changed.is_set():
                    changed.clear()
                    await self.refresh_positions()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if unavailable(exc) is None:
                    log.exception("matching tick failed")
                elif not quiet:  # once per outage
                    log.warning("matching waits for redis")
                quiet = unavailable(exc) is not None
                continue
            quiet = False


def _key(frame: dict[str, Any]) -> tuple[Any, ...]:
    return (frame["position"], frame["estimated_wait_s"], frame["helpers_online"])

