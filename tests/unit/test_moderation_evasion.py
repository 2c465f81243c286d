"""Evasion (issue 15): pinyin, abbreviations and homophones, emoji for means, spacing, symbols,
full-width and traditional characters. Each evaded spelling must score like the plain one."""

from __future__ import annotations

import pytest

from moderation import Moderator


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator()


@pytest.mark.parametrize(
    "text",
    [
        # pinyin
        "wo bu xiang huo le",
        "wo xiang zisha",
        "wo xiang si",
        # abbreviations and homophones
        "我想自s",
        "我想自sha",
        "好想紫砂",
        "i want to unalive myself",
        "thinking about sewer slide every day",
        # spacing and symbols
        "i want to k i l l myself",
        "i want to k!ll mys3lf",
        "我 想 死",
        "我想自.杀",
        # full-width, traditional
        "ｉ ｗａｎｔ ｔｏ ｄｉｅ",
        "我想自殺",
        "我不想活了，遺書寫好了",
        # emoji for means, with a goodbye or a time
        "💊💊💊 took them all, bye",
        "🪢 is ready, tonight is the night",
        "🔪 tonight",
    ],
)
def test_evaded_crisis_pages(mod: Moderator, text: str) -> None:
    v = mod.scan(text)
    assert v.severity == 3, (v.categories, v.matches)


@pytest.mark.parametrize(
    "text", ["zisha", "zi sha", "自s", "紫砂", "kms", "unalive", "sewer slide", "s u i c i d e",
             "su1c1de", "自 杀"],
)
def test_evaded_suicide_words_reach_the_watch_list(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity >= 2


@pytest.mark.parametrize("emoji", ["💊", "🔪", "🪢"])
def test_means_emoji_are_seen_but_alone_do_not_page(mod: Moderator, emoji: str) -> None:
    v = mod.scan(f"{emoji}")
    assert "self_harm_means" in v.categories
    assert v.severity < 3


def test_zs_alone_is_only_a_note(mod: Moderator) -> None:
    # "zs" is also initials, a game name, a typo: a note for the helper, not a page
    assert mod.scan("zs").severity == 1


def test_evaded_matches_point_at_the_original_text(mod: Moderator) -> None:
    text = "I want to K I L L myself"
    v = mod.scan(text)
    lexical = [m for m in v.matches if m.category == "self_harm_intent"]
    assert lexical
    for m in lexical:
        assert text[m.start : m.end] == m.term
    assert "K I L L" in " ".join(m.term for m in lexical)
