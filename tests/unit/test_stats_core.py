"""Statistics arithmetic: buckets, grouping in a time zone, percentiles, the floor."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server.core import stats

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_hour_buckets_cover_a_range_and_nothing_more() -> None:
    assert stats.hour_of(0) == 0
    assert stats.hour_of(3599.9) == 0
    assert stats.hour_of(3600) == 1
    assert stats.hours_between(3600, 3 * 3600) == [1, 2]
    assert stats.hours_between(3600, 3 * 3600 + 1) == [1, 2, 3]
    assert stats.hours_between(5, 5) == []
    midnight = dt.datetime(2026, 12, 5, tzinfo=dt.UTC).timestamp()
    assert stats.hours_between(midnight - 86400, midnight)[-1] == stats.hour_of(midnight) - 1


def test_bins_take_the_first_edge_at_or_above() -> None:
    assert stats.bin_index(0, stats.WAIT_EDGES) == 0
    assert stats.bin_index(10, stats.WAIT_EDGES) == 0
    assert stats.bin_index(11, stats.WAIT_EDGES) == 1
    assert stats.bin_index(10**9, stats.WAIT_EDGES) == len(stats.WAIT_EDGES) - 1


def test_percentile_interpolates_within_its_bin() -> None:
    edges = (10.0, 30.0, float("inf"))
    assert stats.percentile({}, edges, 0.5) is None
    assert stats.percentile({0: 10}, edges, 0.5) == 5.0
    # 10 waits up to 10 s, 10 between 10 and 30 s: the median is the top of the first bin.
    assert stats.percentile({0: 10, 1: 10}, edges, 0.5) == 10.0
    assert stats.percentile({0: 10, 1: 10}, edges, 0.75) == 20.0
    # Everything in the open bin: at least its lower edge.
    assert stats.percentile({2: 7}, edges, 0.9) == 30.0


def test_time_groups_use_the_deployment_time_zone() -> None:
    # 2026-12-04 00:30 UTC is 08:30 on a Friday in Shanghai.
    hour = stats.hour_of(dt.datetime(2026, 12, 4, 0, 30, tzinfo=dt.UTC).timestamp())
    assert stats.group_key(hour, "hour", SHANGHAI) == "08"
    assert stats.group_key(hour, "hour", dt.UTC) == "00"
    assert stats.group_key(hour, "weekday", SHANGHAI) == "fri"
    assert stats.group_key(hour, "day", SHANGHAI) == "2026-12-04"
    assert stats.group_key(hour, "week", SHANGHAI) == "2026-W49"
    assert stats.group_key(hour, "weekday_hour", SHANGHAI) == "fri-08"
    with pytest.raises(ValueError):
        stats.group_key(hour, "topic", SHANGHAI)


def test_scopes_and_fields_of_one_event() -> None:
    assert stats.scopes("mood", "cs") == ("", "t.mood.", "d.cs.")
    assert stats.scopes(None, None) == ("", "d._none.")
    assert stats.scopes("nonsense", "Robert'); DROP") == ("", "d._none.")
    assert stats.fields("req", ("", "t.mood.")) == {"req": 1, "t.mood.req": 1}


def test_grouping_by_hour_of_day_lists_every_hour_and_sums_days() -> None:
    base = stats.hour_of(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC).timestamp())
    buckets = {base: {"req": 3, "t.mood.req": 3}, base + 24: {"req": 4}}
    rows = dict(stats.group(buckets, "hour", dt.UTC))
    assert list(rows) == [f"{h:02d}" for h in range(24)]
    assert rows["09"] == {"req": 7}  # scoped fields stay out of time rows
    assert rows["10"] == {}


def test_grouping_by_day_lists_empty_days_in_the_range() -> None:
    base = stats.hour_of(dt.datetime(2026, 12, 1, 0, tzinfo=dt.UTC).timestamp())
    buckets = {h: {} for h in range(base, base + 72)}
    buckets[base + 30] = {"req": 6}
    rows = stats.group(buckets, "day", dt.UTC)
    assert [key for key, _ in rows] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert rows[1][1] == {"req": 6}


def test_grouping_by_topic_and_department_takes_each_scope() -> None:
    buckets = {1: {"req": 9, "t.mood.req": 6, "t.family.req": 3, "d.cs.req": 5,
                   "d._none.req": 4, "d.cs.sev2": 5}}
    topics = dict(stats.group(buckets, "topic", None))
    assert list(topics) == list(stats.TOPICS)
    assert topics["mood"] == {"req": 6}
    assert topics["academic"] == {}
    depts = dict(stats.group(buckets, "department", None))
    assert depts == {"cs": {"req": 5, "sev2": 5}, "_none": {"req": 4}}


def test_the_floor_hides_every_count_from_one_to_four() -> None:
    row = {"req": 4, "match": 5, "aband": 0, "alert": 1, "sev0": 3, "sev3": 5,
           "rate5": 2, "mb3": 7}
    shown = stats.view(row)
    assert shown["requests"] is None
    assert shown["matched"] == 5
    assert shown["abandoned"] == 0
    assert shown["alerts"] is None
    assert shown["max_severity"] == {"0": None, "1": 0, "2": 0, "3": 5}
    assert shown["ratings"]["5"] is None
    assert shown["mood_before"]["3"] == 7


def test_percentiles_of_fewer_than_five_waits_are_hidden() -> None:
    four = stats.view({"match": 4, "w0": 4})
    assert four["wait_p50_s"] is None and four["wait_p90_s"] is None
    five = stats.view({"match": 5, "w0": 5})
    assert five["wait_p50_s"] == 5.0
    assert stats.view({"c1": 4})["time_to_claim_p50_s"] is None
    assert stats.view({"c1": 6})["time_to_claim_p50_s"] == 22.5


def test_helper_averages_come_from_the_samples() -> None:
    shown = stats.view({"hs_n": 4, "hs_online": 10, "hs_active": 3, "hs_cap": 12})
    assert shown["helpers_online_avg"] == 2.5
    assert shown["helper_load_avg"] == 0.25
    assert stats.view({})["helpers_online_avg"] is None


def test_csv_rows_leave_hidden_cells_empty() -> None:
    item = {"key": "09", **stats.view({"req": 3, "match": 8, "sev0": 8})}
    cells = stats.csv_row(item)
    assert stats.CSV_COLUMNS[:3] == ("key", "requests", "matched")
    assert cells[:3] == ["09", "", "8"]
    assert cells[stats.CSV_COLUMNS.index("max_severity_0")] == "8"


def test_a_topic_or_department_row_shows_only_what_is_counted_for_it() -> None:
    scoped = stats.view({"req": 6, "sev1": 6}, scoped=True)
    assert scoped["requests"] == 6 and scoped["max_severity"]["1"] == 6
    assert "mood_before" not in scoped and "languages" not in scoped
    assert "claimed" not in scoped
    assert stats.csv_row({"key": "mood", **scoped})[:2] == ["mood", "6"]
