"""The rush scenario's fairness and double-match checks."""

from loadtests.fairness import SeekerTrace, double_matches, overtakes


def trace(i: int, sent: float, enq: float, matched: float | None, prio: int = 0) -> SeekerTrace:
    return SeekerTrace(i, sent, enq, matched, prio)


def test_fifo_order_has_no_violation() -> None:
    ts = [trace(i, i * 1.0, i * 1.0 + 0.01, 10 + i) for i in range(20)]
    r = overtakes(ts)
    assert r["violations"] == 0 and r["checked"] == 20


def test_later_seeker_matched_first_is_an_overtake() -> None:
    a = trace(0, 0.0, 0.01, 5.0)  # queued at 0.01, matched at 5
    b = trace(1, 1.0, 1.01, 2.0)  # asked at 1.0 (after A was queued), matched at 2
    r = overtakes([a, b])
    assert r["violations"] == 1
    assert r["examples"][0]["overtaken"] == 0 and r["examples"][0]["by"] == 1


def test_unsure_order_is_not_an_overtake() -> None:
    # B asked before the server had answered A: their order in the queue is unknown.
    a = trace(0, 0.0, 0.5, 5.0)
    b = trace(1, 0.2, 0.6, 2.0)
    assert overtakes([a, b])["violations"] == 0


def test_jitter_within_slack_is_tolerated() -> None:
    a = trace(0, 0.0, 0.01, 2.003)
    b = trace(1, 1.0, 1.01, 2.000)
    assert overtakes([a, b], slack_ms=5.0)["violations"] == 0
    assert overtakes([a, b], slack_ms=1.0)["violations"] == 1


def test_different_priorities_are_not_compared() -> None:
    a = trace(0, 0.0, 0.01, 5.0, prio=0)
    b = trace(1, 1.0, 1.01, 2.0, prio=3)  # a crisis seeker may go first
    assert overtakes([a, b])["violations"] == 0


def test_never_matched_while_a_later_one_was() -> None:
    a = trace(0, 0.0, 0.01, None)
    b = trace(1, 1.0, 1.01, 2.0)
    r = overtakes([a, b])
    assert r["violations"] == 1 and r["examples"][0]["gap_ms"] is None


def test_gone_seekers_are_not_owed_a_place() -> None:
    a = trace(0, 0.0, 0.01, None)
    a.gone = True
    b = trace(1, 1.0, 1.01, 2.0)
    assert overtakes([a, b])["violations"] == 0


def test_double_matches() -> None:
    r = double_matches(
        {0: ["s1"], 1: ["s2", "s3"], 2: ["s4", "s4"]},
        {"h0": ["s1", "s2"], "h1": ["s2", "s3"]},
        {"h0": 3, "h1": 4},
        capacity=3,
    )
    assert r == {"seekers_matched_twice": 1, "sessions_given_twice": 1, "helpers_over_capacity": 1}
    clean = double_matches({0: ["a"]}, {"h": ["a"]})
    assert clean == {
        "seekers_matched_twice": 0,
        "sessions_given_twice": 0,
        "helpers_over_capacity": 0,
    }
