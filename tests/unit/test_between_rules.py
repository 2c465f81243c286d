"""The pure rules of the between-chats features (server/core: between, diary, selfcheck)."""

from __future__ import annotations

import pytest

from server.core.between import floor, iso_week, same_secret, secret_digest, well_formed_secret
from server.core.diary import days_back, entry_day, falling
from server.core.errors import BadInput
from server.core.library import matches, search_words
from server.core.selfcheck import band_of

DAY = 1_795_900_000.0  # 2026-11-28 21:06 UTC, a Saturday


def test_floor_hides_small_cells_only() -> None:
    assert [floor(n) for n in (0, 1, 4, 5, 120)] == [0, None, None, 5, 120]


def test_iso_week() -> None:
    assert iso_week(DAY) == "2026-W48"


def test_secret_shape_and_constant_time_check() -> None:
    good = "A" * 22
    assert well_formed_secret(good) and well_formed_secret("a-_9" * 8)
    assert not well_formed_secret("A" * 21)
    assert not well_formed_secret("A" * 21 + "!")
    assert not well_formed_secret(None)
    assert same_secret(good, secret_digest(good)) and not same_secret("B" * 22,
                                                                     secret_digest(good))


@pytest.mark.parametrize(("check", "score", "band"), [
    ("phq9", 0, "minimal"), ("phq9", 4, "minimal"), ("phq9", 5, "mild"), ("phq9", 14, "moderate"),
    ("phq9", 15, "moderately_severe"), ("phq9", 27, "severe"), ("gad7", 9, "mild"),
    ("gad7", 10, "moderate"), ("gad7", 21, "severe"),
])
def test_bands(check: str, score: int, band: str) -> None:
    assert band_of(check, score) == band


def test_band_out_of_range() -> None:
    with pytest.raises(ValueError):
        band_of("gad7", 22)


def test_falling() -> None:
    assert not falling([1])
    assert falling([2, 1, 2])
    assert falling([5, 5, 4, 3, 3, 3])
    assert not falling([4, 4, 4, 4, 3, 4])


def test_entry_day_is_today_within_a_time_zone() -> None:
    assert entry_day(None, DAY) == "2026-11-28"
    assert entry_day("2026-11-29", DAY) == "2026-11-29"
    with pytest.raises(BadInput):
        entry_day("2026-11-20", DAY)
    assert days_back(DAY, 3) == ["2026-11-29", "2026-11-28", "2026-11-27"]


def test_search_matches_every_word() -> None:
    item = {"title": "Sleep well", "summary": "", "body": "Lying awake", "topics": ["mood"],
            "lang": "en", "tags": ["night"]}
    assert matches(item, search_words("SLEEP night"), "mood", "en")
    assert not matches(item, search_words("sleep exams"), None, None)
    assert not matches(item, [], "family", None)
    assert not matches(item, [], None, "zh")
