"""Conversation risk state: the last few scanned messages, small enough to live in Redis.

Risk builds across a conversation: "I have the pills" followed two lines later by "I want it to
end" is a crisis although neither line alone is. The hub stores :meth:`RiskContext.to_dict` per
session and passes it back with the next message. Only the last ``window`` messages are kept, so
an old concern decays instead of escalating a conversation forever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RiskContext", "FLAG_BITS"]

# Categories remembered across messages, one bit each, so a record is two small ints.
FLAG_BITS: dict[str, int] = {
    "self_harm_intent": 1,
    "self_harm_means": 2,
    "self_harm_plan": 4,
    "farewell": 8,
    "suicide_attempt_in_progress": 16,
    "self_harm_time": 32,
    "hopelessness": 64,
    "harm_to_others": 128,
}
_VERSION = 1
_MAX_WINDOW = 20


@dataclass(slots=True)
class RiskContext:
    """Recent ``(severity, flags)`` records of one conversation, oldest first.

    ``severity`` is the message's own severity before conversation escalation, so one crisis
    does not make every later message look like part of a run.
    """

    recent: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON- and msgpack-safe form: ``{"v": 1, "r": [[severity, flags], ...]}``."""
        return {"v": _VERSION, "r": [[s, f] for s, f in self.recent]}

    @classmethod
    def from_dict(cls, data: Any) -> RiskContext:
        """Rebuild from :meth:`to_dict` output; tolerant of ``{}``, ``None`` and unknown keys.

        A corrupt record is dropped rather than raised: losing some history is better than
        failing to scan a message.
        """
        recent: list[tuple[int, int]] = []
        rows = data.get("r") if isinstance(data, dict) else None
        if isinstance(rows, list):
            for row in rows[-_MAX_WINDOW:]:
                if (
                    isinstance(row, (list, tuple))
                    and len(row) == 2
                    and all(isinstance(x, int) and not isinstance(x, bool) for x in row)
                    and 0 <= row[0] <= 3
                    and row[1] >= 0
                ):
                    recent.append((row[0], row[1]))
        return cls(recent)

    def pushed(self, severity: int, flags: int, window: int) -> RiskContext:
        """A new context with this message appended and only the last ``window`` kept."""
        return RiskContext((self.recent + [(severity, flags)])[-window:])

    def flags(self) -> int:
        """Union of the remembered category flags."""
        out = 0
        for _s, f in self.recent:
            out |= f
        return out
