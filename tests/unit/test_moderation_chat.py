"""Short, direct chat lines (written for these tests): the shape live chat takes."""

from __future__ import annotations

import pytest

from moderation import Moderator


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator()


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("hi, anyone there?", 0),
        ("I'm fine, just tired from exams", 0),
        ("ugh this assignment is killing me", 0),
        ("烦死了作业好多", 0),
        ("我今天好累", 1),
        ("i'm not suicidal, just sad", 1),
        ("我不会做傻事的，放心", 1),
        ("i can't do this anymore", 2),
        ("i just want it all to end", 2),
        ("i feel like a burden to everyone", 2),
        ("I don't want to be alive anymore", 3),  # issue 15: a wish to die pages
        ("我是家里的累赘", 2),
        ("活着好没意思啊", 2),
        ("我不想活了", 3),  # issue 15: a wish to die pages
        ("my mom hits me when she's drunk", 2),
        ("im gonna jump off the bridge tonight", 3),
        ("i have a rope and a plan", 3),
        ("i took 30 pills an hour ago", 3),
        ("how many tylenol would it take", 3),
        ("我想吃安眠药", 3),
        ("我已经吃了一瓶安眠药", 3),
        ("我想从楼上跳下去", 3),
        ("明天就是最后一天了", 3),
        ("今晚过后就再也不会打扰大家了", 3),
    ],
)
def test_chat_line(mod: Moderator, text: str, severity: int) -> None:
    assert mod.scan(text).severity == severity


@pytest.mark.parametrize(
    "text", ["nobody would even notice if i was gone", "我割了自己好几次", "想消失"]
)
def test_passive_or_ambiguous_lines_reach_at_least_the_watch_list(
    mod: Moderator, text: str
) -> None:
    # The lexicon rates these 2 (passive wish, self-harm of unclear time); the learned model
    # may page them, because in its training data such short lines are mostly "high".
    v = mod.scan(text)
    assert v.severity >= 2
    assert v.severity == 2 or "model_risk" in v.categories


def test_leaving_a_chat_politely_does_not_page(mod: Moderator) -> None:
    # Leaving with a meeting to come is the end of an ordinary chat. (An apology and "take
    # care, everyone" with no plan to come back reads as a Tree-Hole goodbye, and may page.)
    assert mod.scan("好的谢谢你，我先走了，明天见").severity < 3
    assert mod.scan("我先走了，下次再聊").severity < 3
    assert mod.scan("ok goodbye, see you tomorrow!").severity < 3
