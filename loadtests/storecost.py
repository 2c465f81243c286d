"""``python -m loadtests storecost``: Redis's CPU per ``say.lua`` call as conversations grow.

Starts a throwaway redis-server, opens ``sessions`` active sessions through the server's own
``SessionStore``, then stores ``per_round`` messages in each of them per round (one pipelined
batch a message index, as a busy process does) and reads Redis's own figure for the round
(``INFO commandstats``: microseconds per ``EVALSHA``, Redis's CPU only: no client, no socket).
A flat column means a long conversation costs Redis what a short one does; a rising one means
some structure of the session grows into the message path (docs/performance.md, "Found, not
yet mended").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from server.redis_setup import Keys, connect
from server.scripts import ScriptRunner
from server.sessions import SessionStore

from .client import TEXTS
from .launch import start_redis


@dataclass(frozen=True)
class Round:
    messages_per_session: int
    us_per_call: float
    calls: int


async def measure(
    sessions: int = 200, rounds: int = 12, per_round: int = 50, refs: bool = True
) -> list[Round]:
    proc = await start_redis()
    url = proc.extra["url"]
    redis = connect(url, pool_size=4)
    runner = ScriptRunner(redis, url)
    try:
        store = SessionStore(redis, Keys("storecost"), runner, "n1", live_ttl_s=3600,
                             retention_s=3600, escalated_retention_s=3600)
        heads = []
        for i in range(sessions):
            sid = await store.create(f"s{i}", "Seeker", "mood", "en", "")
            await store.activate(sid, f"h{i}", "Helper")
            heads.append(store.say_head(sid, f"s{i}", "seeker", "Seeker"))
        # One message each before the first round: it loads say.lua into Redis (the first
        # calls meet NOSCRIPT and are sent again), which is not what a round should measure.
        for reply in await asyncio.gather(*(
            runner.run_packed(store.say_command(head, f"s{i}", TEXTS[0], 0, "", "r0"))
            for i, head in enumerate(heads)
        )):
            SessionStore.stored(reply)
        out: list[Round] = []
        sent = 1
        for _ in range(rounds):
            await redis.config_resetstat()
            for _ in range(per_round):
                sent += 1
                text = TEXTS[sent % len(TEXTS)]
                ref = f"r{sent}" if refs else None
                replies = await asyncio.gather(*(
                    runner.run_packed(store.say_command(head, f"s{i}", text, 0, "", ref))
                    for i, head in enumerate(heads)
                ))
                for reply in replies:
                    SessionStore.stored(reply)  # raises if Redis refused one
            stats = (await redis.info("commandstats"))["cmdstat_evalsha"]
            out.append(Round(sent, float(stats["usec_per_call"]), int(stats["calls"])))
        return out
    finally:
        runner.close()
        await redis.aclose()
        proc.stop()


def markdown(with_refs: list[Round], without_refs: list[Round]) -> str:
    lines = [
        "| messages per session | Redis µs per `say.lua` call, every message with a ref "
        "| without refs |",
        "| --- | --- | --- |",
    ]
    for a, b in zip(with_refs, without_refs, strict=True):
        lines.append(f"| {a.messages_per_session} | {a.us_per_call:.1f} | {b.us_per_call:.1f} |")
    return "\n".join(lines) + "\n"


def print_storecost(sessions: int, rounds: int, per_round: int) -> int:
    with_refs = asyncio.run(measure(sessions, rounds, per_round, refs=True))
    without_refs = asyncio.run(measure(sessions, rounds, per_round, refs=False))
    print(markdown(with_refs, without_refs), end="")
    return 0
