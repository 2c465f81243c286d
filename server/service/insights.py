"""Anonymous statistics of the between-chats features, with the k-anonymity floor applied.

Weekly counts (library opens, mood distribution, self-check bands, stories read and sent)
come from ``Tallies``; every count from 1 to 4 is shown as ``None``. Self-check bands reach
the server only when the student opts in, as a check name and a band: never a score or answer.
"""

from __future__ import annotations

import time
from typing import Any

from ..core.between import floor, iso_week
from ..core.errors import BadInput, RateLimited
from ..core.selfcheck import BANDS, BandReport, valid_band
from ..core.stories import parse
from ..store.tallies import Tallies
from ..store.windows import Windows

MAX_WEEKS = 104
CHECKS_PER_MIN = 600


class Insights:
    def __init__(self, *, tallies: Tallies, windows: Windows) -> None:
        self.tallies = tallies
        self.windows = windows

    async def record_band(self, raw: Any) -> None:
        report: BandReport = parse(BandReport, raw)
        if not valid_band(report.check, report.band):
            raise BadInput(f"band: {report.band} is not a {report.check} band")
        if not await self.windows.hit("check", CHECKS_PER_MIN):
            raise RateLimited("too many reports right now; try again in a minute")
        await self.tallies.add(iso_week(time.time()), f"check:{report.check}:{report.band}")

    async def weekly(self, weeks: int, titles: dict[str, str],
                     opens_total: dict[str, int]) -> dict[str, Any]:
        """The last ``weeks`` ISO weeks (newest first) and each library item's opens."""
        if not 1 <= weeks <= MAX_WEEKS:
            raise BadInput(f"weeks: 1 to {MAX_WEEKS}")
        now = time.time()
        names = list(dict.fromkeys(iso_week(now - 7 * 86400 * i) for i in range(weeks)))
        rows = await self.tallies.weeks(names)
        out = []
        for week in names:
            row = rows[week]
            opens = sum(v for k, v in row.items() if k.startswith("open:"))
            out.append({
                "week": week,
                "moods": {str(m): floor(max(0, row.get(f"mood:{m}", 0))) for m in range(1, 6)},
                "checks": {check: {band: floor(row.get(f"check:{check}:{band}", 0))
                                   for band in bands} for check, bands in BANDS.items()},
                "library_opens": floor(opens),
                "stories_read": floor(row.get("story:read", 0)),
                "stories_submitted": floor(row.get("story:submitted", 0)),
            })
        # Ordered by the floored figure only: an order by the hidden counts would leak them.
        library = [{"id": item_id, "title": title, "opens": floor(opens_total.get(item_id, 0))}
                   for item_id, title in sorted(titles.items(), key=lambda kv: kv[1])]
        library.sort(key=lambda row: -int(row["opens"] or 0))
        return {"weeks": out, "library": library}
