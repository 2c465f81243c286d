"""Per-connection seq ordering of message frames (pure logic)."""

from __future__ import annotations

from server.core.ordering import SessionOrder


def m(seq: int) -> dict:  # type: ignore[type-arg]
    return {"type": "message", "session": "s", "seq": seq}


def seqs(frames: list) -> list[int]:  # type: ignore[type-arg]
    return [f["seq"] for f in frames]


def test_in_order_messages_pass_straight_through() -> None:
    order = SessionOrder()
    assert seqs(order.offer(m(1)) + order.offer(m(2)) + order.offer(m(3))) == [1, 2, 3]


def test_a_message_that_overtook_waits_for_the_gap() -> None:
    order = SessionOrder()
    assert seqs(order.offer(m(1))) == [1]
    assert order.offer(m(3)) == []
    assert order.offer(m(4)) == []
    assert seqs(order.offer(m(2))) == [2, 3, 4]


def test_own_messages_fill_their_places() -> None:
    order = SessionOrder()
    assert seqs(order.offer(m(1))) == [1]
    assert order.offer(m(3)) == []  # 2 is ours, its ack not yet seen
    assert seqs(order.own_seq(2)) == [3]
    assert order.own_seq(5) == []  # our 5 stored before the other's 4 arrived
    assert seqs(order.offer(m(4))) == [4]
    assert seqs(order.offer(m(6))) == [6]


def test_giving_up_on_a_gap_sends_what_is_held_in_order() -> None:
    order = SessionOrder()
    order.offer(m(1))
    order.offer(m(4))
    order.offer(m(3))
    assert seqs(order.give_up()) == [3, 4]
    assert seqs(order.offer(m(5))) == [5]
    assert seqs(order.offer(m(2))) == [2]  # the lost one, if it ever comes, is not held back


def test_first_frame_sets_the_baseline() -> None:
    order = SessionOrder()
    assert order.own_seq(7) == []
    assert seqs(order.offer(m(8))) == [8]


def test_a_connection_knows_what_it_had_for_a_redelivery() -> None:
    order = SessionOrder()
    assert not order.had(1)  # nothing seen yet: a redelivery goes out
    assert seqs(order.offer(m(1))) == [1]
    assert order.had(1) and not order.had(2)
    assert order.offer(m(3)) == []  # held behind the gap at 2
    assert order.had(3) and not order.had(2)


def test_a_second_copy_is_dropped_a_late_one_is_not() -> None:
    order = SessionOrder()
    order.offer(m(1))
    assert order.offer(m(1)) == []  # live, then again from a catch-up
    assert order.offer(m(3)) == []
    assert seqs(order.give_up()) == [3]
    assert not order.had(2)  # given up on: a redelivered 2 is sent
    assert seqs(order.offer(m(2))) == [2]  # late, sent
    assert order.offer(m(2)) == [] and order.offer(m(3)) == []  # but once


def test_a_message_overtaken_by_an_own_ack_still_goes_out() -> None:
    order = SessionOrder()
    assert order.own_seq(5) == []  # the first thing this connection hears of the session
    assert seqs(order.offer(m(4))) == [4]


def test_the_memory_of_what_was_sent_stays_bounded() -> None:
    order = SessionOrder()
    for seq in range(1, 2000):
        order.offer(m(seq))
    assert len(order.sent) <= 2 * 256
    assert order.offer(m(1999)) == []
