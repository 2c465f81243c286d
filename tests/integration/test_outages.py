"""Redis outages (shutdown, kill, freeze) and several processes: nothing acked is lost or left
undelivered, nobody becomes a ghost, clients hear ``unavailable`` or 1011, never silence.

Each test runs its own real redis-server (tests/redis_process.py) and stops, kills or freezes it.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import websockets

from server.store.client import connect
from tests.client import Client
from tests.conftest import LiveServer, run_server
from tests.redis_process import RedisProcess, redis_process
from tests.timing import MS, WAIT

pytestmark = pytest.mark.multiprocess


@pytest.fixture
def redis() -> Iterator[RedisProcess]:
    with redis_process() as process:
        yield process


@pytest.fixture
async def live(redis: RedisProcess) -> AsyncIterator[LiveServer]:
    async with run_server(redis.url) as server:
        yield server


async def wait_until(predicate: Any, timeout: float = WAIT * 2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


def readyz(live: LiveServer) -> int:
    try:
        with urllib.request.urlopen(f"{live.http_url}/readyz", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


async def ready(live: LiveServer) -> bool:
    return await asyncio.to_thread(readyz, live) == 200


async def cut_subscription(live: LiveServer, redis: RedisProcess,
                           monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Cut this process's pub/sub subscription (a real ``CLIENT KILL``) and keep it from coming
    back while the returned event is set: the test clears it to let the process resubscribe."""
    import server.store.channels as channels_module  # makes the hub's subscriptions

    down = asyncio.Event()
    down.set()
    real = channels_module.Subscription

    class Refused(real):  # type: ignore[misc, valid-type]
        async def run(self, on_subscribed: Any) -> None:
            if down.is_set():
                await asyncio.sleep(0.05)
                raise ConnectionError("held down by the test")
            await super().run(on_subscribed)

    monkeypatch.setattr(channels_module, "Subscription", Refused)
    client = connect(redis.url, pool_size=2)
    try:
        for entry in await client.client_list():
            if entry.get("name") == f"peerline-sub-{live.runtime.node}":
                await client.client_kill_filter(_id=entry["id"])
    finally:
        await client.aclose()

    async def not_listening() -> bool:
        return not live.runtime.hub.listening

    await wait_until(not_listening)
    return down


async def matched(live: LiveServer, helper_url: str | None = None,
                  seeker_url: str | None = None) -> tuple[Client, Client, str]:
    helper = await live.helper(url=helper_url)
    seeker, _ = await live.seeker(url=seeker_url)
    await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q"})
    sid = (await seeker.expect("matched"))["session"]
    await helper.expect("matched")
    return seeker, helper, sid


async def test_a_helper_who_leaves_during_an_outage_is_no_ghost(
        redis: RedisProcess, live: LiveServer) -> None:
    """Defect 1: the helper's clean-up waits for Redis and then happens: not available, and
    a new seeker is not matched to nobody."""
    helper = await live.helper()
    assert await live.runtime.queue.helpers_online() == 1
    redis.stop()
    await helper.close()
    await asyncio.sleep(500 * MS)
    redis.start()
    await wait_until(lambda: ready(live))

    async def helper_offline() -> bool:
        return await live.runtime.queue.helpers_online() == 0

    await wait_until(helper_offline)
    seeker, _ = await live.seeker()
    await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q"})
    await seeker.expect("queued", skip=())
    await seeker.no_frame(1_000 * MS, of="matched")


async def test_say_during_an_outage_is_refused_with_unavailable_and_works_after(
        redis: RedisProcess, live: LiveServer) -> None:
    """Defects 10 and 11: while Redis is gone (killed), a frame gets ``unavailable`` (never
    silence, never a dropped socket), ``/readyz`` answers 503 within a second; once Redis is
    back the same line, re-sent, is stored once."""
    seeker, helper, sid = await matched(live)
    await seeker.say(sid, "before")  # everything of the match is done
    await helper.expect("message")
    redis.kill()
    began = time.monotonic()
    assert await asyncio.to_thread(readyz, live) == 503
    assert time.monotonic() - began < 2_000 * MS
    await seeker.send({"type": "say", "session": sid, "text": "are you there?", "ref": "r1"})
    refused = await seeker.expect("error", timeout=WAIT)
    assert (refused["code"], refused["ref"]) == ("unavailable", "r1")
    redis.start()
    await wait_until(lambda: ready(live))
    await seeker.send({"type": "say", "session": sid, "text": "are you there?", "ref": "r1",
                       "resend": True})
    ack = await seeker.expect("ack")
    assert ack["ref"] == "r1"
    message = await helper.expect("message")
    assert message["text"] == "are you there?" and message["seq"] == ack["seq"]


async def test_a_frozen_redis_gets_answers_not_silence_and_no_rate_limit_after(
        redis: RedisProcess) -> None:
    """Defect 10: SIGSTOP for a few seconds: frames sent at the allowed rate get ``ack`` or
    ``unavailable``, each one; ``/readyz`` answers; none is refused as a flood afterwards."""
    async with run_server(redis.url, rate_burst=5, rate_per_s=10.0) as live:
        seeker, helper, sid = await matched(live)
        redis.freeze()
        try:
            began = time.monotonic()
            assert await asyncio.to_thread(readyz, live) == 503
            assert time.monotonic() - began < 2_000 * MS
            for i in range(20):  # 8 a second: within the rate
                await seeker.send({"type": "say", "session": sid, "text": f"line {i}",
                                   "ref": f"f{i}"})
                await asyncio.sleep(0.125)
        finally:
            redis.thaw()
        answers: dict[str, str] = {}
        while len(answers) < 20:
            frame = await seeker.expect_any(("ack", "error"), timeout=WAIT * 2)
            answers[frame["ref"]] = frame.get("code", "ack")
        assert set(answers.values()) <= {"ack", "unavailable"}, answers


