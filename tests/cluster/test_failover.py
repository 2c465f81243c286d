"""The Cluster under traffic: a master SIGKILLed, and slots resharded, while a seeker on one
server process streams to a helper on another. This module starts its own cluster (it kills
and moves things).

- A master killed: the calls for its slots get ``unavailable`` (re-sent by the client) until
  its replica takes over; the processes reload the slot map and resubscribe by themselves;
  nothing is stored twice. With ``replica`` durability (each master's part of a batch ends
  with its own ``WAIT 1``) no acked line is lost: asserted. With ``local`` (replication is
  asynchronous) the time to recover and the acked lines lost are printed for
  docs/scaling.md.
- A slot resharded (``CLUSTER SETSLOT … MIGRATING/IMPORTING`` + ``MIGRATE``): the session's
  slot and the slot of the receiving process's node channel, while lines flow. No error reaches
  the client that it cannot retry, and every line arrives once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from redis.crc import key_slot

from tests.conftest import FAST, run_server
from tests.integration.test_outages import matched, readyz
from tests.redis_topologies import ClusterProcesses, redis_cluster
from tests.timing import WAIT
from tests.traffic import Collector, stored, stream, until_ready

pytestmark = pytest.mark.multiprocess

LINES = 60
AT = 15


@pytest.fixture(autouse=True)
def _production_node_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default 15 s, not the tests' 2 s: a failover takes longer than 2 s, and a process
    must not take the other for dead because neither could write its heartbeat meanwhile."""
    monkeypatch.setitem(FAST, "node_timeout_s", 15.0)


@pytest.fixture(scope="module")
def cluster() -> Iterator[ClusterProcesses]:
    with redis_cluster() as nodes:
        yield nodes


@pytest.mark.parametrize("durability", ["local", "replica"])
async def test_the_master_of_the_session_killed_under_traffic(
        cluster: ClusterProcesses, durability: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERLINE_DURABILITY", durability)  # the other process's too
    async with run_server(cluster.url, durability=durability) as live:
        other = live.spawn_process()  # the seeker's process
        seeker, helper, sid = await matched(live, seeker_url=other)
        delivered = Collector(helper)
        slot = key_slot(live.runtime.keys.session(sid).encode())
        victim = cluster.node_of_slot(slot)
        moments: dict[str, float] = {}
        restarting: list[asyncio.Task[None]] = []

        def restart_after_failover() -> None:
            """``replica``: the promoted replica acks nothing until it has a replica of its
            own; the killed node comes back as one once the slot has a new master."""
            deadline = time.monotonic() + WAIT * 4
            while time.monotonic() < deadline:
                try:
                    if cluster.node_of_slot(slot) is not victim:
                        break
                except LookupError:  # nobody serves it during the failover
                    pass
                time.sleep(0.05)
            victim.start()

        async def on_line(i: int) -> None:
            if i == AT:
                victim.kill()
                moments["killed"] = time.monotonic()
                if durability == "replica":
                    restarting.append(asyncio.create_task(
                        asyncio.to_thread(restart_after_failover)))
                assert await asyncio.to_thread(readyz, live) == 503
            elif "killed" in moments and "recovered" not in moments:
                moments["recovered"] = time.monotonic()

        try:
            streamed = await stream(seeker, sid, LINES, on_line)
            await asyncio.gather(*restarting)
            assert not streamed.errors
            assert streamed.refused > 0
            assert await until_ready(live, WAIT * 2)
            await asyncio.sleep(1.0)
        finally:
            await delivered.stop()
        assert cluster.node_of_slot(slot) is not victim
        lines = await stored(live, sid)
        texts = [text for _seq, text in lines]
        assert len(texts) == len(set(texts)), "a line stored twice"
        lost = [ref for ref in streamed.acked if ref not in texts]
        assert not [ref for ref in lost if int(ref.split("-")[1]) > AT]
        if durability == "replica":
            assert not lost, lost  # each ack waited for a replica: the promoted one has it
        by_seq = [(m["seq"], m["text"]) for m in delivered.messages]
        assert len(by_seq) == len(set(by_seq)), "a line delivered twice"
        assert set(lines) <= set(by_seq)
        print(f"\ncluster failover ({durability} durability): recovered in "
              f"{moments['recovered'] - moments['killed']:.1f} s, {streamed.refused} refusals "
              f"(unavailable, re-sent), {len(lost)} acked line(s) lost of {len(streamed.acked)}")
        if not victim.running:
            victim.start()  # back as a replica of the promoted node
        await asyncio.to_thread(cluster.wait_ok)


async def test_slots_resharded_under_traffic(cluster: ClusterProcesses) -> None:
    async with run_server(cluster.url) as live:
        other = live.spawn_process()  # the seeker's process
        seeker, helper, sid = await matched(live, seeker_url=other)
        delivered = Collector(helper)
        moved = [key_slot(live.runtime.keys.session(sid).encode()),
                 key_slot(live.runtime.keys.node_channel(live.runtime.node).encode())]
        owners = {slot: cluster.node_of_slot(slot) for slot in moved}
        resharding: list[asyncio.Task[None]] = []

        async def on_line(i: int) -> None:
            if i in (AT, 2 * AT):  # the session's slot, then the helper's node channel's
                slot = moved[0 if i == AT else 1]
                target = next(m for m in cluster.masters() if m is not owners[slot])
                resharding.append(asyncio.create_task(
                    asyncio.to_thread(cluster.reshard, slot, target)))

        try:
            streamed = await stream(seeker, sid, LINES, on_line)
            await asyncio.gather(*resharding)
            assert await until_ready(live, WAIT * 2)
            await asyncio.sleep(1.0)
        finally:
            await delivered.stop()
        assert all(cluster.node_of_slot(slot) is not owners[slot] for slot in moved)
        assert not streamed.errors, streamed.errors  # nothing a client could not retry
        lines = await stored(live, sid)
        assert sorted(text for _seq, text in lines) == sorted(streamed.acked)
        by_seq = [(m["seq"], m["text"]) for m in delivered.messages]
        assert sorted(by_seq) == sorted(lines), "every line delivered once"
        print(f"\ncluster resharding: {streamed.refused} refusal(s) (unavailable, re-sent), "
              f"{len(streamed.acked)} lines, 0 errors")
