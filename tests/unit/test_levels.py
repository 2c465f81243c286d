"""The levels' hand-off (issue 19), tested directly: the seeker's department first, then the
centre tier by tier, then everyone; and who each on-call frame reaches."""

from __future__ import annotations

import pytest

from server.core.network import placement
from server.core.policy import (
    ALL_TIERS,
    CENTRE,
    DEPARTMENT,
    EVERYONE,
    OnCallCounselor,
    next_route,
    reaches,
    watch_audience,
)

CS = OnCallCounselor(1, DEPARTMENT, "cs")
LAW = OnCallCounselor(1, DEPARTMENT, "law")
CENTRE_1 = OnCallCounselor(1)
CENTRE_2 = OnCallCounselor(2)


def stages(department: str, on_call: list[OnCallCounselor]) -> list[tuple[str, int]]:
    """Every stage an alert goes through when nobody claims it."""
    seen = []
    route = next_route("", 0, on_call, department, first=True)
    while route is not None:
        seen.append((route.stage, route.tier))
        route = next_route(route.stage, route.tier, on_call, department, first=False)
    return seen


def test_department_first_then_centre_then_everyone() -> None:
    assert stages("cs", [CS, LAW, CENTRE_1]) == [
        (DEPARTMENT, 0), (CENTRE, 1), (EVERYONE, ALL_TIERS)]


def test_department_then_each_centre_tier_then_everyone() -> None:
    assert stages("cs", [CENTRE_2, CS, CENTRE_1]) == [
        (DEPARTMENT, 0), (CENTRE, 1), (CENTRE, 2), (EVERYONE, ALL_TIERS)]


def test_no_department_goes_to_the_centre_at_once() -> None:
    assert stages("", [CS, CENTRE_1]) == [(CENTRE, 1), (EVERYONE, ALL_TIERS)]


def test_nobody_of_the_department_on_call_goes_to_the_centre_at_once() -> None:
    assert stages("cs", [LAW, CENTRE_1])[0] == (CENTRE, 1)


def test_with_no_centre_counselor_on_call_it_goes_to_the_department_then_everyone() -> None:
    assert stages("cs", [CS, LAW]) == [(DEPARTMENT, 0), (EVERYONE, ALL_TIERS)]
    assert stages("bio", [CS, LAW]) == [(EVERYONE, ALL_TIERS)]


def test_nobody_on_call_goes_nowhere() -> None:
    assert next_route("", 0, [], "cs", first=True) is None


def test_a_reopened_alert_starts_again_at_the_department() -> None:
    route = next_route(EVERYONE, ALL_TIERS, [CS, CENTRE_1], "cs", first=True)
    assert route is not None and route.stage == DEPARTMENT


def test_alert_frame_level_is_department_centre_or_null() -> None:
    levels = []
    route = next_route("", 0, [CS, CENTRE_1], "cs", first=True)
    while route is not None:
        levels.append(route.shown_level)
        route = next_route(route.stage, route.tier, [CS, CENTRE_1], "cs", first=False)
    assert levels == ["department", "centre", None]


@pytest.mark.parametrize(("counselor", "reached"), [
    (CS, True), (LAW, False), (CENTRE_1, False)])
def test_the_department_stage_reaches_only_that_department(
        counselor: OnCallCounselor, reached: bool) -> None:
    route = next_route("", 0, [CS, LAW, CENTRE_1], "cs", first=True)
    assert route is not None
    assert reaches(route.audience(), "counselor", counselor.tier, counselor.level,
                   counselor.department) is reached


def test_the_centre_stage_reaches_centre_tiers_up_to_it_and_no_department() -> None:
    route = next_route(DEPARTMENT, 0, [CS, CENTRE_1, CENTRE_2], "cs", first=False)
    assert route is not None and route.tier == 1
    audience = route.audience()
    assert reaches(audience, "counselor", 1, CENTRE, "")
    assert not reaches(audience, "counselor", 2, CENTRE, "")
    assert not reaches(audience, "counselor", 1, DEPARTMENT, "cs")


def test_admins_are_reached_by_every_stage() -> None:
    for audience in ({"levels": [], "departments": ["cs"]}, {"levels": [CENTRE]}, None):
        assert reaches(audience, "admin", 0, CENTRE, "")


def test_the_watch_list_is_for_the_department_and_the_centre() -> None:
    cs = watch_audience("cs")
    assert reaches(cs, "counselor", 1, DEPARTMENT, "cs")
    assert reaches(cs, "counselor", 3, CENTRE, "")
    assert not reaches(cs, "counselor", 1, DEPARTMENT, "law")
    none = watch_audience("")
    assert reaches(none, "counselor", 1, CENTRE, "")
    assert not reaches(none, "counselor", 1, DEPARTMENT, "cs")


def test_placement_of_staff() -> None:
    assert placement("counselor", None, None) == ("centre", "")
    assert placement("counselor", "department", "cs") == ("department", "cs")
    assert placement("helper", None, None) == ("", "")
    for bad in (("counselor", "department", None), ("counselor", "centre", "cs"),
                ("helper", "centre", None), ("admin", None, "cs")):
        with pytest.raises(ValueError):
            placement(*bad)
