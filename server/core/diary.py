"""The private mood diary: a valid entry, the day it belongs to, and how the trend is read.

A diary belongs to a secret diary key the browser made; the server keeps entries under the
key's digest only, one per day, and never links them to a chat.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import BadInput
from .library import describe

TAGS: tuple[str, ...] = ("sleep", "study", "family", "friends", "health", "money", "love",
                         "future", "exercise", "alone")
DiaryTag = Literal["sleep", "study", "family", "friends", "health", "money", "love", "future",
                   "exercise", "alone"]
MAX_NOTE_CHARS = 500
DAY_FORMAT = "%Y-%m-%d"
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    mood: int = Field(ge=1, le=5, strict=True)
    tags: list[DiaryTag] = Field(default_factory=list, max_length=len(TAGS))
    note: str = Field("", max_length=MAX_NOTE_CHARS)
    day: Day | None = None
    """The browser's own date (its time zone); the server's UTC date when absent."""


def parse_entry(raw: Any) -> EntryIn:
    if not isinstance(raw, dict):
        raise BadInput("send a JSON object")
    try:
        entry = EntryIn.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(describe(exc)) from None
    return entry


def entry_day(given: str | None, now_s: float) -> str:
    """The day an entry is for: the browser's date, which must be within a day of UTC today
    (time zones), or UTC today. A diary is for today, not for rewriting the past."""
    today = dt.datetime.fromtimestamp(now_s, dt.UTC).date()
    if given is None:
        return today.strftime(DAY_FORMAT)
    try:
        day = dt.datetime.strptime(given, DAY_FORMAT).date()
    except ValueError:
        raise BadInput("day: not a date (YYYY-MM-DD)") from None
    if abs((day - today).days) > 1:
        raise BadInput("day: must be today")
    return day.strftime(DAY_FORMAT)


def days_back(now_s: float, count: int) -> list[str]:
    """The ``count`` days up to tomorrow (UTC), newest first: where a diary's entries can be."""
    tomorrow = dt.datetime.fromtimestamp(now_s, dt.UTC).date() + dt.timedelta(days=1)
    return [(tomorrow - dt.timedelta(days=i)).strftime(DAY_FORMAT) for i in range(count)]


def day_start_s(day: str) -> float:
    return dt.datetime.strptime(day, DAY_FORMAT).replace(tzinfo=dt.UTC).timestamp()


def falling(moods: list[int]) -> bool:
    """A gently-worded "falling" trend: the last three entries average at least one point below
    the three before them, or the last three are all 1-2. ``moods`` is oldest first."""
    if len(moods) >= 3 and all(m <= 2 for m in moods[-3:]):
        return True
    if len(moods) < 6:
        return False
    recent, before = moods[-3:], moods[-6:-3]
    return sum(before) / 3 - sum(recent) / 3 >= 1.0
