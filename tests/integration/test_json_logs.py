"""``PEERLINE_LOG_FORMAT=json``: a real ``peerline serve`` writes one JSON object a line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.client import Client
from tests.conftest import EmbeddedRedis, free_port
from tests.timing import FACTOR as TIME_SCALE
from tests.timing import WAIT

FIELDS = {"time", "level", "logger", "event", "process"}


async def test_json_log_lines_carry_the_fields_and_no_private_words(
    embedded_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    port = free_port()
    env = dict(os.environ, PEERLINE_LOG_FORMAT="json", PEERLINE_KEY_PREFIX="jl" + str(port))
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(port), "--redis-url",
             embedded_redis.url, "--log-level", "debug"],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 30 * TIME_SCALE
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz") as r:
                        if r.status == 200:
                            break
                except OSError:
                    assert time.monotonic() < deadline and proc.poll() is None
                    await asyncio.sleep(0.1)
            seeker = await Client.connect(f"ws://127.0.0.1:{port}/ws")
            client_port = seeker.ws.local_address[1]
            welcome = await seeker.hello_seeker("en")
            await seeker.send({"type": "request", "topic": "mood", "lang": "en",
                               "note": "a private first line", "ref": "q"})
            await seeker.expect("queued")
            await seeker.send_raw("private garbage")
            await seeker.expect("error")
            await seeker.close()
            await asyncio.sleep(0.5 * TIME_SCALE)  # the close is logged after the socket ends
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(WAIT * 4)
    lines = [line for line in stderr_path.read_text().splitlines() if line.strip()]
    records = []
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert FIELDS <= record.keys(), record
        assert record["process"] == proc.pid
        records.append(record)
    assert any(r["event"].startswith("node ") for r in records)
    closed = [r for r in records if r["event"].startswith("connection closed")]
    assert closed and all(len(r["connection"]) == 16 for r in closed)
    # The server's own listening address is logged at start-up; no client's address ever is.
    text = "\n".join(line for line in lines if "running on" not in line)
    for secret in ("a private first line", "private garbage", welcome["resume"], "127.0.0.1",
                   str(client_port)):
        assert secret not in text
