"""Escalation end to end: flags, one alert per session, one winning claim, tiers, audit."""

from __future__ import annotations

import asyncio

from tests.client import Client
from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair
from tests.timing import MS

CRISIS_EN = "I have the pills ready and I'm going to take them all tonight"
CRISIS_ZH = "我已经准备好安眠药了，今晚就全部吃下去"


async def audit_events(live: LiveServer, alert: str) -> list[str]:
    entries = await live.runtime.redis.xrange(live.runtime.keys.audit)
    return [e[b"event"].decode() for _, e in entries if e.get(b"alert", b"").decode() == alert]


async def test_crisis_message_raises_one_alert_and_one_claim_wins(
    live_server: LiveServer,
) -> None:
    c1 = await live_server.counselor("cedar")
    c2 = await live_server.counselor("aspen")
    seeker, helper, sid = await matched_pair(live_server)

    ack = await seeker.say(sid, CRISIS_EN)
    flag = await helper.expect("flag", skip=("queued", "typing", "message"))
    assert flag["session"] == sid and flag["message"] == ack["id"] and flag["severity"] == 3
    assert flag["categories"]
    alerts = [await c.expect("alert", skip=("watch",)) for c in (c1, c2)]
    assert alerts[0]["alert"] == alerts[1]["alert"] and len(alerts[0]["alert"]) >= 22
    alert = alerts[0]
    assert alert["session"] == sid and alert["severity"] == 3 and alert["excerpt"]
    assert alert["raised_at"] > 0 and "reason" in alert
    resources = await seeker.expect("resources")
    assert resources["session"] == sid and resources["items"]
    assert all("title" in item for item in resources["items"])

    # A second crisis message in the same session is flagged, not re-alerted.
    await seeker.say(sid, CRISIS_EN + " I mean it")
    assert (await helper.expect("flag", skip=("queued", "typing", "message")))["severity"] == 3
    await c1.no_frame(400 * MS, of="alert")

    # Both counselors claim at once; exactly one wins.
    await c1.send({"type": "claim", "alert": alert["alert"], "ref": "k1"})
    await c2.send({"type": "claim", "alert": alert["alert"], "ref": "k2"})
    first = await c1.expect("joined", skip=("watch", "alert_claimed"))
    assert first["session"] == sid
    assert [m["text"] for m in first["transcript"]][:1] == [ack["text"]]
    late = await c2.expect("alert_claimed", skip=("watch",))
    assert late["alert"] == alert["alert"] and late.get("ref") == "k2"
    joined = await seeker.expect("participant", skip=("queued", "typing", "message", "resources"))
    assert joined["role"] == "counselor" and joined["joined"] is True
    await helper.expect("participant", skip=("queued", "typing", "message", "flag"))

    # The counselor talks to both.
    await c1.say(sid, "Hi, I'm a counselor. I'm here with you.")
    assert (await seeker.expect("message"))["from"] == "counselor"
    assert (await helper.expect("message", skip=("flag",)))["from"] == "counselor"

    await c1.send({"type": "resolve", "alert": alert["alert"], "outcome": "safe", "ref": "r"})
    resolved = await c1.expect("alert_resolved", skip=("watch",))
    assert resolved["outcome"] == "safe" and resolved["ref"] == "r"
    events = await audit_events(live_server, alert["alert"])
    assert events[0] == "raised" and "delivered" in events and "claimed" in events
    assert events[-1] == "resolved"


async def test_seeker_never_receives_flags(live_server: LiveServer) -> None:
    counselor = await live_server.counselor()
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_ZH)
    await counselor.expect("alert", skip=("watch",))
    await seeker.expect("resources")
    await seeker.no_frame(500 * MS, of="flag")
    assert not any(f["type"] in ("flag", "alert") for f in seeker.seen)


async def test_chinese_crisis_text_raises_an_alert(live_server: LiveServer) -> None:
    counselor = await live_server.counselor()
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_ZH)
    alert = await counselor.expect("alert", skip=("watch",))
    assert alert["session"] == sid and alert["severity"] == 3


