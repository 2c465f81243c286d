"""Server frames are built in one place (``server.core.frames``), in the contract's shapes."""

from __future__ import annotations

from server.core import frames
from server.core.participant import Participant


def test_a_message_frame_has_exactly_the_contract_fields() -> None:
    frame = frames.message("s1", "1-0", "seeker", "Fox", "hi", 1, 7)
    assert frame == {"type": "message", "session": "s1", "id": "1-0", "from": "seeker",
                     "alias": "Fox", "text": "hi", "ts": 1, "seq": 7}


def test_a_participant_frame_carries_a_reason_only_when_known() -> None:
    assert "reason" not in frames.participant("s1", "counselor", "Owl", True)
    left = frames.participant("s1", "helper", "Elm", False, "helper_gone")
    assert left["reason"] == "helper_gone" and left["joined"] is False


def test_answers_echo_the_ref_only_when_the_client_sent_one() -> None:
    assert "ref" not in frames.error("bad_frame", "x")
    assert frames.error("bad_frame", "x", "r1")["ref"] == "r1"
    assert frames.ack("s1", "r2", id="1-0", ts=1, seq=1, text="t") == {
        "type": "ack", "session": "s1", "id": "1-0", "ts": 1, "seq": 1, "text": "t", "ref": "r2"}
    assert frames.ack("s1", None) == {"type": "ack", "session": "s1"}


def test_an_alert_claimed_frame_names_the_session_only_when_it_is_broadcast() -> None:
    assert frames.alert_claimed("a1", ref="r") == {"type": "alert_claimed", "alert": "a1",
                                                   "ref": "r"}
    assert frames.alert_claimed("a1", "s1")["session"] == "s1"


def test_a_participant_knows_its_sessions_and_forgets_their_store_heads() -> None:
    who = Participant()
    assert not who.known
    who.uid, who.role = "s.1", "seeker"
    who.enter("s1", "seeker")
    who.store_heads["s1"] = b"head"
    assert who.known and who.seeker_session() == "s1" and who.role_in("s1") == "seeker"
    who.leave("s1")
    assert who.seeker_session() is None and "s1" not in who.store_heads


def test_ids_never_start_with_a_dash_so_the_cli_reads_them_as_arguments() -> None:
    from server.core.ids import new_id

    ids = [new_id() for _ in range(5000)]  # ~78 would start with '-' without the rule
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids) and all(len(i) == 22 for i in ids)
