"""The console's live overview (``GET /api/admin/overview``) against real chats."""

from __future__ import annotations

import asyncio

from tests.admin_http import acall
from tests.conftest import LiveServer
from tests.integration.test_escalation import CRISIS_EN
from tests.timing import MS


async def test_overview_shows_the_queue_helpers_on_call_and_alerts(
        live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/admin/overview"
    admin = await live_server.staff_token("boss", "admin")
    status, empty = await acall("GET", url, admin)
    assert status == 200
    assert empty["queue"] == {"waiting": 0, "longest_wait_s": None}
    assert empty["helpers"] == {"online": 0, "available": 0, "load": []}
    assert empty["alerts"]["open"] == 0 and empty["on_call"]["centre"] == 0

    helper = await live_server.helper("maple", capacity=1)
    await live_server.counselor("cedar")
    # A department counselor on call is counted under the department.
    await live_server.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
    await live_server.runtime.staff.add("birch", "counselor", "pw-birch-123", alias="Birch",
                                        level="department", department="cs")
    _, signed_in = await live_server.login("birch", "pw-birch-123")
    birch = await live_server.client()
    await birch.hello_staff("counselor", signed_in["token"])
    await birch.send({"type": "status", "on_call": True, "ref": "oc"})
    await birch.expect("presence")
    first, _ = await live_server.seeker()
    await first.send({"type": "request", "topic": "mood", "lang": "en"})
    sid = (await first.expect("matched"))["session"]
    await helper.expect("matched")
    second, _ = await live_server.seeker()
    await second.send({"type": "request", "topic": "academic", "lang": "en"})
    await second.expect("queued", skip=())
    await first.say(sid, CRISIS_EN)
    await helper.expect("flag", skip=("message", "typing"))
    await asyncio.sleep(1_100 * MS)  # the waiting seeker has waited a second

    status, body = await acall("GET", url, admin)
    assert status == 200
    assert body["queue"]["waiting"] == 1 and body["queue"]["longest_wait_s"] >= 1
    assert body["helpers"]["online"] == 1
    assert body["helpers"]["available"] == 0  # full: one chat of one
    assert body["helpers"]["load"] == [{"alias": "Maple", "active": 1, "capacity": 1,
                                        "available": False, "cooldown": False}]
    assert body["on_call"] == {"department": {"cs": 1}, "centre": 1}
    assert body["alerts"]["open"] == 1
    (alert,) = body["alerts"]["items"]
    assert alert["severity"] == 3 and alert["waiting_s"] >= 0
    assert "excerpt" not in alert and CRISIS_EN not in str(body)
    # Today's aggregates (the statistics' counts) keep the k-anonymity floor: two requests
    # and one alert are shown as null, none as 0.
    today = body["today"]
    assert today["requests"] is None and today["alerts"] is None and today["abandoned"] == 0


async def test_overview_needs_an_admin(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/admin/overview"
    assert (await acall("GET", url))[0] == 401
    assert (await acall("GET", url, "forged"))[0] == 401
    for role, name in (("helper", "maple"), ("counselor", "cedar")):
        token = await live_server.staff_token(name, role)
        status, body = await acall("GET", url, token)
        assert status == 403 and body["error"] == "forbidden"