async def test_severity_two_goes_to_the_watch_list_without_paging(
    live_server: LiveServer,
) -> None:
    counselor = await live_server.counselor()
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, "活着没意思")
    flag = await helper.expect("flag", skip=("queued", "typing", "message"))
    assert flag["severity"] == 2
    watch = await counselor.expect("watch")
    assert watch["session"] == sid and watch["severity"] == 2 and watch["excerpt"]
    await counselor.no_frame(400 * MS, of="alert")
    # A counselor can look in: that claims a (new) alert for the session in one step.
    await counselor.send({"type": "join", "session": sid, "ref": "j"})
    joined = await counselor.expect("joined", skip=("watch", "alert"))
    assert joined["session"] == sid and joined["ref"] == "j"


async def test_helper_escalation_carries_reason_and_severity(live_server: LiveServer) -> None:
    counselor = await live_server.counselor()
    seeker, helper, sid = await matched_pair(live_server)
    await helper.send({"type": "escalate", "session": sid, "reason": "talks about a bridge",
                       "ref": "e"})
    alert = await counselor.expect("alert", skip=("watch",))
    assert alert["reason"] == "talks about a bridge" and alert["severity"] >= 2
    assert (await seeker.expect("resources"))["session"] == sid
    # Escalating again while the alert is open does not page twice.
    await helper.send({"type": "escalate", "session": sid, "reason": "again"})
    await counselor.no_frame(400 * MS, of="alert")
    # A seeker cannot escalate.
    await seeker.send({"type": "escalate", "session": sid, "reason": "x", "ref": "no"})
    assert (await seeker.expect("error"))["code"] == "forbidden"


async def test_alert_with_nobody_on_call_is_kept_and_delivered_later(
    live_server: LiveServer,
) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_EN)
    await seeker.expect("resources")
    await asyncio.sleep(300 * MS)
    late = await live_server.counselor("late", on_call=False)
    await late.no_frame(300 * MS, of="alert")
    await late.send({"type": "status", "on_call": True, "ref": "oc"})
    presence = await late.expect("presence")
    assert presence["on_call"] is True
    alert = await late.expect("alert", skip=("watch",))
    assert alert["session"] == sid


async def test_crisis_first_words_jump_the_queue_and_alert_at_once(
    live_server: LiveServer,
) -> None:
    counselor = await live_server.counselor()
    calm, _ = await live_server.seeker()
    await calm.send({"type": "request", "topic": "academic", "lang": "en"})
    await calm.expect("queued", skip=())
    urgent, _ = await live_server.seeker()
    await urgent.send({"type": "request", "topic": "mood", "lang": "en", "note": CRISIS_EN})
    queued = await urgent.expect("queued", skip=())
    assert queued["position"] == 1  # ahead of the seeker who came first
    alert = await counselor.expect("alert", skip=("watch",))
    assert alert["session"] == queued["session"]
    assert (await urgent.expect("resources"))["session"] == queued["session"]
    helper = await live_server.helper(capacity=1)
    matched = await helper.expect("matched")
    assert matched["session"] == queued["session"] and matched["severity"] == 3


async def test_unclaimed_alert_moves_up_the_tiers(live_server: LiveServer) -> None:
    tier1 = await live_server.counselor("dept", tier=1)
    tier2 = await live_server.counselor("centre", tier=2)
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_EN)
    first = await tier1.expect("alert", skip=("watch",))
    assert first["tier"] == 1
    await tier2.no_frame(500 * MS, of="alert")
    second = await tier2.expect("alert", skip=("watch",), timeout=5_000 * MS)
    assert second["alert"] == first["alert"] and second["tier"] == 2
    # The resources are sent again when nobody has claimed within the fallback time.
    await seeker.expect("resources")
    again = await seeker.expect("resources", timeout=5_000 * MS)
    assert again["session"] == sid
    events = await audit_events(live_server, first["alert"])
    assert events.count("delivered") >= 2 and "resources_resent" in events


