"""What the consoles need around supervision: the list of conversations to watch over, a
supervisor's reload that keeps watching, and the staff log given back to staff who reload."""

from __future__ import annotations

import asyncio
import json

from tests.client import Client
from tests.conftest import LiveServer
from tests.integration.test_canned import call
from tests.integration.test_supervision import seeker_saw_nothing_staff_only
from tests.integration.test_talk import matched_pair
from tests.timing import MS


async def test_counselors_list_active_sessions_without_any_seeker_identity(
    live_server: LiveServer,
) -> None:
    url = live_server.http_url + "/api/sessions/active"
    seeker, helper, sid = await matched_pair(live_server, note="my exams, call 13812345678")
    seeker_alias = seeker.seen[0]["alias"]
    await seeker.say(sid, "I can't sleep before exams")
    await helper.expect("message")

    assert (await asyncio.to_thread(call, url))[0] == 401
    helper_token = await live_server.staff_token("oak", "helper")
    assert (await asyncio.to_thread(call, url, token=helper_token))[0] == 403
    token = await live_server.staff_token("cedar", "counselor", alias="Cedar")
    status, body = await asyncio.to_thread(call, url, token=token)
    assert status == 200
    (item,) = body["items"]
    assert item["session"] == sid and item["helper"] == "Maple" and item["counselor"] is None
    assert item["topic"] == "academic" and item["lang"] == "en"
    assert item["started"] > 0 and item["max_severity"] == 1  # "can't sleep": a note
    assert item["watched_by"] == [] and item["alert"] is None
    text = json.dumps(body)
    assert seeker_alias not in text and "exams" not in text and "1381" not in text

    # Watching shows; a queued request (nobody helping yet) and an ended chat are not listed.
    counselor = await live_server.client()
    await counselor.hello_staff("counselor", token)
    await counselor.send({"type": "monitor", "session": sid})
    await counselor.expect("monitoring", skip=("watch",))
    await helper.send({"type": "status", "available": False, "ref": "off"})
    await helper.expect("presence", skip=("supervisor", "flag"))
    waiting, _ = await live_server.seeker()
    await waiting.send({"type": "request", "topic": "mood", "lang": "zh", "ref": "q"})
    await waiting.expect("queued")
    status, body = await asyncio.to_thread(call, url, token=token)
    assert [i["watched_by"] for i in body["items"]] == [["Cedar"]]
    await seeker.send({"type": "leave", "session": sid})
    await seeker.expect("ended")
    status, body = await asyncio.to_thread(call, url, token=token)
    assert status == 200 and body["items"] == []


async def test_a_supervisor_who_reloads_keeps_watching_and_leaves_nothing_behind(
    live_server: LiveServer,
) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    token = await live_server.staff_token("cedar", "counselor", alias="Cedar")
    first = await live_server.client()
    await first.hello_staff("counselor", token)
    await first.send({"type": "monitor", "session": sid})
    await first.expect("monitoring", skip=("watch",))
    assert (await helper.expect("supervisor"))["watching"] is True

    # The console reloads: the new connection replaces the old one and goes on watching.
    second = await live_server.client()
    await second.hello_staff("counselor", token, last_seen={})
    said = await seeker.say(sid, "still here")
    assert (await second.expect("message", skip=("watch",)))["id"] == said["id"]
    await helper.expect("message")
    await helper.no_frame(300 * MS)  # no "watching: false" in between
    assert not [f for f in helper.seen if f["type"] == "supervisor" and not f["watching"]]

    # Monitoring again is harmless (the console asks for the transcript): no second badge.
    await second.send({"type": "monitor", "session": sid, "ref": "again"})
    again = await second.expect("monitoring", skip=("watch",))
    assert [m["id"] for m in again["transcript"]] == [said["id"]]
    await helper.no_frame(300 * MS)

    # When that console closes, the helper is told and the session keeps no stale watcher.
    await second.close()
    assert (await helper.expect("supervisor"))["watching"] is False
    session = await live_server.runtime.sessions.get(sid)
    assert session is not None and session.monitors == {}
    seeker_saw_nothing_staff_only(seeker)


async def test_staff_who_reload_get_the_staff_log_back_and_the_seeker_never_does(
    live_server: LiveServer,
) -> None:
    helper_token = await live_server.staff_token("maple", "helper", alias="Maple")
    helper = await _helper(live_server, helper_token)
    await helper.send({"type": "status", "available": True, "capacity": 2, "ref": "st"})
    await helper.expect("presence")
    seeker, _ = await live_server.seeker()
    await seeker.send({"type": "request", "topic": "academic", "lang": "en"})
    sid = (await seeker.expect("matched", skip=("queued",)))["session"]
    await helper.expect("matched")
    counselor = await live_server.counselor()
    await counselor.send({"type": "monitor", "session": sid})
    await counselor.expect("monitoring", skip=("watch",))
    await helper.expect("supervisor")
    said = await seeker.say(sid, "hello?")
    await helper.expect("message")
    await counselor.send({"type": "whisper", "session": sid, "text": "ask about sleep"})
    await helper.expect("whisper")
    await helper.send({"type": "note", "session": sid, "text": "exam on friday", "ref": "n"})
    note = await helper.expect("note")

    # Another helper account sees nothing of it.
    other = await _helper(live_server, await live_server.staff_token("oak", "helper"),
                          last_seen={})
    await other.no_frame(300 * MS)
    assert [f["type"] for f in other.seen] == ["welcome"]

    # The helper's console reloads (a new connection asking for a replay): the transcript,
    # then the staff log, each entry with its id.
    back = await _helper(live_server, helper_token, last_seen={})
    assert [s["session"] for s in back.seen[0]["sessions"]] == [sid]
    assert (await back.expect("message"))["id"] == said["id"]
    whisper = await back.expect("whisper")
    assert whisper["text"] == "ask about sleep" and whisper["from"] == "counselor"
    kept = await back.expect("note")
    assert kept["id"] == note["id"] and kept["text"] == "exam on friday"

    # Without last_seen (a console written to the contract) nothing is replayed.
    plain = await _helper(live_server, helper_token)
    await plain.no_frame(300 * MS)
    assert [f["type"] for f in plain.seen] == ["welcome"]

    # The seeker's resume replays the transcript only.
    token = seeker.seen[0]["resume"]
    await seeker.close()
    again = await live_server.client()
    await again.hello_seeker(resume=token, last_seen={})
    await again.expect("message")
    await again.no_frame(400 * MS)
    seeker_saw_nothing_staff_only(again, "ask about sleep", "exam on friday")


async def _helper(live: LiveServer, token: str,
                  last_seen: dict[str, str] | None = None) -> Client:
    c = await live.client()
    await c.hello_staff("helper", token, last_seen=last_seen)
    return c


async def test_a_supervisor_typing_is_never_relayed(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    counselor = await live_server.counselor()
    await counselor.send({"type": "monitor", "session": sid})
    await counselor.expect("monitoring", skip=("watch",))
    await helper.expect("supervisor")
    await counselor.send({"type": "typing", "session": sid})
    await counselor.send({"type": "ping", "ref": "after"})
    assert (await counselor.expect("pong", skip=("watch",)))["ref"] == "after"
    await seeker.no_frame(500 * MS)
    await helper.no_frame(100 * MS)
    seeker_saw_nothing_staff_only(seeker)
    # The helper's typing still reaches the seeker (and the supervisor).
    await helper.send({"type": "typing", "session": sid})
    assert (await seeker.expect("typing", skip=()))["from"] == "helper"
