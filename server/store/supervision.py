"""Supervision in Redis: who watches a session, and its staff-only log.

- Supervisors watching a session are kept in its hash (``monitor.lua``), where ``say.lua`` and
  ``relay.lua`` read them to reach their processes. They are not members: nothing a seeker is
  sent (``welcome``, peers, replays) is built from them.
- Whispers, notes and handover notes go to ``s:{sid}:staff``, a stream of its own: the seeker's
  paths only ever read the transcript stream, so a whisper cannot reach a seeker by mistake.
  The staff log lives as long as the transcript: each write keeps it at least the live TTL, and
  ``end_session.lua`` gives it the session's retention.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import redis.asyncio as aioredis

from ..core import frames
from ..core.errors import NotInSession, SessionEnded
from .keys import Keys
from .scripts import ScriptRunner

_LUA = Path(__file__).with_name("lua")
STAFF_LOG_MAXLEN = 10_000
"""Entries kept per session (a bound, never reached by a real conversation)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the staff log, as stored."""

    id: str
    ts: int


class SupervisionStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, runner: ScriptRunner,
                 live_ttl_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.runner = runner
        self.live_ttl_ms = live_ttl_s * 1000
        self._monitor = runner.load(_LUA / "monitor.lua")

    # -- who watches ------------------------------------------------------------------------

    async def add_monitor(self, sid: str, uid: str, alias: str) -> bool:
        """Start watching; True if this supervisor was not watching already."""
        return await self._change("add", sid, uid, alias) == b"new"

    async def remove_monitor(self, sid: str, uid: str) -> bool:
        """Stop watching; True if they were."""
        return await self._change("remove", sid, uid, "") == b"removed"

    async def _change(self, op: str, sid: str, uid: str, alias: str) -> bytes:
        reply = await self.runner.run(self._monitor, [self.keys.session(sid)], [op, uid, alias])
        kind, _, rest = cast(bytes, reply).partition(b" ")
        if kind == b"err":
            if rest == b"session_ended":
                raise SessionEnded("this session has ended")
            raise NotInSession("no such session")
        return rest

    # -- the staff log ----------------------------------------------------------------------

    async def append(self, sid: str, kind: str, role: str, alias: str, text: str) -> Entry:
        """Keep a whisper, note or handover note with the session (never in its transcript)."""
        key = self.keys.staff_log(sid)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {"kind": kind, "from": role, "alias": alias, "text": text},
                      maxlen=STAFF_LOG_MAXLEN, approximate=True)
            pipe.pttl(self.keys.session(sid))
            entry_id, session_ttl = await pipe.execute()
        # As long as the session's hash, and at least the live TTL (a session is kept alive by
        # its messages; end_session.lua sets the retention when it ends).
        await self.redis.pexpire(key, max(int(session_ttl), self.live_ttl_ms))
        entry = entry_id.decode()
        return Entry(entry, int(entry.partition("-")[0]))

    async def log(self, sid: str, kinds: tuple[str, ...] = ("whisper", "note", "handover")
                  ) -> list[dict[str, Any]]:
        """The staff log as frames (``whisper``, ``note``, ``handover``), oldest first."""
        out = []
        for entry_id, fields in await self.redis.xrange(self.keys.staff_log(sid)):
            f = {k.decode(): v.decode() for k, v in cast(dict[bytes, bytes], fields).items()}
            if f.get("kind") in kinds:
                eid = entry_id.decode()
                out.append(frames.staff_entry(f["kind"], sid, eid, f.get("from", ""),
                                              f.get("alias", ""), f.get("text", ""),
                                              int(eid.partition("-")[0])))
        return out


def now_ms() -> int:
    return int(time.time() * 1000)
