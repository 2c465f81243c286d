"""Start and stop the processes a benchmark needs: a throwaway redis-server, Peerline, the peers.

Everything listens on 127.0.0.1 on a free port and is stopped (SIGTERM, then SIGKILL) by the
same code that started it; only processes started here are ever signalled.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cpulimit import CpuGroup
from .target import REPO_ROOT, Endpoint, http_json, peerline_cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    tmp: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)
    cpu: CpuGroup | None = None
    """The CPU budget it runs in, if one was given (see cpulimit.py)."""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.cpu is not None:
            self.cpu.remove()


def _spawn(
    name: str,
    cmd: Sequence[str],
    port: int,
    env: dict[str, str] | None = None,
    tmp: Path | None = None,
    cpus: float | None = None,
) -> Proc:
    """Start ``cmd`` in its own session, output to a log in the temp dir; with ``cpus``, inside
    a control group of its own limited to that many cores."""
    cpu = CpuGroup.create(f"{name}-{port}", cpus) if cpus else None
    if cpu is not None:
        cmd = cpu.wrap(cmd)
    log = open(Path(tempfile.gettempdir()) / f"peerline-loadtest-{name}-{port}.log", "wb")  # noqa: SIM115
    try:
        popen = subprocess.Popen(
            list(cmd),
            cwd=str(REPO_ROOT),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    except OSError:
        if cpu is not None:
            cpu.remove()
        raise
    finally:
        log.close()
    return Proc(name, popen, port, tmp, cpu=cpu)


async def wait_port(proc: Proc, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.popen.poll() is not None:
            raise RuntimeError(
                f"{proc.name} exited with {proc.popen.returncode} (log in {tempfile.gettempdir()})"
            )
        try:
            _, w = await asyncio.open_connection("127.0.0.1", proc.port)
            w.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"{proc.name} did not listen on {proc.port} within {timeout}s")


def redis_server_path() -> str:
    """``redis-server`` on ``PATH``, else the embedded server's binary (Valkey 8)."""
    exe = shutil.which("redis-server")
    if exe:
        return exe
    from server.store.embedded import server_binary

    return server_binary()


async def start_redis(wrap: Sequence[str] = (), appendfsync: str | None = None,
                      replica_of: int | None = None) -> Proc:
    """A redis-server on a free loopback port, no persistence, in a temporary directory;
    ``wrap`` is put before its command (e.g. valgrind). ``appendfsync`` turns the AOF on with
    that policy (``everysec``, ``always``: the durability benchmark); ``replica_of`` makes it a
    replica of the redis-server on that loopback port."""
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="peerline-loadtest-redis-"))
    cmd = [
        *wrap,
        redis_server_path(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp),
        "--maxclients",
        "20000",
        "--protected-mode",
        "yes",
    ]
    if appendfsync is not None:
        cmd[cmd.index("--appendonly") + 1] = "yes"
        cmd += ["--appendfsync", appendfsync]
    if replica_of is not None:
        cmd += ["--replicaof", "127.0.0.1", str(replica_of)]
    proc = _spawn("redis", cmd, port, tmp=tmp)
    await wait_port(proc, 120.0 if wrap else 30.0)
    proc.extra["url"] = f"redis://127.0.0.1:{port}/0"
    return proc


async def start_peerline(
    redis_url: str,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log_level: str = "warning",
    cpus: float | None = None,
) -> Proc:
    """``peerline serve`` on a free port (within ``cpus`` cores if given). Log level
    ``warning`` as in the test fixtures: at ``info`` uvicorn writes a line for every WebSocket
    opened and closed."""
    port = free_port()
    cmd = [*peerline_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--redis-url", redis_url, "--log-level", log_level]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = _spawn("peerline", cmd, port, env, cpus=cpus)
    await wait_port(proc, 60.0)
    ep = Endpoint("127.0.0.1", port, "/ws")
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            status, _ = await http_json(ep, "GET", "/readyz", timeout=5)
            if status == 200:
                break
        except OSError:
            pass
        await asyncio.sleep(0.2)
    return proc


REDIS_PEERS = frozenset({"socketio-redis", "channels"})
"""Peers that keep their rooms in Redis (and so can run in several processes, as Peerline)."""


async def start_peer(name: str, redis_url: str | None = None, cpus: float | None = None) -> Proc:
    port = free_port()
    mod = {"websockets": "ws_relay", "socketio": "sio_relay", "socketio-redis": "sio_relay",
           "channels": "channels_relay"}[name]
    cmd = [sys.executable, "-m", f"loadtests.peers.{mod}", "--port", str(port)]
    if name in REDIS_PEERS:
        if not redis_url:
            raise ValueError(f"the {name} peer needs a Redis URL")
        cmd += ["--redis-url", redis_url]
    proc = _spawn(name, cmd, port, cpus=cpus)
    await wait_port(proc)
    return proc
