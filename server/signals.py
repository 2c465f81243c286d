"""Turn SIGTERM into a normal exit, so that ``finally`` blocks (stopping the embedded Redis) run.

Python's default for SIGTERM ends the process on the spot, skipping every clean-up. uvicorn
captures SIGTERM while it serves, shuts down gracefully, then restores the previous handler and
raises the signal again "to trigger the expected behaviour": with the default handler that killed
``peerline serve`` before it could stop the redis-server it had started, so a systemd
``stop`` (SIGTERM) left one behind every time while Ctrl-C (SIGINT → KeyboardInterrupt) did not.
"""

from __future__ import annotations

import signal
from types import FrameType

EXIT_SIGTERM = 128 + signal.SIGTERM
"""The exit status a shell reports for a process ended by SIGTERM (143)."""


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def exit_cleanly_on_sigterm() -> None:
    """From now on SIGTERM (and SIGHUP, a closed terminal) raise ``SystemExit`` in the main
    thread, which unwinds through ``finally`` like Ctrl-C does."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit)
