"""``relay`` and ``multi``: matched pairs, then closed-loop ping-pong through the server(s)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import fastjson
from ..client import TEXTS, Client
from ..loops import ClosedLoop, OpenLoop, Room
from ..params import Params
from ..run import Run
from ..setup import Pair, close_all, helpers_needed, match_seekers, open_helpers
from ..stats import summarize
from ..target import Target


def say_head(session: str, text: str, ref_prefix: str) -> bytes:
    """``{"type":"say","session":…,"text":…,"ref":"<ref_prefix>`` — the loop appends a unique
    number and ``"}``."""
    head = fastjson.dumps({"type": "say", "session": session, "text": text})
    return head[:-1] + b',"ref":"' + ref_prefix.encode()


def rooms_of(pairs: Sequence[Pair]) -> list[Room]:
    n = len(TEXTS)
    return [
        Room(
            p.session,
            p.seeker,
            p.helper,
            say_head(p.session, TEXTS[i % n], "a"),
            say_head(p.session, TEXTS[(i + 3) % n], "b"),
            b'"}',
        )
        for i, p in enumerate(pairs)
    ]


async def matched_pairs(
    run: Run, target: Target, p: Params, pairs: int
) -> tuple[list[Client], list[Pair]]:
    """Helpers up and available, then ``pairs`` seekers matched to them."""
    n_helpers = helpers_needed(pairs, p.capacity)
    run.check_connections(pairs + n_helpers)
    run.phase = "helpers"
    helpers = await open_helpers(run, target, n_helpers, p.capacity, p.conn_rate, p.conn_burst)
    run.phase = "match"
    matched, waits = await match_seekers(
        run, target, helpers, pairs, p.conn_rate, p.conn_burst, timeout=p.match_timeout
    )
    run.results["setup_match_wait_ms"] = summarize(waits)
    run.results["helpers"] = n_helpers
    run.results["pairs_matched"] = len(matched)
    return helpers, matched


def traffic(run: Run, rooms: list[Room], rate: float | None) -> ClosedLoop | OpenLoop:
    """Closed-loop ping-pong, or with ``--rate`` an open loop at that total rate."""
    run.results["loop"] = "closed" if rate is None else f"open at {rate:g} msgs/s"
    return ClosedLoop(run, rooms) if rate is None else OpenLoop(run, rooms, rate)


async def relay(run: Run, target: Target, p: Params) -> None:
    helpers, pairs = await matched_pairs(run, target, p, p.pairs)
    run.results["connections"] = run.open_conns
    if run.probe:
        run.results["server_rss_mb_idle"] = round(run.probe.rss() / 2**20, 1)
    loop = traffic(run, rooms_of(pairs), p.rate)
    loop.start()
    run.results.update(await loop.measure(p.warmup, p.duration))
    await close_all([q.seeker for q in pairs] + list(helpers), pairs)


async def multi(run: Run, target: Target, p: Params) -> None:
    """``relay`` over two or more server processes sharing one Redis. Seekers and helpers are
    spread round-robin over the URLs with different offsets, so most pairs cross processes and
    every message goes through Redis pub/sub to the other process."""
    if len(target.endpoints) < 2:
        raise ValueError("multi needs --url given at least twice (two server processes)")
    helpers, pairs = await matched_pairs(run, target, p, p.pairs)
    nodes = {h.user.node for h in helpers if h.user.node}
    run.results["server_nodes_seen"] = len(nodes)
    run.results["cross_process_pairs"] = sum(
        1 for q in pairs if q.seeker.endpoint != q.helper.endpoint
    )
    run.results["connections"] = run.open_conns
    per_ep: dict[int, int] = {}
    for c in [q.seeker for q in pairs] + list(helpers):
        per_ep[c.endpoint] = per_ep.get(c.endpoint, 0) + 1
    run.results["connections_per_url"] = [per_ep.get(i, 0) for i in range(len(target.endpoints))]
    if run.probe:
        run.results["server_rss_mb_idle"] = round(run.probe.rss() / 2**20, 1)
    loop = traffic(run, rooms_of(pairs), p.rate)
    loop.start()
    run.results.update(await loop.measure(p.warmup, p.duration))
    await close_all([q.seeker for q in pairs] + list(helpers), pairs)
