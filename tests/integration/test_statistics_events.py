"""What the statistics count when things happen (issue 19): an escalated conversation (risk,
alert, claim, time to claim, outcome, highest severity), a handover counted as one match, and
the helper sample taken by exactly one process per slot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from server.core.stats import hour_of
from tests.conftest import LiveServer
from tests.integration.test_escalation import CRISIS_EN
from tests.integration.test_statistics import api
from tests.integration.test_talk import matched_pair
from tests.timing import MS, WAIT

ALERT_FRAMES = ("watch", "alert", "flag", "participant", "resources", "message")


async def raw_counts(live: LiveServer, ready: Callable[[dict[str, int]], bool]
                     ) -> dict[str, int]:
    """This hour's bucket as stored (no floor), once ``ready`` holds."""
    store = live.runtime.insight.statistics.store
    deadline = time.monotonic() + WAIT
    while True:
        hour = hour_of(time.time())
        counts = (await store.read([hour]))[hour]
        if ready(counts) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(50 * MS)


async def test_an_escalated_conversation_is_counted_once_at_each_step(
    live_server: LiveServer,
) -> None:
    live = live_server
    counselor = await live.counselor("cedar")
    seeker, helper, sid = await matched_pair(live)
    await seeker.say(sid, "活着没意思")  # severity 2: the watch list
    await seeker.say(sid, CRISIS_EN)  # severity 3: an alert
    alert = await counselor.expect("alert", skip=ALERT_FRAMES)
    await seeker.say(sid, CRISIS_EN)  # flagged again, never re-counted
    await counselor.send({"type": "claim", "alert": alert["alert"]})
    await counselor.expect("joined", skip=ALERT_FRAMES)
    await counselor.send({"type": "resolve", "alert": alert["alert"], "outcome": "referred",
                          "ref": "z"})
    await counselor.expect("alert_resolved", skip=ALERT_FRAMES)
    await seeker.send({"type": "leave", "session": sid})
    await seeker.expect("ended", skip=ALERT_FRAMES)

    counts = await raw_counts(live, lambda c: c.get("sev3") == 1)
    assert counts["req"] == 1 and counts["match"] == 1
    assert counts["risk"] == 1 and counts["t.academic.risk"] == 1 and counts["d._none.risk"] == 1
    assert counts["alert"] == 1 and counts["claim"] == 1
    assert sum(v for k, v in counts.items() if k[0] == "c" and k[1:].isdigit()) == 1
    assert counts["out.referred"] == 1
    assert counts["sev3"] == 1 and counts.get("aband", 0) == 0
    # Nothing in a bucket is an id, an alias or words: only counter names.
    assert all(v >= 0 for v in counts.values())
    assert not any(sid in k or alert["alert"] in k or "Maple" in k for k in counts)
    await helper.close()


async def test_a_session_matched_again_after_a_handover_is_one_match(
    live_server: LiveServer,
) -> None:
    live = live_server
    seeker, first, sid = await matched_pair(live)
    second = await live.helper("willow", alias="Willow")
    await first.send({"type": "transfer", "session": sid, "to": None, "note": "", "ref": "t"})
    await second.expect("matched", skip=("queued",))
    counts = await raw_counts(live, lambda c: c.get("match", 0) >= 1)
    await asyncio.sleep(200 * MS)  # room for a second (wrong) count to land
    counts = await raw_counts(live, lambda c: True)
    assert counts["req"] == 1 and counts["match"] == 1
    await seeker.close()


async def test_one_helper_sample_per_slot_whichever_process_asks(
    live_server: LiveServer,
) -> None:
    live = live_server
    admin = await live.staff_token("birch", "admin")
    await live.helper("maple", capacity=3)
    statistics = live.runtime.insight.statistics
    # A slot long ago, so the background sample cannot land in the same bucket.
    then = (hour_of(time.time()) - 48) * 3600 + 60.0
    assert await statistics.sample(then) is True
    assert await statistics.sample(then) is False  # the slot is taken (as by another process)
    assert await statistics.sample(then + statistics.sample_s) is True
    bucket = (await statistics.store.read([hour_of(then)]))[hour_of(then)]
    assert bucket == {"hs_n": 2, "hs_online": 2, "hs_active": 0, "hs_cap": 6}

    url = (f"{live.http_url}/api/stats?by=day&from={int(then * 1000)}"
           f"&to={int(then * 1000) + 3_600_000}")
    status, body = await asyncio.to_thread(api, url, admin)
    assert status == 200
    row: dict[str, Any] = body["buckets"][0]
    assert row["helpers_online_avg"] == 1.0 and row["helper_load_avg"] == 0.0


