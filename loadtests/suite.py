"""``python -m loadtests suite``: every measurement of ``docs/performance.md`` in one command.

Each step starts what it measures from nothing (a fresh redis-server on a free loopback port and
fresh ``peerline serve`` processes), runs one scenario with the same code as ``run``, writes its
report into ``--out`` and stops what it started. ``--profile`` also records the Peerline server
with py-spy during the relay window (a raw folded file and a top-functions table).

Sizes are the issue's: relay with 1,000 pairs, steady with 4,000 connections at 2,000 msgs/s,
rush with 1,000 seekers; ``--scale 0.1`` shrinks every count for a quick look.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from . import report
from .launch import Proc, start_peerline, start_redis
from .params import Params
from .run import Run, ServerProbe, bounded, setup_allowance
from .scenarios import SCENARIOS
from .target import Target, cli_provisioner, parse_url

RAISED = {"PEERLINE_RATE_PER_S": "2000", "PEERLINE_RATE_BURST": "4000"}


def steps(scale: float, duration: float) -> list[dict[str, Any]]:
    def n(x: int) -> int:
        return max(2, int(x * scale))

    d = duration
    return [
        # Closed loop through one process: the peers' workload, helpers with 10 sessions each.
        {
            "name": "relay",
            "scenario": "relay",
            "servers": 1,
            "env": RAISED,
            "params": Params(pairs=n(1000), capacity=10, conn_rate=0, duration=d, warmup=3),
        },
        # The same through two processes sharing one Redis.
        {
            "name": "multi",
            "scenario": "multi",
            "servers": 2,
            "env": RAISED,
            "params": Params(pairs=n(1000), capacity=10, conn_rate=0, duration=d, warmup=3),
        },
        # Many idle-ish connections at a fixed rate, default rate limit.
        {
            "name": "steady",
            "scenario": "steady",
            "servers": 1,
            "env": {},
            "params": Params(connections=n(4000), capacity=10, rate=n(2000), duration=d, warmup=3),
        },
        # Crisis to alert under steady load.
        {
            "name": "alert",
            "scenario": "alert",
            "servers": 1,
            "env": {},
            "params": Params(
                connections=n(2000),
                capacity=10,
                rate=n(1000),
                alerts=n(30),
                counselors=2,
                resolve=True,
                duration=d,
                warmup=3,
            ),
        },
        # The evening rush: helpers mostly free, then overloaded.
        {
            "name": "rush-free",
            "scenario": "rush",
            "servers": 1,
            "env": {},
            "params": Params(seekers=n(1000), helpers=n(40), capacity=3, hold=1.0, duration=d),
        },
        {
            "name": "rush-overload",
            "scenario": "rush",
            "servers": 1,
            "env": {},
            "params": Params(
                seekers=n(1000), helpers=n(20), capacity=3, hold=2.0, duration=d, match_timeout=120
            ),
        },
    ]


class PySpy:
    """py-spy on the server processes for the measured window."""

    def __init__(self, pids: list[int], out: Path) -> None:
        self.pids = pids
        self.out = out
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, duration: float) -> None:
        exe = shutil.which("py-spy")
        if not exe:
            print("py-spy not found: no profile", file=sys.stderr)
            return
        for i, pid in enumerate(self.pids):
            path = self.out.with_name(f"{self.out.stem}-{i}.folded")
            self.procs.append(
                subprocess.Popen(
                    [
                        exe,
                        "record",
                        "-p",
                        str(pid),
                        "-d",
                        str(int(duration)),
                        "-r",
                        "100",
                        "-f",
                        "raw",
                        "-o",
                        str(path),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def finish(self) -> None:
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


COMPONENTS = (
    ("Runner.run", "event loop (uvloop, C: polling, socket reads)"),
    ("redis/", "redis-py client (incl. its socket writes)"),
    ("uvicorn/", "uvicorn (handshake, keepalive, frame events)"),
    ("write_frames (server/wsproto", "WebSocket socket writes (server/wsproto.py)"),
    ("concurrent/futures/thread", "idle thread-pool worker (waiting in queue.get)"),
    ("starlette/", "starlette (ASGI app)"),
    ("websockets/", "websockets protocol (frames)"),
    ("moderation/", "moderation"),
    ("matching/", "matching"),
    ("server/", "Peerline hub code"),
    ("pydantic", "pydantic validation"),
    ("json/", "json"),
    ("msgpack", "msgpack"),
    ("prometheus", "prometheus metrics"),
    ("logging", "logging"),
    ("asyncio/", "asyncio (tasks, futures, timeouts, streams)"),
)


def component(frame: str) -> str:
    for key, name in COMPONENTS:
        if key in frame:
            return name
    return "other"


def top_functions(folded: Path, n: int = 40) -> str:
    """Inclusive and self share of samples per function, as a Markdown table."""
    incl: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        c = int(count)
        total += c
        frames = stack.split(";")
        for f in set(frames):
            incl[f] += c
        own[frames[-1]] += c
    comp: Counter[str] = Counter()
    for f, c in own.items():
        comp[component(f)] += c
    parts = [
        "| self % | component (where the samples' innermost Python frame was) |",
        "| --- | --- |",
    ]
    parts += [f"| {100 * c / total:.1f} | {name} |" for name, c in comp.most_common()]
    rows = ["| inclusive % | self % | function |", "| --- | --- | --- |"]
    for f, c in incl.most_common(n):
        rows.append(f"| {100 * c / total:.1f} | {100 * own[f] / total:.1f} | `{f}` |")
    return f"{total} samples\n\n" + "\n".join(parts) + "\n\n" + "\n".join(rows) + "\n"


DURABILITY_AOF = {"local": "everysec", "fsync": "always", "replica": "everysec"}
"""The AOF policy of the Redis each ``--durability`` is measured on (docs/operations.md)."""


async def run_step(
    step: dict[str, Any], out: Path, workers: int, profile: bool, cpus: float | None = None,
    durability: str | None = None,
) -> dict[str, Any]:
    """One step; with ``durability`` its Redis keeps an AOF (and for ``replica`` has a replica
    of its own) and the servers run with ``PEERLINE_DURABILITY`` set to it."""
    redis = await start_redis(appendfsync=DURABILITY_AOF[durability] if durability else None)
    replica = (await start_redis(appendfsync="everysec", replica_of=redis.port)
               if durability == "replica" else None)
    if durability:
        step = {**step, "env": {**step["env"], "PEERLINE_DURABILITY": durability}}
    servers: list[Proc] = []
    spy: PySpy | None = None
    try:
        url = redis.extra["url"]
        if replica is not None:
            await wait_replicated(url)
        for _ in range(step["servers"]):
            servers.append(await start_peerline(url, workers, step["env"], cpus=cpus))
        target = Target(
            [parse_url(f"ws://127.0.0.1:{s.port}/ws") for s in servers],
            provision=cli_provisioner(url),
        )
        p: Params = step["params"]
        run = Run(
            step["scenario"], p.as_dict(), p.duration, probe=ServerProbe([s.pid for s in servers])
        )
        if profile and step["scenario"] in ("relay", "steady"):
            spy = PySpy([s.pid for s in servers], out / f"{step['name']}-profile.folded")
            run.on_measure = spy.start
        print(f"== {step['name']}", file=sys.stderr)
        try:
            await bounded(run, SCENARIOS[step["scenario"]](run, target, p), setup_allowance(p))
        except Exception as exc:
            run.notes.append(f"scenario failed: {type(exc).__name__}: {exc}")
        if spy:
            spy.finish()
        from .__main__ import errors_by_kind

        rep = report.build(
            step["scenario"],
            p.as_dict(),
            run.results,
            run.stats.error_total(),
            errors_by_kind(run),
            run.notes,
            run.latency.series(),
            [e.ws_url for e in target.endpoints],
        )
        rep["step"] = step["name"]
        rep["durability"] = durability or "local (no AOF)"
        rep["server_env"] = step["env"]
        rep["servers"] = step["servers"]
        if cpus:
            rep["server_cpu_budget"] = cpus
            rep["server_throttled"] = [list(s.cpu.throttled()) for s in servers if s.cpu]
        name = f"{step['name']}-{durability}" if durability else step["name"]
        report.write(rep, out / f"{name}.json")
        if spy:
            for f in sorted(out.glob(f"{step['name']}-profile-*.folded")):
                if f.stat().st_size:
                    f.with_suffix(".md").write_text(top_functions(f))
        return rep
    finally:
        for s in servers:
            s.stop()
        if replica is not None:
            replica.stop()
        redis.stop()


async def wait_replicated(url: str, timeout_s: float = 30.0) -> None:
    """Until the primary at ``url`` has a replica connected (``connected_slaves``)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        for _ in range(int(timeout_s * 10)):
            if int((await client.info("replication")).get("connected_slaves", 0)) >= 1:
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("the replica did not connect")
    finally:
        await client.aclose()


