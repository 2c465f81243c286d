"""Fairness and double-match checks for the ``rush`` scenario (pure, no I/O).

The generator only sees its own clock, so "A was queued before B" must be a fact it observed, not a
guess from send times: A is *surely ahead* of B when the server had already answered A's request
(``queued`` or ``matched`` arrived) before B's request was even sent. B *overtook* A when, on top of
that, B's ``matched`` arrived more than ``slack_ms`` before A's (or A was never matched while B
was). The slack covers the generator's own delivery jitter: two ``matched`` frames the server wrote
in order to two sockets can be read in either order in the same loop iteration.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(slots=True)
class SeekerTrace:
    """What one seeker saw, on the generator's monotonic clock (seconds)."""

    index: int
    request_sent: float
    enqueued_at: float | None = None  # first queued/matched received
    matched_at: float | None = None
    priority: int = 0
    sessions: list[str] = field(default_factory=list)  # every distinct session it was matched in
    gone: bool = False  # left or lost before being matched: not owed a place


def overtakes(traces: Iterable[SeekerTrace], slack_ms: float = 5.0) -> dict[str, object]:
    """Count seekers that were matched ahead of a seeker of the same priority that was surely
    queued before them. Returns ``{"checked", "violations", "examples"}``."""
    slack = slack_ms / 1000.0
    by_prio: dict[int, list[SeekerTrace]] = defaultdict(list)
    for t in traces:
        if t.enqueued_at is not None and not t.gone:
            by_prio[t.priority].append(t)
    checked = 0
    violations = 0
    examples: list[dict[str, object]] = []
    for group in by_prio.values():
        ahead = sorted(group, key=lambda t: t.enqueued_at)  # type: ignore[arg-type, return-value]
        later = sorted(group, key=lambda t: t.request_sent)
        i = 0
        worst: SeekerTrace | None = None  # the surely-ahead seeker matched latest so far
        worst_at = -math.inf
        for b in later:
            while i < len(ahead) and ahead[i].enqueued_at < b.request_sent:  # type: ignore[operator]
                a = ahead[i]
                at = math.inf if a.matched_at is None else a.matched_at
                if at > worst_at:
                    worst, worst_at = a, at
                i += 1
            if b.matched_at is None:
                continue
            checked += 1
            if worst is not None and worst_at > b.matched_at + slack:
                violations += 1
                if len(examples) < 5:
                    examples.append(
                        {
                            "overtaken": worst.index,
                            "by": b.index,
                            "priority": b.priority,
                            "gap_ms": None
                            if worst_at == math.inf
                            else round((worst_at - b.matched_at) * 1000, 3),
                        }
                    )
    return {
        "checked": checked,
        "violations": violations,
        "examples": examples,
        "slack_ms": slack_ms,
    }


def double_matches(
    seeker_sessions: Mapping[int, Iterable[str]],
    helper_sessions: Mapping[str, Iterable[str]],
    helper_peak_active: Mapping[str, int] | None = None,
    capacity: int | None = None,
) -> dict[str, int]:
    """Seekers matched into more than one session at once, sessions handed to more than one
    helper, and helpers seen above their capacity."""
    seekers_twice = sum(1 for s in seeker_sessions.values() if len(set(s)) > 1)
    owner: dict[str, str] = {}
    sessions_twice = 0
    for helper, sessions in helper_sessions.items():
        for s in set(sessions):
            if s in owner and owner[s] != helper:
                sessions_twice += 1
            owner.setdefault(s, helper)
    over_capacity = 0
    if helper_peak_active is not None and capacity is not None:
        over_capacity = sum(1 for v in helper_peak_active.values() if v > capacity)
    return {
        "seekers_matched_twice": seekers_twice,
        "sessions_given_twice": sessions_twice,
        "helpers_over_capacity": over_capacity,
    }
