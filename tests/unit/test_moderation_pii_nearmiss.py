"""PII near-misses (issue 15): look-alikes that are not personal data stay, and spaced-out
numbers next to a cue word are still masked."""

from __future__ import annotations

import pytest

from moderation.pii import PiiMasker, valid_cn_id


@pytest.fixture(scope="module")
def masker() -> PiiMasker:
    return PiiMasker()


@pytest.mark.parametrize(
    "text",
    [
        "I build the GUI with wxWidgets and it crashes",
        "wxPython is easier than wxwidgets",
        "my wechat is broken again",
        "the wx module has no attribute App",
        "order number 1 2 3 4 5 6 7 8 9 0 1",  # no phone cue, and not a phone shape anyway
        "the answer is 3 1 4 1 5 9 2 6 5 3 5",
    ],
)
def test_look_alikes_are_not_masked(masker: PiiMasker, text: str) -> None:
    assert masker.mask(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("加我微信 abc_12345", "加我微信 [wechat]"),
        ("wechat: lily_2003", "wechat: [wechat]"),
        ("my WeChat is lily_2003", "my WeChat is [wechat]"),
        ("vx abc12345", "vx [wechat]"),
        ("wx号abc_123", "wx号[wechat]"),
        ("my number is 1 3 8 1 2 3 4 5 6 7 8 ok", "my number is [phone] ok"),
        ("手机：138 1234 5678", "手机：[phone]"),
        ("电话 1-3-8-1-2-3-4-5-6-7-8", "电话 [phone]"),
        ("身份证 110101 19900307 1233", "身份证 [id]"),
        ("my ID is 1101 0119 9003 0712 33", "my ID is [id]"),
    ],
)
def test_cued_and_spaced_personal_data_is_masked(masker: PiiMasker, text: str, masked: str
                                                 ) -> None:
    assert masker.mask(text) == masked


def test_spaced_id_with_a_wrong_check_digit_is_left(masker: PiiMasker) -> None:
    assert valid_cn_id("110101199003071233")
    assert not valid_cn_id("110101199003071234")
    assert masker.mask("身份证 110101 19900307 1234") == "身份证 110101 19900307 1234"
