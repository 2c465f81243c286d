"""The contract core on a real 3-master, 3-replica Redis Cluster (``tests/redis_topologies.py``).

Every fixture of the contract suite is used unchanged; only the Redis under them differs: the
session's ``embedded_redis`` is replaced by the cluster, so ``live_server`` and
``spawn_process`` start servers with ``--redis-url redis+cluster://…`` (every node a seed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.contract.conftest import _cheap_argon2, live_server  # noqa: F401 (fixtures)
from tests.redis_topologies import ClusterProcesses, redis_cluster


@dataclass
class ClusterRedis:
    """What the fixtures read of ``embedded_redis``: where Redis is."""

    nodes: ClusterProcesses

    @property
    def url(self) -> str:
        return self.nodes.url


@pytest.fixture(scope="session")
def cluster_nodes() -> Iterator[ClusterProcesses]:
    with redis_cluster() as nodes:
        yield nodes


@pytest.fixture(scope="session")
def embedded_redis(cluster_nodes: ClusterProcesses) -> ClusterRedis:
    return ClusterRedis(cluster_nodes)
