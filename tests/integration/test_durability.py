"""What an ``ack`` promises under each ``PEERLINE_DURABILITY`` (issue 17), on real redis-servers
that the tests start, kill (``SIGKILL``), freeze and replicate.

- ``fsync``: a seeker streams to a helper through a real server while Redis is killed and
  started again: every acked message is in the transcript afterwards, once.
- ``replica``: with a real replica an ack comes only once the replica holds the message; with
  the replica frozen the sender gets ``unavailable`` within the timeout, never an ``ack``, the
  helper gets nothing, and a replay is refused too; once the replica is back the re-sent line
  is acked with the id it was stored under and delivered once.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as sync_redis

from server.core.errors import ConfigError, NotDurable
from server.store.client import connect
from server.store.durability import prepare
from tests.client import Client
from tests.conftest import run_server
from tests.integration.test_outages import matched, ready, wait_until
from tests.redis_process import RedisProcess, redis_process
from tests.timing import MS, WAIT

pytestmark = pytest.mark.multiprocess

REPLICA_TIMEOUT_MS = int(400 * MS * 1000)
STREAMING = {"rate_burst": 1000, "rate_per_s": 1000.0}
"""A stream faster than a person types: the per-connection rate limit is not under test."""


@contextlib.contextmanager
def primary_and_replica() -> Iterator[tuple[RedisProcess, RedisProcess]]:
    """A primary and a replica of it (``--replicaof``), both real, each in its own directory."""
    with redis_process() as primary, tempfile.TemporaryDirectory(prefix="peerline-rep-") as tmp:
        replica = RedisProcess(Path(tmp), extra_args=(
            "--replicaof", "127.0.0.1", str(primary.port)))
        replica.start()
        try:
            link = sync_redis.Redis(port=primary.port)
            # Online, not only connected: Redis 7 / Valkey wait a few seconds before the first
            # (diskless) sync, and a replica still syncing acknowledges nothing.
            deadline = time.monotonic() + WAIT * 4
            while (link.info("replication").get("slave0") or {}).get("state") != "online":
                assert time.monotonic() < deadline, "the replica did not come online"
                time.sleep(0.05)
            link.close()
            yield primary, replica
        finally:
            replica.close()


async def stream(seeker: Client, sid: str, count: int, window: int,
                 on_acked: Any = None) -> dict[str, tuple[str, int]]:
    """Send ``count`` lines, ``window`` at a time, re-sending (marked) each one refused with
    ``unavailable`` until it is acked; returns ref → (id, seq) of every ack."""
    acked: dict[str, tuple[str, int]] = {}
    texts = {f"m{i}": f"line {i} of the stream" for i in range(count)}
    waiting = list(texts)
    in_flight: set[str] = set()
    resend: set[str] = set()
    deadline = time.monotonic() + 60 * WAIT
    while len(acked) < count:
        assert time.monotonic() < deadline, f"only {len(acked)} of {count} acked"
        while waiting and len(in_flight) < window:
            ref = waiting.pop(0)
            in_flight.add(ref)
            frame: dict[str, Any] = {"type": "say", "session": sid, "text": texts[ref],
                                     "ref": ref}
            if ref in resend:
                frame["resend"] = True
            await seeker.send(frame)
        frame = await seeker.recv(WAIT * 4)
        ref = frame.get("ref")
        if frame["type"] == "ack" and ref in in_flight:
            in_flight.discard(ref)
            acked[ref] = (frame["id"], frame["seq"])
            if on_acked is not None:
                await on_acked(len(acked))
        elif frame["type"] == "error" and ref in in_flight:
            assert frame["code"] == "unavailable", frame
            in_flight.discard(ref)
            resend.add(ref)
            waiting.append(ref)
            await asyncio.sleep(50 * MS)
    return acked


async def test_fsync_loses_no_acked_message_when_redis_is_killed() -> None:
    with redis_process(appendfsync="always") as redis:
        async with run_server(redis.url, durability="fsync", **STREAMING) as live:
            assert live.runtime.runner.durability.mode == "fsync"
            seeker, helper, sid = await matched(live)
            killed = asyncio.Event()

            async def kill_midway(n_acked: int) -> None:
                if n_acked == 40 and not killed.is_set():
                    killed.set()
                    redis.kill()  # SIGKILL: no chance to flush anything

                    async def back() -> None:
                        await asyncio.sleep(300 * MS)
                        redis.start()

                    asyncio.get_running_loop().create_task(back())

            acked = await stream(seeker, sid, 120, window=8, on_acked=kill_midway)
            assert killed.is_set()
            await wait_until(lambda: ready(live))
            stored = await live.runtime.sessions.messages(sid)
        by_id = {m["id"]: m for m in stored}
        lost = [ref for ref, (mid, _) in acked.items() if mid not in by_id]
        assert lost == [], f"{len(lost)} acked messages lost: {lost[:5]}"
        for mid, seq in acked.values():
            assert by_id[mid]["seq"] == seq and by_id[mid]["text"].startswith("line ")
        # Each line once: a re-sent one was recognised by its ref, not stored again.
        texts = [m["text"] for m in stored]
        assert len(texts) == len(set(texts)) == 120


async def test_fsync_on_a_redis_that_cannot_keep_it_says_so() -> None:
    """``fsync`` on a Redis with ``appendfsync everysec``: ``WAITAOF`` where the server has it
    (Redis ≥ 7.2, Valkey), else start-up is refused with the setting named."""
    with redis_process(appendfsync="everysec") as redis:
        client = connect(redis.url, pool_size=2)
        try:
            version = (await client.info("server"))["redis_version"]
            major, minor = (int(p) for p in str(version).split(".")[:2])
            if (major, minor) >= (7, 2):
                durability = await prepare(client, "fsync", 500)
                assert durability.confirm is not None and b"WAITAOF" in durability.confirm
            else:
                with pytest.raises(ConfigError, match="PEERLINE_DURABILITY=fsync"):
                    await prepare(client, "fsync", 500)
        finally:
            await client.aclose()


async def test_replica_acks_wait_for_the_replica_and_fail_without_it() -> None:
    with primary_and_replica() as (primary, replica):
        replica_reader = sync_redis.Redis(port=replica.port)
        async with run_server(primary.url, durability="replica",
                              durability_timeout_ms=REPLICA_TIMEOUT_MS) as live:
            seeker, helper, sid = await matched(live)
            stream_key = live.runtime.keys.stream(sid)

            # With the replica: the ack comes once the replica holds the message.
            for i in range(1, 6):
                ack = await seeker.say(sid, f"hello {i}", ref=f"r{i}")
                assert ack["seq"] == i
                assert replica_reader.xlen(stream_key) >= i  # there before the ack
                message = await helper.expect("message")
                assert (message["id"], message["seq"]) == (ack["id"], i)

            # Without it: unavailable within the timeout, no ack, nothing delivered.
            replica.freeze()
            try:
                began = time.monotonic()
                await seeker.send({"type": "say", "session": sid, "text": "still there?",
                                   "ref": "lost"})
                refused = await seeker.expect("error", timeout=WAIT)
                assert (refused["code"], refused["ref"]) == ("unavailable", "lost")
                assert time.monotonic() - began < REPLICA_TIMEOUT_MS / 1000 + WAIT / 2
                await helper.no_frame(REPLICA_TIMEOUT_MS * 2 * MS, of="message")
                # Nor is it replayed: reading the transcript waits for the replica too.
                with pytest.raises(NotDurable):
                    await live.runtime.sessions.messages(sid)
            finally:
                replica.thaw()

            # The replica is back: the re-sent line is the one stored, acked and delivered once.
            await seeker.send({"type": "say", "session": sid, "text": "still there?",
                               "ref": "lost", "resend": True})
            ack = await seeker.expect("ack", timeout=WAIT)
            assert (ack["ref"], ack["seq"]) == ("lost", 6)
            message = await helper.expect("message")
            assert (message["id"], message["text"]) == (ack["id"], "still there?")
            await helper.no_frame(300 * MS, of="message")
            assert [m["seq"] for m in await live.runtime.sessions.messages(sid)] == [
                1, 2, 3, 4, 5, 6]
        replica_reader.close()


async def test_replica_across_two_processes_delivers_only_after_confirmation() -> None:
    """The message is published to the other process by the server once ``WAIT`` confirmed
    (not by ``say.lua``): the helper on a second process gets every line, in order."""
    with primary_and_replica() as (primary, _replica):
        async with run_server(primary.url, durability="replica",
                              durability_timeout_ms=REPLICA_TIMEOUT_MS) as live:
            # The spawned process reads its settings from the environment.
            with pytest.MonkeyPatch.context() as env:
                env.setenv("PEERLINE_DURABILITY", "replica")
                other = live.spawn_process()
            seeker, helper, sid = await matched(live, helper_url=other)
            acks = [await seeker.say(sid, f"across {i}") for i in range(20)]
            got = [await helper.expect("message") for _ in acks]
            assert [m["seq"] for m in got] == [a["seq"] for a in acks] == list(range(1, 21))


async def test_the_embedded_redis_is_set_for_the_durability_chosen() -> None:
    """The embedded Redis belongs to the process: ``fsync`` sets it to ``appendfsync always``
    (Redis then fsyncs before it answers, so no command is added per batch) and ``local``
    back to ``everysec``; ``replica`` ends each batch of messages with ``WAIT 1``."""
    with redis_process(appendfsync="everysec") as redis:
        client = connect(redis.url, pool_size=2)
        try:
            durability = await prepare(client, "fsync", 500, embedded=True)
            assert (await client.config_get("appendfsync"))["appendfsync"] == "always"
            assert durability.confirm is None and durability.publish_inline
            durability = await prepare(client, "local", 500, embedded=True)
            assert (await client.config_get("appendfsync"))["appendfsync"] == "everysec"
            assert durability.confirm is None and durability.publish_inline
            durability = await prepare(client, "replica", 500)
            assert durability.confirm is not None and durability.confirm.startswith(b"*3")
            assert b"WAIT" in durability.confirm and not durability.publish_inline
            # No replica: the confirmation fails, which is what a sender is told.
            assert durability.check(0) is not None and durability.check(1) is None
        finally:
            await client.aclose()
