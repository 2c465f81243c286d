"""``/api/admin/*`` of the school's network on the real server (issue 19): staff, departments,
the audit trail; every refusal (401, 403, 400/422) and every change audited."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.timing import MS

ENDPOINTS = [
    ("GET", "/api/admin/staff", None),
    ("POST", "/api/admin/staff", {"username": "x1", "role": "helper", "password": "long-pass"}),
    ("PATCH", "/api/admin/staff/someone", {"trained": True}),
    ("POST", "/api/admin/staff/someone/password", {"password": "long-pass-2"}),
    ("DELETE", "/api/admin/staff/someone", None),
    ("POST", "/api/admin/departments", {"id": "cs", "name": {"zh": "计算机", "en": "CS"}}),
    ("PATCH", "/api/admin/departments/cs", {"name": {"zh": "计算机", "en": "CS"}}),
    ("DELETE", "/api/admin/departments/cs", None),
    ("GET", "/api/admin/audit", None),
]


def call_sync(url: str, method: str, body: Any = None, token: str | None = None,
              raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        return exc.code, json.loads(payload) if payload else None


async def call(live: LiveServer, method: str, path: str, body: Any = None,
               token: str | None = None, raw: bytes | None = None) -> tuple[int, Any]:
    return await asyncio.to_thread(call_sync, live.http_url + path, method, body, token, raw)


@pytest.fixture
async def admin(live_server: LiveServer) -> str:
    return await live_server.staff_token("boss", "admin")


async def test_every_admin_endpoint_refuses_other_roles_and_no_token(
    live_server: LiveServer,
) -> None:
    helper = await live_server.staff_token("maple", "helper")
    counselor = await live_server.staff_token("cedar", "counselor")
    for method, path, body in ENDPOINTS:
        status, answer = await call(live_server, method, path, body)
        assert status == 401 and answer["error"] == "unauthorized", (method, path)
        status, _ = await call(live_server, method, path, body, token="not-a-token")
        assert status == 401, (method, path)
        for token in (helper, counselor):
            status, answer = await call(live_server, method, path, body, token=token)
            assert status == 403 and answer["error"] == "forbidden", (method, path)
    # Nothing was changed by the refused calls.
    assert [a.username for a in await live_server.runtime.staff.list()] == ["cedar", "maple"]
    assert await live_server.runtime.network.departments.items() == []


async def test_departments_are_defined_listed_renamed_and_removed(
    live_server: LiveServer, admin: str,
) -> None:
    live = live_server
    status, body = await call(live, "POST", "/api/admin/departments",
                              {"id": "cs", "name": {"zh": "计算机学院", "en": "Computer Science"}},
                              token=admin)
    assert status == 201 and body["id"] == "cs"
    status, body = await call(live, "GET", "/api/departments")
    assert status == 200
    assert body == {"items": [{"id": "cs", "name": {"zh": "计算机学院",
                                                     "en": "Computer Science"}}]}
    status, body = await call(live, "PATCH", "/api/admin/departments/cs",
                              {"name": {"zh": "计算机与软件学院", "en": "Computing"}}, token=admin)
    assert status == 200 and body["name"]["en"] == "Computing"
    # Twice the same id: a conflict; an unknown id: not found.
    assert (await call(live, "POST", "/api/admin/departments",
                       {"id": "cs", "name": {"zh": "a", "en": "b"}}, token=admin))[0] == 409
    assert (await call(live, "PATCH", "/api/admin/departments/bio",
                       {"name": {"zh": "a", "en": "b"}}, token=admin))[0] == 404
    assert (await call(live, "DELETE", "/api/admin/departments/bio", token=admin))[0] == 404

    # A department with counselors cannot go; once they moved, it can.
    await call(live, "POST", "/api/admin/staff",
               {"username": "ada", "role": "counselor", "password": "long-pass-1",
                "level": "department", "department": "cs"}, token=admin)
    status, body = await call(live, "DELETE", "/api/admin/departments/cs", token=admin)
    assert status == 409 and "ada" in body["detail"]
    assert (await call(live, "PATCH", "/api/admin/staff/ada", {"level": "centre"},
                       token=admin))[0] == 200
    assert (await call(live, "DELETE", "/api/admin/departments/cs", token=admin))[0] == 204
    assert (await call(live, "GET", "/api/departments"))[1] == {"items": []}


@pytest.mark.parametrize("body", [
    {"id": "CS!", "name": {"zh": "a", "en": "b"}},
    {"id": "cs", "name": {"zh": "", "en": "b"}},
    {"id": "cs", "name": {"zh": "a"}},
    {"id": "cs", "name": {"zh": "a", "en": "b"}, "extra": 1},
    {"id": "x" * 40, "name": {"zh": "a", "en": "b"}},
    [],
])
async def test_bad_department_bodies_are_422(live_server: LiveServer, admin: str,
                                             body: Any) -> None:
    status, answer = await call(live_server, "POST", "/api/admin/departments", body,
                                token=admin)
    assert status == 422 and answer["error"] == "bad_request" and answer["detail"]


async def test_not_json_is_400(live_server: LiveServer, admin: str) -> None:
    status, answer = await call(live_server, "POST", "/api/admin/staff", raw=b"{nope",
                                token=admin)
    assert status == 400 and answer["detail"]


@pytest.mark.parametrize("body", [
    {"username": "A B", "role": "helper", "password": "long-pass-1"},
    {"username": "ok", "role": "boss", "password": "long-pass-1"},
    {"username": "ok", "role": "helper", "password": "short"},
    {"username": "ok", "role": "helper", "password": "long-pass-1", "level": "centre"},
    {"username": "ok", "role": "counselor", "password": "long-pass-1", "level": "department"},
    {"username": "ok", "role": "counselor", "password": "long-pass-1", "level": "department",
     "department": "nowhere"},
    {"username": "ok", "role": "helper", "password": "long-pass-1", "languages": ["fr"]},
    {"username": "ok", "role": "helper", "password": "long-pass-1", "languages": []},
    {"role": "helper", "password": "long-pass-1"},
])
async def test_bad_staff_bodies_are_422_and_make_nothing(live_server: LiveServer, admin: str,
                                                        body: Any) -> None:
    status, answer = await call(live_server, "POST", "/api/admin/staff", body, token=admin)
    assert status == 422, answer
    assert answer["detail"]
    assert await live_server.runtime.staff.get("ok") is None


async def test_staff_are_added_changed_listed_and_removed(
    live_server: LiveServer, admin: str,
) -> None:
    live = live_server
    await live.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
    status, item = await call(live, "POST", "/api/admin/staff",
                              {"username": "ada", "role": "counselor", "password": "long-pass-1",
                               "level": "department", "department": "cs", "alias": "Ada",
                               "languages": ["zh"]}, token=admin)
    assert status == 201
    assert item == {"username": "ada", "role": "counselor", "alias": "Ada",
                    "level": "department", "department": "cs", "languages": ["zh"],
                    "trained": True, "disabled": False, "second_factor": False, "tier": 1}
    status, item = await call(live, "POST", "/api/admin/staff",
                              {"username": "newbie", "role": "helper",
                               "password": "long-pass-2"}, token=admin)
    assert status == 201 and item["trained"] is False and item["level"] is None
    assert (await call(live, "POST", "/api/admin/staff",
                       {"username": "newbie", "role": "helper", "password": "long-pass-2"},
                       token=admin))[0] == 409

    status, listing = await call(live, "GET", "/api/admin/staff", token=admin)
    names = {i["username"]: i for i in listing["items"]}
    assert set(names) == {"ada", "boss", "newbie"} and names["boss"]["role"] == "admin"
    assert all("hash" not in i and "password" not in i for i in listing["items"])

    status, item = await call(live, "PATCH", "/api/admin/staff/ada",
                              {"level": "centre", "languages": ["en", "zh"]}, token=admin)
    assert status == 200 and item["level"] == "centre" and item["department"] is None
    assert item["languages"] == ["en", "zh"]
    status, answer = await call(live, "PATCH", "/api/admin/staff/ada",
                                {"level": "department", "department": "nowhere"}, token=admin)
    assert status == 422 and answer["error"] == "unknown_department"
    assert (await call(live, "PATCH", "/api/admin/staff/ghost", {"trained": True},
                       token=admin))[0] == 404
    assert (await call(live, "PATCH", "/api/admin/staff/ada", {"colour": "red"},
                       token=admin))[0] == 422

    assert (await call(live, "DELETE", "/api/admin/staff/newbie", token=admin))[0] == 204
    assert await live.runtime.staff.get("newbie") is None
    assert (await call(live, "DELETE", "/api/admin/staff/newbie", token=admin))[0] == 404
    # An admin cannot remove themselves (nobody would be left to undo it).
    assert (await call(live, "DELETE", "/api/admin/staff/boss", token=admin))[0] == 409
    assert (await call(live, "PATCH", "/api/admin/staff/boss", {"disabled": True},
                       token=admin))[0] == 409
    assert (await call(live, "PATCH", "/api/admin/staff/boss", {"role": "helper"},
                       token=admin))[0] == 409


async def test_disabling_or_a_new_password_ends_every_sign_in(
    live_server: LiveServer, admin: str,
) -> None:
    live = live_server
    await call(live, "POST", "/api/admin/staff",
               {"username": "maple", "role": "helper", "password": "long-pass-1",
                "trained": True}, token=admin)
    status, signed = await live.login("maple", "long-pass-1")
    assert status == 200
    console = await live.client()
    await console.hello_staff("helper", signed["token"])

    status, item = await call(live, "PATCH", "/api/admin/staff/maple", {"disabled": True},
                              token=admin)
    assert status == 200 and item["disabled"] is True
    assert (await console.expect("error"))["code"] == "unauthorized"
    assert await console.close_code() == 1008
    assert (await live.login("maple", "long-pass-1"))[0] == 401
    status, _ = await call(live, "GET", "/api/canned", token=signed["token"])
    assert status == 401

    await call(live, "PATCH", "/api/admin/staff/maple", {"disabled": False}, token=admin)
    status, signed = await live.login("maple", "long-pass-1")
    assert status == 200
    assert (await call(live, "POST", "/api/admin/staff/maple/password",
                       {"password": "a-new-long-pass"}, token=admin))[0] == 204
    assert (await call(live, "GET", "/api/canned", token=signed["token"]))[0] == 401
    assert (await live.login("maple", "long-pass-1"))[0] == 401
    assert (await live.login("maple", "a-new-long-pass"))[0] == 200
    assert (await call(live, "POST", "/api/admin/staff/maple/password",
                       {"password": "short"}, token=admin))[0] == 422


async def test_an_untrained_helper_takes_no_chats_until_marked_trained(
    live_server: LiveServer, admin: str,
) -> None:
    live = live_server
    await call(live, "POST", "/api/admin/staff",
               {"username": "newbie", "role": "helper", "password": "long-pass-1"},
               token=admin)
    status, signed = await live.login("newbie", "long-pass-1")
    helper = await live.client()
    await helper.hello_staff("helper", signed["token"])
    await helper.send({"type": "status", "available": True, "ref": "s1"})
    refused = await helper.expect("error")
    assert refused["code"] == "not_trained" and refused["ref"] == "s1"
    seeker, _ = await live.seeker()
    await seeker.send({"type": "request", "topic": "mood"})
    await seeker.expect("queued", skip=())
    await seeker.no_frame(300 * MS, of="matched")

    await call(live, "PATCH", "/api/admin/staff/newbie", {"trained": True}, token=admin)
    await helper.send({"type": "status", "available": True, "ref": "s2"})
    assert (await helper.expect("presence"))["available"] is True
    assert (await seeker.expect("matched"))["peers"][0]["role"] == "helper"


async def test_every_change_is_in_the_audit_trail_and_filters_work(
    live_server: LiveServer, admin: str,
) -> None:
    live = live_server
    start = int(time.time() * 1000)
    await call(live, "POST", "/api/admin/departments",
               {"id": "cs", "name": {"zh": "计算机学院", "en": "CS"}}, token=admin)
    await call(live, "POST", "/api/admin/staff",
               {"username": "ada", "role": "counselor", "password": "long-pass-1",
                "level": "department", "department": "cs"}, token=admin)
    await call(live, "PATCH", "/api/admin/staff/ada", {"trained": True}, token=admin)
    await call(live, "POST", "/api/admin/staff/ada/password", {"password": "long-pass-2"},
               token=admin)
    await call(live, "DELETE", "/api/admin/staff/ada", token=admin)

    status, body = await call(live, "GET", f"/api/admin/audit?from={start}", token=admin)
    assert status == 200
    kinds = [i["kind"] for i in body["items"]]
    assert kinds == ["staff_removed", "password_reset", "staff_changed", "staff_added",
                     "department_added"]
    assert all(i["actor"] == "a.boss" and i["ts"] >= start for i in body["items"])
    assert all("long-pass" not in json.dumps(i) for i in body["items"])
    added = body["items"][3]
    assert added["department"] == "cs" and added["level"] == "department"
    assert added["detail"]["target"] == "ada"

    status, body = await call(live, "GET", "/api/admin/audit?kind=staff_changed", token=admin)
    assert [i["kind"] for i in body["items"]] == ["staff_changed"]
    status, body = await call(live, "GET", "/api/admin/audit?department=cs&limit=1",
                              token=admin)
    assert len(body["items"]) == 1 and body["items"][0]["kind"] == "staff_added"
    status, body = await call(live, "GET", f"/api/admin/audit?to={start - 1}", token=admin)
    assert body["items"] == []
    for bad in ("limit=0", "limit=x", "from=abc", "from=5&to=1", "limit=100000"):
        status, answer = await call(live, "GET", f"/api/admin/audit?{bad}", token=admin)
        assert status == 400 and answer["detail"], bad


async def test_a_helpers_recorded_languages_bound_its_choice(
    live_server: LiveServer, admin: str,
) -> None:
    live = live_server
    await call(live, "POST", "/api/admin/staff",
               {"username": "mei", "role": "helper", "password": "long-pass-1",
                "trained": True, "languages": ["zh"]}, token=admin)
    status, signed = await live.login("mei", "long-pass-1")
    helper = await live.client()
    await helper.hello_staff("helper", signed["token"])
    await helper.send({"type": "status", "available": True, "langs": ["zh", "en"], "ref": "s"})
    presence = await helper.expect("presence")
    assert presence["available"] is True and presence["langs"] == ["zh"]
    # An English-speaking seeker is not given to her.
    seeker, _ = await live.seeker(lang="en")
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    await seeker.expect("queued", skip=())
    await seeker.no_frame(400 * MS, of="matched")
    # Recorded with both: she gets the seeker.
    await call(live, "PATCH", "/api/admin/staff/mei", {"languages": ["zh", "en"]}, token=admin)
    await helper.send({"type": "status", "langs": ["zh", "en"], "ref": "s2"})
    assert (await helper.expect("presence"))["langs"] == ["zh", "en"]
    assert (await seeker.expect("matched"))["peers"][0]["role"] == "helper"


async def test_a_changed_role_closes_the_old_consoles(live_server: LiveServer, admin: str) -> None:
    live = live_server
    token = await live.staff_token("maple", "helper")
    console = await live.client()
    await console.hello_staff("helper", token)
    status, item = await call(live, "PATCH", "/api/admin/staff/maple", {"role": "counselor"},
                              token=admin)
    assert status == 200 and item["role"] == "counselor" and item["level"] == "centre"
    assert (await console.expect("error"))["code"] == "unauthorized"
    assert await console.close_code() == 1008
    status, signed = await call(live, "GET", "/api/canned", token=token)
    assert status == 401
