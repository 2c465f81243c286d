"""Fixtures: the embedded Redis (one per test run), and a real Peerline server per test.

The server runs in the test's own event loop on a free loopback port (as uvicorn's own tests
do), on the embedded Redis, under a fresh key prefix so tests never see each other's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from server.settings import Settings
from server.store.client import connect
from server.store.embedded import EmbeddedRedis, start_embedded
from server.transport.httpproto import HTTP_PROTOCOL
from server.transport.wsproto import WS_PROTOCOL
from server.web.app import Runtime, create_app
from tests.client import Client
from tests.timing import FACTOR, MS

# Grace periods and escalation timers short enough for tests (scaled by
# PEERLINE_TEST_TIMEOUT_FACTOR, tests/timing.py); the polling periods are not scaled.
FAST = {
    "helper_grace_s": 1_000 * MS,
    "seeker_grace_s": 1_000 * MS,
    "queued_seeker_grace_s": 1_000 * MS,
    "counselor_grace_s": 1_000 * MS,
    "tier_timeout_s": 1_000 * MS,
    "resources_fallback_s": 1_500 * MS,
    "cooldown_s": 2_000 * MS,
    "sweep_interval_s": 0.1,
    "heartbeat_s": 0.3,
    "node_timeout_s": 2_000 * MS,
    "queue_refresh_s": 0.1,
}
# /metrics needs a bearer token (PROTOCOL.md v1.1); test servers have this one unless told not.
METRICS_TOKEN = "test-metrics-" + secrets.token_hex(8)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """pytest-timeout's per-test limit (the ``timeout`` ini value) scales with
    PEERLINE_TEST_TIMEOUT_FACTOR too, unless ``--timeout`` or PYTEST_TIMEOUT set it."""
    if FACTOR == 1 or config.getoption("timeout", None) is not None:
        return
    if os.environ.get("PYTEST_TIMEOUT"):
        return
    ini = config.getini("timeout")
    if ini:
        config.option.timeout = float(ini) * FACTOR


@pytest.fixture(scope="session")
def embedded_redis() -> Iterator[EmbeddedRedis]:
    with tempfile.TemporaryDirectory(prefix="peerline-test-") as tmp:
        redis = start_embedded(Path(tmp))
        try:
            yield redis
        finally:
            redis.stop()


@dataclass
class LiveServer:
    http_url: str
    ws_url: str
    redis_url: str
    settings: Settings
    app: Any
    extra_processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    uvicorn: Any = None
    """The ``uvicorn.Server`` (its ``server_state.connections``: every open socket's protocol)."""

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime  # type: ignore[no-any-return]

    async def add_staff(self, username: str, role: str, password: str, tier: int = 1,
                        alias: str | None = None) -> None:
        await self.runtime.staff.add(username, role, password, tier=tier, alias=alias)

    async def login(self, username: str, password: str) -> tuple[int, dict[str, Any]]:
        return await asyncio.to_thread(http_json, self.http_url + "/api/login",
                                       {"username": username, "password": password})

    async def staff_token(self, username: str, role: str, tier: int = 1,
                          alias: str | None = None) -> str:
        password = "pw-" + secrets.token_hex(6)
        await self.add_staff(username, role, password, tier=tier, alias=alias)
        status, body = await self.login(username, password)
        assert status == 200, body
        return str(body["token"])

    async def metrics(self) -> str:
        """The Prometheus text of ``GET /metrics``, asked with the server's bearer token."""
        token = self.settings.metrics_token
        headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
        request = urllib.request.Request(self.http_url + "/metrics", headers=headers)

        def fetch() -> str:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.read().decode()  # type: ignore[no-any-return]

        return await asyncio.to_thread(fetch)

    async def client(self, url: str | None = None, **kwargs: Any) -> Client:
        c = await Client.connect(url or self.ws_url, **kwargs)
        self.clients.append(c)
        return c

    async def helper(self, name: str = "maple", *, capacity: int = 2, langs: tuple[str, ...] = (
            "en", "zh"), topics: tuple[str, ...] = (), url: str | None = None,
            alias: str | None = None) -> Client:
        """A connected helper, available."""
        token = await self.staff_token(name, "helper", alias=alias or name.title())
        c = await self.client(url)
        await c.hello_staff("helper", token)
        await c.send({"type": "status", "available": True, "capacity": capacity,
                      "langs": list(langs), "topics": list(topics), "ref": "st"})
        await c.expect("presence")
        return c

    async def counselor(self, name: str = "cedar", *, tier: int = 1, on_call: bool = True,
                        url: str | None = None) -> Client:
        token = await self.staff_token(name, "counselor", tier=tier, alias=name.title())
        c = await self.client(url)
        await c.hello_staff("counselor", token)
        if on_call:
            await c.send({"type": "status", "on_call": True, "ref": "oc"})
            await c.expect("presence")
        return c

    async def seeker(self, lang: str = "en",
                     url: str | None = None) -> tuple[Client, dict[str, Any]]:
        c = await self.client(url)
        welcome = await c.hello_seeker(lang)
        return c, welcome

    def spawn_process(self) -> str:
        """Start another server process on the same Redis and key prefix; return its ws URL."""
        port = free_port()
        env = dict(os.environ, PEERLINE_KEY_PREFIX=self.settings.key_prefix,
                   **{f"PEERLINE_{k.upper()}": str(v) for k, v in FAST.items()})
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(port), "--redis-url",
             self.redis_url, "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self.extra_processes.append(proc)
        deadline = time.monotonic() + 30_000 * MS
        ready = f"http://127.0.0.1:{port}/readyz"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(ready, timeout=1_000 * MS) as r:
                    if r.status == 200:
                        return f"ws://127.0.0.1:{port}/ws"
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(100 * MS)
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "died")
        raise RuntimeError("second server process did not become ready")


