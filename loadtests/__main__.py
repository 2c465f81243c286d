"""``python -m loadtests run …`` and ``python -m loadtests peers …``.

Examples (the server's own Redis URL is needed to create staff accounts through the operator CLI)::

    python -m loadtests run --url ws://127.0.0.1:8000/ws --redis-url redis://127.0.0.1:6390/0 \\
        --scenario relay --pairs 500 --capacity 3 --duration 20 --report out/relay.json
    python -m loadtests peers --pairs 500 --duration 20 --report out/peers.json
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import traceback
from pathlib import Path
from typing import Any

from .params import Params


def add_load_args(ap: argparse.ArgumentParser) -> None:
    d = Params()
    ap.add_argument(
        "--pairs",
        type=int,
        default=d.pairs,
        help="relay/multi: matched pairs (default %(default)s)",
    )
    ap.add_argument(
        "--seekers",
        type=int,
        default=d.seekers,
        help="rush: seekers arriving (default %(default)s)",
    )
    ap.add_argument(
        "--helpers", type=int, default=d.helpers, help="rush: helpers (default %(default)s)"
    )
    ap.add_argument(
        "--capacity",
        type=int,
        default=d.capacity,
        help="sessions per helper, 1-10 (default %(default)s)",
    )
    ap.add_argument(
        "--connections",
        type=int,
        default=d.connections,
        help="steady/alert: total connections (default %(default)s)",
    )
    ap.add_argument(
        "--rate",
        type=float,
        default=None,
        help="steady/alert: total messages/s (default: each side every 5 s); "
        "relay/multi/peers: an open loop at this rate instead of the closed loop",
    )
    ap.add_argument(
        "--duration", type=float, default=d.duration, help="measured seconds (default %(default)s)"
    )
    ap.add_argument(
        "--warmup",
        type=float,
        default=d.warmup,
        help="seconds before measuring (default %(default)s)",
    )
    ap.add_argument(
        "--arrival", type=float, default=None, help="rush: arrival window in s (default --duration)"
    )
    ap.add_argument(
        "--hold", type=float, default=d.hold, help="rush: seconds a seeker stays after matched"
    )
    ap.add_argument(
        "--alerts",
        type=int,
        default=d.alerts,
        help="alert: crisis conversations (default %(default)s)",
    )
    ap.add_argument(
        "--counselors", type=int, default=d.counselors, help="alert: counselors on call"
    )
    ap.add_argument("--resolve", action="store_true", help="alert: claim and resolve every alert")
    ap.add_argument(
        "--conn-rate",
        type=float,
        default=d.conn_rate,
        help="client-side pacing per connection, frames/s; 0 = off (default %(default)s, "
        "under the server's 20/s)",
    )
    ap.add_argument(
        "--conn-burst", type=int, default=d.conn_burst, help="pacing burst (default %(default)s)"
    )
    ap.add_argument(
        "--fair-slack-ms",
        type=float,
        default=d.fair_slack_ms,
        help="rush: delivery jitter allowed before calling an overtake (default %(default)s)",
    )
    ap.add_argument("--match-timeout", type=float, default=d.match_timeout)
    ap.add_argument(
        "--report", type=Path, required=True, help="JSON report path (.md and .png beside it)"
    )
    ap.add_argument(
        "--plot",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="force the latency plot on or off (default: on for runs of 20 s or more)",
    )


def params_of(args: argparse.Namespace) -> Params:
    p = Params()
    for k in vars(p):
        if hasattr(args, k):
            setattr(p, k, getattr(args, k))
    if not 1 <= p.capacity <= 10:
        raise SystemExit("--capacity must be 1 to 10 (the protocol's limit)")
    for name in ("pairs", "seekers", "helpers", "connections", "alerts", "counselors"):
        if getattr(p, name) < 0:
            raise SystemExit(f"--{name} must not be negative")
    if p.duration <= 0 or p.duration > 1800:
        raise SystemExit("--duration must be in (0, 1800] seconds")
    return p


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m loadtests",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="run one scenario against a running Peerline")
    run.add_argument(
        "--url",
        action="append",
        required=True,
        help="ws://127.0.0.1:PORT/ws of a server process; repeat for multi",
    )
    from .scenarios import SCENARIOS

    run.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    run.add_argument(
        "--redis-url", help="the server's Redis, to create staff accounts with the operator CLI"
    )
    run.add_argument(
        "--data-dir", help="the server's data dir (embedded Redis), instead of --redis-url"
    )
    run.add_argument(
        "--server-pid", default="", help="PID[,PID…] of the server processes, for RSS and CPU"
    )
    add_load_args(run)
    peers = sub.add_parser(
        "peers", help="the relay workload against the peer stacks (and Peerline)"
    )
    peers.add_argument(
        "--only",
        default="websockets,socketio,socketio-redis,channels,peerline",
        help="comma list of: websockets, socketio (rooms in memory, one process), socketio-redis "
        "(rooms in Redis, any number of processes), channels, peerline (default all)",
    )
    peers.add_argument(
        "--redis-url",
        help="Redis for Peerline and the Redis-backed peers (default: start a redis-server)",
    )
    peers.add_argument("--peerline-workers", type=int, default=1)
    peers.add_argument(
        "--peerline-rate-limit",
        type=float,
        default=None,
        help="PEERLINE_RATE_PER_S for the Peerline server started here",
    )
    peers.add_argument(
        "--server-cpus",
        type=float,
        default=None,
        help="run every stack's server within a budget of this many cores (a cgroup of its "
        "own; Linux, root): the same CPU for each, the generator and Redis outside it",
    )
    add_load_args(peers)
    suite = sub.add_parser("suite", help="start servers and run every measurement of the docs")
    from .suite import add_args

    add_args(suite)
    tables = sub.add_parser("tables", help="print the docs' Markdown tables from a suite's reports")
    tables.add_argument("--out", type=Path, default=Path("loadtests/out"))
    prof = sub.add_parser("profile", help="summarise a py-spy raw (folded) profile as Markdown")
    prof.add_argument("folded", type=Path)
    sub.add_parser("hotpath", help="CPU µs per message of each in-process step of the server")
    speed = sub.add_parser("speed", help="how much a fixed loop's CPU time varies on this machine")
    speed.add_argument("--samples", type=int, default=20)
    soak = sub.add_parser("soak", help="steady chat for minutes while Redis restarts: lost, "
                          "undelivered, RSS")
    from .soak import add_args as add_soak_args

    add_soak_args(soak)
    topo = sub.add_parser("topologies", help="the relay through 1-3 processes on one Redis "
                          "node, Sentinel and a Cluster, all started here")
    from .topologies import add_args as add_topology_args

    add_topology_args(topo)
    pipe = sub.add_parser("pipecost", help="client CPU per script call: the hot path's own "
                          "connection against redis-py's pipeline, one node and a Cluster")
    from .pipecost import add_args as add_pipecost_args

    add_pipecost_args(pipe)
    cost = sub.add_parser("storecost", help="Redis's µs per say.lua call as conversations grow")
    cost.add_argument("--sessions", type=int, default=200)
    cost.add_argument("--rounds", type=int, default=12)
    cost.add_argument("--per-round", type=int, default=50, help="messages per session a round")
    cost.add_argument(
        "--instructions",
        action="store_true",
        help="also count Redis's instructions per call (redis-server under callgrind; slow: "
        "use fewer --sessions)",
    )
    return ap


async def run_command(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from . import report
    from .run import Run, ServerProbe, bounded, setup_allowance
    from .scenarios import SCENARIOS
    from .target import Target, cli_provisioner

    p = params_of(args)
    prov = (
        cli_provisioner(args.redis_url, args.data_dir)
        if (args.redis_url or args.data_dir)
        else None
    )
    target = Target.from_urls(args.url, provision=prov)
    pids = [int(x) for x in args.server_pid.split(",") if x.strip()]
    probe = ServerProbe(pids) if pids else None
    run = Run(args.scenario, p.as_dict(), p.duration, probe=probe)
    code = 0
    try:
        await bounded(
            run, SCENARIOS[args.scenario](run, target, p), setup_allowance=setup_allowance(p)
        )
    except Exception as exc:  # the report still says what happened
        traceback.print_exc(file=sys.stderr)
        run.notes.append(f"scenario failed: {type(exc).__name__}: {exc}")
        code = 1
    rep = report.build(
        args.scenario,
        p.as_dict(),
        run.results,
        run.stats.error_total(),
        errors_by_kind(run),
        run.notes,
        run.latency.series(),
        [e.ws_url for e in target.endpoints],
    )
    for path in report.write(rep, args.report, args.plot):
        print(path, file=sys.stderr)
    return rep, code


def errors_by_kind(run: Any) -> dict[str, Any]:
    s = run.stats
    out: dict[str, Any] = {f"error:{k}": v for k, v in s.errors.items()}
    out.update({f"close:{k}": v for k, v in s.closes.items()})
    if s.connect_failures:
        out["connect_failures"] = s.connect_failures
    if s.paced:
        out["paced_sends (not errors)"] = s.paced
    for k, v in s.other.items():
        out[k] = v
    return out


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    raise_fd_limit()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    if args.cmd == "run":
        _, code = runner(run_command(args))
        return code
    if args.cmd == "profile":
        from .suite import top_functions

        print(top_functions(args.folded))
        return 0
    if args.cmd == "soak":
        from .soak import main as soak_main

        return soak_main(args)
    if args.cmd == "storecost":
        from .storecost import print_storecost

        return print_storecost(args.sessions, args.rounds, args.per_round, args.instructions)
    if args.cmd == "pipecost":
        from .pipecost import print_pipecost

        return print_pipecost(args)
    if args.cmd == "topologies":
        from .topologies import topologies_command

        return runner(topologies_command(args))
    if args.cmd == "speed":
        from .speed import print_speed

        return print_speed(args.samples)
    if args.cmd == "hotpath":
        from .hotpath import print_hotpath

        return print_hotpath()
    if args.cmd == "tables":
        from .tables import print_tables

        return print_tables(args.out)
    if args.cmd == "suite":
        from .suite import suite_command

        return runner(suite_command(args))
    from .peers.bench import peers_command

    params = params_of(args)
    return runner(peers_command(args, params))


if __name__ == "__main__":
    sys.exit(main())
