"""The public API the hub relies on: shape of a verdict, context round trip, masking."""

from __future__ import annotations

import dataclasses
import json

import pytest

from moderation import LexiconError, Match, ModerationError, Moderator, RiskContext, Verdict


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator()


def test_verdict_shape(mod: Moderator) -> None:
    v = mod.scan("I want to die")
    assert isinstance(v, Verdict)
    assert v.severity == 3  # issue 15: a first-person active wish to die pages
    assert "self_harm_intent" in v.categories
    assert v.lang == "en"
    assert v.masked == "I want to die"
    assert all(isinstance(m, Match) for m in v.matches)
    m = v.matches[0]
    assert "I want to die"[m.start : m.end] == m.term == "want to die"
    assert isinstance(v.context, RiskContext)



def test_verdict_is_a_frozen_dataclass(mod: Moderator) -> None:
    # scan fills the slots directly (faster than the dataclass __init__): same object
    for text in ("I want to die", "thanks, that helps"):
        v = mod.scan(text)
        assert v == Verdict(**{f.name: getattr(v, f.name) for f in dataclasses.fields(v)})
        with pytest.raises(dataclasses.FrozenInstanceError):
            v.severity = 3  # type: ignore[misc]

def test_plain_message_is_none(mod: Moderator) -> None:
    v = mod.scan("see you at the library at 3pm, bring the notes")
    assert v.severity == 0
    assert v.categories == []
    assert v.matches == []


def test_lang_detection_and_override(mod: Moderator) -> None:
    assert mod.scan("今天天气不错").lang == "zh"
    assert mod.scan("nice weather today").lang == "en"
    assert mod.scan("今天天气不错", lang="en").lang == "en"


def test_mask_only_changes_pii(mod: Moderator) -> None:
    text = "call me on 138 1234 5678 tomorrow"
    assert mod.mask(text) == "call me on [phone] tomorrow"
    v = mod.scan(text)
    assert v.masked == "call me on [phone] tomorrow"
    assert "pii" in v.categories


def test_context_dict_is_small_and_serialisable(mod: Moderator) -> None:
    ctx = None
    for text in ["hi", "I want to die", "nothing matters", "ok"]:
        ctx = mod.scan(text, context=ctx).context
    assert ctx is not None
    d = ctx.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert RiskContext.from_dict(d) == ctx
    # Five (severity, flags) records and three model records of four numbers each.
    assert len(json.dumps(d)) < 220


@pytest.mark.parametrize("bad", [{}, None, {"r": "x"}, {"r": [[9, 1], ["a", 2], [1]]}, {"zz": 1}])
def test_context_from_dict_tolerant(bad: object) -> None:
    assert RiskContext.from_dict(bad).recent == []


def test_exception_tree() -> None:
    assert issubclass(LexiconError, ModerationError)


def test_bad_lexicon_line_names_file_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "en.tsv").write_text("want to die\tself_harm_intent\t2\tok\nbad line\n",
                                     encoding="utf-8")
    with pytest.raises(LexiconError, match=r"en\.tsv:2"):
        Moderator(lexicon_dir=tmp_path)


def test_bad_severity_rejected(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "en.tsv").write_text("die\tself_harm_intent\t7\tx\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="severity"):
        Moderator(lexicon_dir=tmp_path)


def test_custom_lexicon_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "en.tsv").write_text("purple monkey\tself_harm_intent\t3\ttest\n",
                                     encoding="utf-8")
    m = Moderator(lexicon_dir=tmp_path, use_model=False)  # the lexicon alone
    assert m.scan("a Purple  Monkey appears").severity == 3
    assert m.scan("I want to die").severity == 0


@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00", "\ud800 想死", "13812345678\udc00", "ﬁnally", "😂" * 50, "İstanbul"],
)
def test_odd_input_never_raises(mod: Moderator, text: str) -> None:
    v = mod.scan(text)
    assert len(v.masked) >= 0 and v.severity in (0, 1, 2, 3)


@pytest.mark.parametrize(
    "unit", [".", "a.", "-", "1", "a@", "自 "]
)
def test_adversarial_input_stays_linear(mod: Moderator, unit: str) -> None:
    # A run of symbols once cost quadratic time in one regex. This checks how the cost grows
    # (four times the text, about four times the work; quadratic would be sixteen), not how fast
    # a scan is: speed is measured by moderation/bench.py, not asserted here.
    import time

    def cost(n: int) -> float:
        text = unit * n
        best = float("inf")
        for _ in range(3):
            t0 = time.thread_time()
            mod.scan(text)
            best = min(best, time.thread_time() - t0)
        return max(best, 1e-5)

    assert cost(12_000) / cost(3_000) < 10


def test_scan_is_thread_safe(mod: Moderator) -> None:
    # one Moderator shared by threads gives the same verdicts as one thread
    from concurrent.futures import ThreadPoolExecutor

    texts = ["我想死", "I want to die tonight, I have pills", "call 13812345678", "笑死我了",
             "我不会自杀的", "s u i c i d e", "今晚就走", "nothing matters any more"] * 25
    expected = [(v.severity, v.categories, v.masked) for v in map(mod.scan, texts)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = [(v.severity, v.categories, v.masked) for v in pool.map(mod.scan, texts)]
    assert got == expected
