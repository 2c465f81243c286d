"""Talking (PROTOCOL.md: Talking; Errors)."""

from __future__ import annotations

import json

from tests.conftest import LiveServer
from tests.timing import MS

from ._util import frames_for, helper, now_ms, pair, raw_json, ref, reply_to, say, seeker, until


async def test_ack_and_message_fields(live_server: LiveServer) -> None:
    s, h, sid, welcome = await pair(live_server)
    t0 = now_ms()
    await raw_json(s, {"type": "say", "session": sid, "text": "I failed my exam", "ref": "c1"})
    ack = await until(s, "ack")
    assert ack["ref"] == "c1"
    assert isinstance(ack["id"], str) and ack["id"]
    assert isinstance(ack["ts"], int) and t0 - 2000 <= ack["ts"] <= now_ms() + 2000
    assert ack["text"] == "I failed my exam"
    assert ack["seq"] == 1
    msg = await until(h, "message")
    assert msg["session"] == sid and msg["id"] == ack["id"] and msg["from"] == "seeker"
    assert msg["alias"] == welcome["alias"] and msg["text"] == "I failed my exam"
    assert msg["ts"] == ack["ts"] and msg["seq"] == 1
    # The sender does not get its own message as a `message`.
    assert not [f for f in await frames_for(s, 300 * MS) if f["type"] == "message"]
    hack = await say(h, sid, "I'm here.")
    assert hack["seq"] == 2
    back = await until(s, "message")
    assert back["from"] == "helper" and back["alias"] == "Maple" and back["seq"] == 2
    assert back["id"] == hack["id"]