async def test_takeover_and_helper_cooldown(live_server: LiveServer) -> None:
    counselor = await live_server.counselor()
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_EN)
    alert = await counselor.expect("alert", skip=("watch",))
    await counselor.send({"type": "claim", "alert": alert["alert"]})
    await counselor.expect("joined", skip=("watch",))
    await counselor.send({"type": "takeover", "session": sid, "ref": "t"})
    assert (await counselor.expect("taken_over", skip=("watch", "message", "flag",
                                                      "participant")))["ref"] == "t"
    ended = await helper.expect("ended", skip=("queued", "typing", "message", "flag",
                                               "participant"))
    assert ended["reason"] == "taken_over"
    left = await seeker.expect("participant", skip=("queued", "typing", "message", "resources"))
    while left["role"] != "helper":
        left = await seeker.expect("participant", skip=("queued", "typing", "message"))
    assert left["joined"] is False
    await counselor.say(sid, "I'm staying with you.")
    assert (await seeker.expect("message"))["from"] == "counselor"
    # When the counselor leaves a session they took over, it ends.
    await counselor.send({"type": "leave", "session": sid})
    assert (await seeker.expect("ended", skip=("queued", "typing", "message")))["by"] == "counselor"
    # The helper of a session with a crisis alert gets a cooldown: no new seeker for a while.
    cooldown = await helper.expect("cooldown", skip=("queued", "typing", "message", "flag",
                                                     "participant"))
    assert cooldown["seconds"] > 0
    other, _ = await live_server.seeker()
    await other.send({"type": "request", "topic": "mood"})
    await helper.no_frame(500 * MS, of="matched")
    await helper.send({"type": "status", "available": True, "skip_cooldown": True})
    assert (await helper.expect("matched", skip=("presence", "queued")))["topic"] == "mood"


async def test_counselor_drop_keeps_the_claim_for_a_grace_then_reraises(
    live_server: LiveServer,
) -> None:
    c1 = await live_server.counselor("cedar")
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.say(sid, CRISIS_EN)
    alert = await c1.expect("alert", skip=("watch",))
    await c1.send({"type": "claim", "alert": alert["alert"]})
    await c1.expect("joined", skip=("watch", "flag"))  # the flag may follow the page closely
    c2 = await live_server.counselor("aspen")
    await c1.close()
    again = await c2.expect("alert", skip=("watch", "alert_claimed"), timeout=6_000 * MS)
    assert again["alert"] == alert["alert"]
    events = await audit_events(live_server, alert["alert"])
    assert "released" in events


async def test_unknown_or_foreign_alert_frames_are_refused(live_server: LiveServer) -> None:
    counselor: Client = await live_server.counselor()
    await counselor.send({"type": "claim", "alert": "nope", "ref": "a"})
    assert (await counselor.expect("error"))["code"] == "not_found"
    await counselor.send({"type": "resolve", "alert": "nope", "outcome": "safe", "ref": "b"})
    assert (await counselor.expect("error"))["code"] == "not_found"
    await counselor.send({"type": "takeover", "session": "nope", "ref": "c"})
    assert (await counselor.expect("error"))["code"] == "not_in_session"


async def test_a_conversations_risk_survives_the_seekers_reconnect(live_server: LiveServer) -> None:
    """Three concerns in a row page a counselor even when the seeker reconnected after two:
    the conversation's context is stored with the session (and re-stored only when it
    changes, which a window full of quiet lines no longer does)."""
    counselor = await live_server.counselor()
    seeker, helper, sid = await matched_pair(live_server)
    resume = seeker.seen[0]["resume"]
    for i in range(7):  # more than the window (5): the context stops changing
        await seeker.say(sid, f"thanks, that helps a little {i}")
    for _ in range(2):
        await seeker.say(sid, "活着没意思")
        assert (await helper.expect("flag", skip=("message",)))["severity"] == 2
    await counselor.no_frame(300 * MS, of="alert")
    await seeker.close()

    back = await live_server.client()
    await back.hello_seeker(resume=resume)
    await back.say(sid, "活着没意思")
    flag = await helper.expect("flag", skip=("message",))
    assert flag["severity"] == 3 and "sustained_concern" in flag["categories"]
    alert = await counselor.expect("alert", skip=("watch",))
    assert alert["session"] == sid and alert["severity"] == 3
