"""Supervision end to end: monitor, whisper, notes and joining, on two server processes.

The seeker must never learn of any of it: no frame, no field, nothing in a resumed replay.
"""

from __future__ import annotations

import asyncio
import json

from tests.client import WAIT, Client
from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair
from tests.timing import MS

STAFF_ONLY = ("monitoring", "supervisor", "whisper", "note", "flag", "alert")
SECRET_WHISPER = "ask her about sleep, gently"
SECRET_NOTE = "seeker mentioned exam on friday"


def seeker_saw_nothing_staff_only(seeker: Client, *secrets: str) -> None:
    # (The seeker's own refused frames are answered with errors that name them: left out.)
    seen = [f for f in seeker.seen if f["type"] != "error"]
    # The seeker's own alias is random and may hold a staff alias ("Misty Cedar"): left out.
    own = {f["alias"] for f in seen if f["type"] == "welcome" and f.get("alias")}
    text = json.dumps([{k: v for k, v in f.items() if not (k == "alias" and v in own)}
                       for f in seen], ensure_ascii=False)
    for secret in secrets:
        assert secret not in text, secret
    assert not [f for f in seen if f["type"] in STAFF_ONLY]
    assert "supervisor" not in text and "monitor" not in text and "whisper" not in text
    assert "Cedar" not in text or any(f["type"] == "participant" for f in seen)


async def test_monitor_and_whisper_never_reach_the_seeker_on_two_processes(
    live_server: LiveServer,
) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    other = await asyncio.to_thread(live_server.spawn_process)
    counselor = await live_server.counselor("cedar", url=other)

    first = await seeker.say(sid, "Exams are next week")
    await helper.expect("message")

    await counselor.send({"type": "monitor", "session": sid, "ref": "m1"})
    monitoring = await counselor.expect("monitoring", skip=("watch", "alert"))
    assert monitoring["ref"] == "m1" and monitoring["session"] == sid
    assert [m["text"] for m in monitoring["transcript"]] == [first["text"]]
    badge = await helper.expect("supervisor")
    assert badge == {"type": "supervisor", "session": sid, "alias": "Cedar", "watching": True}

    # Live messages reach the supervisor on the other process, both ways.
    second = await seeker.say(sid, "There are four of them")
    assert (await counselor.expect("message", skip=("watch",)))["text"] == second["text"]
    await helper.expect("message")
    await helper.say(sid, "That is a lot.")
    assert (await counselor.expect("message", skip=("watch",)))["from"] == "helper"
    await seeker.expect("message")

    # Whisper: the counselor coaches the helper; the helper answers; a note is kept.
    await counselor.send({"type": "whisper", "session": sid, "text": SECRET_WHISPER,
                          "ref": "w1"})
    ack = await counselor.expect("ack", skip=("watch",))
    assert ack["whisper"] is True and ack["ref"] == "w1" and "seq" not in ack
    whisper = await helper.expect("whisper")
    assert whisper["text"] == SECRET_WHISPER and whisper["from"] == "counselor"
    assert whisper["alias"] == "Cedar" and whisper["session"] == sid and whisper["ts"] > 0
    await helper.send({"type": "whisper", "session": sid, "text": "ok, will do", "ref": "w2"})
    assert (await helper.expect("ack"))["whisper"] is True
    assert (await counselor.expect("whisper", skip=("watch",)))["text"] == "ok, will do"
    await helper.send({"type": "note", "session": sid, "text": SECRET_NOTE, "ref": "n1"})
    own = await helper.expect("note")
    assert own["ref"] == "n1" and own["text"] == SECRET_NOTE
    assert (await counselor.expect("note", skip=("watch",)))["text"] == SECRET_NOTE

    # Whispers take no place in the conversation: the next message is seq 4.
    third = await seeker.say(sid, "ok")
    assert third["seq"] == 4
    await seeker.no_frame(500 * MS)
    seeker_saw_nothing_staff_only(seeker, SECRET_WHISPER, SECRET_NOTE, "ok, will do")

    # The seeker comes back on the other process: welcome and the whole replay are clean.
    token = seeker.seen[0]["resume"]
    await seeker.close()
    back = await live_server.client(other)
    welcome = await back.hello_seeker(resume=token)
    assert welcome["sessions"][0]["peers"] == [{"role": "helper", "alias": "Maple"}]
    replay = [await back.expect("message") for _ in range(4)]
    assert [m["seq"] for m in replay] == [1, 2, 3, 4]
    await back.no_frame(500 * MS)
    seeker_saw_nothing_staff_only(back, SECRET_WHISPER, SECRET_NOTE, "ok, will do")

    # A supervisor who was watching sees the staff log again on a second monitor.
    await counselor.send({"type": "unmonitor", "session": sid, "ref": "u1"})
    assert (await counselor.expect("unmonitored", skip=("watch", "message")))["ref"] == "u1"
    assert (await helper.expect("supervisor", skip=("message",)))["watching"] is False
    await counselor.send({"type": "monitor", "session": sid})
    again = await counselor.expect("monitoring", skip=("watch", "message"))
    assert [e["type"] for e in again["staff_log"]] == ["whisper", "whisper", "note"]
    assert [m["seq"] for m in again["transcript"]] == [1, 2, 3, 4]
    await back.no_frame(300 * MS)
    seeker_saw_nothing_staff_only(back, SECRET_WHISPER, SECRET_NOTE)


