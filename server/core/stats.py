"""Anonymous statistics: hour buckets of counts, grouped and floored for reading (pure).

What is stored (``store/stats.py``) is only counts per hour bucket: a bucket is the UTC hour
since the epoch (``hour_of``), so processes in any time zone write the same bucket, and the
deployment's time zone is applied when the buckets are read (``group_key``). Field names in a
bucket are ``<scope><metric>``: the scope is empty (everyone), ``t.<topic>.`` or ``d.<dept>.``;
metrics are listed in ``METRICS``. Waits and times to claim are small fixed histograms
(``w0``…, ``c0``…) so percentiles can be taken over any range of buckets.

Reading applies the k-anonymity floor to every count (1 to 4 become ``None``; 0 stays 0) and
hides figures derived from fewer than ``K_FLOOR`` people (a percentile of four waits).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from .between import K_FLOOR, LANGS, TOPICS, floor
from .network import DEPARTMENT_ID_RE

By = Literal["hour", "weekday", "day", "week", "topic", "department", "weekday_hour"]
BY_VALUES: tuple[str, ...] = ("hour", "weekday", "day", "week", "topic", "department",
                              "weekday_hour")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEVERITIES = (0, 1, 2, 3)
OUTCOMES = ("safe", "referred", "emergency_services", "no_contact", "other")
FEELINGS = ("better", "same", "worse")

WAIT_EDGES: tuple[float, ...] = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600, math.inf)
"""Upper edges (seconds) of the wait histogram: ``w<i>`` counts waits up to WAIT_EDGES[i]."""
CLAIM_EDGES: tuple[float, ...] = (15, 30, 60, 120, 300, 600, 1800, math.inf)
"""Upper edges (seconds) of the time-to-claim histogram (``c<i>``)."""

# Metric names within a scope.
REQUESTS = "req"
MATCHED = "match"
ABANDONED = "aband"
RISK = "risk"
"""Sessions that reached severity 2 or more (counted once, in the hour it happened)."""
ALERTS = "alert"
CLAIMED = "claim"

NO_DEPARTMENT = "_none"
"""The department key of seekers who did not say (or of deployments without departments); no
department id can start with ``_``, so it never mixes with a real one."""


def hour_of(ts_s: float) -> int:
    """The bucket an instant falls in: whole UTC hours since the epoch."""
    return int(ts_s // 3600)


def hours_between(from_s: float, to_s: float) -> list[int]:
    """Every bucket that overlaps ``[from_s, to_s)``, oldest first."""
    if to_s <= from_s:
        return []
    # ceil, not hour_of(to_s - ε): at epoch magnitudes a tiny ε vanishes in the float.
    return list(range(hour_of(from_s), math.ceil(to_s / 3600)))


def bin_index(value: float, edges: tuple[float, ...]) -> int:
    """The histogram bin of ``value``: the first whose upper edge is at least ``value``."""
    for i, edge in enumerate(edges):
        if value <= edge:
            return i
    return len(edges) - 1


def department_key(value: str | None) -> str:
    """A department id as it may appear in a field name; anything else is ``none``."""
    if value and DEPARTMENT_ID_RE.match(value):
        return value
    return NO_DEPARTMENT


def scopes(topic: str | None, department: str | None) -> tuple[str, ...]:
    """The scope prefixes one session's counts go under: everyone, its topic, its department."""
    out = [""]
    if topic in TOPICS:
        out.append(f"t.{topic}.")
    out.append(f"d.{department_key(department)}.")
    return tuple(out)


def fields(metric: str, scope_list: Iterable[str], by: int = 1) -> dict[str, int]:
    """``metric`` bumped by ``by`` in each scope: the increments of one event."""
    return {f"{scope}{metric}": by for scope in scope_list}


def percentile(hist: Mapping[int, int], edges: tuple[float, ...], q: float) -> float | None:
    """The ``q`` quantile (0..1) of a histogram, interpolated linearly within its bin.

    Why interpolate: with coarse bins a plain upper edge makes p50 jump from 60 s to 120 s as
    one more wait arrives; the straight line inside the bin moves smoothly. The last, open
    bin answers its lower edge (at least that long). None for an empty histogram.
    """
    total = sum(max(0, hist.get(i, 0)) for i in range(len(edges)))
    if total <= 0:
        return None
    target = q * total
    seen = 0.0
    for i, upper in enumerate(edges):
        count = max(0, hist.get(i, 0))
        lower = 0.0 if i == 0 else edges[i - 1]
        if count and seen + count >= target:
            if math.isinf(upper):
                return float(lower)
            share = (target - seen) / count
            return round(lower + share * (upper - lower), 1)
        seen += count
    return float(edges[-2]) if len(edges) > 1 else None


def group_key(hour: int, by: str, tz: dt.tzinfo | None) -> str:
    """The row a bucket belongs to when grouped by time, in the deployment's time zone.

    ``hour`` → ``"00"``…``"23"`` (hour of the day), ``weekday`` → ``mon``…``sun``,
    ``day`` → ``2026-12-04``, ``week`` → ``2026-W49`` (ISO), ``weekday_hour`` → ``mon-08``.
    """
    local = dt.datetime.fromtimestamp(hour * 3600, tz)
    if by == "hour":
        return f"{local.hour:02d}"
    if by == "weekday":
        return WEEKDAYS[local.weekday()]
    if by == "day":
        return local.date().isoformat()
    if by == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "weekday_hour":
        return f"{WEEKDAYS[local.weekday()]}-{local.hour:02d}"
    raise ValueError(f"not a time grouping: {by}")


