"""Early warning: when risk is rising or demand outruns supply (pure; no I/O).

Two kinds (PROTOCOL.md v1.1, "Early warning"):

- ``risk_rising``: the number of sessions that reached severity 2 or more over the window
  (everyone, each topic, each department with at least ``K_FLOOR`` requests in the window)
  is at least ``min_sessions`` and at least ``factor`` times what the baseline predicts for a
  window that long. The baseline is the ``baseline_days`` before the window. Counts come from
  the statistics' hour buckets, so the window is whole hours: ``window_min`` rounded up.
- ``demand``: a seeker has waited ``wait_minutes`` or longer while no helper has a free
  place, or more than ``queue_length`` seekers are waiting.

Each finding names a ``condition``: the same condition is not raised again while its
repeat window lasts (the store keeps that), so a rise seen every minute is one warning.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .between import K_FLOOR, TOPICS
from .policy import CENTRE
from .stats import NO_DEPARTMENT, REQUESTS, RISK

Kind = Literal["risk_rising", "demand"]
AUDIENCE: dict[str, Any] = {"levels": [CENTRE], "departments": []}
"""Who is warned (``policy.reaches``): on-call counselors at the centre's level; the hub adds
every admin connected, on call or not."""


class Thresholds(BaseModel):
    """What the centre's coordinator sets (``PUT /api/admin/warnings/thresholds``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    window_min: int = Field(60, ge=60, le=7 * 24 * 60)
    baseline_days: int = Field(14, ge=1, le=90)
    factor: float = Field(2.0, ge=1.1, le=20)
    min_sessions: int = Field(5, ge=K_FLOOR, le=10_000)
    """At least K_FLOOR, so that no warning ever speaks of fewer than five students."""
    wait_minutes: int = Field(10, ge=1, le=24 * 60)
    queue_length: int = Field(10, ge=1, le=100_000)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    condition: str
    """What is wrong, as a key: the same condition is one warning until it may repeat."""
    detail: str
    topic: str | None = None
    department: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)


def window_hours(thresholds: Thresholds) -> int:
    return max(1, math.ceil(thresholds.window_min / 60))


def periods(now_hour: int, thresholds: Thresholds) -> tuple[list[int], list[int]]:
    """(the window's hour buckets, the baseline's), each oldest first.

    The window ends with the current hour (its counts so far); the baseline is the
    ``baseline_days`` just before it, so a rise inside the window never raises its own bar.
    """
    width = window_hours(thresholds)
    start = now_hour - width + 1
    baseline = thresholds.baseline_days * 24
    return list(range(start, now_hour + 1)), list(range(start - baseline, start))


def _scopes(window: Mapping[str, int]) -> list[tuple[str, str | None, str | None]]:
    """(field prefix, topic, department) of every scope to check."""
    found: list[tuple[str, str | None, str | None]] = [("", None, None)]
    found += [(f"t.{topic}.", topic, None) for topic in TOPICS]
    departments = sorted({name.split(".")[1] for name in window if name.startswith("d.")})
    for dept in departments:
        # A department is looked at only with enough people in it: a warning about a handful
        # of students in one department would point at them.
        if dept != NO_DEPARTMENT and window.get(f"d.{dept}.{REQUESTS}", 0) >= K_FLOOR:
            found.append((f"d.{dept}.", None, dept))
    return found


def rising(window: Mapping[str, int], baseline: Mapping[str, int], baseline_hours: int,
           thresholds: Thresholds) -> list[Finding]:
    """``risk_rising`` findings from the window's and the baseline's summed counts."""
    width = window_hours(thresholds)
    out = []
    for prefix, topic, dept in _scopes(window):
        count = window.get(f"{prefix}{RISK}", 0)
        if count < thresholds.min_sessions:
            continue
        usual = baseline.get(f"{prefix}{RISK}", 0)
        expected = usual * width / baseline_hours if baseline_hours > 0 else 0.0
        if count < thresholds.factor * expected or count <= expected:
            continue
        where = (f" in topic {topic}" if topic else f" in department {dept}" if dept
                 else "")
        detail = (f"{count} sessions at severity 2 or more{where} in the last "
                  f"{width * 60} min; the usual is {expected:.1f} "
                  f"(warning at {thresholds.factor:g}×)")
        out.append(Finding(
            kind="risk_rising", condition=f"risk_rising.{prefix or 'all.'}", detail=detail,
            topic=topic, department=dept,
            figures={"count": count, "expected": round(expected, 2),
                     "factor": thresholds.factor, "window_min": width * 60}))
    return out


def demand(longest_wait_s: float | None, free_places: int, queue_length: int,
           thresholds: Thresholds) -> list[Finding]:
    """``demand`` findings from the queue as it is now."""
    out = []
    limit_s = thresholds.wait_minutes * 60
    if longest_wait_s is not None and longest_wait_s >= limit_s and free_places <= 0:
        out.append(Finding(
            kind="demand", condition="demand.wait",
            detail=(f"a seeker has waited {int(longest_wait_s // 60)} min and no helper "
                    f"has a free place (warning at {thresholds.wait_minutes} min)"),
            figures={"longest_wait_s": int(longest_wait_s), "free_places": free_places}))
    if queue_length > thresholds.queue_length:
        out.append(Finding(
            kind="demand", condition="demand.queue",
            detail=(f"{queue_length} seekers are waiting (warning above "
                    f"{thresholds.queue_length})"),
            figures={"queue_length": queue_length}))
    return out


def repeat_after_s(thresholds: Thresholds) -> int:
    """How long a condition stays one warning: the window (at least an hour)."""
    return max(3600, window_hours(thresholds) * 3600)
