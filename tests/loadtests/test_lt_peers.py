"""The peers' relays run the same closed loop as Peerline, end to end through the CLI.

The runs of the peers are benchmarks (``bench``): ``pytest -m bench`` runs them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.timing import MS

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.bench
@pytest.mark.multiprocess
def test_peers_command_measures_every_peer(tmp_path: Path) -> None:
    for module in ("socketio", "channels", "channels_redis", "django"):
        pytest.importorskip(module, reason="the peers need the [load] extra")
    out = tmp_path / "peers.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtests",
            "peers",
            "--only",
            "websockets,socketio,socketio-redis,channels",
            "--pairs",
            "6",
            "--capacity",
            "3",
            "--warmup",
            "0.5",
            "--duration",
            "1",
            "--report",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=100_000 * MS,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rep = json.loads(out.read_text())
    assert set(rep["results"]) == {"websockets", "socketio", "socketio-redis", "channels"}
    for name, r in rep["results"].items():
        assert r["errors"] == 0, (name, r)
        assert r["connections"] == 8  # 6 seekers + 2 helpers of capacity 3
        assert r["delivered_per_s"] > 50, (name, r)
        assert 0 < r["latency_ms"]["p50"] <= r["latency_ms"]["p99"] <= r["latency_ms"]["max"]
    md = out.with_suffix(".md").read_text()
    assert "| websockets |" in md and "| socketio-redis |" in md and "| channels |" in md


@pytest.mark.bench
@pytest.mark.multiprocess
def test_peers_command_runs_a_server_within_a_cpu_budget(tmp_path: Path) -> None:
    from loadtests.cpulimit import CpuGroup, CpuLimitUnavailable

    try:
        CpuGroup.create("probe", 1.0).remove()
    except CpuLimitUnavailable as exc:
        pytest.skip(f"no cgroup CPU controller here: {exc}")
    out = tmp_path / "peers.json"
    cmd = [sys.executable, "-m", "loadtests", "peers", "--only", "websockets", "--pairs", "4"]
    cmd += ["--capacity", "2", "--warmup", "0.5", "--duration", "1", "--server-cpus", "0.5"]
    proc = subprocess.run(
        [*cmd, "--report", str(out)], cwd=REPO, capture_output=True, text=True, timeout=60_000 * MS
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rep = json.loads(out.read_text())
    assert rep["server_cpu_budget"] == 0.5
    r = rep["results"]["websockets"]
    assert r["errors"] == 0 and r["delivered_per_s"] > 50
    assert "each server within a budget of 0.5 cores" in out.with_suffix(".md").read_text()


def test_refuses_a_non_loopback_url(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtests",
            "run",
            "--url",
            "ws://10.1.2.3:8000/ws",
            "--scenario",
            "relay",
            "--report",
            str(tmp_path / "x.json"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60_000 * MS,
    )
    assert proc.returncode != 0
    assert "non-loopback" in proc.stderr
    assert not (tmp_path / "x.json").exists()
