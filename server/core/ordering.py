"""Putting one connection's ``message`` frames of a session back in ``seq`` order.

Why: a participant's messages reach the others either straight from their own process or,
from another process, through Redis pub/sub; with three people on two processes the two paths
interleave, and ``seq`` 4 could overtake ``seq`` 3 by a millisecond. Each connection therefore
releases a session's messages in ``seq`` order, counting its own messages (known from their
``ack``) as delivered. A gap that does not fill within ``MAX_WAIT_S`` (a pub/sub message lost
while the listener reconnected) stops holding the rest back: what is held goes out in order,
and the client can fetch the missing one by resuming with ``last_seen``.
"""

from __future__ import annotations

from typing import Any

MAX_WAIT_S = 0.15
MAX_GAPS = 64
"""Places given up on that a connection remembers (a late message for one is still sent)."""

Frame = dict[str, Any]


class SessionOrder:
    __slots__ = ("next", "held", "own", "gaps")

    def __init__(self) -> None:
        self.next: int | None = None
        self.held: dict[int, Frame] = {}
        self.own: set[int] = set()
        self.gaps: set[int] = set()
        """Places given up on (``give_up``): a message for one of them has not been sent."""

    def had(self, seq: int) -> bool:
        """Whether this connection has been sent ``seq`` (or it was its own, or is held to be
        sent): a redelivered message (``Connection.redeliver``) is then dropped."""
        if self.next is None:
            return False
        if seq >= self.next:
            return seq in self.held or seq in self.own
        return seq not in self.gaps

    def offer(self, frame: Frame) -> list[Frame]:
        """A message for this connection: the frames that may be sent now, in order."""
        seq = frame["seq"]
        if self.next is None:
            self.next = seq
        if seq < self.next:
            self.gaps.discard(seq)
            return [frame]  # late (its gap was given up on) or already counted: send it anyway
        if seq > self.next:
            self.held[seq] = frame
            return []
        self.next += 1
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
        after = max(max(self.held), max(self.own, default=0)) + 1
        assert self.next is not None
        self.gaps.update(s for s in range(self.next, after)
                         if s not in self.held and s not in self.own)
        if len(self.gaps) > MAX_GAPS:  # the oldest are the least likely to come
            self.gaps = set(sorted(self.gaps)[-MAX_GAPS:])
        self.next = after
        self.held.clear()
        self.own = {s for s in self.own if s >= self.next}
        return out

    def _drain(self) -> list[Frame]:
        out: list[Frame] = []
        assert self.next is not None
        while True:
            if self.next in self.held:
                out.append(self.held.pop(self.next))
            elif self.next in self.own:
                self.own.discard(self.next)
            else:
                return out
            self.next += 1