async def test_join_from_monitoring_and_the_seeker_sees_only_the_join(
    live_server: LiveServer,
) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    counselor = await live_server.counselor()
    await counselor.send({"type": "monitor", "session": sid})
    await counselor.expect("monitoring", skip=("watch",))
    await helper.expect("supervisor")
    await counselor.send({"type": "join", "session": sid, "ref": "j"})
    joined = await counselor.expect("joined", skip=("watch", "alert", "alert_claimed"))
    assert joined["ref"] == "j" and joined["session"] == sid
    assert (await helper.expect("supervisor"))["watching"] is False
    part = await seeker.expect("participant", skip=("resources",))
    assert part["role"] == "counselor" and part["joined"] is True
    await counselor.say(sid, "Hi, I'm a counselor, I'm here too.")
    assert (await seeker.expect("message", skip=("resources",)))["from"] == "counselor"
    seeker_saw_nothing_staff_only(seeker)

    # Take over: the helper leaves, the counselor stays with the seeker.
    await counselor.send({"type": "takeover", "session": sid, "ref": "t"})
    taken = await counselor.expect("taken_over", skip=("watch", "alert_claimed", "participant"))
    assert taken["ref"] == "t"
    assert (await helper.expect("ended", skip=("message", "participant")))["reason"] == \
        "taken_over"


async def test_supervision_refuses_bad_input_clearly(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    counselor = await live_server.counselor()

    async def error(c: Client, frame: dict[str, object]) -> str:
        await c.send({**frame, "ref": "e"})
        e = await c.expect("error", skip=("watch", "queued", "typing"))
        assert e["ref"] == "e"
        return str(e["code"])

    assert await error(seeker, {"type": "monitor", "session": sid}) == "forbidden"
    assert await error(helper, {"type": "monitor", "session": sid}) == "forbidden"
    assert await error(counselor, {"type": "monitor", "session": "x" * 30}) == "not_in_session"
    assert await error(counselor, {"type": "monitor"}) == "bad_frame"
    assert await error(counselor, {"type": "whisper", "session": sid, "text": "hi"}) == \
        "not_in_session"
    assert await error(seeker, {"type": "whisper", "session": sid, "text": "hi"}) == "forbidden"
    assert await error(seeker, {"type": "note", "session": sid, "text": "hi"}) == "forbidden"
    assert await error(helper, {"type": "whisper", "session": sid, "text": "   "}) == "bad_frame"
    assert await error(helper, {"type": "note", "session": sid, "text": "x" * 2001}) == \
        "too_long"
    assert await error(counselor, {"type": "unmonitor", "session": sid}) == "not_in_session"

    await counselor.send({"type": "monitor", "session": sid})
    await counselor.expect("monitoring", skip=("watch",))
    assert await error(counselor, {"type": "say", "session": sid, "text": "hello"}) == \
        "forbidden"
    # Nothing is broken: the chat goes on, and the seeker heard nothing of this.
    await seeker.say(sid, "still here")
    assert (await helper.expect("message", skip=("supervisor",)))["text"] == "still here"
    assert (await counselor.expect("message", skip=("watch",)))["text"] == "still here"
    seeker_saw_nothing_staff_only(seeker)


async def test_a_supervisor_who_drops_stops_watching(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    counselor = await live_server.counselor()
    await counselor.send({"type": "monitor", "session": sid})
    await counselor.expect("monitoring", skip=("watch",))
    assert (await helper.expect("supervisor"))["watching"] is True
    await counselor.close()
    off = await helper.expect("supervisor", timeout=WAIT)
    assert off["watching"] is False and off["alias"] == "Cedar"
    session = await live_server.runtime.sessions.get(sid)
    assert session is not None and session.monitors == {}
