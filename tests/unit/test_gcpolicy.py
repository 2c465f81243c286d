"""The GC policy freezes long-lived objects and thaws them for its rare full pass."""

from __future__ import annotations

import asyncio
import gc
import weakref

from server.gcpolicy import GcPolicy
from tests.timing import MS


class Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_frozen_cyclic_garbage_is_reclaimed_by_the_full_pass() -> None:
    policy = GcPolicy(refreeze_s=0.05, full_s=0.4)
    stopping = asyncio.Event()
    try:
        policy.start()
        assert gc.get_freeze_count() > 0
        garbage = Cycle()
        ref = weakref.ref(garbage)
        gc.freeze()  # now only a full pass after unfreezing can reclaim it
        del garbage
        gc.collect()
        assert ref() is not None  # frozen: the ordinary collector does not see it
        task = asyncio.create_task(policy.run(stopping))
        for _ in range(40):
            await asyncio.sleep(50 * MS)
            if ref() is None:
                break
        assert ref() is None
        assert gc.get_freeze_count() > 0  # and the heap is frozen again after the pass
        stopping.set()
        await asyncio.wait_for(task, 2_000 * MS)
    finally:
        policy.stop()
    assert gc.get_freeze_count() == 0


def test_the_young_threshold_is_set_while_running_and_restored_after() -> None:
    before = gc.get_threshold()
    policy = GcPolicy(young_threshold=12_345)
    try:
        policy.start()
        assert gc.get_threshold() == (12_345, *before[1:])
    finally:
        policy.stop()
    assert gc.get_threshold() == before
