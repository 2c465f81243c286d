"""The operator command, run as a real subprocess against the same Redis as the server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import LiveServer
from tests.integration.test_escalation import CRISIS_EN
from tests.integration.test_talk import matched_pair
from tests.timing import MS


def peerline(live: LiveServer, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PEERLINE_KEY_PREFIX=live.settings.key_prefix)
    return subprocess.run(
        [sys.executable, "-m", "server", *args, "--redis-url", live.redis_url],
        input=stdin, capture_output=True, text=True, env=env, timeout=60_000 * MS,
    )


async def test_staff_accounts_by_command(live_server: LiveServer, tmp_path: Path) -> None:
    run = await asyncio.to_thread(peerline, live_server, "staff", "add", "maple", "--role",
                                  "helper", "--password-stdin", "--alias", "Maple",
                                  stdin="correct horse\n")
    assert run.returncode == 0, run.stderr
    status, body = await live_server.login("maple", "correct horse")
    assert status == 200 and body["role"] == "helper"

    dup = await asyncio.to_thread(peerline, live_server, "staff", "add", "maple", "--role",
                                  "helper", "--password-stdin", stdin="another one\n")
    assert dup.returncode == 1 and "exists" in dup.stderr
    short = await asyncio.to_thread(peerline, live_server, "staff", "add", "pine", "--role",
                                    "helper", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "8 characters" in short.stderr

    accounts = tmp_path / "accounts.txt"
    accounts.write_text("# username role password [tier]\ncedar counselor pw-cedar-1 2\n"
                        "birch helper pw-birch-1\n")
    imported = await asyncio.to_thread(peerline, live_server, "staff", "import", "--file",
                                       str(accounts))
    assert imported.returncode == 0 and "imported 2" in imported.stdout
    listing = await asyncio.to_thread(peerline, live_server, "staff", "list")
    lines = listing.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["birch", "cedar", "maple"]
    assert "tier 2" in lines[1]
    assert "correct horse" not in listing.stdout and "argon2" not in listing.stdout

    changed = await asyncio.to_thread(peerline, live_server, "staff", "passwd", "maple",
                                      "--password-stdin", stdin="a new password\n")
    assert changed.returncode == 0
    assert (await live_server.login("maple", "correct horse"))[0] == 401
    assert (await live_server.login("maple", "a new password"))[0] == 200

    removed = await asyncio.to_thread(peerline, live_server, "staff", "remove", "maple")
    assert removed.returncode == 0
    assert (await live_server.login("maple", "a new password"))[0] == 401


async def test_alerts_list_and_show_read_the_audit(live_server: LiveServer) -> None:
    counselor = await live_server.counselor()
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_EN)
    alert = await counselor.expect("alert", skip=("watch",))
    await counselor.send({"type": "claim", "alert": alert["alert"]})
    await counselor.expect("joined", skip=("watch",))
    await counselor.send({"type": "resolve", "alert": alert["alert"], "outcome": "referred"})
    # The crisis line's `flag` may reach the counselor too, when the claim beat it to the session.
    await counselor.expect("alert_resolved", skip=("watch", "message", "flag"))

    listing = await asyncio.to_thread(peerline, live_server, "alerts", "list")
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if line.startswith(alert["alert"]))
    assert "\tresolved\t" in row and row.endswith("referred")
    shown = await asyncio.to_thread(peerline, live_server, "alerts", "show", alert["alert"])
    assert shown.returncode == 0
    for event in ("raised", "delivered", "claimed", "resolved"):
        assert event in shown.stdout
    assert "pills" not in shown.stdout  # the audit view shows facts, not the seeker's words
    missing = await asyncio.to_thread(peerline, live_server, "alerts", "show", "nope")
    assert missing.returncode == 1