async def suite_command(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    wanted = {w.strip() for w in args.only.split(",")} if args.only else None
    summary: dict[str, Any] = {}
    for step in steps(args.scale, args.duration):
        if wanted and step["name"] not in wanted:
            continue
        rep = await run_step(step, out, args.workers, args.profile, args.server_cpus,
                             args.durability)
        summary[step["name"]] = {k: rep.get(k) for k in report.STABLE}
        await asyncio.sleep(2.0)
    print(summary, file=sys.stderr)
    return 0


def add_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--out", type=Path, default=Path("loadtests/out"))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every count (default 1)")
    ap.add_argument("--duration", type=float, default=20.0, help="measured seconds per step")
    ap.add_argument("--only", default="", help="comma list of step names")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn workers per server process")
    ap.add_argument("--profile", action="store_true", help="py-spy the server during relay/steady")
    ap.add_argument(
        "--durability",
        choices=sorted(DURABILITY_AOF),
        default=None,
        help="run with PEERLINE_DURABILITY set, on a Redis with an AOF (appendfsync always for "
        "fsync) and, for replica, a replica of its own; reports are named <step>-<mode>.json "
        "(default: no AOF, as the other measurements)",
    )
    ap.add_argument(
        "--server-cpus",
        type=float,
        default=None,
        help="give each server process a CPU budget of this many cores in a cgroup of its own "
        "(e.g. 0.4; Linux, root): one process per small machine, for relay vs multi on a box "
        "whose cores the generator and Redis share",
    )
