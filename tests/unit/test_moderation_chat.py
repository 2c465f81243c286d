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
        ("nobody would even notice if i was gone", 2),
        ("i feel like a burden to everyone", 2),
        ("I don't want to be alive anymore", 2),
        ("我是家里的累赘", 2),
        ("活着好没意思啊", 2),
        ("我割了自己好几次", 2),
        ("我不想活了", 2),
        ("想消失", 2),
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


def test_leaving_a_chat_politely_does_not_page(mod: Moderator) -> None:
    assert mod.scan("对不起，我先走了，大家保重").severity < 3
    assert mod.scan("ok goodbye, see you tomorrow!").severity < 3
