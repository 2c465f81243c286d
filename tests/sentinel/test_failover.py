"""A Sentinel failover under traffic: two server processes, a seeker and a helper streaming,
the master SIGKILLed. The processes find the new master and resubscribe by themselves; the
sender hears ``unavailable`` (never silence) until then, and re-sends; nothing is stored twice;
every message acked after the failover is delivered; ``/readyz`` is 503 while no master answers.

With ``replica`` durability (an ack waits for ``WAIT 1``) no acked line is lost: asserted. With
``local`` (replication is asynchronous) a line acked just before the kill can be missing from the
new master: the test counts those and prints the count and the time to recover
(docs/scaling.md records them); it does not pretend there are none.

This module starts its own Sentinel set-up: it kills the master.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.conftest import FAST, run_server
from tests.integration.test_outages import matched, readyz
from tests.redis_topologies import SentinelProcesses, redis_sentinel
from tests.timing import WAIT
from tests.traffic import Collector, stored, stream, until_ready

pytestmark = pytest.mark.multiprocess

LINES = 60
KILL_AT = 15


@pytest.fixture(autouse=True)
def _production_node_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default 15 s, not the tests' 2 s: a failover takes longer than 2 s, and a process
    must not take the other for dead because neither could write its heartbeat meanwhile."""
    monkeypatch.setitem(FAST, "node_timeout_s", 15.0)


@pytest.fixture(scope="module")
def failover_nodes() -> Iterator[SentinelProcesses]:
    with redis_sentinel() as nodes:
        yield nodes


@pytest.mark.parametrize("durability", ["local", "replica"])
async def test_the_master_killed_under_traffic(failover_nodes: SentinelProcesses,
                                               durability: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = failover_nodes
    monkeypatch.setenv("PEERLINE_DURABILITY", durability)  # the other process's too
    await asyncio.to_thread(nodes.heal)  # a replica in sync (the previous test killed one)
    async with run_server(nodes.url, durability=durability) as live:
        other = live.spawn_process()  # the helper's process
        seeker, helper, sid = await matched(live, helper_url=other)
        delivered = Collector(helper)
        old_master = nodes.master_port()
        moments: dict[str, float] = {}

        victim = nodes.master if nodes.master.port == old_master else nodes.replica
        restarting: list[asyncio.Task[None]] = []

        def restart_after_failover() -> None:
            """``replica``: the new master acks nothing until it has a replica again; the
            killed node comes back as one once the Sentinels have promoted the other."""
            deadline = time.monotonic() + WAIT * 4
            while nodes.master_port() == old_master and time.monotonic() < deadline:
                time.sleep(0.05)
            victim.start()

        async def on_line(i: int) -> None:
            if i == KILL_AT:
                victim.kill()
                moments["killed"] = time.monotonic()
                if durability == "replica":
                    restarting.append(asyncio.create_task(
                        asyncio.to_thread(restart_after_failover)))
                assert await asyncio.to_thread(readyz, live) == 503
            elif "killed" in moments and "recovered" not in moments:
                moments["recovered"] = time.monotonic()  # the first ack after the kill

        try:
            streamed = await stream(seeker, sid, LINES, on_line)
            await asyncio.gather(*restarting)
            assert not streamed.errors
            assert streamed.refused > 0  # the outage was seen, as `unavailable`
            assert nodes.master_port() != old_master
            assert await until_ready(live, WAIT * 2)
            await asyncio.sleep(1.0)  # catch-up of the helper's process
        finally:
            await delivered.stop()

        texts = [text for _seq, text in await stored(live, sid)]
        assert len(texts) == len(set(texts)), "a line stored twice"
        lost = [ref for ref in streamed.acked if ref not in texts]
        assert not [ref for ref in lost if int(ref.split("-")[1]) > KILL_AT]
        if durability == "replica":
            assert not lost, lost  # an ack waited for a replica: the new master has it
        by_seq = [(m["seq"], m["text"]) for m in delivered.messages]
        assert len(by_seq) == len(set(by_seq)), "a line delivered twice"
        assert set(await stored(live, sid)) <= set(by_seq)
        print(f"\nsentinel failover ({durability} durability): recovered in "
              f"{moments['recovered'] - moments['killed']:.1f} s, {streamed.refused} refusals "
              f"(unavailable, re-sent), {len(lost)} acked line(s) lost of {len(streamed.acked)}")
