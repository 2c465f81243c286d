"""What the use cases need from the layer above them, as protocols the transport implements.

A use case is given a ``Participant`` (who is speaking) and a ``Reply`` (how to answer them):
never a socket. Delivery to anyone else, here or on another process, goes through ``Delivery``
(the hub). Both are implemented in ``server/transport``; nothing here imports it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import Any, Protocol

from ..core.frames import Frame
from ..core.participant import Participant


class ReplayPages(Protocol):
    """A replay read in pages (``service/replay.py``), pulled by the transport at its pace."""

    replayed: dict[str, int]

    async def next_page(self, size: int) -> list[Frame]:
        """Up to ``size`` more frames; empty once the replay is over."""
        ...


class Reply(Protocol):
    """One person's connection, as a use case sees it."""

    who: Participant

    def send(self, frame: Frame) -> None:
        """Queue a frame for this person (bounded; never blocks)."""

    def hold(self) -> None:
        """Hold back every frame sent to this person until ``release``."""

    def release(self, first: list[Frame], replayed: dict[str, int],
                pages: ReplayPages | None = None) -> None:
        """Send ``first``, then every page of ``pages`` (each read once the connection has
        room for it), then what was held, less the messages replayed (``replayed`` and
        ``pages.replayed``: session → last ``seq`` replayed)."""

    def close(self, code: int, reason: str = "") -> None:
        """Close the connection after what is queued (the code is a WebSocket close code)."""

    @property
    def closed(self) -> bool: ...


class Delivery(Protocol):
    """The hub: this process's connections, and delivery to people on any process."""

    queue_changed: asyncio.Event
    """Set when some process said the queue changed (positions may need refreshing)."""
    on_queued: Callable[[str, Reply], None] | None
    on_caught_up: Callable[[list[Reply]], Awaitable[None]] | None
    """Called with this process's connections after a pub/sub outage, once missed messages are
    delivered (events other than messages published meanwhile were lost)."""

    def register(self, reply: Reply) -> Reply | None:
        """This person's connection; returns the one it replaces, if any."""

    def unregister(self, reply: Reply) -> bool:
        """Forget a closed connection; False if a newer one of the same person replaced it."""

    def find(self, uid: str) -> Reply | None: ...

    def replace_elsewhere(self, uid: str, node: str) -> None:
        """``uid`` connected here while ``node`` held them: close the connection there."""

    def join(self, reply: Reply, sid: str, role: str) -> None: ...

    def part(self, reply: Reply, sid: str) -> None: ...

    def set_on_call(self, reply: Reply, on_call: bool) -> None: ...

    def is_on_call(self, reply: Reply) -> bool: ...

    def deliver_session(self, sid: str, frame: Frame, roles: Collection[str] | None = None,
                        exclude: str | None = None) -> None:
        """To the session's participants on this process only."""

    def to_nodes(self, nodes: Iterable[str], event: dict[str, Any]) -> None:
        """An event to these other processes, in the order given across calls (a message
        stored with durability ``replica``, once a replica holds it); returns at once."""

    async def to_session(self, sid: str, frame: Frame, *, roles: Iterable[str] | None = None,
                         exclude: str | None = None, also: str = "",
                         sender: tuple[str, str] | None = None) -> None:
        """To the session's participants wherever they are."""

    async def to_user(self, uid: str, frames: list[Frame],
                      attach: tuple[str, str] | None = None,
                      detach: str | None = None) -> None:
        """To one person wherever they are connected (nowhere, if they are not)."""

    async def broadcast(self, event: dict[str, Any]) -> None:
        """An event to every process (``{"k": "queue"}``, ``{"k": "oncall", ...}``)."""

    async def to_on_call(self, frame: Frame, tiers: list[int] | None = None,
                         exclude: str | None = None,
                         audience: dict[str, Any] | None = None) -> None:
        """To the on-call counselors of ``tiers`` (all when None) and of ``audience``
        (``policy.reaches``: levels and departments; all when None) on every process, and to
        every admin connected whether or not on call."""