async def test_text_is_trimmed(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    ack = await say(s, sid, " \n\t  hello there \u3000 ")
    assert ack["text"] == "hello there"
    assert (await until(h, "message"))["text"] == "hello there"


async def test_empty_text_is_bad_frame(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    for text in ("", "   ", "\n\t "):
        got = await reply_to(s, {"type": "say", "session": sid, "text": text})
        assert got["type"] == "error" and got["code"] == "bad_frame", (text, got)
    assert not [f for f in await frames_for(h, 300 * MS) if f["type"] == "message"]


async def test_2000_code_points_ok_2001_too_long(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    # Astral code points: 2000 code points are 4000 UTF-16 units; code points are what count.
    for text in ("a" * 2000, "好" * 2000, "😀" * 2000, "  " + "b" * 2000 + "  "):
        got = await reply_to(s, {"type": "say", "session": sid, "text": text})
        assert got["type"] == "ack", (text[:3], len(text), got)
        assert len(got["text"]) == 2000
        msg = await until(h, "message")
        assert len(msg["text"]) == 2000
    for text in ("a" * 2001, "好" * 2001, "😀" * 2001):
        got = await reply_to(s, {"type": "say", "session": sid, "text": text})
        assert got["type"] == "error" and got["code"] == "too_long", (text[:3], got)
    assert not [f for f in await frames_for(h, 300 * MS) if f["type"] == "message"]


async def test_2000_code_points_with_combining_marks(live_server: LiveServer) -> None:
    """Code points, not grapheme clusters nor NFC forms: 1000 × (e + U+0301) is 2000."""
    s, h, sid, _ = await pair(live_server)
    text = "e\u0301" * 1000
    got = await reply_to(s, {"type": "say", "session": sid, "text": text})
    assert got["type"] == "ack", got
    got = await reply_to(s, {"type": "say", "session": sid, "text": text + "e\u0301"})
    assert got["type"] == "error" and got["code"] == "too_long", got


async def test_pii_is_masked_in_ack_and_message(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    ack = await say(s, sid, "call me on 138 1234 5678 or mail jane.doe@example.com")
    assert "1234" not in ack["text"] and "jane.doe@example.com" not in ack["text"]
    assert "[phone]" in ack["text"]
    msg = await until(h, "message")
    assert msg["text"] == ack["text"]


async def test_order_and_seq_under_interleaving(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    n = 20
    for i in range(n):
        await raw_json(s, {"type": "say", "session": sid, "text": f"s{i}", "ref": f"s{i}"})
        await raw_json(h, {"type": "say", "session": sid, "text": f"h{i}", "ref": f"h{i}"})
    s_acks, s_msgs, h_acks, h_msgs = [], [], [], []
    while len(s_acks) + len(s_msgs) < 2 * n:
        f = await s.recv()
        (s_acks if f["type"] == "ack" else s_msgs if f["type"] == "message" else []).append(f)
    while len(h_acks) + len(h_msgs) < 2 * n:
        f = await h.recv()
        (h_acks if f["type"] == "ack" else h_msgs if f["type"] == "message" else []).append(f)
    assert [a["text"] for a in s_acks] == [f"s{i}" for i in range(n)]
    assert [m["text"] for m in h_msgs] == [f"s{i}" for i in range(n)]
    assert [m["text"] for m in s_msgs] == [f"h{i}" for i in range(n)]
    seqs = sorted(a["seq"] for a in s_acks + h_acks)
    assert seqs == list(range(1, 2 * n + 1))
    assert [m["seq"] for m in h_msgs] == sorted(m["seq"] for m in h_msgs)
    assert [m["seq"] for m in s_msgs] == sorted(m["seq"] for m in s_msgs)
    by_id = {a["id"]: a["seq"] for a in s_acks + h_acks}
    assert all(by_id[m["id"]] == m["seq"] for m in s_msgs + h_msgs)


async def test_someone_elses_session_is_not_in_session(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    intruder, _ = await seeker(live_server)
    for frame in ({"type": "say", "session": sid, "text": "boo"},
                  {"type": "typing", "session": sid},
                  {"type": "leave", "session": sid}):
        got = await reply_to(intruder, frame)
        assert got["type"] == "error" and got["code"] == "not_in_session", (frame, got)
    # Another helper cannot write into it either.
    h2 = await helper(live_server, "oak")
    got = await reply_to(h2, {"type": "say", "session": sid, "text": "boo"})
    assert got["type"] == "error" and got["code"] == "not_in_session"
    assert not [f for f in await frames_for(s, 300 * MS) + await frames_for(h, 100 * MS)
                if f["type"] in ("message", "typing", "ended")]
    # The session still works.
    await say(s, sid, "still here")


async def test_unknown_session_is_not_in_session(live_server: LiveServer) -> None:
    s, _ = await seeker(live_server)
    got = await reply_to(s, {"type": "say", "session": "A" * 22, "text": "hi"})
    assert got["type"] == "error" and got["code"] == "not_in_session"


async def test_typing_is_relayed(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    await raw_json(s, {"type": "typing", "session": sid})
    t = await until(h, "typing")
    assert t == {"type": "typing", "session": sid, "from": "seeker"} or (
        t["session"] == sid and t["from"] == "seeker")
    await raw_json(h, {"type": "typing", "session": sid})
    t = await until(s, "typing")
    assert t["session"] == sid and t["from"] == "helper"


async def test_seeker_leave_ends_for_everyone(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    await raw_json(s, {"type": "leave", "session": sid, "ref": "bye"})
    for side in (s, h):
        e = await until(side, "ended")
        assert e["session"] == sid and e["by"] == "seeker" and "reason" in e


async def test_helper_leave_ends_for_everyone(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    await raw_json(h, {"type": "leave", "session": sid})
    for side in (s, h):
        e = await until(side, "ended")
        assert e["session"] == sid and e["by"] == "helper" and "reason" in e


async def test_ended_reply_to_leave_carries_ref(live_server: LiveServer) -> None:
    """`ended` sent to the one who left is the reply to their `leave`: it carries the ref."""
    s, h, sid, _ = await pair(live_server)
    await raw_json(s, {"type": "leave", "session": sid, "ref": "bye-1"})
    e = await until(s, "ended")
    assert e.get("ref") == "bye-1", e


async def test_after_end_say_typing_leave_get_session_ended(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    await raw_json(h, {"type": "leave", "session": sid})
    await until(s, "ended")
    await until(h, "ended")
    codes = {}
    for name, who in (("seeker", s), ("helper", h)):
        for frame in ({"type": "say", "session": sid, "text": "hello?"},
                      {"type": "typing", "session": sid},
                      {"type": "leave", "session": sid}):
            got = await reply_to(who, frame)
            codes[f"{name} {frame['type']}"] = got.get("code", got["type"])
    assert codes == {k: "session_ended" for k in codes}, codes


async def test_ended_session_of_someone_else_is_not_session_ended(
        live_server: LiveServer) -> None:
    """A stranger must not learn that a session existed: not_in_session, not session_ended."""
    s, h, sid, _ = await pair(live_server)
    await raw_json(s, {"type": "leave", "session": sid})
    await until(s, "ended")
    intruder, _ = await seeker(live_server)
    got = await reply_to(intruder, {"type": "say", "session": sid, "text": "x"})
    assert got["type"] == "error" and got["code"] == "not_in_session", got


async def test_queued_seeker_leave_ends_the_request(live_server: LiveServer) -> None:
    s, _ = await seeker(live_server)
    q = await reply_to(s, {"type": "request", "topic": "academic", "lang": "en"})
    await raw_json(s, {"type": "leave", "session": q["session"]})
    e = await until(s, "ended")
    assert e["session"] == q["session"] and e["by"] == "seeker"
    # A helper who comes now is not matched with a seeker who left.
    h = await helper(live_server)
    assert not [f for f in await frames_for(h, 600 * MS) if f["type"] == "matched"]
    # And the seeker may ask again.
    q2 = await reply_to(s, {"type": "request", "topic": "academic", "lang": "en"})
    assert q2["type"] == "queued" and q2["session"] != q["session"]


async def test_say_to_a_queued_session_is_refused(live_server: LiveServer) -> None:
    s, _ = await seeker(live_server)
    q = await reply_to(s, {"type": "request", "topic": "academic", "lang": "en"})
    got = await reply_to(s, {"type": "say", "session": q["session"], "text": "hi?"})
    # No helper yet: the contract does not say which error; it must not be acked and lost.
    if got["type"] == "ack":
        h = await helper(live_server)
        await until(h, "matched")
        # An acked message is never lost: the helper sees it (in transcript/replay or message).
        got_msg = await until(h, "message")
        assert got_msg["text"] == "hi?"
    else:
        assert got["type"] == "error"


async def test_json_text_frames_with_ensure_ascii_false(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    await s.send_raw(json.dumps({"type": "say", "session": sid, "text": "我很难过 😢",
                                 "ref": "u"}, ensure_ascii=False))
    ack = await until(s, "ack")
    assert ack["text"] == "我很难过 😢" and ack["ref"] == "u"


async def test_seq_continues_across_many_messages_unique_ids(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    ids = set()
    for i in range(10):
        a = await say(s, sid, f"same text {ref()}")
        ids.add(a["id"])
        assert a["seq"] == i + 1
    assert len(ids) == 10
    # Same text twice with different refs: two messages.
    a1 = await say(s, sid, "ok", "d1")
    a2 = await say(s, sid, "ok", "d2")
    assert a1["id"] != a2["id"] and a2["seq"] == a1["seq"] + 1


async def test_same_ref_and_same_text_twice_is_two_messages(live_server: LiveServer) -> None:
    """PROTOCOL.md gives `ref` no uniqueness rule: it is echoed, nothing more. A client that
    numbers refs per connection (c1, c2, … from the contract's example) reuses them after a
    reconnect, and people do say "ok" twice. Every `say` is a message to the others."""
    s, h, sid, _ = await pair(live_server)
    a1 = await say(s, sid, "ok", "c1")
    m1 = await until(h, "message")
    a2 = await say(s, sid, "ok", "c1")
    assert a2["id"] != a1["id"] and a2["seq"] == a1["seq"] + 1, (a1, a2)
    m2 = await until(h, "message", timeout=1_000 * MS)
    assert m2["id"] == a2["id"] and m1["id"] == a1["id"]


async def test_ref_reused_after_reconnect_is_a_new_message(live_server: LiveServer) -> None:
    """A client numbering refs per connection starts again at c1 after a reconnect; the
    person says "yes" again, a new message the helper must get."""
    from ._util import drop
    s, h, sid, welcome = await pair(live_server)
    a1 = await say(s, sid, "yes", "c1")
    await until(h, "message")
    a2 = await say(h, sid, "shall we meet the counselor tomorrow?")
    await until(s, "message")
    await drop(s)
    s2 = await live_server.client()
    await raw_json(s2, {"type": "hello", "role": "seeker", "resume": welcome["resume"],
                        "last_seen": {sid: a2["id"]}})
    await s2.expect("welcome", skip=())
    a3 = await say(s2, sid, "yes", "c1")
    assert a3["id"] != a1["id"] and a3["seq"] == 3, (a1, a3)
    assert (await until(h, "message", timeout=1_000 * MS))["id"] == a3["id"]
