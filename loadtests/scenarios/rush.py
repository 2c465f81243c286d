"""``rush``: the evening rush. ``--seekers N`` arrive evenly over ``--arrival T`` seconds (default
``--duration``) at ``--helpers M`` helpers of ``--capacity C``. Each seeker connects on arrival,
asks for help, says one line when matched, stays ``--hold`` seconds (±50 %) and leaves, which frees
the helper for the next one in the queue.

Reported: match wait (request sent → ``matched``) for everyone and for those who arrived while
the generator knew a helper slot was free; fairness (see :mod:`loadtests.fairness`); double matches
and helpers above capacity.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from ..client import TEXTS, Client
from ..fairness import SeekerTrace, double_matches, overtakes
from ..params import Params
from ..run import Run
from ..setup import TOPICS, close_all, open_helpers, open_seeker
from ..stats import summarize
from ..target import Target


async def rush(run: Run, target: Target, p: Params) -> None:
    n, m, cap = p.seekers, p.helpers, p.capacity
    run.check_connections(n + m)
    arrival = p.arrival if p.arrival is not None else p.duration
    run.phase = "helpers"
    helpers = await open_helpers(run, target, m, cap, p.conn_rate, p.conn_burst)
    for h in helpers:
        h.on_relay = lambda c, room, now: None
    slots = m * cap
    traces: list[SeekerTrace] = []
    free_at_request: list[bool] = []
    state = {"active": 0, "waiting": 0, "max_position": 0}
    rnd = random.Random(3)
    seekers: list[Client] = []

    async def seeker(i: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        ep = target.endpoints[i % len(target.endpoints)]
        try:
            c = await open_seeker(run, ep, f"s{i}", p.conn_rate, p.conn_burst)
        except Exception:
            return
        seekers.append(c)
        c.on_relay = lambda c, room, now: None
        tr = SeekerTrace(i, 0.0)
        matched = asyncio.Event()

        def queued(obj: dict[str, Any]) -> None:
            if tr.enqueued_at is None:
                tr.enqueued_at = time.monotonic()
            tr.priority = int(obj.get("priority") or 0)
            state["max_position"] = max(state["max_position"], int(obj.get("position") or 0))

        def on_matched(obj: dict[str, Any]) -> None:
            now = time.monotonic()
            if tr.enqueued_at is None:
                tr.enqueued_at = now
            if tr.matched_at is None:
                tr.matched_at = now
                state["waiting"] -= 1
                state["active"] += 1
            if obj["session"] not in tr.sessions:
                tr.sessions.append(obj["session"])
            matched.set()

        c.handlers["queued"] = queued
        c.handlers["matched"] = on_matched
        free_at_request.append(state["active"] + state["waiting"] < slots)
        state["waiting"] += 1
        tr.request_sent = c.send(
            {
                "type": "request",
                "topic": rnd.choice(TOPICS),
                "lang": rnd.choice(["en", "zh"]),
                "ref": "rq",
            }
        )
        traces.append(tr)
        try:
            await asyncio.wait_for(matched.wait(), timeout=p.match_timeout)
        except TimeoutError:
            tr.gone = True
            state["waiting"] -= 1
            c.close()
            return
        session = tr.sessions[0]
        c.send({"type": "say", "session": session, "text": TEXTS[i % len(TEXTS)], "ref": "r"})
        await asyncio.sleep(p.hold * rnd.uniform(0.5, 1.5))
        c.send({"type": "leave", "session": session, "ref": "leave"})
        try:
            await c.expect("ended", timeout=10.0)
        except (TimeoutError, ConnectionError):
            run.stats.other["leave_not_ended"] += 1
        state["active"] -= 1
        c.close()
        run.stats.delivered += 1  # a completed conversation

    run.phase = "rush"
    if run.probe:
        run.probe.start_cpu()
    t0 = time.monotonic() + 0.2
    step = arrival / max(1, n)
    run.progress_extra = lambda: f"active={state['active']} waiting={state['waiting']}"
    await asyncio.gather(*(seeker(i, t0 + i * step) for i in range(n)))
    run.phase = "done"
    waits = [(t.matched_at - t.request_sent) * 1000.0 for t in traces if t.matched_at is not None]
    free_waits = [
        (t.matched_at - t.request_sent) * 1000.0
        for t, free in zip(traces, free_at_request, strict=False)
        if free and t.matched_at is not None
    ]
    run.results["match_wait_ms"] = summarize(waits)
    run.results["match_wait_free_ms"] = summarize(free_waits)
    run.results["seekers_matched"] = len(waits)
    run.results["seekers_unmatched"] = sum(1 for t in traces if t.matched_at is None)
    run.results["max_queue_position"] = state["max_position"]
    run.results["fairness"] = overtakes(traces, p.fair_slack_ms)
    run.results["double_match"] = double_matches(
        {t.index: t.sessions for t in traces},
        {h.label: h.user.all_sessions for h in helpers},
        {h.label: h.user.peak_active for h in helpers},
        cap,
    )
    run.results["slots"] = slots
    run.results["arrival_rate_per_s"] = round(n / arrival, 1) if arrival else None
    run.results["connections"] = n + m
    if run.probe:
        run.results["server_cpu_pct"] = run.probe.cpu_percent()
        run.results["server_rss_mb"] = round(run.probe.rss() / 2**20, 1)
    await close_all(helpers)
