"""``peerline backup`` / ``peerline restore``: the whole service in a file and back.

A conversation with an alert is backed up from the running server's Redis, restored into a new
data directory (a fresh embedded Redis), and a server started on it resumes the conversation with
the seeker's same resume token; the unclaimed alert reaches a counselor who goes on call.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

import pytest

from server.store import backup as backups
from server.store.client import connect
from server.store.embedded import start_embedded
from server.store.keys import SCHEMA_VERSION
from tests.client import Client
from tests.conftest import LiveServer, free_port
from tests.integration.test_escalation import CRISIS_EN
from tests.integration.test_talk import matched_pair
from tests.timing import FACTOR as TIME_SCALE
from tests.timing import WAIT

pytestmark = pytest.mark.multiprocess


def peerline(prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PEERLINE_REDIS_URL"}
    env["PEERLINE_KEY_PREFIX"] = prefix
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def serve(prefix: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PEERLINE_REDIS_URL"}
    env["PEERLINE_KEY_PREFIX"] = prefix
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--port", str(port),
                             "--data-dir", str(data_dir), "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60 * TIME_SCALE
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return proc, port
        except OSError:
            assert proc.poll() is None, "peerline serve died"
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("peerline serve did not become ready")


async def test_backup_restore_resumes_the_conversation_with_the_same_token(
    live_server: LiveServer, tmp_path: Path
) -> None:
    prefix = live_server.settings.key_prefix
    seeker, helper, sid = await matched_pair(live_server)
    resume = seeker.seen[0]["resume"]
    hello = await seeker.say(sid, "hello, I need to talk")
    await helper.expect("message")
    await seeker.say(sid, CRISIS_EN)
    await seeker.expect("resources", skip=("typing", "flag"))
    await helper.expect("flag", skip=("message", "typing"))
    alert_id = (await live_server.runtime.redis.zrange(live_server.runtime.keys.alerts_open,
                                                       0, -1))[0].decode()

    # Backed up while the conversation goes on (the test server's grace periods are short).
    out = tmp_path / "peerline.backup"
    run = await asyncio.to_thread(peerline, prefix, "backup", "--out", str(out), "--redis-url",
                                  live_server.redis_url)
    assert run.returncode == 0, run.stderr
    assert "backed up" in run.stdout
    await seeker.close()
    await helper.close()
    with tarfile.open(out, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())
    assert manifest["schema"] == SCHEMA_VERSION and manifest["prefix"] == prefix
    assert manifest["counts"]["sessions"] == 1 and manifest["counts"]["alerts"] == 1
    assert manifest["counts"]["staff"] == 1 and manifest["counts"]["seekers"] == 1
    assert manifest["keys"] > 10
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # transcripts and password hashes

    data_dir = tmp_path / "restored"
    run = await asyncio.to_thread(peerline, prefix, "restore", str(out), "--data-dir",
                                  str(data_dir))
    assert run.returncode == 0, run.stderr
    assert f"restored {manifest['keys']} keys" in run.stdout
    # A second restore into the now non-empty Redis is refused without --force.
    again = await asyncio.to_thread(peerline, prefix, "restore", str(out), "--data-dir",
                                    str(data_dir))
    assert again.returncode == 1 and "--force" in again.stderr
    forced = await asyncio.to_thread(peerline, prefix, "restore", str(out), "--data-dir",
                                     str(data_dir), "--force")
    assert forced.returncode == 0, forced.stderr

    proc, port = await asyncio.to_thread(serve, prefix, data_dir)
    try:
        ws = f"ws://127.0.0.1:{port}/ws"
        back = await Client.connect(ws)
        welcome = await back.hello_seeker("en", resume=resume, last_seen={})
        assert welcome["resume"] == resume
        [summary] = welcome["sessions"]
        assert summary["session"] == sid and summary["state"] == "active"
        first = await back.expect("message", skip=("typing",))
        assert first["id"] == hello["id"] and first["text"] == "hello, I need to talk"
        # The unclaimed alert is still there: a counselor who goes on call receives it.
        from server.store.keys import Keys
        from server.store.staff import StaffStore

        redis = connect(_url_of(data_dir), pool_size=2)
        try:
            staff = StaffStore(redis, Keys(prefix))
            await staff.add("cedar", "counselor", "pw-cedar-123")
            token = (await staff.login("cedar", "pw-cedar-123")).token
        finally:
            await redis.aclose()
        counselor = await Client.connect(ws)
        await counselor.hello_staff("counselor", token)
        await counselor.send({"type": "status", "on_call": True})
        alert = await counselor.expect("alert", skip=("presence", "watch"))
        assert alert["alert"] == alert_id and alert["session"] == sid
        await back.close()
        await counselor.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, WAIT * 4)


def _url_of(data_dir: Path) -> str:
    attached = start_embedded(data_dir)  # attaches to the running server's redis-server
    assert not attached.owner
    return attached.url


async def test_a_restore_does_not_revive_what_has_expired(live_server: LiveServer,
                                                          tmp_path: Path) -> None:
    redis, keys = live_server.runtime.redis, live_server.runtime.keys
    await live_server.add_staff("maple", "helper", "pw-maple-123")
    short = (await live_server.runtime.staff.login("maple", "pw-maple-123")).token
    from server.core.ids import digest

    token_key = keys.token(digest(short))
    await redis.pexpire(token_key, int(1000 * TIME_SCALE))  # its retention runs out soon
    taken = await backups.snapshot(redis, keys)
    path = tmp_path / "b.tgz"
    backups.write(taken, path)
    loaded = backups.read(path)
    assert loaded.entries == taken.entries

    with_ttl = {k: t for k, t, _ in loaded.entries}
    assert 0 < with_ttl[token_key.encode()] <= 1000 * TIME_SCALE
    assert with_ttl[keys.staff("maple").encode()] == -1  # accounts do not expire

    target = start_embedded(tmp_path / "fresh")
    fresh = connect(target.url, pool_size=2)
    try:
        # Restored as of 2 s of scaled time later: the token has expired by then.
        done = await backups.restore(fresh, loaded,
                                     now_ms=loaded.manifest["taken_at"] + int(2000 * TIME_SCALE))
        assert done.expired >= 1
        assert not await fresh.exists(token_key)
        assert await fresh.exists(keys.staff("maple"))
        tokens_key = keys.staff_tokens("maple")
        left = await fresh.pttl(tokens_key)
        assert 0 < left <= with_ttl[tokens_key.encode()] - int(2000 * TIME_SCALE)
    finally:
        await fresh.aclose()
        target.stop()


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(b"not a tar file at all")
    with pytest.raises(backups.BadBackup):
        backups.read(junk)
    run = peerline("pl", "restore", str(junk), "--data-dir", str(tmp_path / "d"))
    assert run.returncode == 1 and "not a readable Peerline backup" in run.stderr
