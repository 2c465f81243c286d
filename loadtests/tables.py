"""``python -m loadtests tables --out DIR``: the Markdown tables of docs/performance.md, printed
from the JSON reports in ``DIR`` (so every figure in the docs is one a run wrote down)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .peers.bench import ORDER
from .report import _fmt


def _load(out: Path, name: str) -> dict[str, Any] | None:
    f = out / f"{name}.json"
    return json.loads(f.read_text()) if f.exists() else None


def _lat(d: dict[str, Any] | None, q: str) -> Any:
    return (d or {}).get(q)


def peers_table(rep: dict[str, Any]) -> str:
    res = rep["results"]
    rows = [
        "| stack | connections | msgs/s | p50 ms | p99 ms | max ms | server CPU % "
        "| generator CPU % | server RSS MB | Peerline ratio (msgs/s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    pl = (res.get("peerline") or {}).get("delivered_per_s")
    for name in ("peerline", *ORDER[:-1]):  # Peerline first, then the peers in run order
        r = res.get(name)
        if not r or "error" in r:
            if r:
                rows.append(f"| {name} | failed: {r['error']} |")
            continue
        lat = r.get("latency_ms") or {}
        ratio = (
            "1"
            if name == "peerline"
            else (f"{pl / r['delivered_per_s']:.2f}×" if pl and r.get("delivered_per_s") else "–")
        )
        cells = [
            name,
            r.get("connections"),
            r.get("delivered_per_s"),
            lat.get("p50"),
            lat.get("p99"),
            lat.get("max"),
            r.get("server_cpu_pct"),
            r.get("generator_cpu_pct"),
            r.get("server_rss_mb"),
            ratio,
        ]
        rows.append(
            "| " + " | ".join(_fmt(c) if i < 9 else str(c) for i, c in enumerate(cells)) + " |"
        )
    return "\n".join(rows) + "\n"


def scenario_table(out: Path) -> str:
    rows = [
        "| step | connections | msgs/s | latency p50 / p95 / p99 / max ms "
        "| match wait p50 / p99 ms | alert p50 / p99 ms | server CPU % | server RSS MB | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in ("relay", "multi", "steady", "alert", "rush-free", "rush-overload"):
        r = _load(out, name)
        if r is None:
            continue
        lat = r.get("latency_ms")
        mw = r.get("match_wait_ms")
        al = r.get("alert_latency_ms")
        lat_s = " / ".join(_fmt(_lat(lat, q)) for q in ("p50", "p95", "p99", "max")) if lat else "–"
        mw_s = " / ".join(_fmt(_lat(mw, q)) for q in ("p50", "p99")) if mw else "–"
        al_s = " / ".join(_fmt(_lat(al, q)) for q in ("p50", "p99")) if al else "–"
        rows.append(
            f"| {name} | {_fmt(r.get('connections'))} | {_fmt(r.get('delivered_per_s'))} | {lat_s} "
            f"| {mw_s} | {al_s} | {_fmt(r.get('server_cpu_pct'))} | {_fmt(r.get('server_rss_mb'))} "
            f"| {_fmt(r.get('errors'))} |"
        )
    return "\n".join(rows) + "\n"


def print_tables(out: Path) -> int:
    for name in ("peers", "peers-open"):
        peers = _load(out, name)
        if peers:
            loop = peers["params"].get("rate") if "params" in peers else None
            print(f"{name} ({'closed loop' if loop is None else f'open loop at {loop:g} msgs/s'}):")
            print(peers_table(peers))
    print(scenario_table(out))
    for name in ("steady", "rush-free", "rush-overload", "multi", "alert"):
        r = _load(out, name)
        if not r:
            continue
        extra = {
            k: r.get(k)
            for k in (
                "rss_per_conn_kib",
                "server_rss_mb_before",
                "server_rss_mb_idle",
                "match_wait_free_ms",
                "fairness",
                "double_match",
                "cross_process_pairs",
                "server_nodes_seen",
                "claim_latency_ms",
                "alerts_raised",
                "alerts_missing",
                "errors_by_kind",
                "notes",
                "generator_cpu_pct",
            )
            if r.get(k) is not None
        }
        print(f"{name}: {json.dumps(extra)}")
    return 0
