"""Every frame the server sends, one builder each: the shape of a frame is written only here.

Server frames are plain dicts (the hot path does not pay for model construction on the way
out); the codec turns them into JSON or MessagePack. Builders take exactly the fields the
contract names (docs/protocol.md) and leave optional ones out when they are ``None`` only where
the contract says a field may be absent; elsewhere ``None`` is sent as ``null``.
"""

from __future__ import annotations

from typing import Any

Frame = dict[str, Any]

# -- answers to a client's frame ------------------------------------------------------------


def with_ref(frame: Frame, ref: str | None) -> Frame:
    """``frame`` answering a client frame that carried ``ref`` (echoed when there was one)."""
    if ref is not None:
        frame["ref"] = ref
    return frame


def error(code: str, detail: str, ref: str | None = None, **extra: Any) -> Frame:
    """An error answer; ``extra`` fields (e.g. ``resources``) come after the contract's."""
    return with_ref({"type": "error", "code": code, "detail": detail, **extra}, ref)


def pong(ts: int, ref: str | None) -> Frame:
    return with_ref({"type": "pong", "ts": ts}, ref)


def ack(sid: str, ref: str | None = None, *, id: str | None = None, ts: int | None = None,
        seq: int | None = None, text: str | None = None) -> Frame:
    """The store's answer to ``say`` (with id, ts, seq and the text as delivered), or a bare
    acknowledgement of a frame that has nothing more to say (``feedback``)."""
    frame: Frame = {"type": "ack", "session": sid}
    if id is not None:
        frame.update(id=id, ts=ts, seq=seq, text=text)
    return with_ref(frame, ref)


# -- conversation ---------------------------------------------------------------------------


def message(sid: str, id: str, sender_role: str, alias: str, text: str, ts: int,
            seq: int) -> Frame:
    return {"type": "message", "session": sid, "id": id, "from": sender_role, "alias": alias,
            "text": text, "ts": ts, "seq": seq}


def typing(sid: str, sender_role: str) -> Frame:
    return {"type": "typing", "session": sid, "from": sender_role}


def card(sid: str, sender_role: str, alias: str, card: dict[str, Any], ts: int) -> Frame:
    """A card shared in a chat (``share``): a library item or a mood diary summary."""
    return {"type": "card", "session": sid, "from": sender_role, "alias": alias, "card": card,
            "ts": ts}


def participant(sid: str, role: str, alias: str, joined: bool,
                reason: str | None = None) -> Frame:
    """Someone joined or left a session (``reason`` says why they left, when it is known)."""
    frame: Frame = {"type": "participant", "session": sid, "role": role, "alias": alias,
                    "joined": joined}
    if reason is not None:
        frame["reason"] = reason
    return frame


def ended(sid: str, by: str, reason: str) -> Frame:
    return {"type": "ended", "session": sid, "by": by, "reason": reason}


def peer(role: str, alias: str) -> Frame:
    return {"role": role, "alias": alias}


# -- matching -------------------------------------------------------------------------------


def queued(sid: str, position: int, estimated_wait_s: int | None,
           helpers_online: int) -> Frame:
    return {"type": "queued", "session": sid, "position": position,
            "estimated_wait_s": estimated_wait_s, "helpers_online": helpers_online}


def matched(sid: str, peers: list[Frame], **staff_fields: Any) -> Frame:
    """``matched``; the helper's copy adds topic, lang, note and any first-words flag."""
    frame: Frame = {"type": "matched", "session": sid, "peers": peers}
    frame.update(staff_fields)
    return frame


def presence(**fields: Any) -> Frame:
    return {"type": "presence", **fields}


def cooldown(until_ms: int, seconds: int) -> Frame:
    return {"type": "cooldown", "until": until_ms, "seconds": seconds}


# -- escalation -----------------------------------------------------------------------------


def flag(sid: str, message_id: str, severity: int, categories: list[str],
         matches: list[Frame]) -> Frame:
    return {"type": "flag", "session": sid, "message": message_id, "severity": severity,
            "categories": categories, "matches": matches}


def alert(aid: str, sid: str, severity: int, excerpt: str, reason: str, raised_at: int,
          categories: list[str], message_id: str | None, tier: int | None) -> Frame:
    return {"type": "alert", "alert": aid, "session": sid, "severity": severity,
            "excerpt": excerpt, "reason": reason, "raised_at": raised_at,
            "categories": categories, "message": message_id, "tier": tier}


