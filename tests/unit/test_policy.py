"""The service's rules in ``server.core.policy``, tested directly (they were only tested end to
end before the layers): tier hand-off, grace periods, refusals, priorities, what staff see."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from matching import Priority
from server.core import policy
from server.core.errors import NotInSession, SessionEnded
from server.core.policy import ALL_TIERS, Graces, OnCallCounselor, next_route

GRACES = Graces(queued_seeker_s=300, seeker_s=120, helper_s=30, counselor_s=60)


# -- the tier hand-off ----------------------------------------------------------------------


def centre(*tiers: int) -> list[OnCallCounselor]:
    """Counselors as every account was before levels: centre, with a tier."""
    return [OnCallCounselor(t) for t in tiers]


def hand_off(stage: str, tier: int, tiers: list[int], first: bool) -> tuple[str, int] | None:
    route = next_route(stage, tier, centre(*tiers), "", first)
    return None if route is None else (route.stage, route.tier)


def test_a_new_alert_goes_to_the_lowest_tier_on_call() -> None:
    route = next_route("", 0, centre(2, 1, 3, 1), "", first=True)
    assert route is not None and (route.stage, route.tier, route.tiers) == ("centre", 1, (1,))


def test_each_timeout_widens_the_alert_to_the_next_tier_up_then_to_everyone() -> None:
    on_call = [1, 2, 4]
    second = next_route("centre", 1, centre(*on_call), "", first=False)
    assert second is not None and (second.tier, second.tiers) == (2, (1, 2))
    assert hand_off("centre", 2, on_call, first=False) == ("centre", 4)
    final = next_route("centre", 4, centre(*on_call), "", first=False)
    assert final is not None and final.final and final.audience() is None
    assert hand_off("all", ALL_TIERS, on_call, first=False) is None


def test_an_alert_with_nobody_on_call_goes_nowhere() -> None:
    assert hand_off("", 0, [], first=True) is None
    assert hand_off("centre", 1, [], first=False) is None


def test_a_reopened_alert_starts_again_from_the_lowest_tier() -> None:
    assert hand_off("all", ALL_TIERS, [3, 5], first=True) == ("centre", 3)


def test_with_one_tier_the_first_delivery_reaches_everyone_on_call_and_the_next_is_final() -> None:
    assert hand_off("", 0, [1, 1], first=True) == ("centre", 1)
    assert hand_off("centre", 1, [1, 1], first=False) == ("all", ALL_TIERS)


def test_the_alert_frame_shows_a_tier_only_while_it_is_at_one() -> None:
    assert policy.shown_tier(0) is None
    assert policy.shown_tier(2) == 2
    assert policy.shown_tier(ALL_TIERS) is None


# -- severity ------------------------------------------------------------------------------


@pytest.mark.parametrize(("severity", "priority"), [
    (0, Priority.NORMAL), (1, Priority.NORMAL), (2, Priority.RAISED), (3, Priority.CRISIS),
])
def test_severity_sets_the_queue_priority(severity: int, priority: Priority) -> None:
    assert policy.queue_priority(severity) == priority


def test_core_priorities_are_matchings_priorities() -> None:
    assert (policy.NORMAL_PRIORITY, policy.RAISED_PRIORITY, policy.REQUEUED_PRIORITY,
            policy.CRISIS_PRIORITY) == (Priority.NORMAL, Priority.RAISED, Priority.REQUEUED,
                                        Priority.CRISIS)


def test_only_severity_3_pages_and_only_severity_2_watches() -> None:
    assert [policy.pages(s) for s in range(4)] == [False, False, False, True]
    assert [policy.watches(s) for s in range(4)] == [False, False, True, False]


def test_an_escalation_is_at_least_severity_2() -> None:
    assert policy.escalation_severity(0) == 2
    assert policy.escalation_severity(3) == 3


def test_the_watch_list_is_raised_only_by_a_higher_severity() -> None:
    assert policy.should_watch(0, 2)
    assert not policy.should_watch(2, 2)
    assert policy.should_watch(2, 3)


def test_a_flag_never_shows_personal_data_and_at_most_ten_words() -> None:
    matches = [SimpleNamespace(term="13812345678", category="pii", severity=0)]
    matches += [SimpleNamespace(term=f"w{i}", category="distress", severity=1) for i in range(12)]
    shown = policy.flag_matches(matches)
    assert len(shown) == policy.FLAG_MATCHES
    assert all(m["category"] != "pii" for m in shown)
    assert shown[0] == {"term": "w0", "category": "distress", "severity": 1}


def test_the_crisis_reason_names_at_most_four_categories() -> None:
    assert policy.crisis_reason(["a", "b", "c", "d", "e"]) == "crisis language: a, b, c, d"


def test_a_cooldown_ends_after_its_seconds() -> None:
    assert policy.cooldown_until(1_000, 1.5) == 2_500


# -- grace periods --------------------------------------------------------------------------


def test_a_waiting_seeker_is_given_longer_than_one_in_a_chat() -> None:
    assert policy.seeker_grace("queued", GRACES) == 300
    assert policy.seeker_grace("active", GRACES) == 120


def test_an_ended_or_missing_session_keeps_nothing_for_the_seeker() -> None:
    assert policy.seeker_grace("ended", GRACES) is None
    assert policy.seeker_grace(None, GRACES) is None


def test_a_helper_has_grace_only_with_seekers_to_keep() -> None:
    assert policy.helper_grace(2, GRACES) == 30
    assert policy.helper_grace(0, GRACES) is None


def test_a_counselor_has_grace_only_when_in_a_session_as_counselor() -> None:
    assert policy.counselor_grace(["counselor"], GRACES) == 60
    assert policy.counselor_grace(["helper"], GRACES) is None
    assert policy.counselor_grace([], GRACES) is None


# -- who may do what ------------------------------------------------------------------------

MEMBERS = {"seeker": "s.1", "helper": "h.maple", "counselor": ""}


def test_role_in_finds_the_role_and_never_matches_an_empty_uid() -> None:
    assert policy.role_in(MEMBERS, "h.maple") == "helper"
    assert policy.role_in(MEMBERS, "s.2") is None
    assert policy.role_in(MEMBERS, "") is None


def test_a_member_of_an_ended_session_is_told_it_ended() -> None:
    assert isinstance(policy.refusal("ended", MEMBERS, "", "s.1"), SessionEnded)


def test_a_helper_whose_session_was_taken_over_is_told_so() -> None:
    members = {"seeker": "s.1", "helper": "", "counselor": "c.cedar"}
    refused = policy.refusal("active", members, "h.maple", "h.maple")
    assert isinstance(refused, SessionEnded) and "took this session over" in refused.detail
    assert isinstance(policy.refusal("ended", members, "h.maple", "h.maple"), SessionEnded)


def test_anyone_else_is_not_in_the_session() -> None:
    assert isinstance(policy.refusal("active", MEMBERS, "", "s.stranger"), NotInSession)
    assert isinstance(policy.refusal("ended", MEMBERS, "", "s.stranger"), NotInSession)
    assert isinstance(policy.refusal(None, {}, "", "s.1"), NotInSession)


def test_leaving_while_queued_cancels() -> None:
    assert policy.leave_reason("queued") == "cancelled"
    assert policy.leave_reason("active") == "left"
    assert policy.leave_reason(None) == "left"


@pytest.mark.parametrize(("route", "role", "allowed"), [
    ("*", "seeker", True), ("seeker", "seeker", True), ("seeker", "helper", False),
    ("staff", "helper", True), ("staff", "counselor", True), ("staff", "seeker", False),
    ("counselor", "helper", False), ("helper", "helper", True),
])
def test_roles_may_send_only_their_frames(route: str, role: str, allowed: bool) -> None:
    assert policy.may_send(route, role) is allowed
