"""Every way of stopping ``peerline serve`` stops the embedded redis-server it started.

systemd and every process supervisor stop a service with SIGTERM; a terminal sends SIGINT.
Before, SIGTERM killed the process before its clean-up ran (uvicorn re-raises the signal it
captured once it has shut down), leaving a redis-server behind each time. These tests run the
real command as a process, signal it, and look for the redis-server by its data directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import free_port
from tests.timing import FACTOR as TIME_SCALE

pytestmark = pytest.mark.multiprocess


def _redis_of(data_dir: Path) -> list[psutil.Process]:
    """The live redis-server (or valkey-server: the embedded one) processes whose working
    directory is ``data_dir``/redis."""
    want = str((data_dir / "redis").resolve())
    found = []
    for process in psutil.process_iter(["name"]):
        try:
            name = process.info["name"] or ""
            if "redis-server" not in name and "valkey-server" not in name:
                continue
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.cwd() == want:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _serve(data_dir: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PEERLINE_REDIS_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port), "--data-dir",
         str(data_dir), "--log-level", "warning", *extra],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60 * TIME_SCALE
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "died")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return proc, port
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("peerline serve did not become ready")


def _gone(processes: list[psutil.Process], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for p in processes:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("sig", "workers"),
    [(signal.SIGTERM, 1), (signal.SIGINT, 1), (signal.SIGTERM, 2), (signal.SIGINT, 2)],
    ids=["sigterm", "sigint", "sigterm-workers", "sigint-workers"],
)
def test_a_signal_stops_the_server_and_its_embedded_redis(
    tmp_path: Path, sig: signal.Signals, workers: int
) -> None:
    extra = ("--workers", str(workers)) if workers > 1 else ()
    proc, _ = _serve(tmp_path, *extra)
    started = [proc]
    try:
        redis = _redis_of(tmp_path)
        assert len(redis) == 1, "peerline serve starts one embedded redis-server"
        workers_pids = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        proc.send_signal(sig)
        code = proc.wait(timeout=60 * TIME_SCALE)
        # A clean stop: 0, or the conventional 128+signal of a process ended by it.
        assert code in (0, -sig, 128 + sig, 130 if sig == signal.SIGINT else 143), code
        assert _gone(redis, 20 * TIME_SCALE), "the embedded redis-server was left running"
        assert _gone([psutil.Process(p) for p in workers_pids if psutil.pid_exists(p)],
                     20 * TIME_SCALE), "a worker process was left running"
        # The data survived the stop: a new server starts on the same files.
        proc2, _ = _serve(tmp_path)
        started.append(proc2)
        proc2.send_signal(signal.SIGTERM)
        proc2.wait(timeout=60 * TIME_SCALE)
        assert _gone(_redis_of(tmp_path), 20 * TIME_SCALE)
    finally:
        for started_proc in started:
            if started_proc.poll() is None:
                started_proc.kill()
                started_proc.wait(10)
            if started_proc.stderr is not None:
                started_proc.stderr.close()
        for leftover in _redis_of(tmp_path):
            leftover.kill()
