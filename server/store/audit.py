"""Reading the audit stream for the operator: escalation steps and admin changes, filtered.

The stream (``audit``, capped at ``AUDIT_MAXLEN`` entries) is written by ``AlertStore.audit``
and the alert scripts; it holds ids, times, levels and departments, never message text. Its
entry ids are Redis stream ids, whose first part is the time in ms: a time range is an id
range, read newest first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis

from .keys import AUDIT_MAXLEN, Keys
from .records import decode_map

PAGE = 500
"""Entries read per round trip while filtering."""
SCAN_LIMIT = 20_000
"""At most this many entries are read for one query (a filter that matches little stops here
rather than walking the whole stream on every click)."""
_COMMON = ("event", "alert", "ts", "by", "level", "department")


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """What an operator asks of the audit trail (every field optional)."""

    from_ms: int | None = None
    to_ms: int | None = None
    kind: str | None = None
    department: str | None = None
    level: str | None = None
    alert: str | None = None
    limit: int = 100


class AuditLog:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def write(self, event: str, **fields: Any) -> None:
        """One entry (as ``AlertStore.audit`` writes an alert's steps): flat fields, no text."""
        entry: dict[str, Any] = {"event": event, "alert": "", "ts": int(time.time() * 1000)}
        entry.update({k: v for k, v in fields.items() if v is not None})
        await self.redis.xadd(self.keys.audit, cast(Any, entry), maxlen=AUDIT_MAXLEN,
                              approximate=True)

    async def query(self, q: AuditQuery) -> list[dict[str, Any]]:
        """Matching entries, newest first, as ``{"ts","kind","actor","alert"?,"level"?,
        "department"?,"detail"}``. Steps written without a department (a claim, a resolve) are
        given their alert's department, so a department's filter shows each step."""
        high = f"{q.to_ms}" if q.to_ms is not None else "+"
        low = f"{q.from_ms}" if q.from_ms is not None else "-"
        found: list[dict[str, Any]] = []
        departments: dict[str, str] = {}
        scanned = 0
        while len(found) < q.limit and scanned < SCAN_LIMIT:
            page = await self.redis.xrevrange(self.keys.audit, high, low, count=PAGE)
            if not page:
                break
            for _, raw in page:
                scanned += 1
                item = await self._item(decode_map(cast(dict[Any, Any], raw)), departments)
                if _matches(item, q):
                    found.append(item)
                    if len(found) >= q.limit:
                        break
            last = page[-1][0].decode()
            if len(page) < PAGE:
                break
            high = "(" + last
        return found

    async def _item(self, entry: dict[str, str],
                    departments: dict[str, str]) -> dict[str, Any]:
        aid = entry.get("alert", "")
        department = entry.get("department", "")
        if aid and not department:
            if aid not in departments:
                value = await self.redis.hget(self.keys.alert(aid), "department")
                departments[aid] = value.decode() if value else ""
            department = departments[aid]
        item: dict[str, Any] = {"ts": int(entry.get("ts", "0") or 0),
                                "kind": entry.get("event", ""),
                                "actor": entry.get("by") or None,
                                "detail": {k: v for k, v in entry.items() if k not in _COMMON}}
        if aid:
            item["alert"] = aid
        if entry.get("level"):
            item["level"] = entry["level"]
        if department:
            item["department"] = department
        return item


def _matches(item: dict[str, Any], q: AuditQuery) -> bool:
    return ((q.kind is None or item["kind"] == q.kind)
            and (q.department is None or item.get("department") == q.department)
            and (q.level is None or item.get("level") == q.level)
            and (q.alert is None or item.get("alert") == q.alert))
