"""Report files: JSON with stable names, a Markdown summary beside it, a latency plot for long runs.

Stable top-level names (always present, ``null`` when a scenario does not measure them):
``delivered_per_s``, ``latency_ms.{p50,p95,p99,max}``, ``match_wait_ms.{p50,p99}``,
``alert_latency_ms.{p50,p99}``, ``errors``, ``server_rss_mb``, ``connections``; plus ``scenario``,
``params`` and whatever else the scenario measured.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path
from typing import Any

from . import fastjson

STABLE = (
    "delivered_per_s",
    "latency_ms",
    "match_wait_ms",
    "alert_latency_ms",
    "errors",
    "server_rss_mb",
    "connections",
)
PLOT_MIN_S = 15.0


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def build(
    scenario: str,
    params: dict[str, Any],
    results: dict[str, Any],
    errors: int,
    errors_by_kind: dict[str, Any],
    notes: list[str],
    series: list[dict[str, float]] | None = None,
    urls: list[str] | None = None,
) -> dict[str, Any]:
    """The report dict: stable names first, then the rest of the scenario's results."""
    rep: dict[str, Any] = {
        "scenario": scenario,
        "params": params,
        "urls": urls or [],
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    for k in STABLE:
        rep[k] = results.get(k)
    rep["errors"] = errors
    rep["errors_by_kind"] = errors_by_kind
    for k, v in results.items():
        if k not in rep and not k.startswith("_"):
            rep[k] = v
    rep["notes"] = notes
    if series is not None:
        rep["latency_series"] = series
    return rep


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def markdown(rep: dict[str, Any]) -> str:
    lines = [
        f"# Load test: `{rep['scenario']}`",
        "",
        f"Finished {rep['finished_at']} on "
        f"{rep['machine']['cpus']} CPUs, Python {rep['machine']['python']}; target "
        + ", ".join(f"`{u}`" for u in rep.get("urls", []))
        + ".",
        "",
    ]
    lines += ["| figure | value |", "| --- | --- |"]
    rows: list[tuple[str, Any]] = [
        ("connections", rep.get("connections")),
        ("delivered msgs/s", rep.get("delivered_per_s")),
    ]
    for name in (
        "latency_ms",
        "match_wait_ms",
        "match_wait_free_ms",
        "alert_latency_ms",
        "claim_latency_ms",
        "setup_match_wait_ms",
    ):
        d = rep.get(name)
        if isinstance(d, dict) and d.get("count"):
            for q in ("p50", "p95", "p99", "max"):
                if q in d:
                    rows.append((f"{name.replace('_ms', '')} {q} (ms)", d[q]))
    for name in (
        "server_rss_mb",
        "server_rss_mb_idle",
        "rss_per_conn_kib",
        "server_cpu_pct",
        "generator_cpu_pct",
        "errors",
    ):
        if rep.get(name) is not None:
            rows.append((name, rep.get(name)))
    fair = rep.get("fairness")
    if isinstance(fair, dict):
        rows.append(("fairness violations / checked", f"{fair['violations']} / {fair['checked']}"))
    dm = rep.get("double_match")
    if isinstance(dm, dict):
        rows.append(("double matches", ", ".join(f"{k}={v}" for k, v in dm.items())))
    lines += [f"| {k} | {_fmt(v)} |" for k, v in rows]
    lines += [
        "",
        "Parameters: " + ", ".join(f"`{k}={v}`" for k, v in rep["params"].items() if v is not None),
    ]
    if rep.get("errors_by_kind"):
        lines += [
            "",
            "Errors by kind: " + ", ".join(f"`{k}`: {v}" for k, v in rep["errors_by_kind"].items()),
        ]
    for n in rep.get("notes", []):
        lines.append(f"\n> {n}")
    return "\n".join(lines) + "\n"


def plot(series: list[dict[str, float]], path: Path, title: str) -> bool:
    """Latency p50/p99/max per second and messages per second; ``False`` if there is nothing."""
    if len(series) < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s["t"] for s in series]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    ax1.plot(t, [s["p50"] for s in series], label="p50")
    ax1.plot(t, [s["p99"] for s in series], label="p99")
    ax1.plot(t, [s["max"] for s in series], label="max", alpha=0.4)
    ax1.set_ylabel("latency (ms)")
    ax1.set_yscale("log")
    ax1.legend(loc="upper right")
    ax1.set_title(title)
    ax2.plot(t, [s["count"] for s in series], color="tab:green")
    ax2.set_ylabel("delivered msgs/s")
    ax2.set_xlabel("seconds since start")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write(rep: dict[str, Any], path: Path, want_plot: bool | None = None) -> list[Path]:
    """Write ``path`` (JSON), ``path`` with ``.md``, and a ``.png`` for long runs; return them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    series = rep.get("latency_series") or []
    long_run = bool(series) and (series[-1]["t"] - series[0]["t"]) >= PLOT_MIN_S
    written = [path, path.with_suffix(".md")]
    png = path.with_suffix(".png")
    if (want_plot if want_plot is not None else long_run) and plot(
        series, png, f"{rep['scenario']}: latency over time"
    ):
        rep["plot"] = png.name
        written.append(png)
    path.write_bytes(fastjson.dumps(rep, indent=True) + b"\n")
    path.with_suffix(".md").write_text(markdown(rep))
    return written
