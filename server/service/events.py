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


# -- what anonymous statistics count (issue 19; service/statistics.py) -----------------------


@dataclass(frozen=True, slots=True)
class Requested:
    """A seeker asked for help (a session was queued)."""

    sid: str
    topic: str
    lang: str
    department: str | None = None
    mood: int | None = None
    """How the seeker felt before the chat (1-5), if they said."""


@dataclass(frozen=True, slots=True)
class RiskSeen:
    """A session reached this severity (2 or more: the watch list or an alert)."""

    sid: str
    severity: int


@dataclass(frozen=True, slots=True)
class AlertRaised:
    aid: str
    sid: str
    severity: int


@dataclass(frozen=True, slots=True)
class AlertClaimed:
    aid: str
    sid: str


@dataclass(frozen=True, slots=True)
class AlertResolved:
    aid: str
    sid: str
    outcome: str


@dataclass(frozen=True, slots=True)
class FeedbackGiven:
    """A seeker's first feedback on an ended session (no session facts travel with it)."""

    rating: int | None
    feeling: str | None
    mood: int | None = None
    """How the seeker felt after the chat (1-5), if they said."""


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
