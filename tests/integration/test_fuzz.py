"""Issue 16: property-based fuzzing of the WebSocket frames (JSON and MessagePack) and the HTTP
API, against a real server process on loopback.

What must hold for any input: every frame is answered with valid frames (objects with a known
``type``) or a documented close (1007, 1008, 1009; never 1011, never silence), the connection
answers a ``ping`` after it unless it was closed, and the process stays up and usable with no
error logged. HTTP input gets a 4xx with a JSON ``detail`` (for the API), never a 5xx.

Hypothesis drives synchronous clients, so the server runs in its own process (not in the test's
event loop): one per module, on the embedded Redis under a fresh key prefix.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from server.core.protocol import FRAME_TYPES
from server.store.embedded import EmbeddedRedis
from tests.conftest import FAST, free_port
from tests.timing import MS, WAIT

SERVER_FRAMES = frozenset({
    "welcome", "error", "pong", "ack", "message", "typing", "participant", "ended", "queued",
    "matched", "presence", "cooldown", "flag", "alert", "alert_claimed", "alert_resolved",
    "escalated", "joined", "taken_over", "resources", "watch",
})
DOCUMENTED_CLOSES = frozenset({1007, 1008, 1009})
EXAMPLES = settings(max_examples=75, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@dataclass
class Process:
    http_url: str
    ws_url: str
    log: Path
    proc: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def process(embedded_redis: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory,
            ) -> Iterator[Process]:
    port = free_port()
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    env = dict(os.environ, PEERLINE_KEY_PREFIX="t" + secrets.token_hex(4),
               # Fuzzing is not flooding: the rate limit would answer most examples.
               PEERLINE_RATE_BURST="1000000", PEERLINE_RATE_PER_S="1000000",
               **{f"PEERLINE_{k.upper()}": str(v) for k, v in FAST.items()})
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(port), "--redis-url",
             embedded_redis.url, "--log-level", "warning"], env=env, stdout=out, stderr=out)
    running = Process(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", log, proc)
    deadline = time.monotonic() + 30_000 * MS
    while _status(running.http_url + "/readyz") != 200:
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    try:
        yield running
    finally:
        proc.terminate()
        proc.wait(10)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=WAIT) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def _still_well(process: Process) -> None:
    """The process is up, answers, welcomes a new seeker, and logged no fault."""
    assert process.proc.poll() is None, process.log.read_text()
    assert _status(process.http_url + "/healthz") == 200
    with connect(process.ws_url, subprotocols=["peerline.v1.json"],  # type: ignore[list-item]
                 open_timeout=WAIT) as ws:
        ws.send(json.dumps({"type": "hello", "role": "seeker", "lang": "en"}))
        assert json.loads(ws.recv(timeout=WAIT))["type"] == "welcome"
    log = process.log.read_text()
    for fault in ("Traceback", "connection failed", "Exception in ASGI"):
        assert fault not in log, log


# -- what a client might send ----------------------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False) | st.text(max_size=40))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=16)
fields = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(FRAME_TYPES)) | st.text(max_size=12)},
    optional={
        "ref": st.text(max_size=80) | values,
        "role": st.sampled_from(["seeker", "helper", "counselor", "admin"]) | values,
        "lang": st.sampled_from(["en", "zh", ""]) | values,
        "session": st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", max_size=30)
        | values,
        "text": st.text(max_size=300) | values,
        "resume": st.text(max_size=60) | values,
        "token": st.text(max_size=60) | values,
        "last_seen": st.dictionaries(st.text(max_size=30), st.text(max_size=30), max_size=3)
        | values,
        "topic": st.text(max_size=20) | values,
        "available": values, "capacity": values, "on_call": values, "alert": values,
        "note": values, "reason": values, "rating": values, "typing": values,
    },
)
nested = st.integers(1, 2000).map(lambda depth: {"type": "say", "text": "[" * depth})
payloads = fields | values | nested


def _encoded(payload: Any, binary: bool) -> str | bytes:
    if binary:
        try:
            return msgpack.packb(payload, use_bin_type=True)  # type: ignore[no-any-return]
        except (OverflowError, ValueError, TypeError):
            return msgpack.packb(repr(payload), use_bin_type=True)  # type: ignore[no-any-return]
    return json.dumps(payload)


raw_garbage = st.binary(max_size=300) | st.text(max_size=300)


class Session:
    """One client connection, reopened when an example closes it (with a documented code)."""

    def __init__(self, process: Process, binary: bool, hello: bool) -> None:
        self.process, self.binary, self.hello = process, binary, hello
        self.ws: ClientConnection | None = None
        self.probes = 0

    def open(self) -> ClientConnection:
        if self.ws is None:
            protocol = "peerline.v1.msgpack" if self.binary else "peerline.v1.json"
            self.ws = connect(self.process.ws_url, subprotocols=[protocol],  # type: ignore[list-item]
                              open_timeout=WAIT, max_size=None, legacy=True)
            if self.hello:
                self.send({"type": "hello", "role": "seeker", "lang": "en"})
                assert self.recv()["type"] == "welcome"
        return self.ws

    def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        self.ws.send(msgpack.packb(frame) if self.binary else json.dumps(frame))

    def recv(self) -> dict[str, Any]:
        assert self.ws is not None
        data = self.ws.recv(timeout=WAIT)
        frame = msgpack.unpackb(data) if isinstance(data, bytes) else json.loads(data)
        assert isinstance(frame, dict) and frame.get("type") in SERVER_FRAMES, frame
        return frame

    def answered(self, data: str | bytes) -> None:
        """Send ``data``; then every frame up to the answer to a ping is valid, or the
        connection was closed with a documented code."""
        ws = self.open()
        try:
            ws.send(data)
            self.probes += 1
            ref = f"probe-{self.probes}"
            self.send({"type": "ping", "ref": ref})
            while True:
                frame = self.recv()
                if frame["type"] == "pong" and frame.get("ref") == ref:
                    return
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            assert code in DOCUMENTED_CLOSES, f"closed with {code} after {data[:200]!r}"
            self.ws = None
        except TimeoutError:
            raise AssertionError(f"no answer to {data[:200]!r}") from None

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
@pytest.mark.parametrize("hello", [True, False], ids=["after-hello", "first-frame"])
def test_any_frame_gets_valid_frames_or_a_documented_close(process: Process, binary: bool,
                                                            hello: bool) -> None:
    session = Session(process, binary, hello)

    @EXAMPLES
    @given(payload=payloads, garbage=raw_garbage, use_garbage=st.integers(0, 9))
    def one(payload: Any, garbage: str | bytes, use_garbage: int) -> None:
        if not hello:
            session.close()
            session.ws = None
        session.answered(garbage if use_garbage == 0 else _encoded(payload, binary))

    try:
        one()
    finally:
        session.close()
    _still_well(process)


# -- HTTP ------------------------------------------------------------------------------------

def _request(process: Process, method: str, path: str, body: bytes | None,
             headers: dict[str, str]) -> tuple[int, bytes, str]:
    host, port = process.http_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("content-type") or ""
    finally:
        conn.close()


login_bodies = (
    st.fixed_dictionaries({}, optional={"username": values, "password": values}).map(json.dumps)
    | values.map(json.dumps) | st.text(max_size=200)
).map(str.encode) | st.binary(max_size=200)


@EXAMPLES
@given(body=login_bodies, content_type=st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", ""]))
def test_login_answers_bad_input_with_a_json_4xx(process: Process, body: bytes,
                                                 content_type: str) -> None:
    status, content, kind = _request(process, "POST", "/api/login", body,
                                     {"Content-Type": content_type} if content_type else {})
    assert status < 500, content
    if status != 200:
        assert 400 <= status < 500 and kind.startswith("application/json"), (status, kind)
        assert isinstance(json.loads(content).get("detail"), str)


paths = st.sampled_from(["/api/login", "/api/resources", "/api/self-help", "/healthz",
                         "/readyz", "/", "/helper", "/counselor", "/static/", "/ws", "/api/"])
suffixes = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/._-%?=&~", max_size=40)


@EXAMPLES
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
       path=paths, suffix=suffixes, body=st.none() | st.binary(max_size=100))
def test_any_route_method_and_path_is_answered_without_a_server_error(
    process: Process, method: str, path: str, suffix: str, body: bytes | None,
) -> None:
    status, content, _ = _request(process, method, path + suffix, body, {})
    assert 100 <= status < 500, (method, path + suffix, status, content[:200])


def test_the_process_is_unharmed_after_the_http_fuzzing(process: Process) -> None:
    _still_well(process)
