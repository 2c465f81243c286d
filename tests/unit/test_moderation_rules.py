"""Severity grading and the rule files: negation, hyperbole, other people, titles, combinations."""

from __future__ import annotations

import pytest

from moderation import Moderator


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator()


@pytest.mark.parametrize(
    "text",
    [
        "I have the pills ready and I'm going to take them all tonight",
        "遗书已经写好了，今晚就走",
        "我准备今晚烧炭",
        "我想跳楼",
        "i'm going to hang myself",
        "I already took all my pills",
        "药已经吃了，现在意识模糊",
        "我打算明天跳楼",
        "this is goodbye. i love you all",
        "I'm going to end my life",
    ],
)
def test_crisis_pages(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity == 3


@pytest.mark.parametrize("text", ["我想死", "不想活了", "I want to die", "i'm suicidal"])
def test_active_wishes_page(mod: Moderator, text: str) -> None:
    # issue 15 policy: a current first-person wish to die or to kill oneself pages
    assert mod.scan(text).severity == 3


@pytest.mark.parametrize(
    "text", ["活着没意思", "I'm so tired of living", "I hate myself and everything feels hopeless"]
)
def test_soft_wishes_are_concern_not_crisis(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity == 2


@pytest.mark.parametrize(
    "text", ["今天考试好难，压力好大", "I'm so stressed about finals", "有点难过"]
)
def test_ordinary_sadness_is_at_most_a_note(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity <= 1


@pytest.mark.parametrize(
    "text",
    ["I would never kill myself", "我不会自杀的", "I'm not going to kill myself, don't worry",
     "我从来没想过自杀"],
)
def test_negation_is_a_note_not_a_crisis(mod: Moderator, text: str) -> None:
    v = mod.scan(text)
    assert v.severity == 1
    assert any("negation" in m.note for m in v.matches)


@pytest.mark.parametrize(
    "text",
    ["笑死我了", "累死了", "今天冻死了", "饿死了快点吃饭", "this is killing me", "想死你了！",
     "跳楼价清仓", "you killed it at the show"],
)
def test_hyperbole_is_none(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity == 0


@pytest.mark.parametrize(
    "text", ["考试挂了不想活了", "lol i want to die this homework", "作业太多了想死哈哈哈"]
)
def test_hyperbole_cues_cap_at_note(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity <= 1


@pytest.mark.parametrize(
    "text",
    ["watching suicide squad tonight", "13 reasons why was sad", "我在看《自杀小队》",
     "political suicide for that senator"],
)
def test_titles_and_idioms_do_not_page(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity <= 1


@pytest.mark.parametrize(
    "text", ["新闻里有个女孩跳楼了", "他想自杀", "讨厌自杀的人", "my friend wants to kill herself"]
)
def test_talk_about_other_people_does_not_page(mod: Moderator, text: str) -> None:
    # issue 15: someone else at risk is a watch-list matter (2), never a page
    assert mod.scan(text).severity <= 2


def test_past_attempt_is_concern_not_crisis(mod: Moderator) -> None:
    assert mod.scan("我以前割腕过，现在好多了").severity == 2


def test_capped_match_stays_visible(mod: Moderator) -> None:
    v = mod.scan("I would never kill myself")
    assert [m.term for m in v.matches] == ["kill myself"]


def test_intent_plus_method_in_one_message(mod: Moderator) -> None:
    # each alone is below crisis; together (C-SSRS: ideation with method) they page
    assert mod.scan("安眠药").severity in (2, 3)  # the learned model may page a bare method
    assert mod.scan("我想吃安眠药").severity == 3
    assert mod.scan("I want to die, I have a bottle of pills").severity == 3


def test_traditional_chinese(mod: Moderator) -> None:
    assert mod.scan("我真的不想活了").severity == 3
    assert mod.scan("遺書寫好了").severity == 3
    assert mod.scan("我準備燒炭").severity == 3


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("I don't want to die", 1),  # a protective statement, worth a glance only
        ("我不想死", 1),
        ("我不想自杀", 1),
        ("I don't want to live anymore", 3),  # the negation is part of the wish (pages)
        ("我不想活了", 3),
    ],
)
def test_negation_right_before_the_words(mod: Moderator, text: str, severity: int) -> None:
    assert mod.scan(text).severity == severity


def test_note_pile_needs_different_kinds(mod: Moderator) -> None:
    # two words of ordinary tiredness stay a note; isolation plus self-worth is a concern
    assert mod.scan("我最近真的好累，每天都睡不着。").severity == 1
    assert mod.scan("感觉没人理解我，说了也没用。").severity == 2
    assert mod.scan("so stressed and exhausted").severity == 1
    assert mod.scan("I feel so alone and like such a failure").severity == 2


@pytest.mark.parametrize("text", [
    "so stressed, my anxiety is through the roof",
    "stressed and anxious and crying all the time",
    "压力好大，最近特别焦虑",
])
def test_distress_alone_does_not_pile_up(lexicon_only: Moderator, text: str) -> None:
    # stress, a diagnosis and crying are distress without risk (the policy's note), however
    # many: a pile needs a sign of risk too (isolation, worthlessness, hopelessness, ...)
    v = lexicon_only.scan(text)
    assert v.severity == 1, v.matches
    assert "distress_cluster" not in v.categories


def test_training_sees_the_pile_as_the_lexicon_s_severity(lexicon_only: Moderator) -> None:
    # thresholds are chosen on what the lexicon alone flags; a pile's watch-list flag is the
    # lexicon's, so the probe must report it (else the model's budget is counted twice)
    assert lexicon_only.lexicon_probe("I feel so alone and like such a failure") == (2, 3)
    assert lexicon_only.lexicon_probe("so stressed and exhausted") == (1, 3)
