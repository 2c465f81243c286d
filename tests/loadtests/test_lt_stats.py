"""Percentiles and the latency recorder."""

import pytest

from loadtests.stats import Recorder, percentile, summarize


def test_nearest_rank_percentiles() -> None:
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(values, 0) == 1
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_percentile_is_an_observed_value() -> None:
    values = sorted([1.0, 2.0, 10.0, 1000.0])
    assert percentile(values, 50) == 2.0  # no interpolation between 2 and 10
    assert percentile(values, 99) == 1000.0


def test_percentile_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summarize_unsorted_and_empty() -> None:
    s = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert s == {"p50": 3.0, "p95": 5.0, "p99": 5.0, "max": 5.0, "mean": 3.0, "count": 5}
    empty = summarize([])
    assert empty["count"] == 0 and empty["p99"] is None and empty["max"] is None


def test_recorder_keeps_milliseconds_and_buckets_by_second() -> None:
    r = Recorder(t0=100.0)
    r.add(100.2, 0.001)  # 1 ms in second 0
    r.add(100.7, 0.003)
    r.add(101.5, 0.010)  # second 1
    assert len(r) == 3
    assert r.summary()["max"] == pytest.approx(10.0, rel=1e-3)
    series = r.series()
    assert [b["t"] for b in series] == [0.0, 1.0]
    assert series[0]["count"] == 2 and series[0]["p99"] == pytest.approx(3.0, rel=1e-3)
    assert r.summary(start_index=2)["count"] == 1


def test_recorder_is_bounded() -> None:
    r = Recorder(t0=0.0, cap=2)
    for i in range(5):
        r.add(float(i), 0.001)
    assert len(r) == 2 and r.dropped == 3
