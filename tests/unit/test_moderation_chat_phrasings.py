"""Short chat lines caught by their phrasing, not by the learned model (issue 15, chat turns).

The model is weakest on short turns, so the lexicon alone (``use_model=False``) must page the
explicit ones: a first-person wish to die in its chat variants, a plan, a method at hand, a
goodbye note, self-harm under way; a word of intent in front of a watch-list wish makes it
active. Passive wishes stay on the watch list, and hyperbole, other people, negation and the
past keep their caps. Each family is checked in both languages; sentences written for these
tests, from the policy and screening wording (C-SSRS, PHQ-9 item 9, crisis-line questions).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from moderation import LexiconError, Moderator
from moderation.lexicon import default_lexicon_dir

PAGES = {
    "wish not to exist": ["i just want to not exist", "i wanna not exist anymore",
                          "i want to stop existing", "i dont want to exist anymore"],
    "intensifier between words": ["i don't really want to live anymore",
                                  "i dont even want to be alive", "i dont really wanna live"],
    "intent before a wish": ["i'm gonna end it all", "im going to end it tonight",
                             "i wanna kms", "i will commit suicide if this goes on"],
    "current ideation": ["i've been extremely suicidal lately", "im so suicidal",
                         "been thinking about ending it all", "thinking about taking my life"],
    "method asked": ["how to commit suicide without pain", "is overdosing painful",
                     "how many tylenol to overdose"],
    "method at hand": ["i have the pills", "I bought a rope today", "tied the noose already"],
    "goodbye note": ["wrote my note", "i'm writing my suicide note"],
    "self-harm under way": ["i just cut myself", "im cutting myself", "cut myself again tonight"],
    "at a height": ["on the roof right now", "standing on the ledge"],
    "voices that command it": ["the voices tell me to kill myself",
                               "a voice telling me to kill myself again"],
    "想 + 愿望": ["我想离开这个世界", "好想结束生命", "我要结束这一切", "想安静地离去",
                "我打算了结自己", "我准备今晚就结束一切"],
    "遗书": ["我写了遗书", "遗书都写好了", "在写遗书", "写了三封遗书"],
    "工具与准备": ["我准备好了药", "药准备好了", "买好了炭", "攒了很多安眠药"],
    "正在发生": ["现在在楼顶", "刚刚割腕了", "割腕中", "上吊没成功", "我又割了"],
    "问方法": ["从七楼跳下去会死吗", "吃多少片会死", "怎么才能死得不痛"],
}


@pytest.mark.parametrize(
    "text", [t for texts in PAGES.values() for t in texts], ids=lambda t: t[:24]
)
def test_explicit_chat_line_pages_by_phrasing_alone(lexicon_only: Moderator, text: str) -> None:
    v = lexicon_only.scan(text)
    assert v.severity == 3, (text, v.matches)
    assert "model_risk" not in v.categories


WATCH = [
    # passive wishes, hopelessness, burden, the past, someone else: 2, not a page
    "i'd be better off dead",
    "i see no other way out",
    "giving up hope honestly",
    "i don't want to live like this",
    "睡着了就不要醒来",
    "我是大家的负担",
    "我不想再熬下去了",
    "我以前割腕了",
    "自杀未遂两次",
    "my roommate says she wants to die",
    "my friend said he is going to end it all",
    "she's gonna kms she told me",
    # being told to kill oneself is abuse suffered, not one's own wish
    "people at school told me to kill myself",
    "he keeps telling me to kill myself",
]


@pytest.mark.parametrize("text", WATCH)
def test_passive_past_or_someone_else_is_the_watch_list(lexicon_only: Moderator, text: str) -> None:
    v = lexicon_only.scan(text)
    assert v.severity == 2, (text, v.matches)


QUIET = [
    "i'd rather die than go to that party",
    "i want to die my hair blue",
    "i'm going to end it with him tomorrow",
    "this homework is killing me",
    "笑死我了",
    "我就去死吧哈哈哈",
    "i would never want to end it all",
    "我不想离开这个世界",
    "我们讲座讲了怎么预防自杀",
]


@pytest.mark.parametrize("text", QUIET)
def test_hyperbole_negation_and_topics_stay_quiet(full: Moderator, text: str) -> None:
    v = full.scan(text)
    assert v.severity <= 1, (text, v.matches)


def test_someone_else_wanting_to_leave_the_world_is_the_watch_list(full: Moderator) -> None:
    """Someone else at risk: the lexicon notes it (third person), the model puts it at 2."""
    assert full.scan("我室友说她想离开这个世界").severity == 2


def test_a_past_cue_explains_a_capped_match_even_after_a_word_of_intent(
    lexicon_only: Moderator,
) -> None:
    """"以前想过自杀": 想 would raise, 以前 caps at 2; the helper must see the cap's reason."""
    v = lexicon_only.scan("我以前想过自杀")
    assert v.severity == 2
    notes = [m.note for m in v.matches if m.term == "自杀"]
    assert notes and "past" in notes[0] and "intent" not in notes[0]


def test_a_weak_word_raises_a_method_but_not_a_passive_wish(lexicon_only: Moderator) -> None:
    """"就" (then) before a method is intent ("就跳下去"); before "不要醒来" it is not."""
    assert lexicon_only.scan("睡着了就不要醒来").severity == 2
    assert lexicon_only.scan("我就跳楼").severity == 3


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("我想离开这个世界", 3),  # 离开这个世界 is "2+": a word of intent makes it a page
        ("如果我死了，他们会难过吗", 2),  # a hypothetical death is not raised by a word of intent
        ("我想啊如果我死后", 2),
        ("只要让我死了就好了", 2),
        ("他问我为什么没想到过自杀", 2),  # "thought of" is past ideation
        ("i want to sleep forever", 2),  # a passive wish is not raised
        ("i want to end it", 3),
    ],
)
def test_only_wishes_marked_raisable_are_raised_by_intent(
    lexicon_only: Moderator, text: str, severity: int
) -> None:
    assert lexicon_only.scan(text).severity == severity


@pytest.mark.parametrize(("name", "line"), [
    ("en.tsv", "end it forever\tself_harm_intent\t3+\twrong\n"),
    ("rules_benign.tsv", "end it already\tusage\t2+\twrong\n"),
])
def test_a_plus_severity_is_only_for_risk_entries(tmp_path: Path, name: str, line: str) -> None:
    """Only "2+" in a risk file is valid; "3+", or a "+" on a benign phrase, is a typo that
    must stop start-up, naming the file."""
    d = tmp_path / "lex"
    shutil.copytree(default_lexicon_dir(), d)
    with (d / name).open("a", encoding="utf-8") as f:
        f.write(line)
    with pytest.raises(LexiconError, match=name):
        Moderator(lexicon_dir=d, use_model=False)
