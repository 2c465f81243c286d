"""Report files: stable names, Markdown beside the JSON, a plot for long runs."""

import json
from pathlib import Path

import pytest

from loadtests import report

STABLE = [
    "delivered_per_s",
    "latency_ms",
    "match_wait_ms",
    "alert_latency_ms",
    "errors",
    "server_rss_mb",
    "connections",
]


def series(seconds: int) -> list[dict[str, float]]:
    return [
        {"t": float(i), "count": 100, "p50": 1.0, "p99": 2.0, "max": 3.0} for i in range(seconds)
    ]


def test_build_has_every_stable_name() -> None:
    rep = report.build(
        "relay",
        {"pairs": 2},
        {"delivered_per_s": 10.0, "extra": 1, "_private": 2},
        3,
        {"close:1006": 3},
        ["a note"],
    )
    for k in STABLE:
        assert k in rep
    assert rep["delivered_per_s"] == 10.0 and rep["match_wait_ms"] is None
    assert rep["errors"] == 3 and rep["extra"] == 1 and "_private" not in rep
    assert rep["scenario"] == "relay" and rep["params"] == {"pairs": 2}


def test_write_json_markdown_and_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="plots need the [load] extra")
    results = {
        "delivered_per_s": 1234.5,
        "connections": 10,
        "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0, "max": 4.0, "mean": 1.5, "count": 9},
        "fairness": {"violations": 0, "checked": 9, "examples": [], "slack_ms": 5.0},
    }
    rep = report.build(
        "relay", {"pairs": 5}, results, 0, {}, [], series(30), ["ws://127.0.0.1:1/ws"]
    )
    written = report.write(rep, tmp_path / "r" / "out.json")
    assert [p.name for p in written] == ["out.json", "out.md", "out.png"]
    data = json.loads((tmp_path / "r" / "out.json").read_text())
    assert data["latency_ms"]["p99"] == 3.0 and data["plot"] == "out.png"
    md = (tmp_path / "r" / "out.md").read_text()
    assert "1,234.5" in md and "latency p99 (ms)" in md and "0 / 9" in md
    assert (tmp_path / "r" / "out.png").read_bytes()[:4] == b"\x89PNG"


def test_short_runs_get_no_plot(tmp_path: Path) -> None:
    rep = report.build("rush", {}, {}, 0, {}, [], series(3))
    written = report.write(rep, tmp_path / "short.json")
    assert [p.name for p in written] == ["short.json", "short.md"]
