"""``steady``: many connected, mostly idle pairs, each side sending now and then (open loop).

``--connections K`` is the total (seekers plus helpers); with helpers of capacity ``C`` that is
``S = K·C/(C+1)`` sessions. ``--rate R`` is the total message rate (default: each side of each
session says something every 5 s). The server's RSS is read before any connection, once all are
connected and idle, and at its peak under load: ``rss_per_conn_kib`` is the idle growth divided by
the connections.
"""

from __future__ import annotations

import asyncio

from ..loops import OpenLoop
from ..params import Params
from ..run import Run
from ..setup import Pair, close_all, helpers_needed
from ..target import Target
from .relay import matched_pairs, rooms_of


def sessions_for(connections: int, capacity: int) -> int:
    s = connections * capacity // (capacity + 1)
    while s + helpers_needed(s, capacity) > connections and s > 0:
        s -= 1
    return max(1, s)


async def idle_rss(run: Run) -> None:
    """Record idle RSS figures once the connections settle."""
    if not run.probe:
        return
    await asyncio.sleep(2.0)
    base = run.results.get("_rss_base", 0)
    idle = run.probe.rss()
    conns = max(1, run.open_conns)
    run.results["server_rss_mb_before"] = round(base / 2**20, 1)
    run.results["server_rss_mb_idle"] = round(idle / 2**20, 1)
    run.results["rss_per_conn_kib"] = round((idle - base) / conns / 1024, 1)


async def steady_load(
    run: Run, target: Target, p: Params, sessions: int
) -> tuple[list, list[Pair], OpenLoop]:
    if run.probe:
        run.results["_rss_base"] = run.probe.rss()
    helpers, pairs = await matched_pairs(run, target, p, sessions)
    run.results["sessions"] = len(pairs)
    run.results["connections"] = run.open_conns
    await idle_rss(run)
    rate = p.rate if p.rate is not None else 2 * len(pairs) / 5.0
    run.results["offered_rate_per_s"] = rate
    loop = OpenLoop(run, rooms_of(pairs), rate)
    return helpers, pairs, loop


async def steady(run: Run, target: Target, p: Params) -> None:
    sessions = sessions_for(p.connections, p.capacity)
    helpers, pairs, loop = await steady_load(run, target, p, sessions)
    loop.start()
    run.results.update(await loop.measure(p.warmup, p.duration))
    if run.probe:
        run.results["server_rss_mb"] = round(run.probe.peak_rss / 2**20, 1)
    run.results.pop("_rss_base", None)
    await close_all([q.seeker for q in pairs] + list(helpers), pairs)
