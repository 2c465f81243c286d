"""The school's network on the real server (issue 19): department routing, the centre after
the tier timeout, no department → centre at once, pass_up with the centre joining with the
transcript, the watch list by department, and the audit trail with level and department."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.client import Client
from tests.conftest import LiveServer
from tests.integration.test_escalation import CRISIS_EN
from tests.timing import MS

SKIP = ("watch", "flag", "message", "typing", "queued", "participant")


async def department_counselor(live: LiveServer, name: str, dept: str,
                               on_call: bool = True) -> Client:
    password = "pw-" + name + "-long"
    await live.runtime.staff.add(name, "counselor", password, alias=name.title(),
                                 level="department", department=dept)
    status, body = await live.login(name, password)
    assert status == 200, body
    c = await live.client()
    await c.hello_staff("counselor", body["token"])
    if on_call:
        await c.send({"type": "status", "on_call": True, "ref": "oc"})
        await c.expect("presence")
    return c


async def pair(live: LiveServer, department: str | None,
               helper: Client | None = None) -> tuple[Client, Client, str]:
    helper = helper or await live.helper()
    seeker, _ = await live.seeker()
    request: dict[str, Any] = {"type": "request", "topic": "mood", "lang": "en", "ref": "q"}
    if department is not None:
        request["department"] = department
    await seeker.send(request)
    matched = await seeker.expect("matched")
    await helper.expect("matched", skip=("queued", "typing", "message", "flag"))
    return seeker, helper, matched["session"]


async def audit_of(live: LiveServer, aid: str) -> list[dict[str, str]]:
    return await live.runtime.escalation.alerts.audit_of(aid)


async def test_alert_goes_to_the_department_then_the_centre_then_everyone(
    server_factory: Any,
) -> None:
    async with server_factory(tier_timeout_s=1_500 * MS) as live:
        await live.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
        await live.runtime.network.departments.add("law", "法学院", "Law")
        cs = await department_counselor(live, "ada", "cs")
        law = await department_counselor(live, "hale", "law")
        centre = await live.counselor("cedar")
        seeker, helper, sid = await pair(live, "cs")

        await seeker.say(sid, CRISIS_EN)
        first = await cs.expect("alert", skip=SKIP)
        assert first["level"] == "department" and first["department"] == "cs"
        assert first["session"] == sid
        await centre.no_frame(600 * MS, of="alert")
        await law.no_frame(10 * MS, of="alert")

        second = await centre.expect("alert", skip=SKIP, timeout=5_000 * MS)
        assert second["alert"] == first["alert"] and second["level"] == "centre"
        third = await law.expect("alert", skip=SKIP, timeout=5_000 * MS)
        assert third["alert"] == first["alert"] and third["level"] is None

        async def delivered() -> list[tuple[str, str | None, str | None]]:
            return [(e["event"], e.get("level"), e.get("department"))
                    for e in await audit_of(live, first["alert"]) if e["event"] == "delivered"]

        steps = await delivered()
        for _ in range(50):  # the frame goes out just before its audit entry is written
            if len(steps) == 3:
                break
            await asyncio.sleep(20 * MS)
            steps = await delivered()
        assert steps == [("delivered", "department", "cs"), ("delivered", "centre", "cs"),
                         ("delivered", "all", "cs")]


async def test_no_department_or_nobody_of_it_on_call_goes_to_the_centre_at_once(
    server_factory: Any,
) -> None:
    async with server_factory(tier_timeout_s=3_000 * MS) as live:
        await live.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
        await live.runtime.network.departments.add("law", "法学院", "Law")
        centre = await live.counselor("cedar")
        law = await department_counselor(live, "hale", "law")
        helper = await live.helper(capacity=3)

        seeker, _, sid = await pair(live, None, helper)
        await seeker.say(sid, CRISIS_EN)
        alert = await centre.expect("alert", skip=SKIP, timeout=1_000 * MS)
        assert alert["session"] == sid and alert["level"] == "centre"
        assert "department" not in alert
        await law.no_frame(300 * MS, of="alert")

        # A cs seeker while nobody of cs is on call: the centre at once too.
        seeker2, _, sid2 = await pair(live, "cs", helper)
        await seeker2.say(sid2, CRISIS_EN)
        alert2 = await centre.expect("alert", skip=SKIP, timeout=1_000 * MS)
        assert alert2["session"] == sid2 and alert2["level"] == "centre"
        assert alert2["department"] == "cs"


async def test_unknown_department_in_a_request_is_a_bad_frame(live_server: LiveServer) -> None:
    seeker, _ = await live_server.seeker()
    await seeker.send({"type": "request", "topic": "mood", "department": "nowhere", "ref": "r"})
    error = await seeker.expect("error")
    assert error["code"] == "bad_frame" and error["ref"] == "r"
    # Nothing was left behind: a good request works at once.
    await live_server.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
    await seeker.send({"type": "request", "topic": "mood", "department": "cs", "ref": "r2"})
    assert (await seeker.expect("queued"))["ref"] == "r2"


async def test_the_watch_list_is_for_the_department_and_the_centre(
    live_server: LiveServer,
) -> None:
    live = live_server
    await live.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
    await live.runtime.network.departments.add("law", "法学院", "Law")
    cs = await department_counselor(live, "ada", "cs")
    law = await department_counselor(live, "hale", "law")
    centre = await live.counselor("cedar")
    seeker, _, sid = await pair(live, "cs")
    await seeker.say(sid, "活着没意思")
    for c in (cs, centre):
        watch = await c.expect("watch", skip=("flag",))
        assert watch["session"] == sid and watch["department"] == "cs"
    await law.no_frame(400 * MS, of="watch")
    # A law counselor going on call later is not sent it either; a centre one is.
    late_law = await department_counselor(live, "lex", "law")
    await late_law.no_frame(400 * MS, of="watch")
    late_centre = await live.counselor("pine")
    assert (await late_centre.expect("watch", skip=("alert",)))["session"] == sid


async def test_pass_up_the_centre_joins_with_the_transcript_and_the_department_watches(
    server_factory: Any,
) -> None:
    async with server_factory(tier_timeout_s=30_000 * MS) as live:
        await live.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
        cs = await department_counselor(live, "ada", "cs")
        centre = await live.counselor("cedar")
        other_centre = await live.counselor("pine")
        seeker, helper, sid = await pair(live, "cs")
        ack = await seeker.say(sid, CRISIS_EN)
        alert = await cs.expect("alert", skip=SKIP)
        aid = alert["alert"]

        # Only the department counselor who claimed it may pass it up.
        await centre.send({"type": "pass_up", "alert": aid, "reason": "x", "ref": "p0"})
        assert (await centre.expect("error", skip=SKIP))["code"] == "forbidden"
        await cs.send({"type": "pass_up", "alert": aid, "reason": "x", "ref": "p1"})
        assert (await cs.expect("error", skip=SKIP))["code"] == "forbidden"  # not claimed yet
        await cs.send({"type": "pass_up", "alert": "nosuchalert" * 3, "ref": "p2"})
        assert (await cs.expect("error", skip=SKIP))["code"] == "not_found"

        await cs.send({"type": "claim", "alert": aid})
        joined = await cs.expect("joined", skip=SKIP)
        assert joined["session"] == sid
        came = await seeker.expect("participant", skip=("message", "resources", "typing"))
        assert (came["alias"], came["joined"]) == ("Ada", True)
        await cs.say(sid, "Hello, I am from your department's office.")

        await cs.send({"type": "pass_up", "alert": aid, "reason": "needs the centre",
                       "ref": "up"})
        assert (await cs.expect("passed_up", skip=SKIP))["ref"] == "up"
        again = await centre.expect("alert", skip=SKIP + ("alert_claimed",))
        assert again["alert"] == aid and again["level"] == "centre"
        assert again["passed_up"] is True and again["pass_reason"] == "needs the centre"
        assert (await other_centre.expect("alert", skip=SKIP + ("alert_claimed",))
                )["passed_up"] is True

        await centre.send({"type": "claim", "alert": aid, "ref": "c1"})
        taken = await centre.expect("joined", skip=SKIP)
        assert taken["session"] == sid and taken["ref"] == "c1"
        texts = [m["text"] for m in taken["transcript"]]
        assert ack["text"] in texts and "Hello, I am from your department's office." in texts
        assert (await other_centre.expect("alert_claimed", skip=SKIP))["alert"] == aid
        await other_centre.send({"type": "claim", "alert": aid, "ref": "c2"})
        late = await other_centre.expect("alert_claimed", skip=SKIP)
        assert late["ref"] == "c2"  # one centre counselor takes it up

        # The department counselor stays, watching; the seeker sees one counselor hand over.
        watching = await cs.expect("taken_up", skip=SKIP)
        assert watching["session"] == sid and watching["watching"] is True
        seen = [await seeker.expect("participant", skip=("message", "resources", "typing"))
                for _ in range(2)]
        assert [(p["alias"], p["joined"]) for p in seen] == [("Ada", False), ("Cedar", True)]
        await centre.say(sid, "I'm Cedar from the counseling centre.")
        assert (await seeker.expect("message", skip=("participant", "resources"))
                )["alias"] == "Cedar"
        assert (await cs.expect("message", skip=SKIP[:2] + ("participant",)))["alias"] == "Cedar"
        # The department counselor now watches: a `say` is refused, a whisper is not.
        await cs.send({"type": "say", "session": sid, "text": "hi", "ref": "s"})
        assert (await cs.expect("error", skip=("message", "flag")))["ref"] == "s"

        events = [(e["event"], e.get("level"), e.get("department"))
                  for e in await audit_of(live, aid)]
        assert ("passed_up", "centre", "cs") in events
        assert ("taken_up", "centre", "cs") in events
        assert ("claimed", "department", "cs") in events


async def test_a_centre_counselor_going_on_call_gets_a_waiting_pass_up(
    server_factory: Any,
) -> None:
    async with server_factory(tier_timeout_s=30_000 * MS) as live:
        await live.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
        cs = await department_counselor(live, "ada", "cs")
        seeker, helper, sid = await pair(live, "cs")
        await seeker.say(sid, CRISIS_EN)
        aid = (await cs.expect("alert", skip=SKIP))["alert"]
        await cs.send({"type": "claim", "alert": aid})
        await cs.expect("joined", skip=SKIP)
        await cs.send({"type": "pass_up", "alert": aid, "reason": "centre please"})
        await cs.expect("passed_up", skip=SKIP)
        centre = await live.counselor("cedar")
        alert = await centre.expect("alert", skip=SKIP)
        assert alert["alert"] == aid and alert["passed_up"] is True
