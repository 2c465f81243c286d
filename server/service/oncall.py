"""Counselors on call: going on and off call, what they get when they do, and their drops.

On-call state lives in Redis (``store.presence``); each process also keeps its own on-call
connections in the hub, to deliver alerts.
"""

from __future__ import annotations

from typing import Any

from ..core import frames, policy
from ..core.participant import Participant
from ..store.alerts import AlertStore
from ..store.deadlines import Deadlines
from ..store.presence import Presence
from ..store.sessions import SessionStore
from .escalation import Escalation
from .passup import PassUp
from .ports import Delivery, Reply

COUNSELOR_GONE = "counselor_gone"


class OnCall:
    def __init__(self, *, presence: Presence, alerts: AlertStore, sessions: SessionStore,
                 deadlines: Deadlines, delivery: Delivery, escalation: Escalation,
                 graces: policy.Graces, passup: PassUp | None = None) -> None:
        self.presence = presence
        self.alerts = alerts
        self.sessions = sessions
        self.deadlines = deadlines
        self.delivery = delivery
        self.escalation = escalation
        self.graces = graces
        self.passup = passup
        """Passed-up alerts waiting for the centre are sent to centre counselors going on
        call, and to admins."""

    async def status(self, who: Participant, reply: Reply, on_call: bool | None,
                     ref: str | None) -> None:
        if on_call is not None:
            await self._set_on_call(who, reply, on_call)
        reply.send(frames.with_ref(self.presence_frame(who, reply), ref))
        if on_call:
            await self.send_pending(who, reply)

    async def _set_on_call(self, who: Participant, reply: Reply, on_call: bool) -> None:
        self.delivery.set_on_call(reply, on_call)
        if on_call:
            await self.presence.go_on_call(who.uid, who.tier, who.level or policy.CENTRE,
                                           who.department)
            await self.alerts.audit("on_call", "", by=who.uid)
        else:
            await self.presence.go_off_call(who.uid)
            await self.alerts.audit("off_call", "", by=who.uid)

    def presence_frame(self, who: Participant, reply: Reply) -> dict[str, Any]:
        frame = frames.presence(on_call=self.delivery.is_on_call(reply), capacity=None,
                                active=who.counselor_sessions(), tier=who.tier)
        if who.level:  # a counselor's place in the network: its console offers pass_up
            frame.update(level=who.level, department=who.department or None)
        return frame

    async def send_pending(self, who: Participant, reply: Reply) -> None:
        """A counselor went on call: every unclaimed alert, then the watch list."""
        for aid in await self.alerts.open_ids():
            frame = await self.escalation.alert_frame(aid)
            if frame is not None:
                reply.send(frame)
                await self.alerts.audit("delivered", aid, tier=who.tier, to=who.uid)
        if self.passup is not None:
            await self.passup.pending_for(who, reply)
        for item in await self.alerts.watched():
            # The watch list: the seeker's department and the centre (policy.watch_audience).
            if policy.reaches(policy.watch_audience(item.get("department", "")), who.role,
                              who.tier, who.level or policy.CENTRE, who.department):
                reply.send(item)

    async def admin_online(self, reply: Reply) -> None:
        """An admin's console opened: every unclaimed alert and the watch list, as an on-call
        counselor gets them, but not audited as delivered (an admin is not in the rota)."""
        for aid in await self.alerts.open_ids():
            frame = await self.escalation.alert_frame(aid)
            if frame is not None:
                reply.send(frame)
        if self.passup is not None:
            await self.passup.pending_for(reply.who, reply)
        for item in await self.alerts.watched():
            reply.send(item)

    async def restore_on_call(self, who: Participant, reply: Reply) -> None:
        """A counselor who was on call when their console dropped is on call again."""
        if await self.presence.prefers_on_call(who.uid):
            await self._set_on_call(who, reply, True)

    async def counselor_online(self, who: Participant, reply: Reply) -> None:
        """After the welcome: an on-call counselor gets every unclaimed alert and the watch list."""
        if self.delivery.is_on_call(reply):
            await self.send_pending(who, reply)

    async def counselor_offline(self, uid: str, sessions: dict[str, str]) -> None:
        await self.presence.drop_on_call(uid)
        grace = policy.counselor_grace(sessions.values(), self.graces)
        if grace is not None:
            await self.deadlines.set(COUNSELOR_GONE, uid, grace)

    async def counselor_gone(self, uid: str) -> None:
        """A counselor with claimed alerts did not come back: raise those alerts again."""
        if await self.presence.location(uid):
            return
        for aid in await self.alerts.claimed_ids():
            alert = await self.alerts.get(aid)
            if alert is None or alert.state != "claimed" or alert.claimed_by != uid:
                continue
            sid = alert.sid
            session = await self.sessions.get(sid)
            if session is not None and session.counselor == uid:
                await self.sessions.clear_counselor(sid)
                await self.delivery.to_session(
                    sid, frames.participant(sid, "counselor", session.counselor_alias, False))
            await self.sessions.forget_for(uid, sid)
            await self.alerts.reopen(aid)
            await self.alerts.audit("released", aid, session=sid, by=uid, note="counselor gone")
            if session is None or not session.ended:
                await self.escalation.redeliver(aid)
