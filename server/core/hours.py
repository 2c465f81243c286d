"""Operating hours: the centre's spec, parsed and read against a clock (pure; no I/O).

A spec is ``always``, ``closed``, or comma-separated parts in the deployment's time zone::

    mon-fri 08:00-22:00, sat 10:00-16:00, closed 2025-10-01, closed 2025-10-02

- ``<days> <from>-<to> [<from>-<to> ...]``: days are ``mon``…``sun``, a range ``mon-fri`` or
  ``daily``; times are 24-hour ``HH:MM``; ``24:00`` ends at midnight; a window whose end is not
  after its start runs past midnight (``fri 20:00-02:00``).
- ``closed <YYYY-MM-DD>``: a holiday; windows that start that day do not open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .errors import ProtocolError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOOKAHEAD_DAYS = 400
"""How far ahead ``next_open`` looks (a year of holidays and then some)."""


class InvalidHours(ProtocolError):
    """A spec that cannot be read; the detail says which part and why."""


@dataclass(frozen=True, slots=True)
class Hours:
    spec: str
    always: bool = False
    windows: tuple[tuple[int, int, int], ...] = ()
    """(weekday 0 = Monday, start minute, end minute; an end past 1440 runs into the next day)."""
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_open(self, now: datetime) -> bool:
        if self.always:
            return True
        minute = now.hour * 60 + now.minute
        today, yesterday = now.date(), now.date() - timedelta(days=1)
        for day, start, end in self.windows:
            if (day == today.weekday() and today not in self.holidays
                    and start <= minute < end):
                return True
            if (end > 1440 and day == yesterday.weekday() and yesterday not in self.holidays
                    and minute < end - 1440):
                return True
        return False

    def next_open(self, now: datetime) -> datetime | None:
        """When it next opens after ``now`` (None: open now, or never within a year)."""
        if self.always or self.is_open(now) or not self.windows:
            return None
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for offset in range(LOOKAHEAD_DAYS):
            day = midnight + timedelta(days=offset)
            if day.date() in self.holidays:
                continue
            starts = sorted(start for d, start, _ in self.windows if d == day.weekday())
            for start in starts:
                at = day + timedelta(minutes=start)
                if at > now:
                    return at
        return None


def parse(spec: str) -> Hours:
    """Read a spec (see the module docstring); raise ``InvalidHours`` naming the bad part."""
    text = " ".join(spec.strip().lower().split())
    if text in ("", "always"):
        return Hours("always", always=True)
    if text == "closed":
        return Hours("closed")
    windows: list[tuple[int, int, int]] = []
    holidays: set[date] = set()
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if not words:
            raise InvalidHours("an empty part between commas")
        if words[0] == "closed":
            if len(words) != 2 or not _DATE.match(words[1]):
                raise InvalidHours(f"{part!r}: write a holiday as 'closed YYYY-MM-DD'")
            try:
                holidays.add(date.fromisoformat(words[1]))
            except ValueError:
                raise InvalidHours(f"{part!r}: no such date") from None
            continue
        if len(words) < 2:
            raise InvalidHours(f"{part!r}: write days then times, e.g. 'mon-fri 08:00-22:00'")
        for day in _days(words[0], part):
            for span in words[1:]:
                start, end = _span(span, part)
                windows.append((day, start, end))
    return Hours(", ".join(p.strip() for p in text.split(",")), windows=tuple(windows),
                 holidays=frozenset(holidays))


def _days(word: str, part: str) -> list[int]:
    if word in ("daily", "every"):
        return list(range(7))
    first, _, last = word.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise InvalidHours(f"{part!r}: days are mon, tue, wed, thu, fri, sat, sun, a range "
                           "like mon-fri, or daily")
    a, b = DAYS.index(first), DAYS.index(last or first)
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def _span(span: str, part: str) -> tuple[int, int]:
    start_s, dash, end_s = span.partition("-")
    start, end = _minute(start_s), _minute(end_s)
    if not dash or start is None or end is None or start >= 1440:
        raise InvalidHours(f"{part!r}: times are HH:MM-HH:MM (24-hour), e.g. 08:00-22:00")
    if end <= start:
        end += 1440  # past midnight
    if end - start > 1440:
        raise InvalidHours(f"{part!r}: a window is at most 24 hours")
    return start, end


def _minute(text: str) -> int | None:
    m = _TIME.match(text)
    if m is None:
        return None
    minute = int(m.group(1)) * 60 + int(m.group(2))
    return minute if minute <= 1440 else None