async def test_messages_published_while_a_listener_was_down_still_arrive(
        redis: RedisProcess, live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect 2: a process whose subscription was down while another process stored and
    published messages (acked to their sender) delivers them once it is back, in order, once
    each, to its connected participants: gap detection by ``seq``, read from the stream."""
    other = live.spawn_process()  # the helper's process
    seeker, helper, sid = await matched(live, helper_url=other)
    assert (await helper.say(sid, "before"))["seq"] == 1
    assert (await seeker.expect("message"))["text"] == "before"

    down = await cut_subscription(live, redis, monkeypatch)
    acked = [(await helper.say(sid, f"during {i}"))["seq"] for i in range(5)]
    assert acked == [2, 3, 4, 5, 6]
    await seeker.no_frame(300 * MS, of="message")
    down.clear()
    got = [await seeker.expect("message") for _ in acked]
    assert [m["seq"] for m in got] == acked
    assert [m["text"] for m in got] == [f"during {i}" for i in range(5)]
    assert all("severity" not in m for m in got)
    await helper.say(sid, "after")
    assert (await seeker.expect("message"))["seq"] == 7
    await seeker.no_frame(300 * MS, of="message")


async def test_one_resume_token_holds_one_connection_across_processes(
        live: LiveServer) -> None:
    """Defect 9: the same resume token on a second process closes the first connection, and
    the two cannot open two sessions."""
    other = live.spawn_process()
    first, welcome = await live.seeker()
    second = await live.client(other)
    await second.hello_seeker(resume=welcome["resume"])
    assert await first.close_code(timeout=3 * WAIT) == 4000
    await second.send({"type": "request", "topic": "mood", "lang": "en", "ref": "a"})
    await second.expect("queued", skip=())
    third = await live.client()
    await third.hello_seeker(resume=welcome["resume"])
    await third.send({"type": "request", "topic": "mood", "lang": "en", "ref": "b"})
    refused = await third.expect("error")
    assert refused["code"] == "conflict"


async def test_two_processes_cannot_open_two_sessions_for_one_seeker(live: LiveServer) -> None:
    """Defect 9, the race: two connections of one identity on two processes ask at once."""
    other = live.spawn_process()
    first, welcome = await live.seeker()
    await first.close()
    a = await live.client()
    b = await live.client(other)
    await a.hello_seeker(resume=welcome["resume"])
    await b.hello_seeker(resume=welcome["resume"])

    async def ask(c: Client, ref: str) -> None:
        try:
            await c.send({"type": "request", "topic": "mood", "lang": "en", "ref": ref})
        except websockets.ConnectionClosed:
            pass  # already replaced by the other connection (one live connection per person)

    await asyncio.gather(ask(a, "a"), ask(b, "b"))
    sids = set()
    for c in (a, b):
        try:
            frame = await c.expect_any(("queued", "error"), timeout=WAIT)
        except Exception:
            continue  # this connection was replaced by the other
        if frame["type"] == "queued":
            sids.add(frame["session"])
    assert len(sids) <= 1
    assert await live.runtime.queue.length() <= 1


async def test_ended_answers_a_leave_before_any_new_match(
        live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect 12: the place a leave frees may be filled at once by another process's matching,
    whose ``matched`` can reach the helper before this process has finished ending the session.
    The helper still gets the ``ended`` that answers its ``leave`` first.

    The window is made wide on purpose: this process pauses after Redis has ended the session
    (and freed the place), long enough for the other process's pairing tick to fill it."""
    live.spawn_process()  # a second process pairs too (its tick: every second)
    helper = await live.helper(capacity=1)
    seeker, _ = await live.seeker()
    await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q"})
    sid = (await helper.expect("matched"))["session"]
    waiting, _ = await live.seeker()
    await waiting.send({"type": "request", "topic": "academic", "lang": "en", "ref": "w"})
    await waiting.expect("queued", skip=())

    sessions = live.runtime.sessions
    end = sessions.end

    async def slow_end(*args: Any, **kwargs: Any) -> Any:
        ended = await end(*args, **kwargs)
        await asyncio.sleep(2_500 * MS)
        return ended

    monkeypatch.setattr(sessions, "end", slow_end)
    await helper.send({"type": "leave", "session": sid, "ref": "l"})
    frames = []
    while not frames or frames[-1]["type"] != "matched":
        frames.append(await helper.recv(timeout=WAIT * 2))
    kinds = [(f["type"], f.get("ref")) for f in frames if f["type"] in ("ended", "matched")]
    assert kinds == [("ended", "l"), ("matched", None)], kinds


async def test_a_match_made_while_a_listener_was_down_still_reaches_its_helper(
        redis: RedisProcess, live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the soak: a ``matched`` published to a process whose subscription was down was
    lost, and its helper never learnt of the session (nor got its messages). Once back, the
    process tells each person here of the active sessions they are in but do not know of."""
    other = live.spawn_process()  # the seeker's process, which makes the match
    helper = await live.helper()
    down = await cut_subscription(live, redis, monkeypatch)
    seeker, _ = await live.seeker(url=other)
    await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q"})
    sid = (await seeker.expect("matched"))["session"]
    first = await seeker.say(sid, "is anyone there?")
    await helper.no_frame(300 * MS, of="matched")
    down.clear()
    matched = await helper.expect("matched")
    assert matched["session"] == sid
    message = await helper.expect("message")
    assert (message["seq"], message["text"]) == (first["seq"], "is anyone there?")
    await helper.say(sid, "I'm here")
    assert (await seeker.expect("message"))["text"] == "I'm here"
