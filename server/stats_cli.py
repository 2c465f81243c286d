"""``peerline stats export``: the anonymous statistics as CSV or JSON, floored like the API.

    peerline stats export --from 2026-09-01 --to 2026-12-31 --format csv [--by day]

Both dates are whole days in the deployment's time zone (``PEERLINE_TIMEZONE``), ``--to``
included. Every count from 1 to 4 is empty in CSV and ``null`` in JSON (the k-anonymity
floor), exactly as ``GET /api/stats`` shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from .core.errors import BadInput, PeerlineError
from .core.stats import BY_VALUES, CSV_COLUMNS, csv_row
from .service.events import Events
from .service.statistics import DAY_MS, Statistics
from .settings import Settings
from .store.staff import StaffStore
from .store.stats import StatsStore

Action = Callable[[StaffStore, argparse.Namespace], Awaitable[int]]


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None],
               run_store: Callable[[argparse.Namespace, Action], int]) -> None:
    stats = sub.add_parser("stats", help="anonymous statistics").add_subparsers()
    export = stats.add_parser("export", help="counts per hour of day, weekday, day, week, "
                                             "topic or department (floored: 1-4 are hidden)")
    common(export)
    export.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
    export.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD (included)")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--by", choices=BY_VALUES, default="day")
    export.set_defaults(func=lambda a: run_store(a, _export))


async def _export(store: StaffStore, args: argparse.Namespace) -> int:
    settings = Settings()
    statistics = Statistics(store=StatsStore(store.redis, store.keys, settings.stats_retention_s),
                            events=Events(), timezone=settings.timezone,
                            sample_s=settings.stats_sample_s, stopping=asyncio.Event())
    try:
        last = dt.date.fromisoformat(args.date_to)
    except ValueError:
        raise PeerlineError(f"--to {args.date_to!r}: a date is YYYY-MM-DD") from None
    try:
        report = await statistics.report(
            statistics.day_start_ms(args.date_from),
            statistics.day_start_ms((last + dt.timedelta(days=1)).isoformat()),
            args.by, settings.stats_retention_s * 1000 + DAY_MS)
    except BadInput as exc:
        raise PeerlineError(exc.detail) from None
    if args.format == "json":
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in report["buckets"]:
        writer.writerow(csv_row(item))
    return 0