def time_keys(hours: list[int], by: str, tz: dt.tzinfo | None) -> list[str]:
    """Every row of a time grouping, in order, including rows with no counts."""
    if by == "hour":
        return [f"{h:02d}" for h in range(24)]
    if by == "weekday":
        return list(WEEKDAYS)
    if by == "weekday_hour":
        return [f"{d}-{h:02d}" for d in WEEKDAYS for h in range(24)]
    return list(dict.fromkeys(group_key(h, by, tz) for h in hours))


def add_into(total: dict[str, int], bucket: Mapping[str, int]) -> None:
    for name, value in bucket.items():
        total[name] = total.get(name, 0) + value


def group(buckets: Mapping[int, Mapping[str, int]], by: str,
          tz: dt.tzinfo | None) -> list[tuple[str, dict[str, int]]]:
    """Sum hour buckets into rows: (key, fields of everyone's scope in that row).

    Grouped by ``topic`` or ``department``, each row is that scope's fields summed over the
    whole range, with the scope prefix taken off; the other fields stay for everyone.
    """
    hours = sorted(buckets)
    if by in ("topic", "department"):
        total: dict[str, int] = {}
        for h in hours:
            add_into(total, buckets[h])
        prefix = "t." if by == "topic" else "d."
        names = list(TOPICS) if by == "topic" else sorted(
            {name.split(".")[1] for name in total if name.startswith(prefix)})
        rows = []
        for name in names:
            scoped = f"{prefix}{name}."
            rows.append((name, {k[len(scoped):]: v for k, v in total.items()
                                if k.startswith(scoped)}))
        return rows
    keys = time_keys(hours, by, tz)
    sums: dict[str, dict[str, int]] = {key: {} for key in keys}
    for h in hours:
        add_into(sums.setdefault(group_key(h, by, tz), {}), buckets[h])
    return [(key, {k: v for k, v in sums[key].items() if _overall(k)})
            for key in keys]


def _overall(name: str) -> bool:
    """Fields of everyone's scope: those without a ``t.``/``d.`` prefix."""
    return not (name.startswith("t.") or name.startswith("d."))


def _hist(row: Mapping[str, int], letter: str, edges: tuple[float, ...]) -> dict[int, int]:
    return {i: row.get(f"{letter}{i}", 0) for i in range(len(edges))}


def _derived(hist: dict[int, int], edges: tuple[float, ...], q: float) -> float | None:
    """A percentile only when at least K_FLOOR people are behind it."""
    if sum(hist.values()) < K_FLOOR:
        return None
    return percentile(hist, edges, q)


def _counts(row: Mapping[str, int], prefix: str, names: Iterable[Any]) -> dict[str, int | None]:
    return {str(n): floor(max(0, row.get(f"{prefix}{n}", 0))) for n in names}


def view(row: Mapping[str, int], scoped: bool = False) -> dict[str, Any]:
    """One row as ``GET /api/stats`` shows it: every count floored, small cells' derived
    figures hidden. The contract's fields first (PROTOCOL.md v1.1), then the extensions.

    ``scoped`` (a topic's or a department's row) leaves out what is only counted for everyone
    (claims, outcomes, languages, feedback, moods, helpers): zeros there would be untrue."""
    waits = _hist(row, "w", WAIT_EDGES)
    claims = _hist(row, "c", CLAIM_EDGES)
    samples = row.get("hs_n", 0)
    capacity = row.get("hs_cap", 0)
    out: dict[str, Any] = {
        "requests": floor(row.get(REQUESTS, 0)),
        "matched": floor(row.get(MATCHED, 0)),
        "abandoned": floor(row.get(ABANDONED, 0)),
        "wait_p50_s": _derived(waits, WAIT_EDGES, 0.5),
        "alerts": floor(row.get(ALERTS, 0)),
        "max_severity": _counts(row, "sev", SEVERITIES),
        "wait_p90_s": _derived(waits, WAIT_EDGES, 0.9),
        "risk_sessions": floor(row.get(RISK, 0)),
    }
    if scoped:
        return out
    out.update({
        "claimed": floor(row.get(CLAIMED, 0)),
        "time_to_claim_p50_s": _derived(claims, CLAIM_EDGES, 0.5),
        "outcomes": _counts(row, "out.", OUTCOMES),
        "languages": _counts(row, "lang.", LANGS),
        "helpers_online_avg": round(row.get("hs_online", 0) / samples, 2) if samples else None,
        "helper_load_avg": round(row.get("hs_active", 0) / capacity, 3) if capacity else None,
        "ratings": _counts(row, "rate", range(1, 6)),
        "mood_before": _counts(row, "mb", range(1, 6)),
        "mood_after": _counts(row, "ma", range(1, 6)),
        "feeling_after": _counts(row, "feel.", FEELINGS),
    })
    return out


def table(rows: list[tuple[str, dict[str, int]]], scoped: bool = False
          ) -> list[dict[str, Any]]:
    """The rows of a report, each ``{"key", …view}``."""
    return [{"key": key, **view(row, scoped)} for key, row in rows]


CSV_COLUMNS: tuple[str, ...] = (
    "key", "requests", "matched", "abandoned", "wait_p50_s", "wait_p90_s", "alerts",
    "claimed", "time_to_claim_p50_s", "risk_sessions",
    "max_severity_0", "max_severity_1", "max_severity_2", "max_severity_3",
    "helpers_online_avg", "helper_load_avg",
)
"""The export's columns: the header line starts ``key,requests,matched`` (PROTOCOL.md)."""


def csv_row(item: Mapping[str, Any]) -> list[str]:
    """One report row as CSV cells; a hidden (floored) cell is empty."""
    flat = dict(item)
    for sev in SEVERITIES:
        flat[f"max_severity_{sev}"] = item["max_severity"][str(sev)]
    return ["" if flat.get(col) is None else str(flat[col]) for col in CSV_COLUMNS]
