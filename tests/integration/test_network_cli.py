"""``peerline departments …``, ``staff add --level/--department/--untrained`` and ``staff set``
as a real subprocess against the server's Redis (issue 19)."""

from __future__ import annotations

import asyncio

from server.store.audit import AuditQuery
from tests.conftest import LiveServer
from tests.integration.test_cli import peerline


async def run(live: LiveServer, *args: str, stdin: str = "") -> tuple[int, str, str]:
    done = await asyncio.to_thread(peerline, live, *args, stdin=stdin)
    return done.returncode, done.stdout, done.stderr


async def test_departments_and_levels_by_command(live_server: LiveServer) -> None:
    live = live_server
    code, out, err = await run(live, "departments", "add", "cs", "--name-zh", "计算机学院",
                               "--name-en", "Computer Science")
    assert code == 0, err
    code, out, _ = await run(live, "departments", "list")
    assert out.strip() == "cs\t计算机学院\tComputer Science"
    code, _, err = await run(live, "departments", "add", "Bad Id", "--name-zh", "x",
                             "--name-en", "y")
    assert code == 1 and "id" in err

    code, out, err = await run(live, "staff", "add", "ada", "--role", "counselor", "--level",
                               "department", "--department", "cs", "--password-stdin",
                               stdin="long-password\n")
    assert code == 0, err
    assert "department cs" in out
    account = await live.runtime.staff.get("ada")
    assert account is not None and (account.level, account.department) == ("department", "cs")

    code, _, err = await run(live, "staff", "add", "bob", "--role", "counselor", "--level",
                             "department", "--department", "nowhere", "--password-stdin",
                             stdin="long-password\n")
    assert code == 1 and "no department 'nowhere'" in err
    assert await live.runtime.staff.get("bob") is None

    code, _, err = await run(live, "departments", "remove", "cs")
    assert code == 1 and "ada" in err
    code, out, err = await run(live, "staff", "set", "ada", "--level", "centre")
    assert code == 0, err
    code, _, err = await run(live, "departments", "remove", "cs")
    assert code == 0, err


async def test_admins_and_training_by_command(live_server: LiveServer) -> None:
    live = live_server
    code, out, err = await run(live, "staff", "add", "boss", "--role", "admin",
                               "--password-stdin", stdin="long-password\n")
    assert code == 0 and "added admin boss" in out, err
    status, body = await live.login("boss", "long-password")
    assert status == 200 and body["role"] == "admin"

    # On the command line a helper is trained unless --untrained (scripts keep working).
    await run(live, "staff", "add", "maple", "--role", "helper", "--password-stdin",
              stdin="long-password\n")
    await run(live, "staff", "add", "newbie", "--role", "helper", "--untrained",
              "--password-stdin", stdin="long-password\n")
    maple, newbie = await live.runtime.staff.get("maple"), await live.runtime.staff.get("newbie")
    assert maple is not None and maple.trained
    assert newbie is not None and not newbie.trained
    code, out, err = await run(live, "staff", "set", "newbie", "--trained", "--languages", "zh")
    assert code == 0, err
    newbie = await live.runtime.staff.get("newbie")
    assert newbie is not None and newbie.trained and newbie.languages == ("zh",)
    code, _, err = await run(live, "staff", "set", "newbie", "--languages", "fr")
    assert code == 1 and "languages" in err

    entries = await live.runtime.network.staffing.audit(AuditQuery(kind="staff_changed"))
    assert entries and entries[0]["actor"] == "cli" and entries[0]["detail"]["target"] == "newbie"
