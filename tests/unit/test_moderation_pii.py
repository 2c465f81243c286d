"""Each kind of personal data is masked; near-misses (orders, years, prices, times) are not."""

from __future__ import annotations

import pytest

from moderation import Moderator, pii
from moderation.pii import PiiMasker, valid_cn_id


@pytest.fixture(scope="module")
def mod() -> Moderator:
    return Moderator(student_id_pattern=r"S\d{7}")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的手机13812345678", "我的手机[phone]"),
        ("call 138 1234 5678 pls", "call [phone] pls"),
        ("call 138-1234-5678 pls", "call [phone] pls"),
        ("+86 139 1234 5678", "[phone]"),
        ("+8613912345678 ok", "[phone] ok"),
        ("座机 010-62345678", "座机 [phone]"),
        ("office (021)52345678", "office [phone]"),
        ("mail me: some.one+x@uni.edu.cn!", "mail me: [email]!"),
        ("身份证11010519491231002X", "身份证[id]"),
        ("加我QQ 12345678", "加我QQ [qq]"),
        ("扣扣：987654321吧", "扣扣：[qq]吧"),
        ("qq is 55555555", "qq is [qq]"),
        ("加我微信 abc_12345", "加我微信 [wechat]"),
        ("vx:Study_Buddy99", "vx:[wechat]"),
        ("wx 号 zhangsan2024", "wx 号 [wechat]"),
        ("学号 2021123456", "学号 [student_id]"),
        ("my student id is 20211234", "my student id is [student_id]"),
        ("I am S1234567 on the list", "I am [student_id] on the list"),
        ("see weibo.com/u/1234567890 lol", "see [url] lol"),
        ("https://www.instagram.com/some.body/", "[url]"),
        ("space.bilibili.com/123456", "[url]"),
    ],
)
def test_pii_masked(mod: Moderator, text: str, masked: str) -> None:
    assert mod.mask(text) == masked
    v = mod.scan(text)
    assert v.masked == masked
    assert "pii" in v.categories


@pytest.mark.parametrize(
    "text",
    [
        "订单号 202311221234567890",  # 18 digits, check digit wrong: an order number
        "order 110105194912310021",  # valid-looking date, bad check digit
        "2023年考研，2024年毕业",  # years
        "it cost ¥1399 or $25.99",  # prices
        "meet at 13:45 on 2024-05-01",  # times and dates
        "tracking 75312345678901",  # long digit run that is not a phone
        "快递单号 138123456789012",  # phone-like prefix inside a longer number
        "room 12345678",  # 8 digits without a QQ cue
        "微信支付 100元",  # WeChat cue without an id
        "https://www.bbc.co.uk/news/world-123",  # non-profile URL
        "version 1.3.8.1234",
    ],
)
def test_near_misses_not_masked(mod: Moderator, text: str) -> None:
    assert mod.mask(text) == text
    assert "pii" not in mod.scan(text).categories


def test_id_check_digit() -> None:
    assert valid_cn_id("11010519491231002X")
    assert valid_cn_id("11010519491231002x")
    assert not valid_cn_id("110105194912310021")
    assert not valid_cn_id("1101051949123100")


def test_mask_changes_nothing_else() -> None:
    text = "自.杀?? no. call 13812345678, then ＱＱ? 我 想  走"
    masked = PiiMasker().mask(text)
    assert masked == text.replace("13812345678", "[phone]")


def test_student_pattern_is_optional() -> None:
    assert PiiMasker().mask("I am S1234567") == "I am S1234567"
    assert PiiMasker(r"S\d{7}").mask("I am S1234567") == "I am [student_id]"


def test_pii_match_reported_with_span(mod: Moderator) -> None:
    text = "电话 13812345678"
    v = mod.scan(text)
    (m,) = [m for m in v.matches if m.category == "pii"]
    assert text[m.start : m.end] == "13812345678"
    assert m.note == "phone"


def test_several_emails_and_mentions() -> None:
    masker = PiiMasker()
    assert masker.mask("a.b@x.com, c@d.org.cn; @friend hi") == "[email], [email]; @friend hi"


def test_wechat_cues_share_the_quick_hints() -> None:
    # PiiMasker.find tries the WeChat cues only when 信, x or we is in the text
    assert all("信" in c or "x" in c or "we" in c for c in pii._WECHAT_CUES)
