"""One unit for every wait in the tests, scaled by one environment variable.

``PEERLINE_TEST_TIMEOUT_FACTOR`` (default ``1``) multiplies every timeout, sleep and "nothing
arrives within …" window in the tests, the short grace periods and escalation timers the test
servers run with, the playwright timeouts of the browser tests and pytest-timeout's per-test
limit (the ``timeout`` ini value). On a slow or loaded machine run, for example::

    PEERLINE_TEST_TIMEOUT_FACTOR=3 pytest

instead of editing timeouts. Write every wait in ``MS`` (as python-websockets' tests do)::

    await asyncio.sleep(300 * MS)
    await c.no_frame(500 * MS, of="matched")
    await until(c, "alert", timeout=3_000 * MS)

At factor 1, ``N * MS`` is N milliseconds: the tests' semantics are those of the literals.
"""

from __future__ import annotations

import asyncio
import os

FACTOR = float(os.environ.get("PEERLINE_TEST_TIMEOUT_FACTOR", "1"))
"""How much longer than nominal every wait in the tests is (``PEERLINE_TEST_TIMEOUT_FACTOR``)."""
if not FACTOR > 0:
    raise ValueError(f"PEERLINE_TEST_TIMEOUT_FACTOR must be a positive number, not {FACTOR!r}")

MS = 0.001 * FACTOR
"""One millisecond, scaled, in seconds (asyncio's unit)."""

WAIT = 5_000 * MS
"""How long a test waits for something that should arrive (a frame, a close, a handshake)."""

QUIET = 300 * MS
"""The default window in which a test asserts that nothing (more) arrives."""


async def sleep_ms(milliseconds: float) -> None:
    """``asyncio.sleep`` for ``milliseconds`` scaled milliseconds."""
    await asyncio.sleep(milliseconds * MS)


def playwright_ms(milliseconds: float) -> int:
    """A playwright timeout (playwright counts in milliseconds), scaled."""
    return int(milliseconds * FACTOR)
