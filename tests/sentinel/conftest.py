"""The contract core on a real Sentinel set-up: a master, a replica and three Sentinels
(``tests/redis_topologies.py``). The contract suite's fixtures are used unchanged; the session's
``embedded_redis`` is replaced, so servers start with ``--redis-url redis+sentinel://…``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.contract.conftest import _cheap_argon2, live_server  # noqa: F401 (fixtures)
from tests.redis_topologies import SentinelProcesses, redis_sentinel


@dataclass
class SentinelRedis:
    """What the fixtures read of ``embedded_redis``: where Redis is."""

    nodes: SentinelProcesses

    @property
    def url(self) -> str:
        return self.nodes.url


@pytest.fixture(scope="session")
def sentinel_nodes() -> Iterator[SentinelProcesses]:
    with redis_sentinel() as nodes:
        yield nodes


@pytest.fixture(scope="session")
def embedded_redis(sentinel_nodes: SentinelProcesses) -> SentinelRedis:
    return SentinelRedis(sentinel_nodes)
