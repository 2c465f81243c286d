"""Resolve notes are kept and shown; an alert whose seeker left before any claim is closed
``no_contact`` (by a counselor, or on its own after a while) and is no longer re-sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.conftest import LiveServer
from tests.integration.test_cli import peerline
from tests.integration.test_escalation import CRISIS_EN
from tests.integration.test_talk import matched_pair
from tests.timing import MS

NOTE = "Called the seeker back; safety plan agreed, follow-up Monday."


async def test_the_resolve_note_is_kept_and_shown(live_server: LiveServer) -> None:
    counselor = await live_server.counselor()
    other = await live_server.counselor("aspen")
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_EN)
    aid = (await counselor.expect("alert", skip=("watch",)))["alert"]
    await other.expect("alert", skip=("watch",))
    await counselor.send({"type": "claim", "alert": aid})
    await counselor.expect("joined", skip=("watch",))
    await counselor.send({"type": "resolve", "alert": aid, "outcome": "referred", "note": NOTE,
                          "ref": "r"})
    resolved = await counselor.expect("alert_resolved", skip=("watch",))
    assert resolved["ref"] == "r" and resolved["note"] == NOTE
    seen = await other.expect("alert_resolved", skip=("watch", "alert_claimed"))
    assert seen["outcome"] == "referred" and seen["note"] == NOTE
    alert = await live_server.runtime.escalation.alerts.get(aid)
    assert alert is not None and alert.note == NOTE and alert.outcome == "referred"
    shown = await asyncio.to_thread(peerline, live_server, "alerts", "show", aid)
    assert shown.returncode == 0 and f"note: {NOTE}" in shown.stdout
    assert CRISIS_EN not in shown.stdout  # the seeker's words stay out of the audit view
    await seeker.no_frame(300 * MS, of="alert_resolved")


async def test_an_unclaimed_alert_is_closed_no_contact_by_a_counselor(
    live_server: LiveServer,
) -> None:
    counselor = await live_server.counselor()
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_EN)
    aid = (await counselor.expect("alert", skip=("watch",)))["alert"]
    # Not yet: the session is still going, and nobody claimed the alert.
    await counselor.send({"type": "resolve", "alert": aid, "outcome": "no_contact", "ref": "a"})
    assert (await counselor.expect("error", skip=("watch",)))["code"] == "forbidden"
    await seeker.send({"type": "leave", "session": sid})
    await seeker.expect("ended", skip=("resources", "message"))
    await counselor.send({"type": "resolve", "alert": aid, "outcome": "no_contact",
                          "note": "seeker left before anyone could reach them", "ref": "b"})
    done = await counselor.expect("alert_resolved", skip=("watch",))
    assert done["outcome"] == "no_contact" and done["ref"] == "b"
    # No longer re-sent to a counselor who goes on call.
    late = await live_server.counselor("aspen")
    await late.no_frame(500 * MS, of="alert")


async def test_an_unclaimed_alert_closes_itself_after_its_session_ended(
    server_factory: Callable[..., Any],
) -> None:
    async with server_factory(no_contact_after_s=500 * MS, tier_timeout_s=30) as live:
        counselor = await live.counselor()
        seeker, helper, sid = await matched_pair(live)
        await seeker.say(sid, CRISIS_EN)
        aid = (await counselor.expect("alert", skip=("watch",)))["alert"]
        await seeker.send({"type": "leave", "session": sid})
        closed = await counselor.expect("alert_resolved", skip=("watch",))
        assert closed["alert"] == aid and closed["outcome"] == "no_contact"
        alert = await live.runtime.escalation.alerts.get(aid)
        assert alert is not None and alert.state == "resolved" and alert.note
        assert aid not in await live.runtime.escalation.alerts.open_ids()
        late = await live.counselor("aspen")
        await late.no_frame(500 * MS, of="alert")
