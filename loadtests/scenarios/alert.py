"""``alert``: the escalation path under ``steady`` load.

Background: ``--connections`` idle-ish pairs at ``--rate`` (as ``steady``). On top, ``--counselors``
counselors on call and ``--alerts`` crisis conversations spread over the measured window: a fresh
seeker is matched to a spare helper and says one crisis line; the latency is from that ``say``
leaving the generator to each on-call counselor's ``alert`` frame for that session. With
``--resolve`` the first counselor also claims (claim → ``joined`` latency) and resolves it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..client import CRISIS_TEXT, Client
from ..params import Params
from ..run import Run
from ..setup import close_all, helpers_needed, open_helpers, open_seeker, open_staff
from ..stats import summarize
from ..target import Target
from .steady import sessions_for, steady_load


async def open_counselors(run: Run, target: Target, n: int, p: Params) -> list[Client]:
    accounts = await target.staff("counselor", n)
    out = []
    for i, (_, token) in enumerate(accounts):
        ep = target.endpoints[i % len(target.endpoints)]
        c, _ = await open_staff(run, ep, f"c{i}", "counselor", token, p.conn_rate, p.conn_burst)
        c.send({"type": "status", "on_call": True})
        await c.expect("presence", timeout=15.0)
        out.append(c)
    return out


async def alert(run: Run, target: Target, p: Params) -> None:
    sessions = sessions_for(p.connections, p.capacity)
    helpers, pairs, loop = await steady_load(run, target, p, sessions)
    # Spare helpers for the crisis conversations: the background fills every other helper.
    spare = await open_helpers(
        run,
        target,
        helpers_needed(p.alerts, p.capacity),
        p.capacity,
        p.conn_rate,
        p.conn_burst,
        offset=len(helpers),
    )
    counselors = await open_counselors(run, target, p.counselors, p)
    got: dict[str, list[float]] = {}
    alert_ids: dict[str, str] = {}
    events: dict[str, asyncio.Event] = {}
    other: dict[str, int] = {}

    def on_alert(obj: dict[str, Any]) -> None:
        now = time.monotonic()
        s = obj.get("session", "")
        got.setdefault(s, []).append(now)
        alert_ids.setdefault(s, obj.get("alert", ""))
        ev = events.get(s)
        if ev is not None and len(got[s]) >= len(counselors):
            ev.set()

    def count(kind: str) -> Any:
        def h(obj: dict[str, Any]) -> None:
            other[kind] = other.get(kind, 0) + 1

        return h

    for c in counselors:
        c.handlers["alert"] = on_alert
        for kind in ("watch", "alert_claimed", "alert_resolved", "participant"):
            c.handlers[kind] = count(kind)
    latencies: list[float] = []
    claims: list[float] = []
    missing = 0
    crisis_clients: list[Client] = []

    async def crisis(k: int, at: float) -> None:
        nonlocal missing
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        ep = target.endpoints[k % len(target.endpoints)]
        s = await open_seeker(run, ep, f"x{k}", p.conn_rate, p.conn_burst)
        crisis_clients.append(s)
        s.handlers["resources"] = count("resources")
        s.send({"type": "request", "topic": "mood", "lang": "en"})
        m = await s.expect("matched", timeout=p.match_timeout)
        session = m["session"]
        ev = events[session] = asyncio.Event()
        t_say = s.send({"type": "say", "session": session, "text": CRISIS_TEXT, "ref": "x"})
        try:
            await asyncio.wait_for(ev.wait(), timeout=10.0)
        except TimeoutError:
            pass
        times = got.get(session, [])
        if not times:
            missing += 1
            return
        latencies.extend((t - t_say) * 1000.0 for t in times)
        if p.resolve and session in alert_ids:
            c = counselors[0]
            t_claim = c.send({"type": "claim", "alert": alert_ids[session], "ref": f"k{k}"})
            j = await c.expect("joined", "error", timeout=10.0)
            if j["type"] == "joined":
                claims.append((time.monotonic() - t_claim) * 1000.0)
                c.send(
                    {
                        "type": "resolve",
                        "alert": alert_ids[session],
                        "outcome": "safe",
                        "note": "load test",
                    }
                )
        s.send({"type": "leave", "session": session})

    loop.start()
    t_start = time.monotonic() + p.warmup
    step = p.duration / max(1, p.alerts)
    tasks = [asyncio.create_task(crisis(k, t_start + (k + 0.5) * step)) for k in range(p.alerts)]
    res = await loop.measure(p.warmup, p.duration)
    done = await asyncio.gather(*tasks, return_exceptions=True)
    failed = [d for d in done if isinstance(d, BaseException)]
    if failed:
        run.notes.append(
            f"{len(failed)} crisis conversations failed: {type(failed[0]).__name__}: {failed[0]}"
        )
    run.results.update(res)
    run.results["alert_latency_ms"] = summarize(latencies)
    run.results["alerts_raised"] = len(alert_ids)
    run.results["alerts_missing"] = missing + len(failed)
    run.results["counselors"] = len(counselors)
    if p.resolve:
        run.results["claim_latency_ms"] = summarize(claims)
    run.results["escalation_frames"] = other
    if run.probe:
        run.results["server_rss_mb"] = round(run.probe.peak_rss / 2**20, 1)
    run.results.pop("_rss_base", None)
    await close_all(crisis_clients + counselors + spare, [])
    await close_all([q.seeker for q in pairs] + list(helpers), pairs)
