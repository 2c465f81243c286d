"""Durability on the Cluster (``fsync``, ``replica``): each master a batch wrote to confirms its
own part (``WAIT``/``WAITAOF`` cover the writes of their own connection), and the batch is
acked only when all of them do. The failover with ``replica`` durability is in
``test_failover.py``; here the parts, on the session's 3+3 cluster.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

import pytest
from redis.crc import key_slot

from server.store.client import connect
from server.store.durability import prepare
from server.store.resp import pack
from server.store.slots import ClusterConnection, SlotMap, least_confirmed
from server.store.topology import parse
from tests.conftest import run_server
from tests.integration.test_outages import matched
from tests.redis_topologies import ClusterProcesses, Node, ask

WAIT_1 = pack(["WAIT", 1, 300])


def keys_on_each_master(cluster: ClusterProcesses) -> list[str]:
    """One key per master, in the masters' order."""
    found: dict[int, str] = {}
    masters = cluster.masters()
    for n in range(10_000):
        key = f"durability-test:{n}"
        owner = cluster.node_of_slot(key_slot(key.encode()))
        found.setdefault(masters.index(owner), key)
        if len(found) == len(masters):
            return [found[i] for i in range(len(masters))]
    raise AssertionError("no key for some master")


def replica_of(cluster: ClusterProcesses, master: Node) -> Node:
    info = ask(master.port, "INFO", "replication")
    ports = {int(part.split("=")[1]) for line in info.splitlines() if line.startswith("slave")
             for part in line.split(",") if part.startswith("port=")}
    return next(n for n in cluster.nodes if n.port in ports)


@contextlib.contextmanager
def frozen(node: Node) -> Iterator[None]:
    """The node stopped (``SIGSTOP``: it answers nothing, acknowledges nothing), then resumed
    before the cluster would take it for failed."""
    assert node.proc is not None
    os.kill(node.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(node.proc.pid, signal.SIGCONT)


async def test_each_master_confirms_its_part_of_a_batch(cluster_nodes: ClusterProcesses
                                                        ) -> None:
    keys = keys_on_each_master(cluster_nodes)
    topology = parse(cluster_nodes.url)
    connection = ClusterConnection(topology, SlotMap(topology))
    writes = [pack(["SET", key, "v", "PX", 60_000]) for key in keys]
    try:
        results, confirmed = await connection.batch_confirmed(writes, WAIT_1)
        assert results == [b"OK"] * len(keys) and confirmed == 1
        # One master's replica stops acknowledging: a batch that wrote there is not
        # confirmed, though the other masters' replicas confirmed their parts.
        middle = cluster_nodes.node_of_slot(key_slot(keys[1].encode()))
        with frozen(replica_of(cluster_nodes, middle)):
            results, confirmed = await connection.batch_confirmed(writes, WAIT_1)
            assert results == [b"OK"] * len(keys) and confirmed == 0
            others = [writes[0], writes[2]]
            results, confirmed = await connection.batch_confirmed(others, WAIT_1)
            assert results == [b"OK", b"OK"] and confirmed == 1
    finally:
        connection.close()


def test_the_least_confirmation_decides() -> None:
    assert least_confirmed([1, 2, 1]) == 1
    assert least_confirmed([1, 0, 1]) == 0
    assert least_confirmed([[1, 1], [1, 0]]) == [1, 0]  # WAITAOF: [local, replicas]
    error = ConnectionError("lost")
    assert least_confirmed([1, error]) is error


async def test_every_mode_is_prepared_on_a_cluster(cluster_nodes: ClusterProcesses) -> None:
    client = connect(cluster_nodes.url)
    try:
        replica = await prepare(client, "replica", 500)
        assert replica.sharded and not replica.publish_inline
        assert replica.confirm == pack(["WAIT", 1, 500])
        # The fixture's nodes have an AOF with appendfsync everysec: Valkey's WAITAOF.
        fsync = await prepare(client, "fsync", 500)
        assert fsync.sharded and fsync.confirm == pack(["WAITAOF", 1, 0, 500])
        assert fsync.check([1, 1]) is None and fsync.check([0, 1]) is not None
        assert (await prepare(client, "local", 500)).confirm is None
    finally:
        await client.aclose()


@pytest.mark.parametrize("durability", ["fsync", "replica"])
async def test_a_chat_across_processes_is_acked_and_delivered(
        cluster_nodes: ClusterProcesses, durability: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERLINE_DURABILITY", durability)  # the other process's too
    async with run_server(cluster_nodes.url, durability=durability) as live:
        seeker, helper, sid = await matched(live, helper_url=live.spawn_process())
        for n in range(5):
            await seeker.send({"type": "say", "session": sid, "text": f"line {n}",
                               "ref": f"r{n}"})
            assert (await seeker.expect("ack"))["ref"] == f"r{n}"
            assert (await helper.expect("message"))["text"] == f"line {n}"
        # A resume's replay is confirmed on the session's master too (replica: read_mark).
        replay = await live.runtime.sessions.messages(sid)
        assert [m["text"] for m in replay] == [f"line {n}" for n in range(5)]
