"""The operating-hours spec, read against fixed clocks."""

from __future__ import annotations

from datetime import datetime

import pytest

from server.core.hours import InvalidHours, parse

# 2025-09-29 is a Monday.
MON_9 = datetime(2025, 9, 29, 9, 0)


def test_always_and_closed() -> None:
    assert parse("always").is_open(MON_9) and parse("").is_open(MON_9)
    closed = parse("closed")
    assert not closed.is_open(MON_9) and closed.next_open(MON_9) is None


def test_days_times_and_holidays() -> None:
    hours = parse("Mon-Fri 08:00-22:00, sat 10:00-16:00, closed 2025-10-01")
    assert hours.is_open(MON_9)
    assert not hours.is_open(datetime(2025, 9, 29, 22, 0))  # the end is exclusive
    assert not hours.is_open(datetime(2025, 10, 1, 9, 0))  # a holiday
    assert hours.next_open(datetime(2025, 9, 30, 23, 0)) == datetime(2025, 10, 2, 8, 0)
    assert hours.next_open(datetime(2025, 10, 4, 17, 0)) == datetime(2025, 10, 6, 8, 0)
    assert not hours.is_open(datetime(2025, 10, 5, 12, 0))  # Sunday


def test_windows_past_midnight_and_wrapping_day_ranges() -> None:
    late = parse("fri 20:00-02:00")
    assert late.is_open(datetime(2025, 10, 3, 23, 30)) and late.is_open(datetime(2025, 10, 4, 1))
    assert not late.is_open(datetime(2025, 10, 4, 2, 0))
    weekend = parse("sat-mon 10:00-12:00")
    assert weekend.is_open(datetime(2025, 10, 5, 11)) and weekend.is_open(MON_9.replace(hour=11))
    assert not weekend.is_open(datetime(2025, 9, 30, 11))


@pytest.mark.parametrize("spec", ["mon-fri 8-22", "funday 08:00-09:00", "mon", "closed 2025-13-01",
                                  "mon 09:00-25:00", "mon 09:00-10:00,,", "closed tomorrow"])
def test_bad_specs_say_what_is_wrong(spec: str) -> None:
    with pytest.raises(InvalidHours) as exc:
        parse(spec)
    assert exc.value.code == "bad_frame" and exc.value.detail
