"""Lexicon and rule-file loading: the shipped files load, and every kind of bad line is named."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from moderation import LexiconError, Moderator
from moderation.lexicon import default_lexicon_dir, load_lexicon
from tests.timing import MS

GOOD = "want to die\tself_harm_intent\t2\twish to die\n"


def _dir(tmp_path: Path, **files: str) -> Path:
    (tmp_path / "en.tsv").write_text(GOOD, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / f"{name}.tsv").write_text(text, encoding="utf-8")
    return tmp_path


def test_shipped_lexicons_are_substantial() -> None:
    lex = load_lexicon()
    risk = [e for e in lex.entries if e.severity > 0 and not e.benign]
    zh = [e for e in risk if e.origin.startswith("zh.tsv")]
    en = [e for e in risk if e.origin.startswith("en.tsv")]
    assert len(zh) > 300 and len(en) > 300
    assert {e.severity for e in risk} == {1, 2, 3}
    assert lex.cues and lex.combine and lex.settings["window"] >= 2
    assert any(e.benign for e in lex.entries)


def test_every_shipped_line_has_a_note() -> None:
    for entry in load_lexicon(default_lexicon_dir()).entries:
        assert entry.note, entry.origin


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"zh": "想死\tself_harm_intent\n"}, r"zh\.tsv:1: expected"),
        ({"zh": "# c\n\n想死\tSelf Harm\t2\tx\n"}, r"zh\.tsv:3: bad category"),
        ({"zh": "想死\tself_harm_intent\t4\tx\n"}, r"zh\.tsv:1: severity"),
        ({"zh": "想 * 死\tself_harm_intent\t2\tx\n"}, r"zh\.tsv:1: '\*'"),
        ({"rules_benign": "笑死\thyperbole\t1\tx\n"}, r"rules_benign\.tsv:1: benign"),
        ({"rules_cues": "不会\tmaybe\tbefore:3\t1\tx\n"}, r"rules_cues\.tsv:1: kind"),
        ({"rules_cues": "不会\tnegation\tsoon\t1\tx\n"}, r"rules_cues\.tsv:1: bad scope"),
        ({"rules_cues": "《\tenclosed\t-\t1\tx\n"}, r"rules_cues\.tsv:1: enclosed"),
        ({"rules_combine": "a\tb\t3\tsometimes\tx\n"}, r"rules_combine\.tsv:1: scope"),
        ({"rules_conversation": "window\tfive\tx\n"}, r"rules_conversation\.tsv:1: window"),
        ({"rules_other": "x\ty\n"}, r"rules_other\.tsv:0: unknown rule file"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        load_lexicon(_dir(tmp_path, **files))


def test_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="not found"):
        load_lexicon(tmp_path / "nope")
    with pytest.raises(LexiconError, match="no risk entries"):
        load_lexicon(tmp_path)


def test_gap_and_prefix_syntax(tmp_path: Path) -> None:
    d = _dir(tmp_path, zh="绳子 ..4.. 脖子\tself_harm_means\t3\trope\n",
             extra="slit* ..16.. wrist*\tself_harm_means\t3\tcut\n")
    m = Moderator(lexicon_dir=d)
    assert m.scan("绳子套在脖子上").severity == 3
    assert m.scan("绳子很长很长很长很长很长，脖子").severity == 0  # gap too wide
    assert m.scan("slitting both my wrists").severity == 3
    assert m.scan("the wrists were slit").severity == 0  # order matters


def test_edited_lexicon_takes_effect(tmp_path: Path) -> None:
    d = _dir(tmp_path, rules_benign="want to die for\tidiom\t0\tx\n")
    m = Moderator(lexicon_dir=d)
    assert m.scan("I want to die").severity == 3  # issue 15: an active wish pages
    assert m.scan("a cake I want to die for").severity == 0


def test_scan_is_fast_enough() -> None:
    # The fastest of many runs, in CPU time, against a loose bound: other processes on a busy
    # CI machine slow some runs down but not the fastest one. PEERLINE_TEST_TIMEOUT_FACTOR
    # (tests/timing.py) scales the bound.
    m = Moderator()
    text = ("今天考试压力好大，我真的好累，爸妈还一直骂我。" * 20)[:250] + (
        "I have been so tired lately and nobody listens to me at all. " * 5)[:250]
    for _ in range(50):
        m.scan(text)
    best = min(_cpu_time(m, text) for _ in range(200))
    assert best < 1 * MS  # one millisecond of CPU time (scaled)


def _cpu_time(m: Moderator, text: str) -> float:
    t0 = time.thread_time()
    m.scan(text)
    return time.thread_time() - t0
