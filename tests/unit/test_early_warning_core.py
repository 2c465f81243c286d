"""Early warning rules on synthetic series: windows, baselines, factors, the noise floor."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.core.early_warning import Thresholds, demand, periods, repeat_after_s, rising

TH = Thresholds(window_min=60, baseline_days=7, factor=2.0, min_sessions=5)
BASE_HOURS = 7 * 24


def test_the_window_ends_now_and_the_baseline_comes_before_it() -> None:
    window, baseline = periods(1000, Thresholds(window_min=90, baseline_days=1))
    assert window == [999, 1000]  # 90 minutes is two whole hours
    assert baseline == list(range(999 - 24, 999))


def test_a_steady_series_raises_nothing() -> None:
    # 1 risky session an hour all week, 1 in the last hour.
    assert rising({"risk": 1}, {"risk": BASE_HOURS}, BASE_HOURS, TH) == []
    # 6 an hour all week, 6 now: enough sessions, but no rise.
    assert rising({"risk": 6}, {"risk": 6 * BASE_HOURS}, BASE_HOURS, TH) == []


def test_a_rise_past_the_factor_is_found() -> None:
    found = rising({"risk": 8}, {"risk": 2 * BASE_HOURS}, BASE_HOURS, TH)
    assert [(f.kind, f.condition, f.topic, f.department) for f in found] == [
        ("risk_rising", "risk_rising.all.", None, None)]
    assert found[0].figures == {"count": 8, "expected": 2.0, "factor": 2.0, "window_min": 60}
    assert "8 sessions" in found[0].detail


def test_below_the_factor_or_below_the_minimum_is_noise() -> None:
    assert rising({"risk": 7}, {"risk": 4 * BASE_HOURS}, BASE_HOURS, TH) == []
    # From nothing to four: a big factor, but four sessions are noise (and identifying).
    assert rising({"risk": 4}, {}, BASE_HOURS, TH) == []
    assert [f.condition for f in rising({"risk": 5}, {}, BASE_HOURS, TH)] == [
        "risk_rising.all."]


def test_topics_and_departments_are_checked_on_their_own() -> None:
    window = {"risk": 6, "t.mood.risk": 6, "d.cs.req": 9, "d.cs.risk": 6,
              "d.law.req": 4, "d.law.risk": 5, "d._none.req": 50, "d._none.risk": 40}
    baseline = {"risk": 6 * BASE_HOURS, "t.mood.risk": 1, "d.cs.risk": 1}
    found = {f.condition: f for f in rising(window, baseline, BASE_HOURS, TH)}
    # Overall steady; mood and cs rose; law has too few people to be looked at; "none" is
    # not a department.
    assert set(found) == {"risk_rising.t.mood.", "risk_rising.d.cs."}
    assert found["risk_rising.t.mood."].topic == "mood"
    assert found["risk_rising.d.cs."].department == "cs"


def test_a_longer_window_compares_with_as_long_a_stretch_of_baseline() -> None:
    th = Thresholds(window_min=180, baseline_days=7, factor=2.0, min_sessions=5)
    # 1 an hour usually: 3 expected in three hours; 6 is twice that.
    assert rising({"risk": 6}, {"risk": BASE_HOURS}, BASE_HOURS, th)
    assert not rising({"risk": 5}, {"risk": BASE_HOURS}, BASE_HOURS, th)


def test_demand_waits_only_count_when_no_helper_is_free() -> None:
    th = Thresholds(wait_minutes=10, queue_length=3)
    assert demand(None, 0, 0, th) == []
    assert demand(599, 0, 1, th) == []
    assert demand(600, 2, 1, th) == []
    [wait] = demand(600, 0, 1, th)
    assert wait.condition == "demand.wait" and wait.figures["longest_wait_s"] == 600
    assert [f.condition for f in demand(0, 5, 4, th)] == ["demand.queue"]
    assert demand(0, 5, 3, th) == []


def test_thresholds_are_validated() -> None:
    for bad in ({"factor": 1.0}, {"min_sessions": 4}, {"window_min": 10},
                {"baseline_days": 0}, {"queue_length": 0}, {"colour": "red"}):
        with pytest.raises(ValidationError):
            Thresholds.model_validate(bad)
    assert repeat_after_s(Thresholds(window_min=120)) == 7200
    assert repeat_after_s(Thresholds()) == 3600
