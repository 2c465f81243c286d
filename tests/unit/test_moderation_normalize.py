"""Evasion forms: each one must still be found, and spans must point into the original text."""

from __future__ import annotations

import pytest

from moderation import Moderator
from moderation.normalize import normalize


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＳＵＩＣＩＤＥ", "suicide"),  # full-width -> half-width (NFKC) and case
        ("自殺", "自杀"),  # traditional -> simplified
        ("自.杀", "自杀"),  # inserted symbol between Chinese characters
        ("自 杀", "自杀"),  # inserted space
        ("自\u200b杀", "自杀"),  # zero-width space
        ("s u i c i d e", "suicide"),  # spaced letters
        ("k.i.l.l", "kill"),  # dotted letters
        ("k*ll", "kll"),  # symbol inside a word is dropped
        ("su1c1de", "suicide"),  # leetspeak digits
        ("$uicide", "suicide"),  # leetspeak symbol
        ("kіll", "kill"),  # Cyrillic і homoglyph
        ("𝐬𝐮𝐢𝐜𝐢𝐝𝐞", "suicide"),  # mathematical bold letters
        ("diiiie", "die"),  # repeated letters
        ("don’t", "dont"),  # curly apostrophe inside a word
    ],
)
def test_normalize_forms(text: str, expected: str) -> None:
    assert normalize(text).text == expected


def test_numbers_that_are_not_leet_stay() -> None:
    assert normalize("3am tonight").text == "3am tonight"
    assert normalize("I have 20 pills").text == "i have 20 pills"


def test_clause_punctuation_between_chinese_is_kept() -> None:
    # deleting "，" would join 不想 and 活 across a clause boundary
    assert "," in normalize("我不想，活着挺好").text


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("我想自.杀", "自.杀"),
        ("我想自殺", "自殺"),
        ("i want to k1ll mys3lf", "k1ll mys3lf"),
        ("I want to k i l l  m y s e l f", "k i l l  m y s e l f"),
        ("i w a n t  t o  d i e", "w a n t  t o  d i e"),
        ("I WANT TO DIEEEE", "WANT TO DIEEEE"),
        ("wanna dіe", "wanna dіe"),
        ("想\u200b死", "想\u200b死"),
        ("ＫＩＬＬ ＭＹＳＥＬＦ", "ＫＩＬＬ ＭＹＳＥＬＦ"),
        ("#killmyself", "killmyself"),
        ("我想紫砂", "想紫砂"),
    ],
)
def test_evasions_are_caught_with_original_spans(mod: Moderator, text: str, term: str) -> None:
    v = mod.scan(text)
    assert v.severity >= 2, v
    risk = [m for m in v.matches if m.category != "pii"]
    # the reported term is the original text and covers the evasive spelling
    assert any(term in m.term and text[m.start : m.end] == m.term for m in risk), risk


def test_span_after_deletions_points_into_original(mod: Moderator) -> None:
    text = "ok  so\u200b... i feel fine but s.u.i.c.i.d.e is on my mind"
    v = mod.scan(text)
    (m,) = [m for m in v.matches if m.category == "self_harm_intent"]
    assert text[m.start : m.end] == "s.u.i.c.i.d.e"


def test_word_boundaries(mod: Moderator) -> None:
    # "die" inside other words, "kms" inside "kmsq": no match
    assert mod.scan("my diet starts today, studied all night").severity == 0
    assert mod.scan("the hanger is in the closet").severity == 0


def test_fast_fold_equals_the_table() -> None:
    # the str.replace route for plain Chinese text must give exactly the table's result
    import random

    from moderation.normalize import _fold_text, translation_table

    table = translation_table()
    rnd = random.Random(3)
    pool = "我你他想死好累，！？：；（）～\u3000\t\nABCabc 123.自殺ＡＢ漢字𝐬😂é\u200b"
    for _ in range(2000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 30)))
        assert _fold_text(text) == text.translate(table), repr(text)



def test_ascii_fold_equals_the_table() -> None:
    # the str.lower route for printable ASCII text must give exactly the table's result
    import random

    from moderation.normalize import _fold_text, translation_table

    table = translation_table()
    for cp in range(0x80):
        assert _fold_text(chr(cp)) == chr(cp).translate(table), hex(cp)
    rnd = random.Random(5)
    pool = "AZaz09 `'\".,!?@$*-_~|\t\n\x00\x7f"
    for _ in range(2000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 30)))
        assert _fold_text(text) == text.translate(table), repr(text)

def test_chinese_stand_ins(mod: Moderator) -> None:
    assert mod.scan("我想亖").severity == 3  # 亖 written for 死; a wish to die pages
    assert mod.scan("我想自sha").severity == 3  # half pinyin
