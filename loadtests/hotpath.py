"""``python -m loadtests hotpath``: CPU microseconds per relayed message, step by step, using the
server's own modules in this process (no sockets, no Redis).

It explains the relay profile with numbers that do not depend on what else the machine is
doing: each step is timed with ``time.thread_time`` (CPU time of this thread), best of several
rounds, over the same chat lines the load scenarios send. The I/O steps (socket reads and writes,
the Redis round trip) are not here; the py-spy profile of a ``relay`` run shows those.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from .client import TEXTS


def _best_us(fn: Callable[[], Any], n: int, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.thread_time()
        for _ in range(n):
            fn()
        best = min(best, time.thread_time() - t)
    return best / n * 1e6


def measure(n: int = 2000) -> list[tuple[str, float]]:
    import msgpack

    from moderation import Moderator
    from server.core.protocol import parse_frame
    from server.transport.codec import JsonCodec

    codec = JsonCodec()
    moderator = Moderator()
    session = "x" * 22
    frames = [json.dumps({"type": "say", "session": session, "text": t, "ref": "a"}) for t in TEXTS]
    i = 0

    def nxt() -> int:
        nonlocal i
        i = (i + 1) % len(TEXTS)
        return i

    decoded = [codec.decode(f) for f in frames]
    ack = {
        "type": "ack",
        "ref": "a",
        "session": session,
        "id": "1732300000000-0",
        "ts": 1732300000000,
        "seq": 12,
        "text": TEXTS[0],
    }
    msg = {
        "type": "message",
        "session": session,
        "id": "1732300000000-0",
        "from": "seeker",
        "alias": "Maple",
        "text": TEXTS[0],
        "ts": 1732300000000,
        "seq": 12,
    }
    ctx: list[Any] = [None]

    def scan_in_conversation() -> None:
        # As the hub does for a seeker's line: scan in the conversation's context, keep the new
        # context, and serialise it for the session hash.
        v = moderator.scan(TEXTS[nxt()], lang="en", context=ctx[0])
        ctx[0] = v.context
        json.dumps(v.context.to_dict(), separators=(",", ":"))

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("decode JSON (server codec)", lambda: codec.decode(frames[nxt()])),
        ("validate frame (pydantic)", lambda: parse_frame(decoded[nxt()])),
        ("moderation scan + risk context, seeker line", scan_in_conversation),
        ("PII mask, helper line", lambda: moderator.mask(TEXTS[nxt()])),
        ("encode ack + message (server codec)", lambda: (codec.encode(ack), codec.encode(msg))),
        ("pack pub/sub payload (msgpack)", lambda: msgpack.packb(msg, use_bin_type=True)),
    ]
    for _ in range(200):  # warm caches, lazy compiles
        for _, fn in steps:
            fn()
    return [(name, _best_us(fn, n)) for name, fn in steps]


def print_hotpath() -> int:
    rows = measure()
    total = sum(us for _, us in rows)
    print("| step (per message) | CPU µs |")
    print("| --- | --- |")
    for name, us in rows:
        print(f"| {name} | {us:.1f} |")
    print(f"| **sum of these steps** | **{total:.1f}** |")
    print(f"\nAt {total:.0f} µs these steps alone cap one core at ~{1e6 / total:,.0f} msgs/s.")
    return 0
