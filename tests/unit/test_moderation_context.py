"""The conversation rule: risk that builds across messages, and decays out of the window.

These test the lexicon's conversation rules, so they use the lexicon alone (``use_model=False``)
and passive wishes (severity 2 under the issue 15 policy, where "I want to die" pages on its
own). The learned model's conversation scoring is tested in test_moderation_model.py.
"""

from __future__ import annotations

import pytest

from moderation import Moderator, RiskContext


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator(use_model=False)


def _run(mod: Moderator, texts: list[str]) -> list[int]:
    ctx: RiskContext | None = None
    out = []
    for text in texts:
        v = mod.scan(text, context=ctx)
        ctx = v.context
        out.append(v.severity)
    return out


def test_three_concerns_in_a_row_page(mod: Moderator) -> None:
    assert _run(mod, ["想消失", "活着没意思", "真的撑不下去了"]) == [2, 2, 3]


def test_concern_run_broken_by_ordinary_message(mod: Moderator) -> None:
    assert _run(mod, ["I wish I was dead", "anyway how was your day", "I'm so hopeless",
                      "tired of living"]) == [2, 0, 2, 2]


def test_means_then_intent_across_messages_pages(mod: Moderator) -> None:
    assert _run(mod, ["我攒了很多安眠药", "今天天气不错", "我想死"])[-1] == 3
    assert _run(mod, ["i wish i was dead", "i have a bottle of pills"]) == [2, 3]


def test_means_alone_across_messages_does_not_page(mod: Moderator) -> None:
    assert max(_run(mod, ["安眠药吃了睡不着", "今天考试", "好累"])) <= 2


def test_context_decays_after_window(mod: Moderator) -> None:
    texts = ["我想吃安眠药"] + ["今天吃了什么"] * 5 + ["想消失"]
    assert _run(mod, texts)[-1] == 2


def test_negated_intent_does_not_feed_the_conversation(mod: Moderator) -> None:
    assert _run(mod, ["I would never kill myself", "I have a bottle of pills"]) == [1, 2]


def test_context_is_tiny_and_bounded(mod: Moderator) -> None:
    ctx: RiskContext | None = None
    for _ in range(50):
        ctx = mod.scan("我想死", context=ctx).context
    assert ctx is not None
    assert len(ctx.recent) == 5
    d = ctx.to_dict()
    assert set(d) == {"v", "r"}  # no model records without the model: stored as before
    assert all(isinstance(x, int) for row in d["r"] for x in row)


def test_from_dict_ignores_unknown_keys_and_junk() -> None:
    d = {"v": 1, "r": [[2, 1], [True, 1], [5, 0], "x"], "future": {"a": 1}}
    assert RiskContext.from_dict(d).recent == [(2, 1)]


def test_escalation_is_reported(mod: Moderator) -> None:
    ctx = mod.scan("i wish i was dead").context
    ctx = mod.scan("nothing matters", context=ctx).context
    v = mod.scan("i'm hopeless", context=ctx)
    assert v.severity == 3
    assert "sustained_concern" in v.categories


def test_piled_up_notes_do_not_make_a_run(mod: Moderator) -> None:
    # two distress notes in one message reach the watch list, but three such messages are
    # not a crisis: the conversation remembers them as notes
    line = "I'm so tired and lonely"
    assert _run(mod, [line, line, line]) == [2, 2, 2]


def test_marker_alone_after_a_method_pages(mod: Moderator) -> None:
    # "tonight" matches no lexicon entry of its own (it is a marker), so this message takes
    # the scan's full path only because the conversation remembers a method
    ctx = mod.scan("I have a bottle of pills").context
    v = mod.scan("tonight", context=ctx)
    assert (v.severity, v.categories, v.matches) == (3, ["conversation_risk"], [])
    assert v.context.recent[-1] == (0, 32)  # the marker's flag is remembered
    assert _run(mod, ["hello", "tonight"]) == [0, 0]


def test_message_without_match_keeps_pii_and_context(mod: Moderator) -> None:
    ctx = RiskContext([(2, 1)])
    v = mod.scan("see you at the library, call 13812345678", context=ctx)
    assert (v.severity, v.categories) == (1, ["pii"])
    assert v.masked == "see you at the library, call [phone]"
    assert [m.category for m in v.matches] == ["pii"]
    assert v.context.recent == [(2, 1), (0, 0)]
