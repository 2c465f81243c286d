"""The resource library: what students find on /library and while they wait, curated by staff.

Students see published items only; staff see everything. Each open of an item is counted,
anonymously, for the statistics. The default set (``library_defaults.json``, written by the
team) is installed once, the first time a deployment starts with an empty library.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..core import library as rules
from ..core.between import iso_week
from ..core.errors import BadInput, NotFound
from ..core.ids import new_id
from ..store.library import LibraryStore
from ..store.tallies import Tallies

DEFAULTS_FILE = Path(__file__).with_name("library_defaults.json")
MAX_IMPORT = 1000


class Library:
    def __init__(self, *, store: LibraryStore, tallies: Tallies) -> None:
        self.store = store
        self.tallies = tallies

    async def install_defaults(self, path: Path = DEFAULTS_FILE) -> int:
        """Install the shipped items once per deployment; the number installed."""
        if not await self.store.claim_seeding():
            return 0
        data = json.loads(path.read_text(encoding="utf-8"))
        items = [self._complete(raw, creating=True, keep_id=True) for raw in data["items"]]
        await self.store.put_many(items)
        return len(items)

    async def search(self, q: str | None, topic: str | None, lang: str | None, *,
                     staff: bool) -> list[dict[str, Any]]:
        """Items matching the query, in the curated order; unpublished ones only for staff."""
        words = rules.search_words(q)
        now = time.time()
        found = [i for i in await self.store.all()
                 if (staff or i.get("published")) and rules.matches(i, words, topic, lang)]
        found.sort(key=lambda i: (i.get("order", 0), -(i.get("published_at") or 0), i["id"]))
        return [rules.listing(i, now) for i in found]

    async def open(self, item_id: str, *, staff: bool) -> dict[str, Any]:
        """One item in full. A student's open is counted (no id, no time finer than a week)."""
        item = await self.store.get(item_id)
        if item is None or not (staff or item.get("published")):
            raise NotFound("no such library item")
        if not staff:
            await self.store.count_open(item_id)
            await self.tallies.add(iso_week(time.time()), f"open:{item_id}")
        return item

    async def create(self, raw: Any) -> dict[str, Any]:
        item = self._complete(raw, creating=True, keep_id=False)
        await self.store.put(item)
        return item

    async def update(self, item_id: str, raw: Any) -> dict[str, Any]:
        old = await self.store.get(item_id)
        if old is None:
            raise NotFound("no such library item")
        given = rules.parse_fields(raw, creating=False)
        merged = {**old, **{k: v for k, v in given.items()}}
        for name in ("kind", "lang", "title"):
            if merged.get(name) is None:
                raise BadInput(f"{name}: may not be removed")
        rules.check_complete(merged)
        now_ms = int(time.time() * 1000)
        merged["updated_at"] = now_ms
        if merged.get("published") and not old.get("published"):
            merged["published_at"] = now_ms
        item = rules.shape(merged)
        await self.store.put(item)
        return item

    async def delete(self, item_id: str) -> None:
        if not await self.store.delete(item_id):
            raise NotFound("no such library item")

    async def export(self) -> list[dict[str, Any]]:
        items = await self.store.all()
        items.sort(key=lambda i: (i.get("order", 0), i["id"]))
        return items

    async def import_items(self, raw: Any) -> int:
        """Add or replace items from an export (matched by id); all or nothing."""
        if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
            raise BadInput('send {"items": [...]} as exported')
        if len(raw["items"]) > MAX_IMPORT:
            raise BadInput(f"items: at most {MAX_IMPORT} at once")
        items = []
        for n, one in enumerate(raw["items"]):
            try:
                items.append(self._complete(one, creating=True, keep_id=True))
            except BadInput as exc:
                raise BadInput(f"items[{n}].{exc.detail}") from None
        await self.store.put_many(items)
        return len(items)

    async def opens(self) -> dict[str, int]:
        return await self.store.opens()

    def _complete(self, raw: Any, *, creating: bool, keep_id: bool) -> dict[str, Any]:
        given = rules.parse_fields(raw, creating=creating)
        item_id = raw.get("id") if keep_id and isinstance(raw, dict) else None
        if keep_id and not (isinstance(item_id, str) and 1 <= len(item_id) <= 64
                            and item_id.replace("-", "").replace("_", "").isalnum()):
            raise BadInput("id: 1-64 letters, digits, '-' or '_'")
        now_ms = int(time.time() * 1000)
        item = {**given, "id": item_id or new_id(), "created_at": now_ms, "updated_at": now_ms,
                "published_at": now_ms if given.get("published") else None}
        if keep_id:  # an import keeps the item's history as exported
            for name in ("created_at", "updated_at", "published_at"):
                if isinstance(raw.get(name), int):
                    item[name] = raw[name]
        rules.check_complete(item)
        return rules.shape(item)
