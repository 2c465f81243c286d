"""Issue 16, defect 5: sockets that never say anything.

Silent TCP connections and half-sent HTTP requests have a deadline and a bounded place in the
process: the longest-waiting is closed when more arrive, so ``/healthz`` and new WebSockets
keep being served, even when the silent sockets outnumber the process's file descriptors.
WebSockets not yet past ``hello`` are capped too: the handshake beyond the cap is refused 503.
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from tests.client import Client
from tests.conftest import FAST, LiveServer, free_port
from tests.rawsocket import RawSocket, text_frame
from tests.timing import MS, WAIT

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


def _get(url: str, timeout: float = WAIT) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


async def _silent(live_url: str, count: int) -> list[RawSocket]:
    return list(await asyncio.gather(*(RawSocket.open(live_url) for _ in range(count))))


async def _served(http_url: str, ws_url: str) -> None:
    """``/healthz`` answers and a new seeker is welcomed."""
    assert await asyncio.to_thread(_get, http_url + "/healthz") == 200
    client = await Client.connect(ws_url)
    try:
        assert (await client.hello_seeker())["type"] == "welcome"
    finally:
        await client.close()


async def test_silent_and_half_sent_sockets_are_bounded_and_closed_at_their_deadline(
    server_factory: Factory,
) -> None:
    timeout = 1_000 * MS
    async with server_factory(request_timeout_s=timeout, max_pending_connections=50) as live:
        gate = live.runtime.wiring.gate
        assert gate is not None
        silent = await _silent(live.http_url, 250)
        half = await _silent(live.http_url, 50)
        for raw in half:
            await raw.send(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        try:
            await _served(live.http_url, live.ws_url)
            assert gate.pending <= 50
            # Past the deadline every one of them has been closed by the server; those that
            # had sent part of a request were told so (408).
            answers = await asyncio.gather(*(raw.read_all(timeout + WAIT) for raw in half))
            assert all(a == b"" or a.startswith(b"HTTP/1.1 408") for a in answers)
            closed = await asyncio.gather(*(raw.closed_by_server(timeout + WAIT)
                                            for raw in silent))
            assert all(closed), f"{closed.count(False)} silent sockets were never closed"
            assert gate.pending == 0
            await _served(live.http_url, live.ws_url)
        finally:
            for raw in silent + half:
                raw.close()


async def test_websockets_that_do_not_say_hello_are_capped_with_a_503(
    server_factory: Factory,
) -> None:
    async with server_factory(max_pre_hello=5) as live:
        quiet = [await RawSocket.websocket(live.http_url) for _ in range(5)]
        try:
            refused = await RawSocket.open(live.http_url)
            await refused.send(
                b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            answer = await refused.read_all()
            refused.close()
            assert answer.startswith(b"HTTP/1.1 503"), answer[:100]
            assert b"retry-after: 5" in answer.lower()
            # One of them says hello: there is room for one more.
            await quiet[0].send(text_frame({"type": "hello", "role": "seeker", "lang": "en"}))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT
            gate = live.runtime.wiring.gate
            assert gate is not None
            while gate.pre_hello > 4 and loop.time() < deadline:
                await asyncio.sleep(0.02)
            seeker, welcome = await live.seeker()
            assert welcome["type"] == "welcome"
        finally:
            for raw in quiet:
                raw.close()
        assert await asyncio.to_thread(_get, live.http_url + "/healthz") == 200


@pytest.mark.multiprocess
async def test_more_silent_sockets_than_file_descriptors_leave_the_process_serving(
    live_server: LiveServer, tmp_path: Path,
) -> None:
    """A separate server process with 256 file descriptors and 600 silent sockets open."""
    port = free_port()
    env = dict(os.environ, PEERLINE_KEY_PREFIX=live_server.settings.key_prefix,
               PEERLINE_MAX_PENDING_CONNECTIONS="100", PEERLINE_REQUEST_TIMEOUT_S="30",
               **{f"PEERLINE_{k.upper()}": str(v) for k, v in FAST.items()})
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port), "--redis-url",
         live_server.redis_url, "--log-level", "warning"], env=env, stdout=log, stderr=log)
    http_url = f"http://127.0.0.1:{port}"
    silent: list[RawSocket] = []
    try:
        deadline = time.monotonic() + 30_000 * MS
        while await asyncio.to_thread(_probe, http_url + "/readyz") != 200:
            assert proc.poll() is None and time.monotonic() < deadline, "did not start"
            await asyncio.sleep(0.1)
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (256, 256))
        for _ in range(6):
            silent += await _silent(http_url, 100)
        await _served(http_url, f"ws://127.0.0.1:{port}/ws")
    finally:
        for raw in silent:
            raw.close()
        proc.terminate()
        proc.wait(10)
        log.close()


def _probe(url: str) -> int:
    try:
        return _get(url, timeout=1)
    except (OSError, urllib.error.URLError):
        return 0
