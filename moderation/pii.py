"""Finding and masking personal data, so an anonymous chat stays anonymous.

Each detector is tight on purpose: a masked order number or price confuses a conversation, and a
masking step must never change anything but the personal data itself. Cue-led kinds (QQ, WeChat,
student number) mask only the value after the cue, so "加我QQ 12345678" becomes "加我QQ [qq]".
Detectors run on the original text; cheap pre-checks skip the regexes for most chat lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PiiSpan", "PiiMasker", "valid_cn_id"]

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# 18-character resident ID: region, birth date (19xx/20xx), sequence, check digit.
_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[\dXx](?![0-9A-Za-z])"
)
# Mobile: 1[3-9]x xxxx xxxx, optional +86/0086, single spaces or dashes between groups.
_MOBILE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?![\d])"
)
# Landline: area code 0xx/0xxx, then 7-8 digits; needs a separator or brackets, because a bare
# run of 11-12 digits is far more often an order or tracking number.
_LANDLINE = re.compile(
    r"(?<![\d-])(?:\(0\d{2,3}\)\s?|（0\d{2,3}）\s?|0\d{2,3}[-\s])[2-9]\d{2,3}[-\s]?\d{4}(?![\d-])"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# The e-mail regex is run only on a short window around each "@" (it starts with a
# look-behind, which would otherwise be tried at every position of the message).
_EMAIL_REACH = 80
# Cue-led kinds: one regex each over the lower-cased text, cue then value; it starts with a
# few literal cue characters, so the engine skips ordinary text quickly. Only the value group
# is masked.
_QQ = re.compile(r"(?:qq|扣扣|企鹅)(?:号码|号)?\s*(?:[:：是为]|is)?\s*([1-9]\d{4,10})(?!\d)")
_WECHAT = re.compile(
    r"(?:微信|威信|薇信|v信)\s*(?:号|id)?\s*(?:[:：是为]|is)?\s*"
    r"([a-z][-_a-z0-9]{5,19})(?![-_a-z0-9])"
)
_WECHAT_LATIN = re.compile(
    # Latin cues only as a word of their own ("wxWidgets" is a library, not "wx: widgets"),
    # followed by a separator, and then an id with a digit, "_" or "-" in it ("my wechat is
    # broken" names no id).
    r"(?<![a-z0-9])(?:vx|wx|weixin|wechat|wei xin)"
    r"(?:\s*(?:号|id)\s*(?:[:：是为]|is)?\s*|\s*[:：是为]\s*|\s+is\s+|\s+)"
    r"([a-z](?=[-_a-z]*[-_0-9])[-_a-z0-9]{5,19})(?![-_a-z0-9])"
)
_STUDENT_CUE = re.compile(
    r"(?:学号|學號|学生证号?|student(?:\s*(?:id|number|no\.?|#)))\s*(?:[:：是为]|is)?\s*"
    r"([a-z]{0,3}\d{6,12})(?!\d)"
)
_PROFILE_URL = re.compile(
    r"(?i)(?<![\w.])(?:https?://)?(?:www\.|m\.)?(?:"
    r"weibo\.(?:com|cn)/(?:u/)?[\w.-]+|space\.bilibili\.com/\d+|b23\.tv/\w+"
    r"|zhihu\.com/people/[\w-]+|douban\.com/people/[\w-]+|xiaohongshu\.com/user/profile/\w+"
    r"|douyin\.com/user/[\w-]+|tiktok\.com/@[\w.-]+|instagram\.com/[\w.]+"
    r"|(?:twitter|x)\.com/(?!i/|search|home)\w+|facebook\.com/[\w.]+|fb\.com/[\w.]+"
    r"|linkedin\.com/in/[\w-]+|github\.com/[\w-]+|reddit\.com/(?:u|user)/[\w-]+"
    r"|t\.me/\w+|snapchat\.com/add/[\w.-]+|discord(?:app)?\.com/users/\d+"
    r")/?"
)
# Cheap gates: each detector's regex runs only when its cue or shape can be present. Regexes
# that start with a look-behind cannot use the engine's fast first-character skip, so the
# digit detectors run on short candidate clusters instead of on the whole message.
_URL_HINTS = (
    "weibo.", "bilibili.", "b23.tv", "zhihu.", "douban.", "xiaohongshu.", "douyin.", "tiktok.",
    "instagram.", "twitter.", "x.com", "facebook.", "fb.com", "linkedin.", "github.",
    "reddit.", "t.me", "snapchat.", "discord",
)
_QQ_CUES = ("qq", "扣扣", "企鹅")
_STUDENT_CUES = ("学号", "學號", "学生证", "student")
_WECHAT_CUES = ("微信", "威信", "薇信", "v信", "vx", "wx", "weixin", "wechat", "wei xin")
# Digits spaced out to dodge the detectors ("1 3 8 1 2 3 4 5 6 7 8", an ID number in groups)
# are masked when a cue word stands just before them; the digits are checked once the
# separators are gone (mobile shape, ID check digit).
_DIGIT_CUES = ("phone", "number", "call", "text me", "tel", "whatsapp", "id", "电话", "手机",
               "号码", "身份证", "证件")
_CUED_DIGITS = re.compile(
    r"(?:phone|number|call|text me|tel|whatsapp|(?<![a-z])id(?![a-z])|电话|手机|号码|身份证|证件)"
    r"[^\d\n]{0,12}?(\d(?:[ \-.]{0,3}\d){9,20}(?:[ \-.]{0,3}[xX])?)(?![\d])"
)
_NUM_CLUSTER = re.compile(r"[+(（\d][\d \-()（）]{5,24}[\dXx]")
# Only ASCII digits open the digit detectors; one class search is half the cost of ten
# substring tests.
_ASCII_DIGIT = re.compile(r"[0-9]")


def valid_cn_id(number: str) -> bool:
    """True when an 18-character PRC resident ID has a correct ISO 7064 MOD 11-2 check digit.

    The check digit is what separates a real ID from an 18-digit order number.
    """
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A piece of personal data in the original text."""

    kind: str  # phone, email, id, qq, wechat, student_id, url
    start: int
    end: int


