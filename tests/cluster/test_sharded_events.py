"""On a Redis Cluster no chat frame is broadcast over the cluster bus (issue 17): between
processes, messages and events go by ``SPUBLISH`` to the receiving process's own shard, never by
a plain ``PUBLISH`` (which a cluster carries to every node)."""

from __future__ import annotations

import redis

from tests.conftest import LiveServer
from tests.contract._util import helper, raw_json, say, seeker, until
from tests.redis_topologies import ClusterProcesses


def _calls(cluster: ClusterProcesses, command: str) -> int:
    """How many times every master has run ``command`` (INFO commandstats)."""
    total = 0
    for node in cluster.masters():
        client = redis.Redis(port=node.port)
        try:
            total += int(client.info("commandstats").get(f"cmdstat_{command}", {})
                         .get("calls", 0))
        finally:
            client.close()
    return total


async def test_chat_between_processes_is_published_to_one_shard_only(
        live_server: LiveServer, cluster_nodes: ClusterProcesses) -> None:
    url2 = live_server.spawn_process()
    h = await helper(live_server, "sharded", capacity=1, url=url2)
    s, _ = await seeker(live_server)
    await raw_json(s, {"type": "request", "topic": "academic", "lang": "en"})
    sid = (await until(h, "matched"))["session"]
    await until(s, "matched")
    published, sharded = _calls(cluster_nodes, "publish"), _calls(cluster_nodes, "spublish")
    for i in range(5):
        await raw_json(s, {"type": "say", "session": sid, "text": f"s{i}", "ref": f"s{i}"})
        assert (await until(h, "message"))["text"] == f"s{i}"
        reply = await say(h, sid, f"h{i}")
        assert (await until(s, "message"))["id"] == reply["id"]
    await raw_json(s, {"type": "typing", "session": sid})  # relay.lua's path
    assert (await until(h, "typing"))["session"] == sid
    assert _calls(cluster_nodes, "publish") == published, "a chat frame crossed the cluster bus"
    assert _calls(cluster_nodes, "spublish") >= sharded + 10
