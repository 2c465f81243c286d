"""``python -m loadtests storecost``: Redis's CPU per ``say.lua`` call as conversations grow.

Starts a throwaway redis-server, opens ``sessions`` active sessions through the server's own
``SessionStore``, then stores ``per_round`` messages in each of them per round (one pipelined
batch a message index, as a busy process does) and reads Redis's own figure for the round
(``INFO commandstats``: microseconds per ``EVALSHA``, Redis's CPU only: no client, no socket).
A flat column means a long conversation costs Redis what a short one does; a rising one means
some structure of the session grows into the message path (docs/performance.md).

Timed figures move with the machine (a fixed loop's CPU time varies by half on this VM), so
``--instructions`` also runs Redis under callgrind and reads the instructions Redis executed in
each round (counters zeroed before it, dumped after it) divided by its calls: a figure that
does not depend on what else the machine is doing, for A/B comparisons of ``say.lua``.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from server.store.client import connect
from server.store.keys import Keys
from server.store.scripts import ScriptRunner
from server.store.sessions import SessionStore

from .client import TEXTS
from .launch import Proc, start_redis


@dataclass(frozen=True)
class Round:
    messages_per_session: int
    us_per_call: float
    calls: int
    instructions_per_call: float | None = None


class Callgrind:
    """redis-server under callgrind; ``zero`` then ``dump`` brackets what one round executed."""

    def __init__(self) -> None:
        if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
            raise RuntimeError("--instructions needs valgrind (callgrind_control) on PATH")
        self.dir = Path(tempfile.mkdtemp(prefix="peerline-storecost-cg-"))
        self.pid = 0
        self.dumps = 0

    def wrap(self) -> list[str]:
        return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={self.dir}/redis.out"]

    def _control(self, flag: str) -> None:
        subprocess.run(
            ["callgrind_control", flag, str(self.pid)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def zero(self) -> None:
        self._control("-z")

    def dump(self) -> int:
        """Instructions since the last ``zero``."""
        self._control("-d")
        self.dumps += 1
        text = (self.dir / f"redis.out.{self.dumps}").read_text()
        found = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
        if found is None:
            raise RuntimeError(f"no totals in callgrind dump {self.dumps}")
        return int(found.group(1))

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


async def measure(
    sessions: int = 200,
    rounds: int = 12,
    per_round: int = 50,
    refs: bool = True,
    instructions: bool = False,
) -> list[Round]:
    cg = Callgrind() if instructions else None
    try:
        proc = await start_redis(wrap=cg.wrap() if cg else ())
        if cg:
            cg.pid = proc.pid
        return await _rounds(proc, sessions, rounds, per_round, refs, cg)
    finally:
        if cg:
            cg.remove()


async def _rounds(
    proc: Proc, sessions: int, rounds: int, per_round: int, refs: bool, cg: Callgrind | None
) -> list[Round]:
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
            if cg:
                await asyncio.to_thread(cg.zero)
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
            calls = int(stats["calls"])
            ins = await asyncio.to_thread(cg.dump) / calls if cg else None
            out.append(Round(sent, float(stats["usec_per_call"]), calls, ins))
        return out
    finally:
        runner.close()
        await redis.aclose(close_connection_pool=True)  # connect() hands the pool in
        proc.stop()


def markdown(with_refs: list[Round], without_refs: list[Round]) -> str:
    """One row per round; instructions per call when counted (the timed column is then
    valgrind's, tens of times slower, and left out), else Redis's µs per call."""
    counted = with_refs[0].instructions_per_call is not None
    what = "instructions" if counted else "Redis µs"
    lines = [
        f"| messages per session | {what} per `say.lua` call, every message with a ref "
        "| without refs |",
        "| --- | --- | --- |",
    ]
    for a, b in zip(with_refs, without_refs, strict=True):
        if counted:
            cells = f"{a.instructions_per_call:,.0f} | {b.instructions_per_call:,.0f}"
        else:
            cells = f"{a.us_per_call:.1f} | {b.us_per_call:.1f}"
        lines.append(f"| {a.messages_per_session} | {cells} |")
    return "\n".join(lines) + "\n"


def print_storecost(sessions: int, rounds: int, per_round: int, instructions: bool = False) -> int:
    with_refs = asyncio.run(measure(sessions, rounds, per_round, True, instructions))
    without_refs = asyncio.run(measure(sessions, rounds, per_round, False, instructions))
    print(markdown(with_refs, without_refs), end="")
    return 0
