"""The hot path on a real Cluster (``server/store/slots.py``): calls routed by the slot of their
first key, replies back in the callers' order, and every redirection the cluster makes while a
slot moves followed without running a call twice or failing one that can run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.crc import key_slot

from server.store.client import cluster_client
from server.store.resp import RespError
from server.store.slots import ClusterConnection, ClusterSubscription, SlotMap, command_slot
from server.store.topology import parse
from tests.redis_topologies import ClusterProcesses
from tests.timing import MS, WAIT

SET_GET = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])"
APPEND_BOTH = ("redis.call('APPEND', KEYS[1], ARGV[1]); redis.call('APPEND', KEYS[2], ARGV[1]);"
               " return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}")


@pytest.fixture
async def hot(cluster_nodes: ClusterProcesses) -> AsyncIterator[ClusterConnection]:
    topology = parse(cluster_nodes.url)
    connection = ClusterConnection(topology, SlotMap(topology, 2.0), 2.0)
    yield connection
    connection.close()


def test_a_call_goes_by_its_first_key() -> None:
    assert command_slot(("EVALSHA", "0" * 40, 2, "{s1}:a", "x")) == key_slot(b"{s1}:a")
    assert command_slot(b"*4\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n1\r\n$5\r\n{a}:b\r\n") == key_slot(
        b"{a}:b")
    assert command_slot(("EVAL", "return 1", 0)) is None and command_slot(("PING",)) is None
    assert command_slot(("GET", "k")) == key_slot(b"k")


async def test_a_batch_across_every_master_comes_back_in_order(
        hot: ClusterConnection, cluster_nodes: ClusterProcesses) -> None:
    calls = [("EVAL", SET_GET, 1, f"{{order{i}}}:k", f"v{i}") for i in range(60)]
    calls.insert(7, ("EVAL", "return redis.error_reply('NOPE one call failed')", 1, "{e}:k"))
    calls.insert(20, ("PING",))
    replies = await hot.batch(calls)
    assert isinstance(replies[7], RespError) and str(replies[7]).startswith("NOPE")
    assert replies[20] == b"PONG"
    values = [r for i, r in enumerate(replies) if i not in (7, 20)]
    assert values == [f"v{i}".encode() for i in range(60)]
    assert len({hot.slots.owner(key_slot(f"{{order{i}}}:k".encode())) for i in range(60)}) == 3
    client = cluster_client(parse(cluster_nodes.url), 4, 2.0)
    try:
        assert await client.get("{order59}:k") == b"v59"
    finally:
        await client.aclose()


async def test_a_wrong_slot_map_is_corrected_by_moved(hot: ClusterConnection) -> None:
    await hot.slots.fresh()
    masters = hot.slots.masters
    # Every slot believed to be on the next master: every call is answered MOVED first.
    hot.slots.owners = [masters[(masters.index(a) + 1) % 3] if a else None
                        for a in hot.slots.owners]
    replies = await hot.batch([("EVAL", SET_GET, 1, f"{{moved{i}}}", str(i)) for i in range(30)])
    assert replies == [str(i).encode() for i in range(30)]
    assert not hot.slots.stale  # reloaded from CLUSTER SLOTS after the MOVED replies


async def test_ask_while_a_slot_migrates_and_moved_after(
        hot: ClusterConnection, cluster_nodes: ClusterProcesses) -> None:
    slot = key_slot(b"{mig}")
    await hot.batch([("EVAL", SET_GET, 1, "{mig}:old", "before")])
    target = next(m for m in cluster_nodes.masters() if m is not cluster_nodes.node_of_slot(slot))
    source = cluster_nodes.begin_migration(slot, target)
    try:
        cluster_nodes.move_keys(slot, source, target)
        # On the target already (ASK), and a new key of the migrating slot (ASK too).
        replies = await hot.batch([("EVAL", "return redis.call('GET', KEYS[1])", 1, "{mig}:old"),
                                   ("EVAL", SET_GET, 1, "{mig}:new", "during")])
        assert replies == [b"before", b"during"]
    finally:
        cluster_nodes.end_migration(slot, target)
    replies = await hot.batch([("EVAL", "return redis.call('GET', KEYS[1])", 1, "{mig}:new")])
    assert replies == [b"during"]
    assert hot.slots.owner(slot).port == target.port


async def test_a_call_whose_keys_are_split_by_a_migration_waits_and_runs_once(
        hot: ClusterConnection, cluster_nodes: ClusterProcesses) -> None:
    """TRYAGAIN: one key moved, the other not yet; the call is retried until the migration
    ends, and runs exactly once (each key appended to once)."""
    slot = key_slot(b"{split}")
    await hot.batch([("EVAL", APPEND_BOTH, 2, "{split}:a", "{split}:b", "x")])
    target = next(m for m in cluster_nodes.masters() if m is not cluster_nodes.node_of_slot(slot))
    source = cluster_nodes.begin_migration(slot, target)
    from tests.redis_topologies import ask

    assert ask(source.port, "MIGRATE", "127.0.0.1", str(target.port), "", "0", "5000",
               "KEYS", "{split}:a") == "OK"

    async def finish() -> None:
        await asyncio.sleep(300 * MS)
        await asyncio.to_thread(cluster_nodes.reshard_rest, slot, source, target)

    finishing = asyncio.create_task(finish())
    replies = await hot.batch([("EVAL", APPEND_BOTH, 2, "{split}:a", "{split}:b", "y")])
    await finishing
    assert replies == [[b"xy", b"xy"]]


async def test_sharded_subscription_gets_each_event_once_and_ends_when_its_slot_moves(
        cluster_nodes: ClusterProcesses) -> None:
    topology = parse(cluster_nodes.url)
    channels = [f"{{chan{i}}}:events" for i in range(6)]
    got: list[bytes] = []
    subscribed = asyncio.Event()
    subscription = ClusterSubscription(topology, channels, got.append, idle_s=1.0,
                                       plain=channels)
    task = asyncio.create_task(subscription.run(subscribed.set))
    client = cluster_client(topology, 4, 2.0)
    try:
        await asyncio.wait_for(subscribed.wait(), WAIT)
        assert len({subscription.slots.owner(key_slot(c.encode())) for c in channels}) > 1
        for i, channel in enumerate(channels):
            await client.spublish(channel, f"s{i}")
        await client.publish(channels[0], "plain")
        for _ in range(100):
            if len(got) == 7:
                break
            await asyncio.sleep(20 * MS)
        await asyncio.sleep(100 * MS)
        assert sorted(got) == sorted([f"s{i}".encode() for i in range(6)] + [b"plain"])
        slot = key_slot(channels[0].encode())
        target = next(m for m in cluster_nodes.masters()
                      if m is not cluster_nodes.node_of_slot(slot))
        await asyncio.to_thread(cluster_nodes.reshard, slot, target)
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(task, WAIT)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.aclose()


def test_a_command_that_is_not_whole_is_refused_and_leaves_the_parser_clean() -> None:
    with pytest.raises(ValueError):
        command_slot(b"*3\r\n$4\r\nEVAL\r\n")
    assert command_slot(("GET", "k")) == key_slot(b"k")
    assert command_slot(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") == key_slot(b"k")
