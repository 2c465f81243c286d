"""Opening Peerline connections through the public protocol, and getting seekers matched.

Helpers carry ``capacity`` sessions each, so ``P`` pairs need ``ceil(P / capacity)`` helper
accounts (each costs the server one Argon2id login) and ``P`` anonymous seekers.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import wsclient
from .client import SUBPROTOCOL, Client
from .run import Run
from .target import Endpoint, Target

TOPICS = ["academic", "relationships", "family", "mood", "other"]
LANGS = ["en", "zh"]


@dataclass
class HelperState:
    capacity: int
    sessions: set[str] = field(default_factory=set)
    all_sessions: list[str] = field(default_factory=list)
    peak_active: int = 0
    node: str | None = None


@dataclass
class Pair:
    session: str
    seeker: Client
    helper: Client


async def open_client(run: Run, ep: Endpoint, label: str, rate: float, burst: int) -> Client:
    try:
        conn = await wsclient.connect(ep.host, ep.port, ep.path, SUBPROTOCOL, timeout=15.0)
    except Exception:
        run.stats.connect_failures += 1
        raise
    run.open_conns += 1
    c = Client(conn, run.stats, label, rate, burst)

    def closed(_: dict[str, Any]) -> None:
        run.open_conns -= 1

    c.handlers["_close"] = closed
    return c


async def open_seeker(
    run: Run, ep: Endpoint, label: str, rate: float, burst: int, lang: str = "en"
) -> Client:
    c = await open_client(run, ep, label, rate, burst)
    hello: dict[str, Any] = {"type": "hello", "role": "seeker", "lang": lang, "resume": None}
    c.send(hello)
    while True:
        frame = await c.expect("welcome", "error", timeout=15.0)
        if frame["type"] == "welcome":
            return c
        if frame.get("code") != "proof_required":
            c.close()
            raise ConnectionError(f"{label}: seeker hello refused ({frame.get('code')})")
        # Over the server's budget of new identities: pay as a browser would (docs/protocol.md).
        nonce = await asyncio.to_thread(solve_proof, frame["challenge"], int(frame["bits"]))
        c.send({**hello, "proof": {"challenge": frame["challenge"], "nonce": nonce}})


def solve_proof(challenge: str, bits: int) -> str:
    """A nonce such that SHA-256(challenge + ":" + nonce) starts with ``bits`` zero bits."""
    prefix = (challenge + ":").encode()
    for n in itertools.count():
        digest = int.from_bytes(hashlib.sha256(prefix + str(n).encode()).digest(), "big")
        if digest >> (256 - bits) == 0:
            return str(n)
    raise AssertionError("unreachable")


async def open_staff(
    run: Run, ep: Endpoint, label: str, role: str, token: str, rate: float, burst: int
) -> tuple[Client, dict[str, Any]]:
    c = await open_client(run, ep, label, rate, burst)
    c.send({"type": "hello", "role": role, "token": token})
    w = await c.expect("welcome", "error", timeout=15.0)
    if w["type"] == "error":
        c.close()
        raise ConnectionError(f"{label}: staff hello refused ({w.get('code')})")
    return c, w


async def open_helpers(
    run: Run, target: Target, count: int, capacity: int, rate: float, burst: int, offset: int = 0
) -> list[Client]:
    """``count`` helpers logged in, on the endpoints round-robin, available with ``capacity``."""
    accounts = await target.staff("helper", count)
    sem = asyncio.Semaphore(50)
    eps = target.endpoints

    async def one(i: int, token: str) -> Client:
        async with sem:
            c, w = await open_staff(
                run, eps[(i + offset) % len(eps)], f"h{i}", "helper", token, rate, burst
            )
            c.endpoint = (i + offset) % len(eps)
            st = HelperState(capacity, node=w.get("node"))
            c.user = st

            def matched(obj: dict[str, Any], st: HelperState = st) -> None:
                s = obj["session"]
                if s not in st.sessions:
                    st.sessions.add(s)
                    st.all_sessions.append(s)
                    st.peak_active = max(st.peak_active, len(st.sessions))
                c.deliver("matched", obj)

            def ended(obj: dict[str, Any], st: HelperState = st) -> None:
                st.sessions.discard(obj.get("session", ""))
                c.deliver("ended", obj)

            def cooldown(obj: dict[str, Any]) -> None:
                # After a crisis session the server pauses the helper; the load test opts back in.
                c.send({"type": "status", "available": True, "skip_cooldown": True})

            c.handlers["matched"] = matched
            c.handlers["ended"] = ended
            c.handlers["cooldown"] = cooldown
            c.send(
                {
                    "type": "status",
                    "available": True,
                    "capacity": capacity,
                    "topics": TOPICS,
                    "langs": LANGS,
                }
            )
            await c.expect("presence", timeout=15.0)
            return c

    return list(await asyncio.gather(*(one(i, tok) for i, (_, tok) in enumerate(accounts))))


async def match_seekers(
    run: Run,
    target: Target,
    helpers: Sequence[Client],
    count: int,
    rate: float,
    burst: int,
    offset: int = 1,
    concurrency: int = 100,
    timeout: float = 60.0,
) -> tuple[list[Pair], list[float]]:
    """Open ``count`` seekers, have each request help and wait until both sides saw ``matched``.
    Returns the pairs and every seeker's match wait in ms (request sent → matched received)."""
    sem = asyncio.Semaphore(concurrency)
    eps = target.endpoints
    waits: list[float] = []
    seekers: dict[str, Client] = {}
    rnd = random.Random(7)

    async def one(i: int) -> None:
        async with sem:
            ep_i = (i + offset) % len(eps)
            c = await open_seeker(run, eps[ep_i], f"s{i}", rate, burst)
            c.endpoint = ep_i
            t = c.send({"type": "request", "topic": rnd.choice(TOPICS), "lang": "en", "ref": "rq"})
            m = await c.expect("matched", timeout=timeout)
            waits.append((time.monotonic() - t) * 1000.0)
            seekers[m["session"]] = c

    results = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        run.notes.append(
            f"{len(failed)} seekers were not matched: {type(failed[0]).__name__}: {failed[0]}"
        )
    owner: dict[str, Client] = {}
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        owner = {s: h for h in helpers for s in h.user.sessions}
        if all(s in owner for s in seekers):
            break
        await asyncio.sleep(0.05)
    pairs = [Pair(s, c, owner[s]) for s, c in seekers.items() if s in owner]
    if len(pairs) < len(seekers):
        run.notes.append(f"{len(seekers) - len(pairs)} sessions never reached a helper")
    foreign = sum(1 for s in owner if s not in seekers)
    if foreign:
        # Seekers of an earlier run still queued (the server keeps a queued seeker's place for
        # its grace period): they take helper capacity. Measure on a fresh Redis.
        run.notes.append(f"helpers were matched to {foreign} sessions of seekers not in this run")
    return pairs, waits


def helpers_needed(pairs: int, capacity: int) -> int:
    return math.ceil(pairs / max(1, capacity))


async def close_all(clients: Sequence[Client], pairs: Sequence[Pair] = ()) -> None:
    """Seekers leave their sessions (so helpers are freed in Redis), then everyone closes."""
    for p in pairs:
        if not p.seeker.conn.closed:
            p.seeker.closing = True
            p.seeker.send_raw(
                b'{"type":"leave","ref":"bye","session":"' + p.session.encode() + b'"}'
            )
    if pairs:
        await asyncio.sleep(0.3)
    for c in clients:
        if not c.conn.closed:
            c.close()
    await asyncio.sleep(0.1)
