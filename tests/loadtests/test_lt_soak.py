"""The soak, short: two server processes, steady chat, Redis restarted twice in the run.

What CI checks is the soak's own promise at a small scale: nothing acked is lost or left
undelivered, nothing is delivered twice. (``python -m loadtests soak`` runs it for 30 minutes at
500 messages a second over 2,000 connections; figures in docs/performance.md.)
"""

from __future__ import annotations

import pytest

from loadtests.soak import soak

pytestmark = pytest.mark.multiprocess


async def test_a_short_soak_through_two_redis_restarts_loses_and_repeats_nothing() -> None:
    result = await soak(minutes=0.4, conns=40, rate=20.0, restart_every=9.0, processes=2,
                        settle_s=6.0)
    assert result["restarts"] == 2
    assert result["acked"] > 100
    assert (result["lost"], result["undelivered"], result["duplicated"]) == (0, 0, 0), result
