"""Ending a session, once: everyone in it told, the helper's place freed, ``SessionEnded`` out."""

from __future__ import annotations

from ..core import frames
from ..store.sessions import SessionStore
from .events import Events, QueueChanged, SessionEnded
from .metrics import Metrics
from .ports import Delivery, Reply


class Ending:
    def __init__(self, sessions: SessionStore, delivery: Delivery, events: Events,
                 metrics: Metrics) -> None:
        self.sessions = sessions
        self.delivery = delivery
        self.events = events
        self.metrics = metrics

    async def end(self, sid: str, by: str, reason: str, leaver: Reply | None = None,
                  ref: str | None = None) -> bool:
        """End a session once, tell everyone, free the helper's place. False if it had ended.

        The leaver's frames are held while the session ends: the place it frees may be filled
        at once by another process, and its ``matched`` must not reach the leaver before the
        ``ended`` that answers their ``leave``.
        """
        if leaver is not None:
            leaver.hold()
        try:
            ended = await self.sessions.end(sid, by, reason)
        except BaseException:
            if leaver is not None:
                leaver.release([], {})
            raise
        if ended is None:
            if leaver is not None:
                leaver.release([], {})
            return False
        self.metrics.sessions_ended.labels(reason).inc()
        frame = frames.ended(sid, by, reason)
        if leaver is not None:  # the leaver's copy answers their `leave`, so it carries its ref
            self.delivery.part(leaver, sid)
            leaver.release([frames.with_ref(dict(frame), ref)], {})
        await self.delivery.to_session(sid, frame,
                                       exclude=leaver.who.uid if leaver else None)
        for uid in (ended.helper, ended.counselor):
            if uid:
                await self.sessions.forget_for(uid, sid)
        # The seeker's copy stays listed until their next welcome: a connection that looks
        # open may be half-dead (a phone losing signal), and `ended` may never reach them.
        await self.events.emit(SessionEnded(sid, ended))
        await self.events.emit(QueueChanged())
        return True