class PiiMasker:
    """Finds personal data; ``student_id_pattern`` adds a school-specific number format."""

    def __init__(self, student_id_pattern: str | None = None) -> None:
        self._student = (
            re.compile(rf"(?<![0-9A-Za-z])(?:{student_id_pattern})(?![0-9A-Za-z])")
            if student_id_pattern
            else None
        )

    def find(self, text: str) -> list[PiiSpan]:
        """All non-overlapping personal-data spans, earliest first; the first detector wins."""
        found: list[PiiSpan] = []
        digits = _ASCII_DIGIT.search(text) is not None
        low = text.lower()
        if len(low) != len(text):  # a few characters (İ) lengthen when lowered; keep spans true
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        if digits and any(c in low for c in _DIGIT_CUES):
            # First, so a spaced ID after its cue is one span, not a phone inside it.
            self._cued_digits(found, low)
        for cl in _NUM_CLUSTER.finditer(text) if digits else ():
            base = cl.start()
            chunk = text[max(0, base - 1) : cl.end() + 1]  # one char of context each side
            off = max(0, base - 1)
            for m in _ID.finditer(chunk):
                s, e = off + m.start(), off + m.end()
                if valid_cn_id(m.group()) and all(e <= f.start or s >= f.end for f in found):
                    found.append(PiiSpan("id", s, e))
            self._add(found, _MOBILE, chunk, "phone", 0, off)
            self._add(found, _LANDLINE, chunk, "phone", 0, off)
        if self._student is not None:
            self._add(found, self._student, text, "student_id", 0)
        # ``low`` has the text's length, so its spans are the text's spans. Each cue-led regex
        # runs only when one of its cues is in the text.
        if digits and any(c in low for c in _QQ_CUES):
            self._add(found, _QQ, low, "qq", 1)
        if digits and any(c in low for c in _STUDENT_CUES):
            self._add(found, _STUDENT_CUE, low, "student_id", 1)
        at = text.find("@")
        while at >= 0:
            lo = max(0, at - _EMAIL_REACH)
            for m in _EMAIL.finditer(text[lo : at + _EMAIL_REACH]):
                s, e = lo + m.start(), lo + m.end()
                if s < at < e and all(e <= f.start or s >= f.end for f in found):
                    found.append(PiiSpan("email", s, e))  # only the address around this "@"
            at = text.find("@", at + 1)
        if "/" in text and any(h in low for h in _URL_HINTS):  # every profile URL has a path
            self._add(found, _PROFILE_URL, text, "url", 0)
        # Every WeChat cue contains 信, x or we (a unit test keeps this true): three substring
        # tests rule most lines out before the nine cues are tried.
        if ("信" in low or "x" in low or "we" in low) and any(c in low for c in _WECHAT_CUES):
            self._add(found, _WECHAT, low, "wechat", 1)
            self._add(found, _WECHAT_LATIN, low, "wechat", 1)
        if len(found) > 1:
            found.sort(key=lambda s: s.start)
        return found

    @staticmethod
    def _cued_digits(found: list[PiiSpan], low: str) -> None:
        """Spaced-out phone and ID numbers right after a cue word (see ``_CUED_DIGITS``)."""
        for m in _CUED_DIGITS.finditer(low):
            s, e = m.span(1)
            if any(not (e <= f.start or s >= f.end) for f in found):
                continue
            raw = "".join(c for c in m.group(1) if c.isalnum())
            if len(raw) == 11 and raw[0] == "1" and raw[1] in "3456789":
                found.append(PiiSpan("phone", s, e))
            elif len(raw) == 18 and valid_cn_id(raw):
                found.append(PiiSpan("id", s, e))

    @staticmethod
    def _add(
        found: list[PiiSpan], rx: re.Pattern[str], text: str, kind: str, group: int, off: int = 0
    ) -> None:
        for m in rx.finditer(text):
            s, e = m.span(group)
            s += off
            e += off
            if all(e <= f.start or s >= f.end for f in found):
                found.append(PiiSpan(kind, s, e))

    def mask(self, text: str, spans: list[PiiSpan] | None = None) -> str:
        """``text`` with each personal-data span replaced by ``[kind]``; nothing else changes."""
        if spans is None:
            spans = self.find(text)
        if not spans:
            return text
        out: list[str] = []
        pos = 0
        for span in spans:
            out.append(text[pos : span.start])
            out.append(f"[{span.kind}]")
            pos = span.end
        out.append(text[pos:])
        return "".join(out)
