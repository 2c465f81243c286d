"""``python -m loadtests peers``: the ``relay`` workload against each peer, one after the other, in
the same run on the same machine, and Peerline's figures as ratios to theirs.

Each target gets a fresh server process (and Peerline and Channels one fresh redis-server, shared
by both but flushed in between by using a new one per target), the same pairs, the same capacity,
the same warm-up and the same measured window; the generator is the same process throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from .. import fastjson, report
from ..client import TEXTS
from ..launch import REDIS_PEERS, Proc, start_peer, start_peerline, start_redis
from ..loops import Room
from ..params import Params
from ..run import Run, ServerProbe, bounded, setup_allowance
from ..scenarios.relay import relay, traffic
from ..setup import close_all
from ..target import Target, cli_provisioner, parse_url
from .adapters import ADAPTERS, open_rooms

ORDER = ("websockets", "socketio", "socketio-redis", "channels", "peerline")


async def run_peer(
    name: str, p: Params, redis_url: str | None, cpus: float | None = None
) -> dict[str, Any]:
    adapter = ADAPTERS[name]
    proc = await start_peer(name, redis_url, cpus)
    run = Run(f"peers:{name}", p.as_dict(), p.duration, probe=ServerProbe([proc.pid]))
    try:

        async def body() -> None:
            run.phase = "connect"
            seekers, helpers = await open_rooms(adapter, proc.port, run.stats, p.pairs, p.capacity)
            run.open_conns = len(seekers) + len(helpers)
            run.results["connections"] = run.open_conns
            assert run.probe is not None
            run.results["server_rss_mb_idle"] = round(run.probe.rss() / 2**20, 1)
            rooms = []
            n = len(TEXTS)
            for h in helpers:
                for r in h.user:
                    i = int(r[1:])
                    s = seekers[i]
                    rooms.append(
                        Room(
                            r,
                            s,
                            h,
                            adapter.say(r, TEXTS[i % n]),
                            adapter.say(r, TEXTS[(i + 3) % n]),
                        )
                    )
            loop = traffic(run, rooms, p.rate)
            loop.start()
            run.results.update(await loop.measure(p.warmup, p.duration))
            run.results["server_rss_mb"] = round(run.probe.peak_rss / 2**20, 1)
            await close_all(seekers + helpers)

        await bounded(run, body(), setup_allowance=120.0 + p.warmup)
    finally:
        proc.stop()
    return summary(run)


async def run_peerline(
    p: Params, redis_url: str, workers: int, rate_limit: float | None, cpus: float | None = None
) -> dict[str, Any]:
    env = {}
    if rate_limit is not None:
        env["PEERLINE_RATE_PER_S"] = str(rate_limit)
        env["PEERLINE_RATE_BURST"] = str(max(50, int(rate_limit * 2)))
    proc = await start_peerline(redis_url, workers, env, cpus=cpus)
    run = Run("peers:peerline", p.as_dict(), p.duration, probe=ServerProbe([proc.pid]))
    target = Target(
        [parse_url(f"ws://127.0.0.1:{proc.port}/ws")], provision=cli_provisioner(redis_url)
    )
    try:
        await bounded(run, relay(run, target, p), setup_allowance=setup_allowance(p))
        if run.probe:
            run.results["server_rss_mb"] = round(run.probe.peak_rss / 2**20, 1)
    finally:
        proc.stop()
    out = summary(run)
    out["workers"] = workers
    out["rate_limit_per_s"] = rate_limit
    return out


def summary(run: Run) -> dict[str, Any]:
    r = run.results
    return {
        "delivered_per_s": r.get("delivered_per_s"),
        "latency_ms": r.get("latency_ms"),
        "connections": r.get("connections"),
        "server_cpu_pct": r.get("server_cpu_pct"),
        "generator_cpu_pct": r.get("generator_cpu_pct"),
        "server_rss_mb": r.get("server_rss_mb"),
        "server_rss_mb_idle": r.get("server_rss_mb_idle"),
        "errors": run.stats.error_total(),
        "paced_sends": run.stats.paced,
        "notes": run.notes,
        "latency_series": run.latency.series(),
    }


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    pl = results.get("peerline", {})
    out: dict[str, float | None] = {}
    for name in ORDER[:-1]:
        peer = results.get(name)
        if not peer or not pl:
            continue
        a, b = pl.get("delivered_per_s"), peer.get("delivered_per_s")
        key = name.replace("-", "_")
        out[f"throughput_vs_{key}"] = round(a / b, 3) if a and b else None
        la, lb = (pl.get("latency_ms") or {}).get("p99"), (peer.get("latency_ms") or {}).get("p99")
        out[f"p99_latency_vs_{key}"] = round(la / lb, 3) if la and lb else None
    return out


def markdown(rep: dict[str, Any]) -> str:
    p = rep["params"]
    loop = "closed-loop ping-pong" if p["rate"] is None else f"open loop at {p['rate']:g} msgs/s"
    lines = [
        "# Relay workload: Peerline and its peers",
        "",
        f"{p['pairs']} pairs (seekers in one room each, helpers in {p['capacity']} rooms each), "
        f"{loop}, {p['warmup']:g} s warm-up, {p['duration']:g} s measured, "
        f"generator and servers on the same {rep['machine']['cpus']} CPUs"
        + (
            f", each server within a budget of {rep['server_cpu_budget']:g} cores."
            if rep.get("server_cpu_budget")
            else "."
        ),
        "",
        "| stack | conns | msgs/s | p50 ms | p95 ms | p99 ms | max ms | server CPU % "
        "| generator CPU % | server RSS MB | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in ORDER:
        r = rep["results"].get(name)
        if not r:
            continue
        lat = r.get("latency_ms") or {}
        cells = [
            name,
            r.get("connections"),
            r.get("delivered_per_s"),
            lat.get("p50"),
            lat.get("p95"),
            lat.get("p99"),
            lat.get("max"),
            r.get("server_cpu_pct"),
            r.get("generator_cpu_pct"),
            r.get("server_rss_mb"),
            r.get("errors"),
        ]
        lines.append("| " + " | ".join(report._fmt(c) for c in cells) + " |")
    if rep.get("ratios"):
        lines += [
            "",
            "Peerline as a ratio: " + ", ".join(f"`{k}` {v}" for k, v in rep["ratios"].items()),
        ]
    for name, r in rep["results"].items():
        for n in r.get("notes", []):
            lines.append(f"\n> {name}: {n}")
    return "\n".join(lines) + "\n"


async def peers_command(args: argparse.Namespace, p: Params) -> int:
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(wanted) - set(ORDER)
    if unknown:
        print(f"unknown peers: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results: dict[str, dict[str, Any]] = {}
    code = 0
    for name in [n for n in ORDER if n in wanted]:
        redis_proc: Proc | None = None
        redis_url = args.redis_url
        try:
            if (name in REDIS_PEERS or name == "peerline") and not redis_url:
                redis_proc = await start_redis()
                redis_url = redis_proc.extra["url"]
            print(f"== {name}", file=sys.stderr)
            if name == "peerline":
                results[name] = await run_peerline(
                    p, redis_url, args.peerline_workers, args.peerline_rate_limit, args.server_cpus
                )
            else:
                pp = Params(**{**p.as_dict(), "conn_rate": 0.0})  # the peers have no rate limit
                results[name] = await run_peer(name, pp, redis_url, args.server_cpus)
        except Exception as exc:
            print(f"{name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            results[name] = {"error": f"{type(exc).__name__}: {exc}", "notes": []}
            code = 1
        finally:
            if redis_proc is not None:
                redis_proc.stop()
        await asyncio.sleep(1.0)  # let the machine settle between targets
    rep: dict[str, Any] = {
        "scenario": "peers",
        "params": p.as_dict(),
        "machine": report.machine(),
        "server_cpu_budget": args.server_cpus,
        "results": results,
        "ratios": ratios(results),
    }
    path: Path = args.report
    path.parent.mkdir(parents=True, exist_ok=True)
    slim = {
        **rep,
        "results": {
            k: {kk: vv for kk, vv in v.items() if kk != "latency_series"}
            for k, v in results.items()
        },
    }
    path.write_bytes(fastjson.dumps(slim, indent=True) + b"\n")
    path.with_suffix(".md").write_text(markdown(rep))
    if args.plot or (args.plot is None and p.duration >= report.PLOT_MIN_S):
        plot_peers(results, path.with_suffix(".png"))
    print(path, file=sys.stderr)
    return code


def plot_peers(results: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for name, r in results.items():
        s = r.get("latency_series") or []
        if len(s) < 2:
            continue
        t0 = s[0]["t"]
        ax1.plot([x["t"] - t0 for x in s], [x["p99"] for x in s], label=f"{name} p99")
        ax2.plot([x["t"] - t0 for x in s], [x["count"] for x in s], label=name)
    ax1.set_yscale("log")
    ax1.set_ylabel("p99 latency (ms)")
    ax1.legend(fontsize=8)
    ax1.set_title("relay workload: Peerline and peers")
    ax2.set_ylabel("delivered msgs/s")
    ax2.set_xlabel("seconds into the measured window")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
