"""Issue 15 end to end: a seeker's first-person wish to die pages the on-call counselor; the
hyperbole "this homework is killing me" does not.

Driven only through the public fixtures and the wire protocol (no server internals), so it
keeps working while server/ is being restructured.
"""

from __future__ import annotations

from typing import Any

from tests.client import Client
from tests.conftest import LiveServer

SKIP = ("queued", "typing", "message", "resources")


async def _pair(live: LiveServer) -> tuple[Client, Client, str]:
    """A helper and a seeker matched in one session."""
    helper = await live.helper()
    seeker, _ = await live.seeker()
    await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q"})
    matched = await seeker.expect("matched")
    await helper.expect("matched")
    return seeker, helper, str(matched["session"])


async def _flags_until_message(helper: Client, msg_id: str) -> list[dict[str, Any]]:
    """The helper's frames up to and including the relayed message ``msg_id``: any flags."""
    flags = []
    while True:
        frame = await helper.expect_any(("message", "flag"))
        if frame["type"] == "flag":
            flags.append(frame)
        elif frame.get("id") == msg_id:
            return flags


async def test_first_person_wish_to_kill_oneself_pages_the_counselor(
    live_server: LiveServer,
) -> None:
    counselor = await live_server.counselor("cedar")
    seeker, helper, sid = await _pair(live_server)

    ack = await seeker.say(sid, "I want to kill myself")
    flag = await helper.expect("flag", skip=SKIP)
    assert flag["session"] == sid and flag["message"] == ack["id"]
    assert flag["severity"] == 3
    alert = await counselor.expect("alert", skip=("watch",))
    assert alert["session"] == sid and alert["severity"] == 3


async def test_homework_hyperbole_does_not_page(live_server: LiveServer) -> None:
    counselor = await live_server.counselor("cedar")
    seeker, helper, sid = await _pair(live_server)

    ack = await seeker.say(sid, "this homework is killing me")
    flags = await _flags_until_message(helper, ack["id"])
    assert all(f["severity"] < 2 for f in flags), flags
    await counselor.no_frame(1.0, of="alert")

    # The same session still pages when the seeker then says it for real: the filter is live.
    await seeker.say(sid, "honestly I want to kill myself")
    assert (await counselor.expect("alert", skip=("watch",)))["severity"] == 3
