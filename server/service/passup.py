"""``pass_up``: a department counselor hands a claimed alert up to the counseling centre.

The department's counselor is paged first for their own students (``policy.next_route``); some
conversations need the centre. ``pass_up`` sends the same alert again to the centre's on-call
counselors (``level:"centre"``, ``passed_up:true``, the reason) and to every admin; it waits in
``alerts:up`` for a centre counselor who goes on call later. The first centre counselor to
``claim`` it takes it up (exactly one wins) and joins with the whole transcript as the
session's counselor; the department counselor stays, watching (a monitor: sees every message,
may whisper to staff, never seen by the seeker) until they ``leave``. The seeker is told one
counselor handed over to another, nothing more.

Why the department counselor watches rather than talks on: a session has one counselor seat
(the hot path's ``say.lua`` checks it), and handing the conversation to the centre is the point
of passing it up.
"""

from __future__ import annotations

from ..core import frames, policy
from ..core.errors import Conflict, Forbidden, NotFound
from ..core.participant import MONITOR, Participant
from ..store.alerts import AlertStore
from ..store.records import Alert
from ..store.sessions import SessionStore
from ..store.supervision import SupervisionStore
from .escalation import Escalation, alert_frame_of
from .ports import Delivery, Reply

CENTRE_AUDIENCE = {"levels": [policy.CENTRE], "departments": []}
"""Every centre counselor on call, whatever their tier (and every admin)."""


class PassUp:
    def __init__(self, *, alerts: AlertStore, sessions: SessionStore,
                 supervision: SupervisionStore, escalation: Escalation,
                 delivery: Delivery) -> None:
        self.alerts = alerts
        self.sessions = sessions
        self.supervision = supervision
        self.escalation = escalation
        self.delivery = delivery

    async def pass_up(self, who: Participant, reply: Reply, aid: str, reason: str,
                      ref: str | None) -> None:
        alert = await self.alerts.get(aid)
        if alert is None:
            raise NotFound("no such alert")
        if who.level != policy.DEPARTMENT:
            raise Forbidden("only a department counselor passes an alert up to the centre")
        if alert.state != "claimed" or alert.claimed_by != who.uid:
            raise Forbidden("only the counselor who claimed this alert can pass it up")
        if alert.up_claimed_by:
            raise Conflict("the centre has already taken this alert up")
        reason = reason.strip() or "passed up to the centre"
        await self.alerts.pass_up(aid, who.uid, reason)
        await self.alerts.audit("passed_up", aid, session=alert.sid, by=who.uid,
                                level=policy.CENTRE, department=alert.department or None)
        passed = await self.alerts.get(aid)
        assert passed is not None
        await self.delivery.to_on_call(alert_frame_of(passed), audience=CENTRE_AUDIENCE)
        reply.send(frames.with_ref({"type": "passed_up", "alert": aid, "session": alert.sid},
                                   ref))

    async def claim(self, who: Participant, reply: Reply, aid: str, ref: str | None) -> None:
        """``claim``: an open alert goes the usual way (``Escalation.try_claim``, first, so
        that an ordinary claim costs nothing more); a claimed one that was passed up is taken
        up by the first centre counselor."""
        if await self.escalation.try_claim(who, reply, aid, ref):
            return
        alert = await self.alerts.get(aid)
        if (alert is None or not alert.passed_up or alert.state != "claimed"
                or who.level == policy.DEPARTMENT or alert.up_claimed_by
                or not await self.alerts.take_up(aid, who.uid, who.alias)):
            reply.send(frames.alert_claimed(aid, ref=ref))
            return
        await self._hand_over(who, reply, alert, ref)

    async def pending_for(self, who: Participant, reply: Reply) -> None:
        """A centre counselor went on call (or an admin connected): the passed-up alerts
        nobody has taken up yet."""
        if who.role == "counselor" and who.level == policy.DEPARTMENT:
            return
        for aid in await self.alerts.passed_up_ids():
            alert = await self.alerts.get(aid)
            if alert is not None and alert.state == "claimed" and not alert.up_claimed_by:
                reply.send(alert_frame_of(alert))

    async def _hand_over(self, who: Participant, reply: Reply, alert: Alert,
                         ref: str | None) -> None:
        sid, aid = alert.sid, alert.aid
        session = await self.sessions.get(sid)
        department_uid = alert.claimed_by
        department_alias = session.counselor_alias if session is not None else ""
        await self.alerts.audit("taken_up", aid, session=sid, by=who.uid, level=policy.CENTRE,
                                department=alert.department or None)
        if session is not None and session.counselor == department_uid:
            # The department counselor watches from now on (never seen by the seeker).
            await self.supervision.add_monitor(sid, department_uid, department_alias)
            await self.sessions.set_fields(sid, counselor=who.uid, counselor_alias=who.alias)
            await self.delivery.to_session(
                sid, frames.participant(sid, "counselor", department_alias, False,
                                        "handed_over"), roles=("seeker", "helper"))
            await self.delivery.to_user(
                department_uid,
                [{"type": "taken_up", "alert": aid, "session": sid, "alias": who.alias,
                  "watching": True}],
                attach=(sid, MONITOR))
        await self.escalation.enter_with_transcript(who, reply, aid, sid, ref)
        await self.delivery.to_on_call(frames.alert_claimed(aid, sid), exclude=who.uid,
                                       audience=CENTRE_AUDIENCE)
