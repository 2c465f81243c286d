"""Escalation: from a flagged message to a counselor in the conversation.

- Every seeker message is screened (``moderation``); staff in the session get ``flag`` frames.
- Severity 2 puts the session on the counselors' watch list (no page).
- Severity 3, or a helper's ``escalate``, raises the session's one alert (``raise_alert.lua``).
  On-call counselors of the lowest tier on call get it first; if nobody claims it within
  ``tier_timeout_s`` it goes to the next tier, then to all. A counselor who goes on call while
  it is unclaimed gets it at once. It is never dropped.
- Exactly one ``claim`` wins (``claim_alert.lua``); the winner joins with the transcript.
- The seeker gets crisis resources at once, and again if nobody has claimed in time.
- Every step is written to the audit stream.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from matching import Priority
from moderation import RiskContext, Verdict

from . import protocol as p
from . import resources
from .errors import Forbidden, NotFound, NotInSession
from .ids import new_id
from .sessions import Ended

if TYPE_CHECKING:
    from .connection import Connection
    from .services import Services

log = logging.getLogger("peerline.escalation")
_LUA = Path(__file__).with_name("lua")
EXCERPT_CHARS = 200
ALL_TIERS = 99


class Escalation:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.keys = svc.keys
        self._raise = svc.runner.load(_LUA / "raise_alert.lua")
        self._claim = svc.runner.load(_LUA / "claim_alert.lua")
        self.crisis_resources, self.self_help = resources.load()
        self.all_alerts = f"{svc.keys.p}:alerts:all"
        self.claimed_alerts = f"{svc.keys.p}:alerts:claimed"

    # -- screening ---------------------------------------------------------------------------

    def screen(self, text: str, lang: str | None, context: RiskContext | None) -> Verdict:
        return self.svc.moderator.scan(text, lang=lang, context=context)

    def mask(self, text: str) -> str:
        return self.svc.moderator.mask(text)

    async def flagged(self, sid: str, message_id: str, text: str, verdict: Verdict) -> None:
        svc = self.svc
        svc.metrics.flags.labels(str(verdict.severity)).inc()
        flag = {"type": "flag", "session": sid, "message": message_id,
                "severity": verdict.severity, "categories": list(verdict.categories),
                "matches": [{"term": m.term, "category": m.category, "severity": m.severity}
                            for m in verdict.matches if m.category != "pii"][:10]}
        # A seeker still waiting who writes something worrying moves up the queue.
        if verdict.severity >= 2 and sid in svc.matchmaker.waiting:
            await svc.queue.raise_priority(
                sid, Priority.CRISIS if verdict.severity >= 3 else Priority.RAISED
            )
        # The flag goes to the session's staff before the page (one relay, about a millisecond
        # before it): a counselor who joins because of the page then never gets this line's
        # flag after ``joined``, which the page already told them of.
        await svc.hub.to_session(sid, flag, roles=("helper", "counselor"))
        if verdict.severity >= 3:
            await self.raise_alert(sid, 3, text, _reason(verdict), verdict.categories,
                                   "moderation", message_id)
        if verdict.severity == 2:
            await self.watch(sid, 2, text, verdict.categories)

    async def first_words(self, sid: str, verdict: Verdict) -> None:
        """A request's note was flagged: the seeker is already at the front of the queue."""
        if verdict.severity >= 3:
            await self.raise_alert(sid, 3, verdict.masked, _reason(verdict), verdict.categories,
                                   "first_words")
        else:
            await self.watch(sid, verdict.severity, verdict.masked, verdict.categories)

    async def watch(self, sid: str, severity: int, text: str, categories: list[str]) -> None:
        """Put the session on the counselors' non-paging watch list, once per severity."""
        svc = self.svc
        key = self.keys.session(sid)
        if int(await svc.redis.hget(key, "watch_sev") or 0) >= severity:
            return
        now = _now_ms()
        item = {"type": "watch", "session": sid, "severity": severity,
                "categories": list(categories), "excerpt": text[:EXCERPT_CHARS], "ts": now}
        async with svc.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"watch_sev": severity, "watch": json.dumps(item)})
            pipe.zadd(self.keys.watchlist, {sid: now})
            await pipe.execute()
        await svc.hub.broadcast({"k": "oncall", "frame": item, "tiers": None})

    # -- alerts ------------------------------------------------------------------------------

    async def raise_alert(
        self, sid: str, severity: int, text: str, reason: str, categories: list[str], by: str,
        message_id: str = "",
    ) -> tuple[str, bool]:
        """Raise the session's alert; returns (alert id, raised now)."""
        svc = self.svc
        aid = new_id()
        now = _now_ms()
        result = await svc.runner.run(
            self._raise,
            [self.keys.session(sid), self.keys.alert(aid), self.keys.alerts_open,
             self.all_alerts, self.keys.audit],
            [aid, severity, text[:EXCERPT_CHARS], reason[:300], ",".join(categories), now, by,
             self.keys.alert(""), sid, message_id],
        )
        status = int(result[0])
        if status == -1:
            raise NotFound("no such session")
        if status == 0:
            return result[1].decode(), False
        svc.metrics.alerts.inc()
        await self._deliver(aid, first=True)
        await self._send_resources(sid)
        await svc.lifecycle.deadlines.set("alert_resources", aid,
                                          svc.settings.resources_fallback_s)
        return aid, True

    async def alert_frame(self, aid: str) -> dict[str, Any] | None:
        raw = await self.svc.redis.hgetall(self.keys.alert(aid))
        if not raw:
            return None
        a = {k.decode(): v.decode() for k, v in raw.items()}
        return _alert_frame(aid, a, int(a.get("tier") or 0))

    async def _deliver(self, aid: str, first: bool) -> None:
        """Send an open alert to the next tier of on-call counselors (to all, at the end).

        The stored ``tier`` is how far the alert has gone: 0 not yet delivered, 1..9 the tiers up
        to that one, ``ALL_TIERS`` everyone. A counselor who goes on call later gets every
        unclaimed alert at once (``_send_pending``), whatever its tier.
        """
        svc = self.svc
        async with svc.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.alert(aid))
            pipe.hgetall(self.keys.oncall)
            raw_alert, raw_oncall = await pipe.execute()
        if raw_alert.get(b"state") != b"open":
            return
        current = int(raw_alert.get(b"tier") or 0)
        oncall = {k.decode(): int(v) for k, v in raw_oncall.items()}
        tiers_on_call = sorted(set(oncall.values()))
        if not tiers_on_call:
            await self.audit("pending", aid, note="no counselor on call")
            return
        if first:
            level = tiers_on_call[0]
        elif current == ALL_TIERS:
            return
        else:
            higher = [t for t in tiers_on_call if t > current]
            level = higher[0] if higher else ALL_TIERS
        tiers = None if level == ALL_TIERS else [t for t in tiers_on_call if t <= level]
        frame = _alert_frame(aid, {k.decode(): v.decode() for k, v in raw_alert.items()}, level)
        await svc.hub.broadcast({"k": "oncall", "frame": frame, "tiers": tiers})
        await svc.redis.hset(self.keys.alert(aid), "tier", level)
        recipients = sorted(uid for uid, t in oncall.items() if tiers is None or t in tiers)
        await self.audit("delivered", aid, tier=level, to=",".join(recipients))
        if level != ALL_TIERS:
            await svc.lifecycle.deadlines.set("alert_tier", aid, svc.settings.tier_timeout_s)

    async def redeliver(self, aid: str) -> None:
        """An alert was opened again (its counselor is gone): page as if it were new."""
        await self._deliver(aid, first=True)

    async def _send_resources(self, sid: str) -> None:
        session = await self.svc.sessions.get(sid)
        if session is None:
            return
        lang = session.get("lang") or None
        items = [r for r in self.crisis_resources if lang is None or r.get("lang") in (lang, None)]
        items += [r for r in self.crisis_resources if r not in items]
        frame = {"type": "resources", "session": sid, "items": items}
        await self.svc.hub.to_user(session["seeker"], [frame])

    async def fire(self, kind: str, aid: str) -> None:
        """A deadline fell due (see ``lifecycle``)."""
        if kind == "alert_tier":
            await self._deliver(aid, first=False)
        elif kind == "alert_resources":
            raw = await self.svc.redis.hmget(self.keys.alert(aid), "state", "session")
            if raw[0] == b"open":
                await self._send_resources(raw[1].decode())
                await self.audit("resources_resent", aid)
        elif kind == "counselor_gone":
            await self.svc.oncall.counselor_gone(aid)

    # -- frames from helpers and counselors --------------------------------------------------

    async def escalate(self, conn: Connection, frame: p.Escalate) -> None:
        if conn.sessions.get(frame.session) != "helper":
            raise NotInSession("you are not the helper of this session")
        session = await self.svc.sessions.get(frame.session)
        if session is None or session["state"] == "ended":
            raise NotInSession("this session has ended")
        severity = max(2, int(session.get("max_sev") or 0))
        reason = frame.reason.strip() or "helper asked for a counselor"
        aid, raised = await self.raise_alert(frame.session, severity, reason, reason, [],
                                             "helper")
        conn.send(p.with_ref({"type": "escalated", "session": frame.session, "alert": aid,
                              "new": raised}, frame.ref))

    async def claim(self, conn: Connection, frame: p.Claim) -> None:
        await self._claim_alert(conn, frame.alert, frame.ref)

    async def _claim_alert(self, conn: Connection, aid: str, ref: str | None) -> None:
        svc = self.svc
        now = _now_ms()
        result = await svc.runner.run(
            self._claim,
            [self.keys.alert(aid), self.keys.alerts_open, self.keys.audit],
            [conn.uid or "", conn.alias, now, f"{self.keys.p}:s:{{", "}", aid],
        )
        if result[0] == b"missing":
            raise NotFound("no such alert")
        if result[0] == b"taken":
            conn.send(p.with_ref({"type": "alert_claimed", "alert": aid}, ref))
            return
        sid = result[1].decode()
        await svc.redis.zadd(self.claimed_alerts, {aid: now})
        await svc.sessions.add_member_session(conn.uid or "", sid)
        # Live frames for the session (a message, its flag) that arrive while the transcript is
        # read are held, so that `joined` comes first and no message is delivered twice.
        conn.hold()
        try:
            svc.hub.join(conn, sid, "counselor")
            session = await svc.sessions.get(sid) or {}
            transcript = await svc.sessions.messages(sid, for_staff=True)
        except BaseException:
            conn.release([], {})
            raise
        joined = {"type": "joined", "session": sid, "alert": aid, "transcript": transcript,
                  "state": session.get("state"),
                  "peers": [{"role": r, "alias": session.get(f"{r}_alias", "")}
                            for r in ("seeker", "helper") if session.get(r)],
                  "topic": session.get("topic"), "note": session.get("note") or None}
        conn.release([p.with_ref(joined, ref)], {sid: transcript[-1]["seq"]} if transcript else {})
        await svc.hub.to_session(
            sid,
            {"type": "participant", "session": sid, "role": "counselor", "alias": conn.alias,
             "joined": True},
            roles=("seeker", "helper"),
        )
        await svc.hub.broadcast({"k": "oncall", "frame": {"type": "alert_claimed", "alert": aid,
                                                          "session": sid}, "tiers": None,
                                 "exclude": conn.uid})

    async def join(self, conn: Connection, frame: p.Join) -> None:
        """Look in on a watched session: raise (or reuse) its alert and claim it at once."""
        session = await self.svc.sessions.get(frame.session)
        if session is None or session["state"] == "ended":
            raise NotInSession("no such active session")
        if session.get("counselor") == conn.uid:
            raise Forbidden("you are already in this session")
        severity = max(2, int(session.get("max_sev") or 0))
        aid, _ = await self.raise_alert(frame.session, severity, "counselor looked in",
                                        "counselor looked in", [], "counselor")
        await self._claim_alert(conn, aid, frame.ref)

    async def takeover(self, conn: Connection, frame: p.Takeover) -> None:
        svc = self.svc
        sid = frame.session
        if conn.sessions.get(sid) != "counselor":
            raise NotInSession("you are not in this session")
        session = await svc.sessions.get(sid)
        if session is None or session["state"] != "active":
            raise NotInSession("this session is not active")
        helper = session.get("helper", "")
        async with svc.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.session(sid), mapping={"helper": "", "former_helper": helper,
                                                       "taken_over": conn.uid or ""})
            if helper:
                pipe.srem(svc.queue.keys.helper_sessions(helper), sid)
            await pipe.execute()
        if helper:
            await svc.sessions.forget_for(helper, sid)
            await svc.hub.to_user(
                helper,
                [{"type": "ended", "session": sid, "by": "counselor", "reason": "taken_over"}],
                detach=sid,
            )
            await svc.hub.to_session(
                sid,
                {"type": "participant", "session": sid, "role": "helper",
                 "alias": session.get("helper_alias", ""), "joined": False,
                 "reason": "taken_over"},
                roles=("seeker", "counselor"),
            )
        await self.audit("takeover", session.get("alert", ""), session=sid, by=conn.uid or "")
        conn.send(p.with_ref({"type": "taken_over", "session": sid}, frame.ref))
        await svc.matchmaker.kick()

    async def resolve(self, conn: Connection, frame: p.Resolve) -> None:
        svc = self.svc
        key = self.keys.alert(frame.alert)
        raw = await svc.redis.hmget(key, "state", "claimed_by", "session")
        if raw[0] is None:
            raise NotFound("no such alert")
        if raw[1] is None or raw[1].decode() != conn.uid:
            raise Forbidden("only the counselor who claimed this alert can resolve it")
        if raw[0] == b"resolved":
            conn.send(p.with_ref({"type": "alert_resolved", "alert": frame.alert,
                                  "session": raw[2].decode(), "outcome": frame.outcome}, frame.ref))
            return
        sid = raw[2].decode()
        await self._close_alert(frame.alert, sid, frame.outcome, conn.uid or "")
        conn.send(p.with_ref({"type": "alert_resolved", "alert": frame.alert, "session": sid,
                              "outcome": frame.outcome}, frame.ref))

    async def _close_alert(self, aid: str, sid: str, outcome: str, by: str) -> None:
        svc = self.svc
        now = _now_ms()
        async with svc.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.alert(aid), mapping={"state": "resolved", "outcome": outcome,
                                                     "resolved_at": now, "resolved_by": by})
            pipe.zrem(self.claimed_alerts, aid)
            pipe.zrem(self.keys.alerts_open, aid)
            await pipe.execute()
        if await svc.redis.hget(self.keys.session(sid), "alert") == aid.encode():
            await svc.redis.hset(self.keys.session(sid), "alert", "")
        await self.audit("resolved", aid, session=sid, by=by, outcome=outcome)
        await svc.hub.broadcast({"k": "oncall", "frame": {"type": "alert_resolved", "alert": aid,
                                                          "session": sid, "outcome": outcome},
                                 "tiers": None, "exclude": by})

    async def counselor_leaves(self, conn: Connection, sid: str, ref: str | None) -> None:
        svc = self.svc
        session = await svc.sessions.get(sid) or {}
        if session.get("taken_over") == conn.uid:
            await svc.lifecycle.end_session(sid, by="counselor", reason="left", leaver=conn,
                                            ref=ref)
            return
        await svc.redis.hset(self.keys.session(sid), mapping={"counselor": "",
                                                              "counselor_alias": ""})
        svc.hub.part(conn, sid)
        await svc.sessions.forget_for(conn.uid or "", sid)
        aid = session.get("alert", "")
        if aid and await svc.redis.hget(self.keys.alert(aid), "claimed_by") == (
            conn.uid or ""
        ).encode():
            await self._close_alert(aid, sid, "other", conn.uid or "")
        await svc.hub.to_session(
            sid,
            {"type": "participant", "session": sid, "role": "counselor", "alias": conn.alias,
             "joined": False},
        )
        conn.send(p.with_ref({"type": "ended", "session": sid, "by": "counselor",
                              "reason": "left"}, ref))

    # -- session events ----------------------------------------------------------------------

    async def matched(self, sid: str, session: dict[str, str], helper: str) -> None:
        if session.get("alert"):
            await self.audit("helper_matched", session["alert"], session=sid, by=helper)

    async def session_ended(self, sid: str, ended: Ended) -> None:
        """After a session with an alert, its helper gets a cooldown (and is told)."""
        svc = self.svc
        session = await svc.sessions.get(sid) or {}
        helper = ended.helper or session.get("former_helper", "")
        if ended.escalated and helper:
            until = _now_ms() + int(svc.settings.cooldown_s * 1000)
            await svc.queue.set_cooldown(helper, until)
            await svc.hub.to_user(helper, [{"type": "cooldown", "until": until,
                                            "seconds": int(svc.settings.cooldown_s)}])
        if session.get("alert"):
            await self.audit("session_ended", session["alert"], session=sid)

    async def audit(self, event: str, aid: str, **fields: Any) -> None:
        entry: dict[str, str | int] = {"event": event, "alert": aid, "ts": _now_ms()}
        entry.update({k: v for k, v in fields.items() if v is not None})
        await self.svc.redis.xadd(self.keys.audit, cast(Any, entry), maxlen=100_000,
                                  approximate=True)


def _alert_frame(aid: str, a: dict[str, str], tier: int) -> dict[str, Any]:
    return {"type": "alert", "alert": aid, "session": a["session"],
            "severity": int(a["severity"]), "excerpt": a["excerpt"], "reason": a["reason"],
            "raised_at": int(a["raised_at"]),
            "categories": [c for c in a.get("categories", "").split(",") if c],
            "message": a.get("message") or None,
            "tier": None if tier in (0, ALL_TIERS) else tier}


def _reason(verdict: Verdict) -> str:
    return "crisis language: " + ", ".join(verdict.categories[:4])


def _now_ms() -> int:
    return int(time.time() * 1000)
