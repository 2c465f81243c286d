"""Putting one connection's ``message`` frames of a session back in ``seq`` order.

Why: a participant's messages reach the others either straight from their own process or,
from another process, through Redis pub/sub; with three people on two processes the two paths
interleave, and ``seq`` 4 could overtake ``seq`` 3 by a millisecond. Each connection therefore
releases a session's messages in ``seq`` order, counting its own messages (known from their
``ack``) as delivered. A gap that does not fill within ``MAX_WAIT_S`` (a pub/sub message lost
while the listener reconnected) stops holding the rest back: what is held goes out in order,
and the client can fetch the missing one by resuming with ``last_seen``. A message that comes
twice (live and again from the catch-up after a pub/sub outage, or redelivered after its
sender's re-send) is sent once: each connection remembers the latest places it was sent.
"""

from __future__ import annotations

from typing import Any

MAX_WAIT_S = 0.15
KEEP_SENT = 256
"""How many of the latest ``seq`` sent a connection remembers per session, to drop a second
copy of one (``SessionOrder.sent``)."""

Frame = dict[str, Any]


class SessionOrder:
    __slots__ = ("next", "held", "own", "sent")

    def __init__(self) -> None:
        self.next: int | None = None
        self.held: dict[int, Frame] = {}
        self.own: set[int] = set()
        self.sent: set[int] = set()
        """The latest ``seq`` released to the connection (at most ``2 * KEEP_SENT``): a message
        can reach a connection twice (live and from a catch-up after a pub/sub outage, or
        redelivered after a re-send), and the second copy is dropped."""

    def had(self, seq: int) -> bool:
        """Whether this connection has been sent ``seq``, or it was its own, or it is held to
        be sent: another copy of it is not sent again."""
        return seq in self.sent or seq in self.held or seq in self.own

    def offer(self, frame: Frame) -> list[Frame]:
        """A message for this connection: the frames that may be sent now, in order."""
        seq = frame["seq"]
        if self.next is None:
            self.next = seq
        if seq < self.next:
            if self.had(seq):
                return []  # a second copy (live and caught up, or redelivered)
            self._mark(seq)
            return [frame]  # late (its gap was given up on, or it overtook an own ack)
        if seq > self.next:
            self.held[seq] = frame
            return []
        self.next += 1
        self._mark(seq)
        if not self.held and not self.own:
            return [frame]  # the usual case: nothing waits behind it
        return [frame, *self._drain()]

    def own_seq(self, seq: int) -> list[Frame]:
        """This connection's own message was stored with ``seq``: that place is filled."""
        if self.next is None:
            self.next = seq + 1
            return []
        if seq < self.next:
            return []
        if seq > self.next:
            self.own.add(seq)
            return []
        self.next += 1
        if not self.held and not self.own:
            return []
        return self._drain()

    def give_up(self) -> list[Frame]:
        """Stop waiting for the gap: everything held, in order."""
        if not self.held:
            return []
        out = [self.held[s] for s in sorted(self.held)]
        self.next = max(max(self.held), max(self.own, default=0)) + 1
        for seq in self.held:
            self._mark(seq)
        self.held.clear()
        self.own = {s for s in self.own if s >= self.next}
        return out

    def _mark(self, seq: int) -> None:
        sent = self.sent
        sent.add(seq)
        if len(sent) > 2 * KEEP_SENT:
            floor = max(sent) - KEEP_SENT
            self.sent = {s for s in sent if s > floor}

    def _drain(self) -> list[Frame]:
        out: list[Frame] = []
        assert self.next is not None
        while True:
            if self.next in self.held:
                out.append(self.held.pop(self.next))
                self._mark(self.next)
            elif self.next in self.own:
                self.own.discard(self.next)
            else:
                return out
            self.next += 1
