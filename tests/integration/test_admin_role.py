"""The ``admin`` role (issue 19): signs in like staff, sees every counselor frame on ``/ws``
whether or not anyone calls it on call, and is let into the counselor/admin HTTP endpoints."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from tests.client import Client
from tests.conftest import LiveServer, http_json
from tests.integration.test_escalation import CRISIS_EN
from tests.integration.test_talk import matched_pair
from tests.timing import MS


async def admin_client(live: LiveServer, name: str = "birch"
                       ) -> tuple[Client, dict[str, Any], str]:
    token = await live.staff_token(name, "admin", alias=name.title())
    c = await live.client()
    welcome = await c.hello_staff("admin", token)
    return c, welcome, token


async def test_admin_signs_in_and_gets_alerts_and_watch_without_being_on_call(
    live_server: LiveServer,
) -> None:
    admin, welcome, _ = await admin_client(live_server)
    assert welcome["role"] == "admin" and welcome["alias"] == "Birch"
    counselor = await live_server.counselor("cedar")
    seeker, helper, sid = await matched_pair(live_server)

    # Severity 2: the watch list reaches the admin as it reaches the on-call counselor.
    await seeker.say(sid, "活着没意思")
    watch = await admin.expect("watch", skip=("alert",))
    assert watch["session"] == sid

    await seeker.say(sid, CRISIS_EN)
    alert = await admin.expect("alert", skip=("watch",))
    assert alert["session"] == sid
    assert (await counselor.expect("alert", skip=("watch",)))["alert"] == alert["alert"]

    # The admin cannot claim (it is not in the rota) …
    await admin.send({"type": "claim", "alert": alert["alert"], "ref": "k"})
    refused = await admin.expect("error", skip=("watch", "alert"))
    assert refused["code"] == "forbidden" and refused["ref"] == "k"
    # … but sees the claim of the counselor who does.
    await counselor.send({"type": "claim", "alert": alert["alert"]})
    await counselor.expect("joined", skip=("watch", "alert"))
    claimed = await admin.expect("alert_claimed", skip=("watch", "alert"))
    assert claimed["alert"] == alert["alert"]

    # Its `status` is answered, and never puts it in the on-call rota.
    await admin.send({"type": "status", "on_call": True, "ref": "s"})
    presence = await admin.expect("presence", skip=("watch", "alert"))
    assert presence["ref"] == "s" and presence["on_call"] is False
    assert "a.birch" not in await live_server.runtime.presence.on_call()


async def test_admin_gets_open_alerts_when_it_connects(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_EN)  # nobody on call: the alert waits
    await helper.expect("flag", skip=("message", "typing"))
    admin, _, _ = await admin_client(live_server)
    alert = await admin.expect("alert", skip=("watch",))
    assert alert["session"] == sid


async def test_admin_token_is_for_admin_hello_only(live_server: LiveServer) -> None:
    _, _, token = await admin_client(live_server)
    c = await live_server.client()
    await c.send({"type": "hello", "role": "counselor", "token": token})
    assert (await c.expect("error"))["code"] == "unauthorized"
    assert await c.close_code() == 1008


async def test_admin_uses_counselor_endpoints(live_server: LiveServer) -> None:
    _, _, token = await admin_client(live_server)
    helper_token = await live_server.staff_token("maple", "helper")

    def get(path: str, bearer: str | None) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        request = urllib.request.Request(live_server.http_url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    assert (await asyncio.to_thread(get, "/api/sessions/active", token))[0] == 200
    assert (await asyncio.to_thread(get, "/api/sessions/active", helper_token))[0] == 403
    assert (await asyncio.to_thread(get, "/api/sessions/active", None))[0] == 401
    assert (await asyncio.to_thread(get, "/api/stories/review", token))[0] == 200
    status, body = await asyncio.to_thread(
        http_json, live_server.http_url + "/api/login", {"username": "nobody", "password": "x"})
    assert status == 401


async def test_admin_monitors_a_session_like_a_supervisor(live_server: LiveServer) -> None:
    admin, _, _ = await admin_client(live_server)
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, "Hello, can we talk about my week")
    await admin.send({"type": "monitor", "session": sid, "ref": "m"})
    watching = await admin.expect("monitoring")
    assert watching["ref"] == "m" and [m["text"] for m in watching["transcript"]] == [
        "Hello, can we talk about my week"]
    badge = await helper.expect("supervisor", skip=("message", "typing", "flag"))
    assert badge["alias"] == "Birch" and badge["watching"] is True
    await seeker.no_frame(300 * MS, of="supervisor")