def alert_claimed(aid: str, sid: str | None = None, ref: str | None = None) -> Frame:
    frame: Frame = {"type": "alert_claimed", "alert": aid}
    if sid is not None:
        frame["session"] = sid
    return with_ref(frame, ref)


def alert_resolved(aid: str, sid: str, outcome: str, ref: str | None = None) -> Frame:
    return with_ref({"type": "alert_resolved", "alert": aid, "session": sid,
                     "outcome": outcome}, ref)


def escalated(sid: str, aid: str, new: bool, ref: str | None) -> Frame:
    return with_ref({"type": "escalated", "session": sid, "alert": aid, "new": new}, ref)


def joined(sid: str, aid: str, transcript: list[Frame], state: str | None, peers: list[Frame],
           topic: str | None, note: str | None, ref: str | None) -> Frame:
    return with_ref({"type": "joined", "session": sid, "alert": aid, "transcript": transcript,
                     "state": state, "peers": peers, "topic": topic, "note": note}, ref)


def taken_over(sid: str, ref: str | None) -> Frame:
    return with_ref({"type": "taken_over", "session": sid}, ref)


def resources(sid: str, items: list[dict[str, Any]]) -> Frame:
    return {"type": "resources", "session": sid, "items": items}


def watch(sid: str, severity: int, categories: list[str], excerpt: str, ts: int) -> Frame:
    """A session on the counselors' non-paging watch list."""
    return {"type": "watch", "session": sid, "severity": severity, "categories": categories,
            "excerpt": excerpt, "ts": ts}


def welcome(role: str, alias: str, sessions: list[Frame], node: str, ref: str | None,
            **by_role: Any) -> Frame:
    """``welcome``: a seeker's adds ``resume``; staff's adds ``presence``."""
    frame: Frame = {"type": "welcome", "role": role, "alias": alias, "sessions": sessions,
                    "node": node}
    frame.update(by_role)
    return with_ref(frame, ref)


# -- supervision and handover (staff only: none of these ever reaches a seeker) --------------


def monitoring(sid: str, transcript: list[Frame], staff_log: list[Frame], peers: list[Frame],
               state: str | None, topic: str | None, ref: str | None) -> Frame:
    """The answer to ``monitor``: the transcript so far, and (extra) the staff-only log."""
    return with_ref({"type": "monitoring", "session": sid, "transcript": transcript,
                     "staff_log": staff_log, "peers": peers, "state": state, "topic": topic},
                    ref)


def supervisor(sid: str, alias: str, watching: bool) -> Frame:
    """To the session's helper: a supervisor started or stopped watching."""
    return {"type": "supervisor", "session": sid, "alias": alias, "watching": watching}


def staff_entry(kind: str, sid: str, id: str, sender_role: str, alias: str, text: str,
                ts: int) -> Frame:
    """A ``whisper`` or ``note`` (``kind``) as staff see it, live or in a staff log."""
    return {"type": kind, "session": sid, "id": id, "from": sender_role, "alias": alias,
            "text": text, "ts": ts}


def whisper_ack(sid: str, id: str, ts: int, text: str, ref: str | None) -> Frame:
    """The sender's ``ack`` of a whisper: no ``seq``, it is not part of the conversation."""
    return with_ref({"type": "ack", "session": sid, "id": id, "ts": ts, "text": text,
                     "whisper": True}, ref)


def transferred(sid: str, to: str | None, ref: str | None) -> Frame:
    """To the helper who handed the session on (``to``: the new helper's alias, or null for
    the queue); they are no longer in it."""
    return with_ref({"type": "transferred", "session": sid, "to": to}, ref)


# -- early warning (issue 19; service/early_warning.py) --------------------------------------


def warning(wid: str, kind: str, topic: str | None, department: str | None, detail: str,
            raised_at: int, **extra: Any) -> Frame:
    """To admins and on-call centre counselors; ``extra``: ``figures``, ``acked_by``…"""
    return {"type": "warning", "warning": wid, "kind": kind,
            "scope": {"department": department, "topic": topic}, "detail": detail,
            "raised_at": raised_at, **extra}


def warning_acked(wid: str, by: str, at: int, ref: str | None = None) -> Frame:
    return with_ref({"type": "warning_acked", "warning": wid, "by": by, "acked_at": at}, ref)
