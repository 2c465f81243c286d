"""Sessions in Redis: a hash (who, state, risk) and a stream (the transcript) per session.

A session is created queued when a seeker asks for help, becomes active when matched, and ends
once. Its keys expire ``retention_s`` after the end (longer if it was escalated).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, cast

import redis.asyncio as aioredis

from matching import MatchKeys

from ..core import frames
from ..core.errors import Conflict, NotDurable, NotInSession, PeerlineError, SessionEnded
from ..core.ids import new_id
from .durability import Durability
from .keys import FEEDBACK_MAXLEN, Keys
from .records import Ended, Session, Stored
from .resp import bulk, pack
from .scripts import ScriptRunner

READ_MARK_MS = 1000
"""How long a replay's ``read_mark`` stays: it only has to reach the replicas."""

_LUA = Path(__file__).with_name("lua")
STREAM_ID_RE = re.compile(r"^\d{1,20}-\d{1,20}$")
ROLES = ("seeker", "helper", "counselor")


def _lua_filled(source: str, values: dict[str, str]) -> str:
    """``source`` with each placeholder replaced by a Lua string literal of its value (every
    byte but letters and digits escaped, so any key prefix is safe)."""
    for placeholder, value in values.items():
        quoted = f"'{placeholder}'"
        if source.count(quoted) != 1:
            raise ValueError(f"{placeholder} must appear once, quoted, in the script")
        literal = "".join(chr(b) if chr(b).isalnum() and b < 128 else f"\\{b:03d}"
                          for b in value.encode())
        source = source.replace(quoted, f"'{literal}'")
    return source


def _s(value: bytes | None) -> str:
    return value.decode() if value else ""


class SessionStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        runner: ScriptRunner,
        node: str,
        *,
        live_ttl_s: int,
        retention_s: int,
        escalated_retention_s: int,
        unmatched_retention_s: int | None = None,
        durability: Durability | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.mk: MatchKeys = keys.match
        self.runner = runner
        self.node = node
        self.live_ttl_ms = live_ttl_s * 1000
        self.retention_ms = retention_s * 1000
        self.escalated_retention_ms = escalated_retention_s * 1000
        self.unmatched_retention_ms = (retention_s if unmatched_retention_s is None
                                       else min(retention_s, unmatched_retention_s)) * 1000
        self.durability = durability or Durability()
        self.publish_inline = self.durability.publish_inline
        """Whether ``say.lua`` publishes a message to the other processes itself (durability
        ``local`` and ``fsync`` on one node or Sentinel), or names them to the caller, who
        publishes once a replica holds it (``replica``: ``Stored.nodes``) or, on a Redis
        Cluster, with ``SPUBLISH`` so that a chat frame reaches only its channel's shard."""
        self._say = runner.load_source("say", _lua_filled((_LUA / "say.lua").read_text(), {
            "@CHANNEL_PREFIX@": keys.node_channel(""), "@LIVE_MS@": str(self.live_ttl_ms),
            "@PUBLISH_INLINE@": "1" if self.publish_inline else "0"}))
        # The end of every say.lua call: its last argument is this process.
        self._say_tail = bulk(node.encode())
        self._relay = runner.load(_LUA / "relay.lua")
        self._end = runner.load(_LUA / "end_session.lua")
        self._swap = runner.load(_LUA / "swap.lua")
        self._hset_live = runner.load(_LUA / "hset_live.lua")

    # -- lifecycle ---------------------------------------------------------------------------

    async def create(
        self, seeker_uid: str, seeker_alias: str, topic: str, lang: str | None, note: str,
        department: str = "",
    ) -> str:
        sid = new_id()
        key = self.keys.session(sid)
        await self._claim_open(seeker_uid, sid)
        # Two steps, each on one Cluster slot: the seeker's list first. A crash between them
        # leaves a listed session that does not exist, which their next welcome forgets
        # (``forget_for``); the other order would leave a session nobody lists.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self.keys.user_sessions(seeker_uid), sid)
            # The seeker's list of sessions lives as long as the seeker (issue 16, defect 8).
            pipe.pexpire(self.keys.user_sessions(seeker_uid), self.live_ttl_ms)
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            # say.lua's fields first, in its order: while the hash is small Redis keeps it as
            # a list, and HMGET walks that list from the front for each field.
            pipe.hset(
                key,
                mapping={"state": "queued", "seeker": seeker_uid, "helper": "", "counselor": "",
                         "max_sev": 0, "ttl_next": 0, "refs_ttl": 0, "monitors": "", "seq": 0,
                         "seeker_alias": seeker_alias, "topic": topic, "lang": lang or "",
                         "note": note, "created": _now_ms(), "department": department},
            )
            pipe.pexpire(key, self.live_ttl_ms)
            await pipe.execute()
        return sid

    async def _claim_open(self, seeker_uid: str, sid: str) -> None:
        """A seeker has one open session at a time, across all processes (``Conflict``)."""
        key = self.keys.open_request(seeker_uid)
        for _ in range(2):
            if await self.redis.set(key, sid, nx=True, px=self.live_ttl_ms):
                return
            current = await self.redis.get(key)
            if current is None:
                continue  # it ended just now: try again
            state = await self.redis.hget(self.keys.session(current.decode()), "state")
            if state not in (None, b"ended"):
                raise Conflict(f"you already have an open session ({current.decode()})")
            # A marker left by a session that is gone: take its place if it is still there.
            if await self.runner.run(self._swap, [key], [current, sid, self.live_ttl_ms]):
                return
        raise Conflict("you already have an open session")

    async def activate(self, sid: str, helper_uid: str, helper_alias: str) -> None:
        """The session has its helper. Steps on one slot each, in an order a crash between
        leaves repairable: the helper's list first (a listed session the helper is not in is
        forgotten at their next welcome), then the session, then where both are connected
        (before either is told of the match, so the first message finds its way)."""
        await self.redis.sadd(self.keys.user_sessions(helper_uid), sid)
        seeker = await self.redis.hget(self.keys.session(sid), "seeker")
        await self.redis.hset(
            self.keys.session(sid),
            mapping={"state": "active", "helper": helper_uid, "helper_alias": helper_alias,
                     "matched_at": _now_ms()},
        )
        await self.locate(sid, [helper_uid] + ([seeker.decode()] if seeker else []))

    async def locate(self, sid: str, uids: list[str]) -> None:
        """Copy where each of ``uids`` is connected (their ``loc:`` key, the truth) into the
        session's hash (``at.<uid>``), which is what say.lua and relay.lua read: the two are
        in different Cluster slots, so no script can read both.

        Why it cannot go stale for good: every writer writes the location it has just read,
        then reads it again, and writes again if it moved meanwhile. A person moves only by
        connecting somewhere else, and that connection's welcome locates them in all of their
        sessions after its ``loc:`` is set; so the last write to ``at.<uid>`` is always
        followed by a read that found the same node. A stale ``at.<uid>`` left by someone who
        disconnected costs one ``PUBLISH`` that nobody holds (the process drops it).
        """
        if not uids:
            return
        for _ in range(3):
            nodes = await self._locations(uids)
            for uid, node in zip(uids, nodes, strict=True):
                if node is not None:
                    await self.runner.run(self._hset_live, [self.keys.session(sid)],
                                          [f"at.{uid}", node])
            if await self._locations(uids) == nodes:
                return

    async def _locations(self, uids: list[str]) -> list[str | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in uids:
                pipe.get(self.keys.loc(uid))
            raw = await pipe.execute()
        return [r.decode() if r else None for r in raw]

    async def handed_on(self, sid: str, from_helper: str, note: str, to: str = "",
                        to_alias: str = "") -> None:
        """The helper handed the session on: to ``to`` (now its helper), or back to the queue
        (``to`` empty: waiting, and the next helper's ``matched`` says it was transferred)."""
        fields: dict[str, str | int] = {"transferred_from": from_helper, "handover_note": note}
        if to:
            fields.update(state="active", helper=to, helper_alias=to_alias,
                          matched_at=_now_ms(), transfer_pending=0)
        else:
            fields.update(state="queued", helper="", helper_alias="", transfer_pending=1)
        # One slot per step: the new helper's list, the session, the old helper's list, then
        # where the new helper is connected. A crash between leaves at worst a listed session
        # its lister is no longer in, which their next welcome forgets.
        if to:
            await self.redis.sadd(self.keys.user_sessions(to), sid)
        await self.redis.hset(self.keys.session(sid), mapping=cast(Any, fields))
        await self.redis.srem(self.keys.user_sessions(from_helper), sid)
        if to:
            await self.locate(sid, [to])

    async def requeued(self, sid: str) -> None:
        """The helper dropped: the session waits for a new one."""
        await self.redis.hset(
            self.keys.session(sid), mapping={"state": "queued", "helper": "", "helper_alias": ""}
        )

    async def end(self, sid: str, by: str, reason: str) -> Ended | None:
        """End the session; None if it had already ended (ending is idempotent)."""
        raw = await self.runner.run(
            self._end,
            [self.keys.session(sid), self.keys.stream(sid), self.keys.refs(sid),
             self.keys.staff_log(sid)],
            [by, reason, _now_ms(), self.retention_ms, self.escalated_retention_ms,
             max(1, self.unmatched_retention_ms)],
        )
        if not raw or int(raw[0]) == 0:
            if raw and len(raw) > 1:
                await self.release_matching(sid, _s(raw[1]))  # a step a crash left undone
            return None
        ended = Ended(_s(raw[1]), _s(raw[2]), _s(raw[3]), _s(raw[4]) == "1")
        # The matching side is another Cluster slot ({m}), so a step of its own, after the
        # session is marked ended: repeating it is harmless. A crash before it leaves the
        # session queued or holding a helper's place; pairing skips a session that has ended
        # and gives the place back (Matchmaking._announce), and so does this call repeated.
        await self.release_matching(sid, ended.helper)
        if ended.seeker:
            await self.runner.run(self._swap, [self.keys.open_request(ended.seeker)],
                                  [sid, "", 0])
        return ended

    async def release_matching(self, sid: str, helper: str) -> None:
        """Take an ended session out of the queue and out of its helper's places (all in the
        matching slot ``{m}``, one transaction; safe to repeat)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            if helper:
                pipe.srem(self.mk.helper_sessions(helper), sid)
            pipe.zrem(self.mk.queue, sid)
            pipe.delete(self.mk.entry(sid))
            await pipe.execute()

    # -- the hot path ------------------------------------------------------------------------

    def say_head(self, sid: str, uid: str, role: str, alias: str) -> bytes:
        """The part of a ``say.lua`` call that is the same for every message of one sender in
        one session: the script, the session's keys, who says it (``say_command`` packs the
        rest). A connection packs it once per session (``Talk.store_call``)."""
        keys = self.keys
        return self._say.head(3, 8) + b"".join(bulk(part.encode()) for part in (
            keys.session(sid), keys.stream(sid), keys.refs(sid), uid, role, alias))

    def say_command(
        self, head: bytes, uid: str, text: str, severity: int, risk: str,
        ref: str | None = None, resend: bool = False,
    ) -> bytes:
        """The ``say.lua`` call that stores a message and publishes it to the other
        participants' processes (one round trip), packed in RESP for
        ``ScriptRunner.submit_packed`` or ``run_packed``; ``stored`` reads its reply. ``head``
        is ``say_head`` for the sender and session.

        A frame marked ``resend`` whose sender already had the same ref and text stored is not
        stored again (the stored message is returned, ``duplicate``). Without the mark every
        ``say`` is a new message: the contract does not make refs unique.

        Packed here with one f-string rather than by hiredis, argument by argument: 0.9 µs a
        message instead of 4.1 (most of it is the same every time: ``head``, ``_say_tail``).
        RESP counts bytes: ``risk`` (JSON of numbers) is ASCII, ``severity`` one digit (0-3);
        text and ref may not be ASCII.
        """
        text_len = len(text) if text.isascii() else len(text.encode())
        if ref:
            key = f"!{uid}:{ref}" if resend else f"{uid}:{ref}"
            ref_key = f"${len(key) if key.isascii() else len(key.encode())}\r\n{key}\r\n"
        else:
            ref_key = "$0\r\n\r\n"
        return head + (
            f"${text_len}\r\n{text}\r\n$1\r\n{severity}\r\n"
            f"${len(risk)}\r\n{risk}\r\n{ref_key}"
        ).encode() + self._say_tail

    async def store(self, call: bytes) -> Stored:
        """Run a packed ``say_command`` (durable: its batch confirms what the durability
        setting promises) and read its reply (``stored``)."""
        return self.stored(await self.runner.run_packed(call, durable=True))

    @staticmethod
    def stored(reply: Any) -> Stored:
        """``say.lua``'s reply (``b"ok <id> <seq>"``, ``b"dup <id> <seq>"`` or
        ``b"err <code>"``); raises the refusal when the sender may not say this."""
        kind, rest = _answer(reply)
        message_id, seq, *nodes = rest.decode().split(" ")
        return Stored(message_id, int(seq), int(message_id.partition("-")[0]),
                      duplicate=kind == b"dup", nodes=tuple(nodes))

    async def relay(
        self, sid: str, payload: bytes, *, uid: str = "", role: str = "", extra_uid: str = ""
    ) -> None:
        """Publish an event to the processes holding the session's participants."""
        result = await self.runner.run(
            self._relay,
            [self.keys.session(sid)],
            [uid, role, self.node, self.keys.node_channel(""), payload, extra_uid,
             "1" if self.publish_inline else "0"],
        )
        kind, rest = _answer(result)
        if kind == b"nodes":  # a Redis Cluster: sharded, to each node's own shard only
            for node in rest.split():
                await self.redis.spublish(self.keys.node_channel(node.decode()), payload)

    # -- writes ----------------------------------------------------------------------------

    async def take_over(self, sid: str, counselor: str, helper: str) -> None:
        """A counselor takes the session over from its helper (who no longer holds a place)."""
        # Two slots, two steps: the session first (the helper is out of it), then the helper's
        # place in matching (a crash between leaves a place held, which repeating frees).
        await self.redis.hset(self.keys.session(sid), mapping={
            "helper": "", "former_helper": helper, "taken_over": counselor})
        if helper:
            await self.redis.srem(self.mk.helper_sessions(helper), sid)

    async def clear_counselor(self, sid: str) -> None:
        await self.redis.hset(self.keys.session(sid), mapping={"counselor": "",
                                                               "counselor_alias": ""})

    async def clear_alert(self, sid: str, aid: str) -> None:
        """Forget the session's alert, if it is still this one."""
        if await self.redis.hget(self.keys.session(sid), "alert") == aid.encode():
            await self.redis.hset(self.keys.session(sid), "alert", "")

    async def record_feedback(self, sid: str, record: str) -> None:
        """Keep a seeker's rating apart from the session, with no id: statistics, not a record
        of who; the session only remembers that it was given."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self.keys.feedback, record)
            pipe.ltrim(self.keys.feedback, -FEEDBACK_MAXLEN, -1)
            await pipe.execute()
        # Another slot: marked given after the rating is kept (a crash between loses only the
        # mark, so the seeker may rate once more).
        await self.redis.hset(self.keys.session(sid), "feedback", 1)

    # -- reading -----------------------------------------------------------------------------

    async def get(self, sid: str) -> Session | None:
        return Session.from_hash(sid, await self.redis.hgetall(self.keys.session(sid)))

    async def get_many(self, sids: list[str]) -> list[Session | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hgetall(self.keys.session(sid))
            raw = await pipe.execute()
        return [Session.from_hash(sid, r) for sid, r in zip(sids, raw, strict=True)]

    async def messages_since(self, sid: str, since_ms: int) -> list[dict[str, Any]]:
        """The transcript's ``message`` frames (staff copies) stored at or after ``since_ms``."""
        entries = await self.redis.xrange(self.keys.stream(sid), min=f"{max(0, since_ms)}-0",
                                          max="+")
        return [message_frame(sid, entry_id.decode(), cast(dict[Any, Any], fields), True)
                for entry_id, fields in entries]

    async def confirm_read(self, sid: str) -> None:
        """With durability ``replica``, wait until a replica holds everything read so far of
        the session (``NotDurable`` if none does in time): a message whose sender has not been
        acked yet (its ``WAIT`` still running) must not be replayed before a replica has it
        either. ``WAIT`` covers the writes of its own connection, so a write on the session's
        slot goes first on the same connection (the hot path's, which ends the batch with the
        ``WAIT``; on a Cluster, on the session's master): ``read_mark``, empty, for 1 s."""
        if self.durability.mode != "replica":
            return
        reply = await self.runner.run_packed(
            pack(["SET", self.keys.read_mark(sid), "", "PX", READ_MARK_MS]), durable=True)
        if isinstance(reply, NotDurable):
            raise reply

    async def sessions_of(self, uid: str) -> list[str]:
        return sorted(s.decode() for s in await self.redis.smembers(self.keys.user_sessions(uid)))

    async def forget_for(self, uid: str, sid: str) -> None:
        """The user has been told the session ended: stop listing it in their welcome."""
        await self.redis.srem(self.keys.user_sessions(uid), sid)

    async def add_member_session(self, uid: str, sid: str) -> None:
        await self.redis.sadd(self.keys.user_sessions(uid), sid)

    async def set_fields(self, sid: str, **fields: str | int) -> None:
        await self.redis.hset(self.keys.session(sid), mapping=cast(Any, fields))

    async def messages(
        self, sid: str, after: str | None = None, for_staff: bool = False,
        count: int | None = None,
    ) -> list[dict[str, Any]]:
        """The transcript as ``message`` frames, all of it or after a message id; at most
        ``count`` of them when given (a page of a resume's replay).

        Staff copies carry each flagged message's ``severity`` (never shown to the seeker).
        """
        start = f"({after}" if after and STREAM_ID_RE.match(after) else "-"
        entries = await self.redis.xrange(self.keys.stream(sid), min=start, max="+", count=count)
        if entries:
            await self.confirm_read(sid)
        return [message_frame(sid, entry_id.decode(), cast(dict[Any, Any], fields), for_staff)
                for entry_id, fields in entries]


def message_frame(
    sid: str, entry_id: str, fields: dict[Any, Any], for_staff: bool = False
) -> dict[str, Any]:
    frame = frames.message(sid, entry_id, fields[b"from"].decode(), fields[b"alias"].decode(),
                           fields[b"text"].decode(), int(entry_id.split("-", 1)[0]),
                           int(fields[b"seq"]))
    if for_staff and int(fields.get(b"sev") or 0) > 0:
        frame["severity"] = int(fields[b"sev"])
    return frame


def _answer(reply: bytes) -> tuple[bytes, bytes]:
    """A message-path script's reply (``say.lua``, ``relay.lua``: ``b"<kind> <rest>"``) as
    ``(kind, rest)``; raises the refusal for ``b"err <code>"``."""
    kind, _, rest = reply.partition(b" ")
    if kind == b"err":
        raise _refusal(rest)
    return kind, rest


def _refusal(code: bytes) -> PeerlineError:
    if code == b"session_ended":
        return SessionEnded("this session has ended")
    return NotInSession("you are not in this session")


def _now_ms() -> int:
    return int(time.time() * 1000)
