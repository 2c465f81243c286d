"""Escalation: from a flagged message to a counselor in the conversation.

- Every seeker message is screened (``moderation``); staff in the session get ``flag`` frames.
- Severity 2 puts the session on the counselors' watch list (no page).
- Severity 3, or a helper's ``escalate``, raises the session's one alert (``raise_alert.lua``).
  On-call counselors of the lowest tier on call get it first; if nobody claims it within
  ``tier_timeout_s`` it goes to the next tier, then to all (``policy.next_delivery``). A
  counselor who goes on call while it is unclaimed gets it at once (``oncall``). It is never
  dropped.
- Exactly one ``claim`` wins (``claim_alert.lua``); the winner joins with the transcript.
- The seeker gets crisis resources at once, and again if nobody has claimed in time.
- Every step is written to the audit stream.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from matching import MatchQueue, Priority
from moderation import Moderator, RiskContext, Verdict

from ..core import frames, policy
from ..core.errors import Forbidden, NotFound, NotInSession
from ..core.ids import new_id
from ..core.participant import MONITOR, Participant
from ..store.alerts import AlertStore
from ..store.deadlines import Deadlines
from ..store.presence import Presence
from ..store.records import Alert
from ..store.sessions import SessionStore
from .ending import Ending
from .events import Events, Matched, QueueChanged, SessionEnded
from .metrics import Metrics
from .ports import Delivery, Reply

ALERT_TIER = "alert_tier"
ALERT_RESOURCES = "alert_resources"
ALERT_NO_CONTACT = "alert_no_contact"


@dataclass(frozen=True, slots=True)
class EscalationTimes:
    tier_timeout_s: float
    resources_fallback_s: float
    cooldown_s: float
    no_contact_s: float = 900.0
    """An alert still unclaimed this long after its session ended is closed ``no_contact``."""


class Escalation:
    def __init__(self, *, moderator: Moderator, alerts: AlertStore, sessions: SessionStore,
                 queue: MatchQueue, presence: Presence, deadlines: Deadlines,
                 delivery: Delivery, ending: Ending,
                 events: Events, metrics: Metrics, times: EscalationTimes,
                 crisis_resources: list[dict[str, Any]]) -> None:
        self.moderator = moderator
        self.alerts = alerts
        self.sessions = sessions
        self.queue = queue
        self.presence = presence
        self.deadlines = deadlines
        self.delivery = delivery
        self.ending = ending
        self.events = events
        self.metrics = metrics
        self.times = times
        self.crisis_resources = crisis_resources
        events.on(SessionEnded, self._session_ended)
        events.on(Matched, self._matched)

    # -- screening ---------------------------------------------------------------------------

    def screen(self, text: str, lang: str | None, context: RiskContext | None) -> Verdict:
        return self.moderator.scan(text, lang=lang, context=context)

    def mask(self, text: str) -> str:
        return self.moderator.mask(text)

    async def flagged(self, sid: str, message_id: str, text: str, verdict: Verdict) -> None:
        self.metrics.flags.labels(str(verdict.severity)).inc()
        flag = frames.flag(sid, message_id, verdict.severity, list(verdict.categories),
                           policy.flag_matches(verdict.matches))
        # A seeker still waiting who writes something worrying moves up the queue.
        if verdict.severity >= 2:
            await self.queue.raise_priority(sid, Priority(policy.queue_priority(verdict.severity)))
        # The flag goes to the session's staff before the page (one relay, about a millisecond
        # before it): a counselor who joins because of the page then never gets this line's
        # flag after ``joined``, which the page already told them of.
        await self.delivery.to_session(sid, flag, roles=("helper", "counselor", MONITOR))
        if policy.pages(verdict.severity):
            await self.raise_alert(sid, 3, text, policy.crisis_reason(verdict.categories),
                                   verdict.categories, "moderation", message_id)
        if policy.watches(verdict.severity):
            await self.watch(sid, 2, text, verdict.categories)

    async def first_words(self, sid: str, verdict: Verdict) -> None:
        """A request's note was flagged: the seeker is already at the front of the queue."""
        if policy.pages(verdict.severity):
            await self.raise_alert(sid, 3, verdict.masked, policy.crisis_reason(
                verdict.categories), verdict.categories, "first_words")
        else:
            await self.watch(sid, verdict.severity, verdict.masked, verdict.categories)

    async def watch(self, sid: str, severity: int, text: str, categories: list[str]) -> None:
        """Put the session on the counselors' non-paging watch list, once per severity."""
        session = await self.sessions.get(sid)
        if not policy.should_watch(session.watch_sev if session else 0, severity):
            return
        item = frames.watch(sid, severity, list(categories), text[:policy.EXCERPT_CHARS],
                            _now_ms())
        await self.alerts.watch(sid, severity, item)
        await self.delivery.to_on_call(item)

    # -- alerts ------------------------------------------------------------------------------

    async def raise_alert(
        self, sid: str, severity: int, text: str, reason: str, categories: list[str], by: str,
        message_id: str = "",
    ) -> tuple[str, bool]:
        """Raise the session's alert; returns (alert id, raised now)."""
        aid, raised = await self.alerts.raise_for(new_id(), sid, severity, text, reason,
                                                  categories, by, message_id)
        if not raised:
            return aid, False
        self.metrics.alerts.inc()
        await self._deliver(aid, first=True)
        await self._send_resources(sid)
        await self.deadlines.set(ALERT_RESOURCES, aid, self.times.resources_fallback_s)
        return aid, True

    async def alert_frame(self, aid: str) -> dict[str, Any] | None:
        alert = await self.alerts.get(aid)
        return None if alert is None else _alert_frame(alert, alert.tier)

    async def _deliver(self, aid: str, first: bool) -> None:
        """Send an open alert to the next tier of on-call counselors (to all, at the end).

        A counselor who goes on call later gets every unclaimed alert at once
        (``OnCall.send_pending``), whatever its tier.
        """
        alert = await self.alerts.get(aid)
        if alert is None or alert.state != "open":
            return
        on_call = await self.presence.on_call()
        delivery = policy.next_delivery(alert.tier, on_call.values(), first)
        if delivery is None:
            if not on_call:
                await self.alerts.audit("pending", aid, note="no counselor on call")
            return
        await self.delivery.to_on_call(_alert_frame(alert, delivery.level), delivery.tiers)
        await self.alerts.set_tier(aid, delivery.level)
        recipients = sorted(uid for uid, t in on_call.items()
                            if delivery.tiers is None or t in delivery.tiers)
        await self.alerts.audit("delivered", aid, tier=delivery.level, to=",".join(recipients))
        if not delivery.final:
            await self.deadlines.set(ALERT_TIER, aid, self.times.tier_timeout_s)

    async def redeliver(self, aid: str) -> None:
        """An alert was opened again (its counselor is gone): page as if it were new."""
        await self._deliver(aid, first=True)

    async def _send_resources(self, sid: str) -> None:
        session = await self.sessions.get(sid)
        if session is None:
            return
        lang = session.lang or None
        items = [r for r in self.crisis_resources if lang is None or r.get("lang") in (lang, None)]
        items += [r for r in self.crisis_resources if r not in items]
        await self.delivery.to_user(session.seeker, [frames.resources(sid, items)])

    async def tier_due(self, aid: str) -> None:
        """Nobody claimed the alert in time: widen it to the next tier (deadline ``alert_tier``)."""
        await self._deliver(aid, first=False)

    async def resources_due(self, aid: str) -> None:
        """Still unclaimed: the seeker is sent the crisis resources again."""
        alert = await self.alerts.get(aid)
        if alert is not None and alert.state == "open":
            await self._send_resources(alert.sid)
            await self.alerts.audit("resources_resent", aid)

    # -- frames from helpers and counselors --------------------------------------------------

    async def escalate(self, who: Participant, reply: Reply, sid: str, reason: str,
                       ref: str | None) -> None:
        if who.role_in(sid) != "helper":
            raise NotInSession("you are not the helper of this session")
        session = await self.sessions.get(sid)
        if session is None or session.ended:
            raise NotInSession("this session has ended")
        reason = reason.strip() or "helper asked for a counselor"
        aid, raised = await self.raise_alert(sid, policy.escalation_severity(session.max_sev),
                                             reason, reason, [], "helper")
        reply.send(frames.escalated(sid, aid, raised, ref))

    async def claim(self, who: Participant, reply: Reply, aid: str, ref: str | None) -> None:
        claim = await self.alerts.claim(aid, who.uid, who.alias)
        if not claim.won:
            reply.send(frames.alert_claimed(aid, ref=ref))
            return
        sid = claim.sid
        await self.sessions.add_member_session(who.uid, sid)
        # Where the counselor is connected, in the session's hash, before they are joined:
        # the session's messages reach their process from then on (say.lua reads it there).
        await self.sessions.locate(sid, [who.uid])
        # Live frames for the session (a message, its flag) that arrive while the transcript is
        # read are held, so that `joined` comes first and no message is delivered twice.
        reply.hold()
        try:
            self.delivery.join(reply, sid, "counselor")
            session = await self.sessions.get(sid)
            transcript = await self.sessions.messages(sid, for_staff=True)
        except BaseException:
            reply.release([], {})
            raise
        peers = [frames.peer(r, session.alias_of(r)) for r in ("seeker", "helper")
                 if session is not None and session.members[r]]
        joined = frames.joined(sid, aid, transcript, session.state if session else None, peers,
                               session.topic or None if session else None,
                               session.note or None if session else None, ref)
        reply.release([joined], {sid: transcript[-1]["seq"]} if transcript else {})
        await self.delivery.to_session(sid, frames.participant(sid, "counselor", who.alias, True),
                                       roles=("seeker", "helper"))
        await self.delivery.to_on_call(frames.alert_claimed(aid, sid), exclude=who.uid)

    async def join(self, who: Participant, reply: Reply, sid: str, ref: str | None) -> None:
        """Look in on a watched session: raise (or reuse) its alert and claim it at once."""
        session = await self.sessions.get(sid)
        if session is None or session.ended:
            raise NotInSession("no such active session")
        if session.counselor == who.uid:
            raise Forbidden("you are already in this session")
        aid, _ = await self.raise_alert(sid, policy.escalation_severity(session.max_sev),
                                        "counselor looked in", "counselor looked in", [],
                                        "counselor")
        await self.claim(who, reply, aid, ref)

    async def takeover(self, who: Participant, reply: Reply, sid: str, ref: str | None) -> None:
        if who.role_in(sid) != "counselor":
            raise NotInSession("you are not in this session")
        session = await self.sessions.get(sid)
        if session is None or session.state != "active":
            raise NotInSession("this session is not active")
        helper = session.helper
        await self.sessions.take_over(sid, who.uid, helper)
        if helper:
            await self.sessions.forget_for(helper, sid)
            await self.delivery.to_user(helper, [frames.ended(sid, "counselor", "taken_over")],
                                        detach=sid)
            await self.delivery.to_session(
                sid, frames.participant(sid, "helper", session.helper_alias, False, "taken_over"),
                roles=("seeker", "counselor"))
        await self.alerts.audit("takeover", session.alert, session=sid, by=who.uid)
        reply.send(frames.taken_over(sid, ref))
        await self.events.emit(QueueChanged())

    async def resolve(self, who: Participant, reply: Reply, aid: str, outcome: str,
                      ref: str | None, note: str = "") -> None:
        """Close an alert with its outcome and the counselor's note (kept with the alert).

        The claiming counselor closes it; an alert nobody claimed whose session has ended may
        be closed ``no_contact`` by any counselor (the seeker left before anyone could reach
        them), so that it stops being sent to every counselor who goes on call.
        """
        alert = await self.alerts.get(aid)
        if alert is None:
            raise NotFound("no such alert")
        note = note.strip()
        if alert.claimed_by != who.uid:
            if not (outcome == "no_contact" and alert.state == "open"
                    and await self._session_gone(alert.sid)):
                raise Forbidden("only the counselor who claimed this alert can resolve it "
                                "(an unclaimed alert can be closed no_contact once its "
                                "session has ended)")
        if alert.state != "resolved":
            await self._close_alert(aid, alert.sid, outcome, who.uid, note)
        reply.send(frames.with_ref(
            _resolved(aid, alert.sid, outcome, note if alert.state != "resolved" else None),
            ref))

    async def _session_gone(self, sid: str) -> bool:
        session = await self.sessions.get(sid)
        return session is None or session.ended

    async def _close_alert(self, aid: str, sid: str, outcome: str, by: str,
                           note: str = "") -> None:
        await self.alerts.resolve(aid, outcome, by, note)
        await self.sessions.clear_alert(sid, aid)
        await self.deadlines.cancel(ALERT_TIER, aid)
        await self.deadlines.cancel(ALERT_RESOURCES, aid)
        await self.deadlines.cancel(ALERT_NO_CONTACT, aid)
        # The audit says a note was written, never what it says.
        await self.alerts.audit("resolved", aid, session=sid, by=by, outcome=outcome,
                                note=1 if note else None)
        await self.delivery.to_on_call(_resolved(aid, sid, outcome, note or None), exclude=by)

    async def no_contact_due(self, aid: str) -> None:
        """The session ended and nobody claimed its alert in time: close it ``no_contact``
        (deadline ``alert_no_contact``), so it is no longer re-sent."""
        alert = await self.alerts.get(aid)
        if alert is not None and alert.state == "open" and await self._session_gone(alert.sid):
            await self._close_alert(aid, alert.sid, "no_contact", "server",
                                    "closed automatically: the seeker left before anyone "
                                    "claimed the alert")

    async def counselor_leaves(self, who: Participant, reply: Reply, sid: str,
                               ref: str | None) -> None:
        session = await self.sessions.get(sid)
        if session is not None and session.taken_over == who.uid:
            await self.ending.end(sid, by="counselor", reason="left", leaver=reply, ref=ref)
            return
        await self.sessions.clear_counselor(sid)
        self.delivery.part(reply, sid)
        await self.sessions.forget_for(who.uid, sid)
        aid = session.alert if session is not None else ""
        if aid:
            alert = await self.alerts.get(aid)
            if alert is not None and alert.claimed_by == who.uid:
                await self._close_alert(aid, sid, "other", who.uid)
        await self.delivery.to_session(sid, frames.participant(sid, "counselor", who.alias,
                                                               False))
        reply.send(frames.with_ref(frames.ended(sid, "counselor", "left"), ref))

    # -- events ------------------------------------------------------------------------------

    async def _matched(self, event: Matched) -> None:
        if event.session.alert:
            await self.alerts.audit("helper_matched", event.session.alert, session=event.sid,
                                    by=event.helper)

    async def _session_ended(self, event: SessionEnded) -> None:
        """After a session with an alert, its helper gets a cooldown (and is told)."""
        session = await self.sessions.get(event.sid)
        helper = event.ended.helper or (session.former_helper if session else "")
        if event.ended.escalated and helper:
            until = policy.cooldown_until(_now_ms(), self.times.cooldown_s)
            await self.queue.set_cooldown(helper, until)
            await self.delivery.to_user(helper, [frames.cooldown(until,
                                                                 int(self.times.cooldown_s))])
        if session is not None and session.alert:
            await self.alerts.audit("session_ended", session.alert, session=event.sid)
            alert = await self.alerts.get(session.alert)
            if alert is not None and alert.state == "open":
                await self.deadlines.set(ALERT_NO_CONTACT, alert.aid, self.times.no_contact_s)

    async def audit(self, event: str, aid: str, **fields: Any) -> None:
        await self.alerts.audit(event, aid, **fields)


def _alert_frame(alert: Alert, level: int) -> dict[str, Any]:
    return frames.alert(alert.aid, alert.sid, alert.severity, alert.excerpt, alert.reason,
                        alert.raised_at, alert.categories, alert.message or None,
                        policy.shown_tier(level))


def _resolved(aid: str, sid: str, outcome: str, note: str | None) -> dict[str, Any]:
    frame = frames.alert_resolved(aid, sid, outcome)
    if note:
        frame["note"] = note
    return frame


def _now_ms() -> int:
    return int(time.time() * 1000)
