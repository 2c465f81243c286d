"""Anonymous use is bounded without identifying anyone (issue 16, defect 7).

A per-process budget of new identities, then a proof-of-work; a cap on requests per identity;
short retention for sessions that never matched and identities that never asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from server.core.proof import solve
from tests.timing import MS


async def test_new_identities_beyond_the_budget_must_prove_work(
        server_factory: Callable[..., Any]) -> None:
    async with server_factory(new_identity_burst=5, new_identity_per_s=0.001,
                              new_identity_pow_bits=8) as live:
        welcomed, challenged = [], []
        for _ in range(12):  # a script minting identities
            c = await live.client()
            await c.send({"type": "hello", "role": "seeker", "lang": "en", "ref": "h"})
            frame = await c.expect_any(("welcome", "error"))
            (welcomed if frame["type"] == "welcome" else challenged).append((c, frame))
        assert len(welcomed) == 5 and len(challenged) == 7
        c, error = challenged[0]
        assert error["code"] == "proof_required" and error["ref"] == "h"
        assert error["bits"] >= 8 and isinstance(error["challenge"], str)
        # The connection stays open for the answer; a wrong one gets a fresh challenge.
        await c.send({"type": "hello", "role": "seeker", "lang": "en",
                      "proof": {"challenge": error["challenge"], "nonce": "wrong"}})
        again = await c.expect("error")
        assert again["code"] == "proof_required" and again["challenge"] != error["challenge"]
        proof = {"challenge": again["challenge"], "nonce": solve(again["challenge"],
                                                                 again["bits"])}
        await c.send({"type": "hello", "role": "seeker", "lang": "en", "proof": proof})
        welcome = await c.expect("welcome", skip=())
        assert welcome["role"] == "seeker" and welcome["resume"]
        # A proof is good once.
        other, _ = challenged[1]
        await other.send({"type": "hello", "role": "seeker", "lang": "en", "proof": proof})
        assert (await other.expect("error"))["code"] == "proof_required"
        # A returning seeker never pays.
        returning = await live.client()
        back = await returning.hello_seeker(resume=welcomed[0][1]["resume"])
        assert back["alias"] == welcomed[0][1]["alias"]


async def test_requests_per_identity_are_capped(server_factory: Callable[..., Any]) -> None:
    async with server_factory(requests_per_identity_hour=3) as live:
        seeker, _ = await live.seeker()
        for i in range(3):
            await seeker.send({"type": "request", "topic": "mood", "ref": f"q{i}"})
            sid = (await seeker.expect("queued", skip=()))["session"]
            await seeker.send({"type": "leave", "session": sid})
            await seeker.expect("ended")
        await seeker.send({"type": "request", "topic": "mood", "ref": "q4"})
        error = await seeker.expect("error")
        assert error["code"] == "rate_limited" and error["ref"] == "q4"
        assert await live.runtime.queue.length() == 0
        # Still connected, still able to read resources; a new connection of the same identity
        # does not reset the count.
        again = await live.client()
        await again.hello_seeker(resume=seeker.seen[0]["resume"])
        await again.send({"type": "request", "topic": "mood", "ref": "q5"})
        assert (await again.expect("error"))["code"] == "rate_limited"


async def test_cancelled_requests_and_idle_identities_leave_little_for_long(
        server_factory: Callable[..., Any]) -> None:
    async with server_factory(unmatched_retention_s=1, seeker_idle_ttl_s=60) as live:
        redis, prefix = live.runtime.redis, live.settings.key_prefix
        idle, _ = await live.seeker()
        idle_uid = await redis.get(live.runtime.keys.resume(_digest(idle.seen[0]["resume"])))
        assert idle_uid is not None
        # An identity that never asked is kept an hour at most, not a week.
        assert 0 < await redis.ttl(live.runtime.keys.seeker(idle_uid.decode())) <= 60

        seeker, welcome = await live.seeker()
        sids = []
        for i in range(4):
            await seeker.send({"type": "request", "topic": "mood", "ref": f"q{i}"})
            sids.append((await seeker.expect("queued", skip=()))["session"])
            await seeker.send({"type": "leave", "session": sids[-1]})
            await seeker.expect("ended")
        for sid in sids:
            assert 0 < await redis.pttl(live.runtime.keys.session(sid)) <= 1000
        uid = (await redis.get(live.runtime.keys.resume(_digest(welcome["resume"])))).decode()
        # One who asked is kept for the seeker TTL (their resume token must work for a week).
        assert await redis.ttl(live.runtime.keys.seeker(uid)) > 60
        await asyncio.sleep(1_500 * MS)
        left = {k.decode() async for k in redis.scan_iter(match=f"{prefix}:*")}
        assert not any(sid in key for key in left for sid in sids), left


def _digest(token: str) -> str:
    from server.core.ids import digest

    return digest(token)
