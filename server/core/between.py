"""What the "between chats" features share: topics, languages, the k-anonymity floor, weeks.

The library, stories, the mood diary and self-checks each have their own module; the few rules
they all follow are written once here.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Literal

from .ids import digest

Topic = Literal["academic", "relationships", "family", "mood", "other"]
Lang = Literal["zh", "en"]
TOPICS: tuple[str, ...] = ("academic", "relationships", "family", "mood", "other")
LANGS: tuple[str, ...] = ("zh", "en")

K_FLOOR = 5
"""Aggregate counts from 1 to K_FLOOR - 1 are hidden (``None``): a small cell can point at a
person. Zero stays zero: it says nobody, which identifies no one."""

SECRET_MIN_CHARS = 22
"""A diary key or receipt code has at least 128 random bits: 22 URL-safe base64 characters."""
SECRET_MAX_CHARS = 128
_SECRET_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def floor(count: int) -> int | None:
    """A count as it may be shown in statistics: 1 to 4 become ``None``."""
    return None if 0 < count < K_FLOOR else count


def iso_week(ts_s: float) -> str:
    """``2026-W49``: the ISO week (UTC) a moment falls in, the unit of weekly statistics."""
    year, week, _ = dt.datetime.fromtimestamp(ts_s, dt.UTC).isocalendar()
    return f"{year}-W{week:02d}"


def well_formed_secret(value: str | None) -> bool:
    """Whether ``value`` looks like a secret a browser made: 22-128 URL-safe characters.

    The shape is checked before anything is looked up, so a malformed key is a 400, not a miss.
    """
    return (value is not None and SECRET_MIN_CHARS <= len(value) <= SECRET_MAX_CHARS
            and set(value) <= _SECRET_ALPHABET)


def secret_digest(value: str) -> str:
    """The digest under which a secret's data is stored: the secret itself never is."""
    return digest(value)


def same_secret(given: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    return hmac.compare_digest(digest(given), stored_digest)
