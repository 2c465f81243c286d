"""Events between use cases: a feature that must react to another's outcome subscribes here
instead of being called by it (which had made the features one import circle).

Handlers run in the order they subscribed, one after the other, in the task that emitted the
event; one that fails is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..store.records import Ended, Session

log = logging.getLogger("peerline.events")


@dataclass(frozen=True, slots=True)
class SessionEnded:
    sid: str
    ended: Ended


@dataclass(frozen=True, slots=True)
class Matched:
    sid: str
    session: Session
    helper: str


@dataclass(frozen=True, slots=True)
class ConnectionGone:
    """Someone's connection is gone (closed, or its process died) with these sessions
    (session → their role in it, ``monitor`` included)."""

    uid: str
    role: str
    alias: str
    sessions: dict[str, str]


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """Someone's place in matching changed (a seeker requeued, a helper's place freed)."""


E = TypeVar("E")
Handler = Callable[[Any], Awaitable[None]]


class Events:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)

    def on(self, kind: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._handlers[kind].append(handler)

    async def emit(self, event: object) -> None:
        for handler in self._handlers.get(type(event), ()):
            try:
                await handler(event)
            except Exception:
                log.exception("a %s handler failed", type(event).__name__)
