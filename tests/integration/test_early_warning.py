"""Early warning on the real server (issue 19): a synthetic rise in the statistics raises one
``risk_rising`` warning to admins and on-call counselors, a person acknowledges it, the list
and the thresholds over HTTP, and a queue longer than the threshold raises ``demand``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from server.core.stats import hour_of
from tests.conftest import LiveServer
from tests.integration.test_statistics import api, ask
from tests.timing import MS

CHECK_S = 0.3
FRAMES = ("watch", "alert", "presence", "queued")


async def test_a_rise_is_warned_of_once_and_acknowledged_by_an_admin(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    async with server_factory(warning_check_s=CHECK_S) as live:
        admin_token = await live.staff_token("birch", "admin")
        admin = await live.client()
        await admin.hello_staff("admin", admin_token)
        counselor = await live.counselor("cedar")
        helper = await live.helper("maple")
        seeker, _ = await live.seeker()
        # A department's counselor on call is not warned (warnings are the centre's).
        await live.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
        await live.runtime.staff.add("fir", "counselor", "pw-fir-1234", alias="Fir",
                                     level="department", department="cs")
        status, login = await live.login("fir", "pw-fir-1234")
        assert status == 200
        department = await live.client()
        await department.hello_staff("counselor", login["token"])
        await department.send({"type": "status", "on_call": True, "ref": "oc"})
        await department.expect("presence")

        # Six sessions at severity 2 or more in the mood topic this hour, none in the two weeks
        # before: a rise past any factor, above the minimum count.
        store = live.runtime.insight.statistics.store
        await store.add(hour_of(time.time()), {"risk": 6, "t.mood.risk": 6, "d._none.risk": 6})

        warning = await admin.expect("warning", skip=FRAMES)
        assert warning["kind"] == "risk_rising"
        assert warning["scope"] in ({"department": None, "topic": None},
                                    {"department": None, "topic": "mood"})
        assert "6 sessions" in warning["detail"] and warning["raised_at"] > 0
        seen = {warning["scope"]["topic"]}
        seen.add((await admin.expect("warning", skip=FRAMES))["scope"]["topic"])
        assert seen == {None, "mood"}  # everyone's rate, and the topic's
        by_counselor = {(await counselor.expect("warning", skip=FRAMES))["warning"]
                        for _ in range(2)}
        assert warning["warning"] in by_counselor
        # The same condition is not raised again at every check.
        await admin.no_frame(CHECK_S * 4, of="warning")
        await helper.no_frame(50 * MS, of="warning")
        await department.no_frame(50 * MS, of="warning")
        await seeker.no_frame(50 * MS, of="warning")

        listed = await asyncio.to_thread(
            api, f"{live.http_url}/api/admin/warnings?state=open", admin_token)
        assert listed[0] == 200
        assert {item["warning"] for item in listed[1]["items"]} == by_counselor
        item = next(i for i in listed[1]["items"] if i["warning"] == warning["warning"])
        assert item["acked_by"] is None and item["kind"] == "risk_rising"

        # A helper or a seeker may not acknowledge; an unknown id is not_found.
        for client in (helper, seeker, department):
            await client.send({"type": "ack_warning", "warning": warning["warning"],
                               "ref": "w"})
            refused = await client.expect("error", skip=FRAMES)
            assert refused["code"] == "forbidden" and refused["ref"] == "w"
        await admin.send({"type": "ack_warning", "warning": "x" * 22, "ref": "w0"})
        missing = await admin.expect("error", skip=FRAMES)
        assert missing["code"] == "not_found" and missing["ref"] == "w0"

        await admin.send({"type": "ack_warning", "warning": warning["warning"], "ref": "w1"})
        acked = await admin.expect("warning_acked", skip=FRAMES)
        assert acked == {"type": "warning_acked", "warning": warning["warning"], "by": "birch",
                         "acked_at": acked["acked_at"], "ref": "w1"}
        told = await counselor.expect("warning_acked", skip=FRAMES)
        assert told["warning"] == warning["warning"] and told["by"] == "birch"

        status, open_now = await asyncio.to_thread(
            api, f"{live.http_url}/api/admin/warnings", admin_token)
        assert status == 200
        assert warning["warning"] not in {i["warning"] for i in open_now["items"]}
        status, every = await asyncio.to_thread(
            api, f"{live.http_url}/api/admin/warnings?state=all", admin_token)
        done = next(i for i in every["items"] if i["warning"] == warning["warning"])
        assert done["acked_by"] == "birch" and done["acked_at"] == acked["acked_at"]

        # The other one is acknowledged over HTTP: the same effect.
        other = (by_counselor - {warning["warning"]}).pop()
        status, body = await asyncio.to_thread(
            api, f"{live.http_url}/api/admin/warnings/{other}/ack", admin_token, "POST", {})
        assert status == 200 and body["acked_by"] == "birch"
        assert (await counselor.expect("warning_acked", skip=FRAMES))["warning"] == other
        assert (await admin.expect("warning_acked", skip=FRAMES))["warning"] == other


async def test_warning_endpoints_refuse_and_thresholds_apply(
    server_factory: Callable[..., AbstractAsyncContextManager[LiveServer]],
) -> None:
    async with server_factory(warning_check_s=CHECK_S) as live:
        admin_token = await live.staff_token("birch", "admin")
        counselor_token = await live.staff_token("cedar", "counselor")
        base = f"{live.http_url}/api/admin/warnings"
        calls: list[tuple[str, str, Any]] = [
            (base, "GET", None), (f"{base}/thresholds", "GET", None),
            (f"{base}/thresholds", "PUT", {"factor": 3}), (f"{base}/abc/ack", "POST", {})]
        for url, method, body in calls:
            assert (await asyncio.to_thread(api, url, None, method, body))[0] == 401
            status, answer = await asyncio.to_thread(api, url, counselor_token, method, body)
            assert status == 403 and answer["error"] == "forbidden"

        assert (await asyncio.to_thread(api, f"{base}?state=closed", admin_token))[0] == 422
        status, answer = await asyncio.to_thread(api, f"{base}/{'x' * 22}/ack", admin_token,
                                                 "POST", {})
        assert status == 404 and answer["error"] == "not_found"
        for bad in ({"factor": 0.5}, {"min_sessions": 2}, {"window_min": "soon"},
                    {"colour": "red"}, [1, 2]):
            status, answer = await asyncio.to_thread(api, f"{base}/thresholds", admin_token,
                                                     "PUT", bad)
            assert status == 422 and answer["error"] == "bad_request", bad
        status, now = await asyncio.to_thread(api, f"{base}/thresholds", admin_token)
        assert status == 200 and now == {"window_min": 60, "baseline_days": 14, "factor": 2.0,
                                         "min_sessions": 5, "wait_minutes": 10,
                                         "queue_length": 10}

        # Two seekers wait with nobody to help; with the queue threshold at 1, demand is
        # warned of, to the admin online.
        admin = await live.client()
        await admin.hello_staff("admin", admin_token)
        await ask(live)
        await ask(live)
        await admin.no_frame(CHECK_S * 3, of="warning")
        status, now = await asyncio.to_thread(api, f"{base}/thresholds", admin_token, "PUT",
                                              {"queue_length": 1})
        assert status == 200 and now["queue_length"] == 1 and now["factor"] == 2.0
        warning = await admin.expect("warning", skip=FRAMES)
        assert warning["kind"] == "demand"
        assert warning["scope"] == {"department": None, "topic": None}
        assert "2 seekers are waiting" in warning["detail"]
        # The change is audited: who changed what.
        audit = [e for _, e in await live.runtime.redis.xrange(live.runtime.keys.audit)]
        changes = [e for e in audit if e[b"event"] == b"warning_thresholds"]
        assert changes and changes[-1][b"by"] == b"birch"
        assert changes[-1][b"changed"] == b"queue_length=1"
