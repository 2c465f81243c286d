"""Conversation risk state: the last few scanned messages, small enough to live in Redis.

Risk builds across a conversation: "I have the pills" followed two lines later by "I want it to
end" is a crisis although neither line alone is. The hub stores :meth:`RiskContext.to_dict` per
session and passes it back with the next message. Only the last ``window`` messages are kept, so
an old concern decays instead of escalating a conversation forever.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RiskContext", "FLAG_BITS", "ModelTurn", "MODEL_TURNS"]

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
# The learned model scores the seeker's last MODEL_TURNS turns together; per turn it needs only
# (language 0=en/1=zh, sum of n-gram weights, number of n-grams, characters): four numbers, no
# text and no features.
MODEL_TURNS = 3
ModelTurn = tuple[int, float, int, int]
_MAX_COUNT = 1 << 20
_MAX_SUM = 1e6


def _model_turn(row: Any) -> ModelTurn | None:
    """A stored model record if it is well-formed, else ``None`` (junk is dropped)."""
    if not isinstance(row, (list, tuple)) or len(row) != 4:
        return None
    lang, total, count, chars = row
    ints = (lang, count, chars)
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in ints):
        return None
    if isinstance(total, bool) or not isinstance(total, (int, float)):
        return None
    total = float(total)
    if (
        lang not in (0, 1)
        or not math.isfinite(total)
        or abs(total) > _MAX_SUM
        or not 0 <= count <= _MAX_COUNT
        or not 0 <= chars <= _MAX_COUNT
    ):
        return None
    return (lang, total, count, chars)


@dataclass(slots=True)
class RiskContext:
    """Recent ``(severity, flags)`` records of one conversation, oldest first.

    ``severity`` is the message's own severity before conversation escalation, so one crisis
    does not make every later message look like part of a run.
    """

    recent: list[tuple[int, int]] = field(default_factory=list)
    # The learned model's record of the last few turns (see MODEL_TURNS), oldest first.
    model: list[ModelTurn] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON- and msgpack-safe form:
        ``{"v": 1, "r": [[severity, flags], ...], "m": [[lang, sum, count, chars], ...]}``.

        ``"m"`` is left out when empty, so a context without model records is stored exactly as
        before.
        """
        out: dict[str, Any] = {"v": _VERSION, "r": [[s, f] for s, f in self.recent]}
        if self.model:
            out["m"] = [[lang, round(t, 4), n, c] for lang, t, n, c in self.model]
        return out

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
        model: list[ModelTurn] = []
        mrows = data.get("m") if isinstance(data, dict) else None
        if isinstance(mrows, list):
            for mrow in mrows[-MODEL_TURNS:]:
                turn = _model_turn(mrow)
                if turn is not None:
                    model.append(turn)
        return cls(recent, model)

    def pushed(
        self, severity: int, flags: int, window: int, turn: ModelTurn | None = None
    ) -> RiskContext:
        """A new context with this message appended and only the last ``window`` kept (and the
        last :data:`MODEL_TURNS` model records, when the message has one)."""
        model = self.model if turn is None else (self.model + [turn])[-MODEL_TURNS:]
        return RiskContext((self.recent + [(severity, flags)])[-window:], model)

    def flags(self) -> int:
        """Union of the remembered category flags."""
        out = 0
        for _s, f in self.recent:
            out |= f
        return out
