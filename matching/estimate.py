"""Honest waiting-time estimates, from what matching has actually done recently. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence

# With no history yet, assume a helper frees a place about every this many seconds per helper.
DEFAULT_SECONDS_PER_MATCH_PER_HELPER = 300.0
MIN_ESTIMATE_S = 5


def estimate_wait_s(
    position: int,
    helpers_online: int,
    free_places: int,
    recent_match_times_ms: Sequence[int],
    now_ms: int,
) -> int | None:
    """Seconds until the seeker at ``position`` (1 = next) is likely matched, or ``None``.

    ``None`` when no helper is online: any number would be a guess. When a helper has a free
    place for this seeker, a few seconds. Otherwise the recent pace of matches decides: the
    seekers ahead, divided by matches per second over the recent window (at most ten minutes
    old); with no recent history, a conservative default per helper online.
    """
    if helpers_online <= 0:
        return None
    if free_places >= position:
        return MIN_ESTIMATE_S
    ahead = position - free_places
    recent = [t for t in recent_match_times_ms if now_ms - t <= 600_000]
    if len(recent) >= 3:
        span_s = max((now_ms - min(recent)) / 1000.0, 1.0)
        per_s = len(recent) / span_s
    else:
        per_s = helpers_online / DEFAULT_SECONDS_PER_MATCH_PER_HELPER
    return max(MIN_ESTIMATE_S, round(ahead / per_s))


def queue_score(priority: int, enqueued_ms: int) -> float:
    """Sorted-set score: lower is served first. Priority (0..3, 3 highest) outranks time."""
    if not 0 <= priority <= 3:
        raise ValueError("priority must be 0..3")
    return (3 - priority) * 1e13 + enqueued_ms