def http_json(url: str, body: dict[str, Any] | None = None,
              raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10_000 * MS) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def run_server(redis_url: str, ws_protocol: str = WS_PROTOCOL,
                     **overrides: Any) -> AsyncIterator[LiveServer]:
    prefix = "t" + secrets.token_hex(4)
    # The in-process server shares the test runner's heap: its GC policy (gc.freeze) stays off
    # here; spawned server processes run with it (tests/unit/test_gcpolicy.py tests it alone).
    settings = Settings(redis_url=redis_url, key_prefix=prefix,
                        **{**FAST, "gc_refreeze_s": 0, "metrics_token": METRICS_TOKEN,
                           **overrides})
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, ws=ws_protocol, http=HTTP_PROTOCOL,
                            ws_max_size=settings.max_frame_bytes, lifespan="on",
                            ws_per_message_deflate=False,
                            log_level="warning", access_log=False, log_config=None,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped during start-up")
        await asyncio.sleep(10 * MS)
    port = server.servers[0].sockets[0].getsockname()[1]
    live = LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", redis_url,
                      settings, app, uvicorn=server)
    try:
        yield live
    finally:
        await asyncio.gather(*(c.close() for c in live.clients), return_exceptions=True)
        for proc in live.extra_processes:
            proc.terminate()
        server.should_exit = True
        done, _ = await asyncio.wait({task}, timeout=15_000 * MS)
        if not done:
            import io

            out = io.StringIO()
            for t in asyncio.all_tasks():
                t.print_stack(file=out)
            raise RuntimeError("server did not stop; tasks:\n" + out.getvalue())
        for proc in live.extra_processes:
            try:
                proc.wait(10_000 * MS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        redis = connect(redis_url, pool_size=2)
        try:
            keys = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=1000)]
            for i in range(0, len(keys), 500):
                await redis.delete(*keys[i:i + 500])
        finally:
            await redis.aclose()  # the client owns its pool (a Cluster client: its nodes)


@pytest.fixture
async def live_server(embedded_redis: EmbeddedRedis) -> AsyncIterator[LiveServer]:
    async with run_server(embedded_redis.url) as live:
        yield live


@pytest.fixture
def server_factory(
    embedded_redis: EmbeddedRedis,
) -> Callable[..., contextlib.AbstractAsyncContextManager[LiveServer]]:
    """For tests that need their own settings: ``async with server_factory(rate_burst=5) as s``."""
    def make(**overrides: Any) -> contextlib.AbstractAsyncContextManager[LiveServer]:
        return run_server(embedded_redis.url, **overrides)

    return make

