"""``python -m loadtests pipecost``: the client's CPU per script call, hand-written hot-path
connection against redis-py's pipeline, on one node and on a 3-master Cluster.

The question the hot path's own connection (``server/store/resp.py``, ``slots.py``) must answer
(issue 17): does it still earn its place over redis-py's pipeline once it routes by slot? Both
sides send the same calls (a small script given one key and a 40-byte argument, as ``say.lua``
is) in batches of ``--batch``, and the process's own CPU time (``time.process_time``, so Redis's
CPU and the wait are not counted) is divided by the calls made. One node and the Cluster are
started here (``tests/redis_topologies.py``); run from the repository root.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from server.store.client import cluster_client
from server.store.resp import RespConnection, pack
from server.store.slots import ClusterConnection, SlotMap
from server.store.topology import parse

SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]); return 'ok'"


def add_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--batch", type=int, default=64, help="calls per batch (default 64)")
    ap.add_argument("--batches", type=int, default=400, help="batches per side (default 400)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")


async def _measure(send: Callable[[list[tuple[str, str]]], Awaitable[None]],
                   batch: int, batches: int) -> float:
    """CPU µs per call over ``batches`` batches of ``batch`` calls (keys over every slot)."""
    line = "x" * 40
    cpu0 = time.process_time()
    for b in range(batches):
        await send([(f"{{s{b * batch + i}}}:h", line) for i in range(batch)])
    return (time.process_time() - cpu0) / (batch * batches) * 1e6


async def compare(url: str, batch: int, batches: int, rounds: int) -> dict[str, list[float]]:
    """Both connections, alternating, ``rounds`` times: CPU µs per call of each."""
    topology = parse(url)
    client: Any
    if topology.kind == "cluster":
        client = cluster_client(topology, 8, 5.0)
        hot: Any = ClusterConnection(topology, SlotMap(topology, 5.0), 5.0)
    else:
        client = aioredis.Redis.from_url(url)
        hot = RespConnection(topology, 5.0)
    sha = await client.script_load(SCRIPT)

    async def own(calls: list[tuple[str, str]]) -> None:
        replies = await hot.batch([pack(("EVALSHA", sha, 1, k, v)) for k, v in calls])
        assert replies[-1] == b"ok", replies[-1]

    async def redis_py(calls: list[tuple[str, str]]) -> None:
        async with client.pipeline(transaction=False) as pipe:
            for key, value in calls:
                pipe.evalsha(sha, 1, key, value)
            replies = await pipe.execute()
        assert replies[-1] == b"ok", replies[-1]

    out: dict[str, list[float]] = {"resp.py/slots.py": [], "redis-py pipeline": []}
    try:
        await _measure(own, batch, 20)  # warm both up: connections, slot maps
        await _measure(redis_py, batch, 20)
        for _ in range(rounds):
            out["resp.py/slots.py"].append(await _measure(own, batch, batches))
            out["redis-py pipeline"].append(await _measure(redis_py, batch, batches))
    finally:
        hot.close()
        await client.aclose()
    return out


@contextlib.contextmanager
def _topology(kind: str) -> Any:
    from tests.redis_topologies import Node, redis_cluster

    if kind == "cluster":
        with redis_cluster() as cluster:
            yield cluster.url
        return
    with tempfile.TemporaryDirectory(prefix="peerline-pipecost-") as tmp:
        node = Node(Path(tmp), ["--save", "", "--appendonly", "no"])
        node.start()
        try:
            yield f"redis://127.0.0.1:{node.port}/0"
        finally:
            node.close()


def print_pipecost(args: argparse.Namespace) -> int:
    rows = ["| Redis | connection | client CPU µs per call (each round) | median |",
            "| --- | --- | --- | --- |"]
    for kind in ("node", "cluster"):
        with _topology(kind) as url:
            result = asyncio.run(compare(url, args.batch, args.batches, args.rounds))
        for name, values in result.items():
            median = sorted(values)[len(values) // 2]
            rows.append(f"| {kind} | {name} | {', '.join(f'{v:.1f}' for v in values)} | "
                        f"{median:.1f} |")
    print(f"batches of {args.batch} calls, {args.batches} batches a round\n")
    print("\n".join(rows))
    return 0
