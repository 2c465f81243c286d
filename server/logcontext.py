"""Which request or connection a log line belongs to, without saying who is on it.

The ids are random and made here, per HTTP request or WebSocket connection; they tie the lines
of one connection together in a log system and mean nothing outside the log (no token, no
address, no session id). A ``ContextVar`` carries them into every task the handler starts.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("peerline_request_id", default=None)
connection_id: ContextVar[str | None] = ContextVar("peerline_connection_id", default=None)


def new_id() -> str:
    """A short random id (64 bits): enough to tell one connection's lines from another's."""
    return secrets.token_hex(8)
