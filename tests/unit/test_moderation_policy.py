"""The issue 15 severity policy, line by line, in both languages (hand-written sentences).

3 pages a counselor, 2 is the watch list, 1 a note, 0 ordinary talk. Each case goes through the
full filter (lexicon and learned model together), as the hub calls it.
"""

from __future__ import annotations

import pytest

from moderation import Moderator


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator()


MUST_PAGE = [
    # the issue's own examples
    "I want to kill myself",
    "我想自杀",
    "I keep thinking about suicide",
    "I have the pills in my hand, I'm going to take them all tonight",
    "i already drank the antifreeze",
    "我把所有的药都吞了，现在头好晕",
    "i'm on the bridge right now",
    # current first-person ideation
    "I want to die",
    "i really want to die",
    "我想死",
    "我真的好想死",
    "i don't want to live anymore",
    "我不想活了",
    "i'm suicidal",
    # plan, date, method at hand, preparation
    "I've decided to end my life on friday",
    "我决定下周五结束自己的生命",
    "I bought a rope today",
    "绳子已经买好了",
    "i have been saving up my pills for weeks, i have enough now",
    "我已经存了两个月的安眠药，够了",
    # goodbye
    "I wrote my goodbye letters to everyone",
    "这是我最后一次跟你们说话了，再见",
    # attempt or self-harm under way or just done
    "I just cut myself really deep and it won't stop bleeding",
    "我刚割了手腕，血止不住",
    "im standing on the roof and going to jump",
    "我现在在楼顶，准备跳下去",
    "i took 40 pills an hour ago",
    # threats to harm others
    "I'm going to kill my stepfather tonight",
    "我要杀了他，刀已经准备好了",
]


@pytest.mark.parametrize("text", MUST_PAGE)
def test_must_page(mod: Moderator, text: str) -> None:
    v = mod.scan(text)
    assert v.severity == 3, (v.categories, v.matches)
    assert v.matches  # staff always see why


WATCH = [
    # passive wish without intent
    ("I wish I could sleep and not wake up", None),
    ("我希望睡着了就不要再醒来", None),
    # past self-harm or ideation
    ("I tried to kill myself two years ago", None),
    ("我以前割腕过，现在好多了", None),
    # hopelessness
    ("everything is hopeless, nothing will ever get better", None),
    ("我觉得一切都没有希望了", None),
    # abuse being suffered
    ("my dad hits me when he's drunk", None),
    ("我爸喝醉了就打我", None),
    # someone else at risk
    ("my roommate says she wants to die", None),
    ("我室友说她想自杀", None),
    ("my friend wants to kill herself", None),
]


@pytest.mark.parametrize(("text", "_"), WATCH)
def test_watch_list(mod: Moderator, text: str, _: None) -> None:
    assert mod.scan(text).severity == 2


@pytest.mark.parametrize(
    "text", ["I feel so stressed about exams", "最近压力好大，睡不着", "我今天好累", "心情很差"]
)
def test_distress_without_risk_is_at_most_a_note(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity <= 1


ZERO = [
    "this homework is killing me",
    "ugh this exam is going to kill me lol",
    "笑死",
    "笑死我了哈哈哈",
    "冻死了",
    "今天冻死了，宿舍没暖气",
    "热死了",
    "饿死了，去吃饭吧",
    "we had a lecture on suicide prevention today",
    "我们今天上了一堂自杀预防的讲座",
    "I'm dying to see that movie",
    "kill the process and restart the server",
    "see you at the library at 3pm",
]


@pytest.mark.parametrize("text", ZERO)
def test_ordinary_talk_hyperbole_and_topics_do_not_reach_the_watch_list(
    mod: Moderator, text: str
) -> None:
    assert mod.scan(text).severity <= 1


@pytest.mark.parametrize(
    "text", ["this homework is killing me", "笑死", "冻死了", "a lecture on suicide prevention"]
)
def test_issue_examples_of_hyperbole_are_zero(mod: Moderator, text: str) -> None:
    assert mod.scan(text).severity == 0


def test_negated_wish_does_not_page(mod: Moderator) -> None:
    for text in ("I would never kill myself", "我不会自杀的，放心", "i'm not suicidal, just sad"):
        assert mod.scan(text).severity <= 1, text
