"""The private mood diary: a daily mood, a few tags, an optional note, under a secret key.

The server never sees who writes: entries live under the digest of a key the browser made,
and nothing links them to a chat. Notes pass the moderation filter (personal data masked); a
crisis in a note is answered at once with crisis resources, and nobody is paged: a private
diary pages no one unless the student asks for a chat.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from moderation import Moderator

from ..core import diary as rules
from ..core.between import iso_week, secret_digest, well_formed_secret
from ..core.errors import BadInput, RateLimited
from ..store.diary import DiaryStore
from ..store.tallies import Tallies
from ..store.windows import Windows

CRISIS = 3
DELETE_SPAN_DAYS = 400
""""Delete my diary" clears this many days back, beyond any retention a deployment had."""


@dataclass(frozen=True)
class DiaryLimits:
    writes_per_hour: int = 30
    """Per diary: a person fills in their day a few times at most."""
    writes_per_min: int = 600
    """For everyone together: a script making new keys is bounded as a whole."""


@dataclass(frozen=True)
class Written:
    entry: dict[str, Any]
    resources: list[dict[str, Any]] | None
    falling: bool


class Diary:
    def __init__(self, *, store: DiaryStore, windows: Windows, tallies: Tallies,
                 moderator: Moderator, crisis_resources: list[dict[str, Any]],
                 retention_s: int, limits: DiaryLimits) -> None:
        self.store = store
        self.windows = windows
        self.tallies = tallies
        self.moderator = moderator
        self.crisis_resources = crisis_resources
        self.retention_days = math.ceil(retention_s / 86400)
        self.limits = limits

    async def add(self, key: str | None, raw: Any) -> Written:
        digest = _digest(key)
        entry_in = rules.parse_entry(raw)
        now = time.time()
        day = rules.entry_day(entry_in.day, now)
        if not await self.windows.hit_key(
                self.store.keys.diary_window(digest, int(now // 3600)),
                self.limits.writes_per_hour, 7200):
            raise RateLimited("too many diary writes this hour")
        if not await self.windows.hit("diary", self.limits.writes_per_min):
            raise RateLimited("the diary is busy; try again in a minute")
        severity = 0
        note = entry_in.note
        if note:
            severity = self.moderator.scan(note).severity
            note = self.moderator.mask(note)
        entry = {"mood": entry_in.mood, "tags": sorted(set(entry_in.tags)), "note": note,
                 "ts": int(now * 1000)}
        old = await self.store.put(digest, day, entry)
        week = iso_week(rules.day_start_s(day))
        # Weekly mood counts for statistics: one per diary and day (a rewrite moves it).
        if old is not None:
            await self.tallies.add(week, f"mood:{old['mood']}", -1)
        await self.tallies.add(week, f"mood:{entry_in.mood}")
        entries = await self.list(key)
        moods = [e["mood"] for e in reversed(entries)]
        return Written({"day": day, **entry},
                       self.crisis_resources if severity >= CRISIS else None,
                       rules.falling(moods))

    async def list(self, key: str | None) -> list[dict[str, Any]]:
        """Entries still kept, newest first."""
        digest = _digest(key)
        return await self.store.days(digest, rules.days_back(time.time(),
                                                             self.retention_days + 2))

    async def delete(self, key: str | None) -> None:
        digest = _digest(key)
        span = max(DELETE_SPAN_DAYS, self.retention_days + 2)
        await self.store.delete(digest, rules.days_back(time.time(), span))


def _digest(key: str | None) -> str:
    if not well_formed_secret(key):
        raise BadInput("X-Diary-Key: missing or malformed (22-128 URL-safe characters)")
    return secret_digest(key or "")
