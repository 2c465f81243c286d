"""Operating hours: refused requests while closed (crisis numbers kept), on every process."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import LiveServer, http_json
from tests.integration.test_cli import peerline
from tests.timing import MS


async def hours(live: LiveServer, url: str | None = None) -> dict[str, object]:
    status, body = await asyncio.to_thread(http_json, (url or live.http_url) + "/api/hours")
    assert status == 200
    return body


async def test_closed_hours_refuse_requests_on_every_process(live_server: LiveServer) -> None:
    other_ws = await asyncio.to_thread(live_server.spawn_process)
    other_http = other_ws.replace("ws://", "http://").removesuffix("/ws")
    assert (await hours(live_server)) ["open"] is True

    run = await asyncio.to_thread(peerline, live_server, "hours", "set", "closed",
                                  "--message-en", "We are closed today.",
                                  "--message-zh", "今天休息。")
    assert run.returncode == 0, run.stderr
    # Within 2 s on both processes. Each process keeps its own short cache, so both are
    # waited for: the first one read at the start may still say "open" when the other
    # already says "closed" (a request there would be queued, not refused).
    deadline = time.monotonic() + 2_500 * MS
    for url in (other_http, None):
        while (await hours(live_server, url))["open"] and time.monotonic() < deadline:
            await asyncio.sleep(100 * MS)
        body = await hours(live_server, url)
        assert body == {"open": False, "next_open": None, "spec": "closed",
                        "message": {"zh": "今天休息。", "en": "We are closed today."}}
    for url in (None, other_ws):
        seeker, _ = await live_server.seeker(url=url)
        await seeker.send({"type": "request", "topic": "mood", "lang": "en", "ref": "q"})
        refused = await seeker.expect("error")
        assert refused["code"] == "closed" and refused["ref"] == "q"
        assert refused["resources"] and refused["message"]["en"] == "We are closed today."
        # Nothing was queued, and the seeker can still ask later.
        assert await live_server.runtime.queue.length() == 0

    await asyncio.to_thread(peerline, live_server, "hours", "set", "always")
    deadline = time.monotonic() + 2_500 * MS
    while not (await hours(live_server, other_http))["open"] and time.monotonic() < deadline:
        await asyncio.sleep(100 * MS)
    seeker, _ = await live_server.seeker(url=other_ws)
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    assert (await seeker.expect("queued", skip=()))["position"] == 1


async def test_hours_with_times_and_on_call_staff(live_server: LiveServer) -> None:
    store = live_server.runtime.intake.hours
    bad = await asyncio.to_thread(peerline, live_server, "hours", "set", "mon-fri 8-22")
    assert bad.returncode == 1 and "HH:MM" in bad.stderr
    # Closed all week but one minute a year from now: closed, and it says when it opens.
    await store.set("closed 2000-01-01")  # a holiday-only spec: never open
    now = live_server.runtime.intake.now()
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(now.weekday() + 1) % 7]
    await store.set(f"{day} 09:00-10:00", open_when_on_call=True)
    body = await hours(live_server)
    assert body["open"] is False and isinstance(body["next_open"], int)
    assert body["next_open"] > time.time() * 1000
    # A counselor on call opens the queue when the setting says so.
    await live_server.counselor()
    assert (await hours(live_server))["open"] is True
    seeker, _ = await live_server.seeker()
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    await seeker.expect("queued", skip=())
