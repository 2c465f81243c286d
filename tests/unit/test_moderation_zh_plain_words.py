"""Chinese crisis statements in plain words, with words in between (issue 15, third round).

The policy pages a method at hand, preparation, a note written, a date, an attempt under way or
just done, and researching a method. People say these with words between the parts (遗书已经
写好, 吞了三十颗药, 绳子都准备好了), so the lexicon writes them as gap patterns. Each family has
a line that pages by the lexicon alone and a near miss that must not: hyperbole, someone else,
long ago, a topic, a question about something harmless. All sentences written for these tests.

The second half checks cue scope: a cue about someone else, the past or a negation governs the
match it stands next to, not a method or plan said freely elsewhere in the same message.
"""

from __future__ import annotations

import pytest

from moderation import Moderator

# family -> (lines that page by the lexicon alone, near misses that stay below a page)
FAMILIES: dict[str, tuple[list[str], list[str]]] = {
    "a note written": (
        ["我的遗书已经写好了", "昨晚把遗书都写完了", "写好了给爸妈的遗书", "又修改了一遍遗书",
         "我要不要写个遗书", "遗书放在抽屉里了"],
        ["以前写过遗书", "她的遗书写好了", "语文课讲了一封古人的遗书"],
    ),
    "pills counted": (
        ["吞了三十多颗", "我刚吃了几十片", "我准备了50颗药", "攒了一盒安眠药",
         "阿普唑仑攒了40粒"],
        ["医生让我一天吃两颗药", "感冒了吃了一片药", "他吞了三十颗药", "药店进了50颗药"],
    ),
    "rope, charcoal, gas": (
        ["绳子我已经准备好了", "偷偷买了一条绳子", "试过上吊但是绳子断了", "上吊又没成功",
         "木炭今天刚买", "把门窗都用胶带堵上了", "上吊绳挂好了"],
        ["以前试过上吊", "他们买了炭烧烤", "他买了绳子"],
    ),
    "standing at a height": (
        ["我站在楼顶好想跳", "现在在阳台上，很想跳下去", "从窗户跳下去就好了"],
        ["楼顶的风景很好", "他从阳台跳下去了", "他从楼顶跳下去了"],
    ),
    "an attempt just done": (
        ["自杀又没成功", "前几天烧炭失败了", "安眠药自杀没成功，又被救回来了",
         "割腕了但是没死", "今天试过了，太疼了"],
        ["小时候自杀没成功过", "他自杀没成功", "我以前烧炭失败过"],
    ),
    "a date fixed": (
        ["今晚就是我的死期", "周五是我的死期", "等考完试就去死", "毕业后就自杀"],
        ["今晚交作业的死线", "考完试就去旅游"],
    ),
    "a decision or no way out": (
        ["我只能去死了", "我必须去死", "我可以放心去死了", "我还是去死吧", "我去死吧"],
        ["我就去死吧哈哈哈", "你必须去死", "他觉得只能去死了"],
    ),
    "goodbye to the world": (
        ["再见世界", "今天就和这个世界说再见", "完成最后一件事我就离开"],
        ["和过去的自己说再见", "最后一件事是去超市"],
    ),
    "researching a method": (
        ["跳河会死吗", "上吊要多久才会死", "安眠药在哪买", "烧炭和跳河哪个快",
         "割腕疼不疼", "还有别的死法吗", "想无痛死",
         "找不到好的死法"],
        ["熬夜会死吗", "这个药在哪买", "哪个快递快", "他割腕疼不疼"],
    ),
    "a pact sought": (
        ["有人约我一起烧炭", "有没有人一起去死", "有人要一起死吗", "网上约好了一起烧炭",
         "有没有人一起自杀", "找人一起烧炭"],
        ["有人约我一起吃饭", "有没有人一起去爬山"],
    ),
    "emphasis and swearing are not negation or another person": (
        ["真的特别想死", "真他妈想死", "我他妈的好想死", "我特别想自杀"],
        ["特别想睡觉", "他妈妈想死他了"],
    ),
}


@pytest.mark.parametrize(
    "text", [t for pages, _ in FAMILIES.values() for t in pages], ids=lambda t: t[:12]
)
def test_plain_crisis_words_page_by_the_lexicon_alone(lexicon_only: Moderator, text: str) -> None:
    v = lexicon_only.scan(text, lang="zh")
    assert v.severity == 3, (text, v.matches)


@pytest.mark.parametrize(
    "text", [t for _, misses in FAMILIES.values() for t in misses], ids=lambda t: t[:12]
)
def test_near_misses_do_not_page_by_the_lexicon(lexicon_only: Moderator, text: str) -> None:
    v = lexicon_only.scan(text, lang="zh")
    assert v.severity <= 2, (text, v.matches)


@pytest.mark.parametrize("text", ["熬夜会死吗", "这个药在哪买", "哪个快递快", "特别想睡觉"])
def test_ordinary_questions_are_nothing_to_the_lexicon(lexicon_only: Moderator, text: str) -> None:
    """A question marker is a marker: alone it is never shown and adds nothing."""
    v = lexicon_only.scan(text, lang="zh")
    assert v.severity == 0, (text, v.matches)
    assert not v.matches


def test_a_method_question_explains_itself_by_the_method(lexicon_only: Moderator) -> None:
    """The helper sees the method; the question marker is not a match of its own."""
    v = lexicon_only.scan("上吊要多久", lang="zh")
    assert v.severity == 3
    assert [m.term for m in v.matches] == ["上吊"]


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("我以前想过自杀", 2),  # past ideation
        ("我以前试过上吊", 2),  # a past attempt
        ("小时候割腕了", 2),
        ("前些天吞药了", 3),  # an attempt just done pages
        ("昨天才试了上吊", 3),
    ],
)
def test_long_ago_is_the_watch_list_and_just_done_pages(
    lexicon_only: Moderator, text: str, severity: int
) -> None:
    assert lexicon_only.scan(text, lang="zh").severity == severity


def test_someone_else_at_risk_stays_on_the_watch_list(full: Moderator) -> None:
    assert full.scan("我朋友想自杀", lang="zh").severity == 2
    assert full.scan("我以前想过自杀", lang="zh").severity == 2


# Cue scope: (text, the highest severity the model may raise it to).
@pytest.mark.parametrize(
    ("text", "cap"),
    [
        # the past cue governs the first 跳楼 only; the second is now, and free
        ("以前我很怕跳楼，现在反而觉得跳楼也好", 3),
        ("我以前想过自杀", 2),  # nothing free: the message is about back then
        ("我朋友说她想跳楼", 2),  # nothing free: the message is about her
        # the negation governs 跳楼 only; the pills are not negated
        ("我不想跳楼，家里有安眠药", 3),
        ("我不想跳楼", 1),  # nothing free: the negation speaks for the message
        ("我不会自杀的", 1),
    ],
)
def test_a_cue_governs_its_own_match_not_a_free_method(
    lexicon_only: Moderator, text: str, cap: int
) -> None:
    _severity, model_cap = lexicon_only.lexicon_probe(text, "zh")
    assert model_cap == cap, text


@pytest.mark.parametrize("text", ["周末去游乐园坐跳楼机", "明天回老家送人最后一程"])
def test_other_senses_of_method_and_goodbye_words_are_not_risk(
    lexicon_only: Moderator, text: str
) -> None:
    """A drop-tower ride and a funeral use the words of a method and a last journey."""
    assert lexicon_only.scan(text, lang="zh").severity == 0, text
