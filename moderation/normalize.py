"""Evasion-resistant text normalisation that remembers where every character came from.

People who do not want a filter to see a word write it as ``自.杀``, ``自殺``, ``ｓｕｉｃｉｄｅ``,
``s u i c i d e``, ``su1c1de``, ``kiiiill`` or with Cyrillic look-alikes. Matching runs on a
normalised copy of the text; the helper console, however, highlights words in the *original*
message, so each normalised position maps back to an original one.

The pipeline, cheapest first:

1. One ``str.translate`` table (length preserving, built once): NFKC (full-width → half-width,
   compatibility forms), lower case, traditional → simplified (OpenCC's character table),
   homoglyphs (Cyrillic/Greek → Latin), zero-width characters → ``\\x00``, curly
   apostrophes → ``'``.
2. Leetspeak inside words (``k1ll``, ``$uicide``), still length preserving.
3. Deletions, recorded as spans: zero-width characters, separators inserted between Chinese
   characters (``自.杀``, ``自 杀``), separators between single spaced letters
   (``s u i c i d e``), symbols inside words (``k*ll``), apostrophes (``don't`` → ``dont``) and
   runs of whitespace.
4. Runs of three or more equal Latin letters cut to one (``kiiiill`` → ``kill``,
   ``killll`` → ``kil``). The lexicon stores every pattern also fully squeezed (``kil``), so
   stretched words meet it while ordinary double letters cost nothing at scan time.

Sentence punctuation between Chinese characters (，。！？) is kept on purpose: deleting it would
let ``我不想，活着挺好`` read as ``不想活``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path

__all__ = ["Normalized", "normalize", "prepare", "squeeze", "translation_table"]

# Characters that render as nothing; evasion inserts them inside words.
_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"

# Look-alikes NFKC does not fold: Cyrillic and Greek letters that pass for Latin ones.
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ӏ": "l", "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ү": "y", "ɑ": "a", "ı": "i", "ł": "l", "ø": "o",
    # Chinese internet stand-ins: 亖 ("four strokes") is written for 死
    "亖": "死",
}
_APOSTROPHES = "\u2018\u2019\u02bc\u02bb\u0060\u00b4\u2032"

# Leetspeak: digits only count after a letter (so "3am" stays a time), symbols on either side.
_LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
_LEET_SYMBOLS = {"@": "a", "$": "s", "!": "i"}
# Starts with the rare character so the engine skips through ordinary text quickly.
_LEET_ANY = re.compile(r"[013457@$!]")
_LATIN_ANY = re.compile(r"[a-z]")
_LEET_AFTER = re.compile(r"[013457@$!](?<=[a-z][013457@$!])")
_LEET_BEFORE = re.compile(r"[@$!](?=[a-z])")
_LEET_TOKEN_AT = re.compile(r"[a-z0-9@$!]+")
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Separators an evader puts between Chinese characters. Not ，。！？；： (their NFKC forms
# , ! ? ; : included) because those end clauses.
# Whitespace is a plain space by now (step 1 maps the others), and a literal space checks
# faster than the \s category.
_CJK_SEP = r"[ .*\-_/\\|~^+=#'\"`@$%&·•・°\u2027\u30fb\u2600-\u27bf\U0001f300-\U0001faff]"

# Deletions. Each regex starts with a plain character class so the engine can skip through
# ordinary text in C; a single alternation of all of them was eight times slower. Context the
# regex cannot express cheaply (the character *before* a separator) is checked in Python.
_CJK_ANY = re.compile(f"[{_CJK}]")
_SEP_CHARS = _CJK_SEP[1:-1]
# Led by the separator (fast skip), then the look-behind checks a Chinese character before it.
_CJK_GAP = re.compile(
    f"[{_SEP_CHARS}](?<=[{_CJK}][{_SEP_CHARS}])[{_SEP_CHARS}]{{0,3}}(?=[{_CJK}])"
)
# The look-behind after the first character means a run is tried only where it starts, after a
# letter: without it a long run of dots cost quadratic time.
_IN_WORD = re.compile(r"[*_|~'.\-](?<=[a-z][*_|~'.\-])[*_|~'.\-]*+(?=[a-z])")
_SPACES = re.compile(r"  +")
_LATIN_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# "s u i c i d e": three or more single letters joined by spaces (dots and dashes inside words
# are already deleted above). The hint is a cheap literal-led search that rules most text out.
_SPACED_HINT = re.compile(r" [a-z] [a-z][ ,]")
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:[ ,]{1,3}[a-z](?![a-z0-9])){2,}")
_SPACED_SEP = re.compile(r"[ ,]+")
_ZW_RUN = re.compile("\x00+")
_REPEAT = re.compile(r"([a-z])(\1{2,})")
_REPEAT_HINT = re.compile(r"([a-z])\1\1")  # same test, a third of the cost of _REPEAT
_DOUBLE = re.compile(r"([a-z])\1+")


def squeeze(text: str) -> str:
    """Every run of one Latin letter cut to a single letter ("kill" -> "kil").

    Messages only lose runs of three or more (``killll`` -> ``kil``, ``sooo`` -> ``so``), which
    keeps ordinary double letters cheap to scan; the lexicon stores each pattern both as written
    and squeezed, so both ``kill`` and ``kiiill``/``killll`` meet a pattern.
    """
    return _DOUBLE.sub(r"\1", text)


def _load_t2s() -> dict[str, str]:
    """Traditional → simplified, one character to one, from OpenCC's own table.

    The phrase-level converter can change lengths and is slow in pure Python; the character
    table is what matters for matching risk words and keeps positions aligned.
    """
    try:
        import opencc  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - dependency is declared in pyproject
        return {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and len(parts[0]) == 1:
                target = parts[1].split(" ")[0]
                if len(target) == 1:
                    table[parts[0]] = target
    else:  # pragma: no cover - older packaging; slow but correct
        conv = opencc.OpenCC("t2s")
        for cp in range(0x4E00, 0xA000):
            c = chr(cp)
            s = conv.convert(c)
            if len(s) == 1 and s != c:
                table[c] = s
    return table


def _fold(c: str, t2s: dict[str, str]) -> str:
    n = unicodedata.normalize("NFKC", c)
    if len(n) != 1:
        return c  # expansions (ligatures, "…") would shift positions; leave them
    low = n.lower()
    if len(low) == 1:
        n = low
    n = t2s.get(n, n)
    return _HOMOGLYPHS.get(n, n)


_TABLE_SIZE = 0x1F200  # covers the BMP, mathematical alphanumerics and enclosed letters


@lru_cache(maxsize=1)
def translation_table() -> list[int | str]:
    """The one-to-one character table of step 1, built once per process (~50 ms).

    A list indexed by code point rather than a dict: ``str.translate`` on a dict raises and
    swallows a KeyError for every unmapped character, which made Chinese text 15x slower.
    Code points past the end raise IndexError, which ``translate`` treats as "unchanged".
    """
    t2s = _load_t2s()
    table: list[int | str] = list(range(_TABLE_SIZE))
    for cp in range(0x41, _TABLE_SIZE):
        if 0xD800 <= cp < 0xE000 or 0x7F <= cp < 0xA0 and cp != 0x85:
            continue
        c = chr(cp)
        f = _fold(c, t2s)
        if f != c:
            table[cp] = f
    for cp in range(0xD800, 0xE000):
        # A lone surrogate (valid in JSON as "\ud800") cannot be encoded; one replacement
        # character keeps positions and lets every later step treat the text as UTF-8.
        table[cp] = "\ufffd"
    for c in _ZERO_WIDTH:
        table[ord(c)] = "\x00"
    for c in _APOSTROPHES:
        table[ord(c)] = "'"
    for c in "\t\n\r\x0b\x0c\x85\u3000\u00a0\u2028\u2029":
        table[ord(c)] = " "
    return table


# Folds so common in Chinese text (full-width punctuation, line breaks) that they are applied
# with str.replace; any other character the table changes sends the text through the table.
_FAST_FOLDS = "，！？：；（）～\u3000\t\n\r\x0b\x0c"


@lru_cache(maxsize=1)
def _slow_chars() -> re.Pattern[str]:
    """Every non-ASCII character the table changes, except the :data:`_FAST_FOLDS`.

    Listed one by one (not as ranges) so the engine compiles a bitmap: a search over 500
    Chinese characters that finds none takes ~2 µs, against ~18 µs for ``str.translate``.
    """
    table = translation_table()
    chars = [
        chr(cp) for cp in range(0x80, 0x10000)
        if table[cp] != cp and chr(cp) not in _FAST_FOLDS and not 0xD800 <= cp < 0xE000
    ]
    # Surrogates, and characters past the BMP (mathematical letters, emoji), which would turn
    # the bitmap into a slow list of ranges, simply take the table route.
    return re.compile(
        "[" + "".join(re.escape(c) for c in chars) + "\ud800-\udfff\U00010000-\U0010ffff]"
    )


@lru_cache(maxsize=1)
def _ascii_folds() -> tuple[tuple[str, str], ...]:
    """Printable ASCII characters the table maps otherwise than ``str.lower`` does, with their
    mapping: today only the backtick (an apostrophe).

    For printable ASCII text, step 1 is then ``str.lower`` plus a ``str.replace`` per listed
    character present: a fifth of the cost of ``str.translate``. Derived from the table, so
    the fast route cannot drift from it; control characters take the table route.
    """
    table = translation_table()
    folds: list[tuple[str, str]] = []
    for cp in range(0x20, 0x7F):
        c = chr(cp)
        mapped = table[cp]
        folded = mapped if isinstance(mapped, str) else chr(mapped)
        if folded != c.lower():
            if c.lower() != c:  # would be lowered before it is replaced
                raise RuntimeError(f"the fold table maps the letter {c!r} to {folded!r}")
            folds.append((c, folded))
    return tuple(folds)


def prepare() -> None:
    """Build the tables now (~0.1 s) rather than on the first message."""
    translation_table()
    _slow_chars()
    _ascii_folds()


def _fold_text(text: str) -> str:
    """Step 1 of the pipeline: the table, or the same result by a faster route."""
    if text.isascii() and text.isprintable():
        text = text.lower()
        for c, folded in _ascii_folds():
            if c in text:
                text = text.replace(c, folded)
        return text
    table = translation_table()
    if text.isascii() or _slow_chars().search(text) is not None:
        return text.translate(table)
    for c in _FAST_FOLDS:
        if c in text:
            text = text.replace(c, str(table[ord(c)]))
    return text.lower()  # only ASCII letters can still be upper case here


class Normalized:
    """A normalised string plus the map from its positions to the original text."""

    __slots__ = ("text", "_maps")

    def __init__(self, text: str, maps: list[tuple[list[int], list[int]]]) -> None:
        self.text = text
        # Each map is (starts in the shorter string, starts in the longer one); applied last
        # to first. Empty when nothing was deleted, which is the common case for chat lines.
        self._maps = maps

    def to_original(self, pos: int) -> int:
        """Original index of the character at normalised index ``pos``."""
        for nstarts, ostarts in reversed(self._maps):
            k = bisect_right(nstarts, pos) - 1
            pos = ostarts[k] + pos - nstarts[k]
        return pos

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the normalised half-open span ``[start, end)``."""
        maps = self._maps
        if not maps:
            return start, end
        if len(maps) == 1:  # the usual case, inlined
            nstarts, ostarts = maps[0]
            k = bisect_right(nstarts, start) - 1
            j = bisect_right(nstarts, end - 1) - 1
            return ostarts[k] + start - nstarts[k], ostarts[j] + end - nstarts[j]
        return self.to_original(start), self.to_original(end - 1) + 1


def _delete(text: str, spans: list[tuple[int, int]]) -> tuple[str, tuple[list[int], list[int]]]:
    """Remove sorted, possibly overlapping spans; return the new text and its position map."""
    pieces: list[str] = []
    nstarts: list[int] = []
    ostarts: list[int] = []
    pos = 0
    npos = 0
    for s, e in spans:
        if e <= pos:
            continue
        if s > pos:
            pieces.append(text[pos:s])
            nstarts.append(npos)
            ostarts.append(pos)
            npos += s - pos
        pos = max(pos, e)
    if pos < len(text) or not nstarts:
        pieces.append(text[pos:])
        nstarts.append(npos)
        ostarts.append(pos)
    return "".join(pieces), (nstarts, ostarts)


def _leet(m: re.Match[str]) -> str:
    tok = m.group(0)
    if tok.isalpha() or tok.isdigit():
        return tok
    out = []
    prev_alpha = False
    n = len(tok)
    for i, c in enumerate(tok):
        if c in _LEET_DIGITS and prev_alpha:
            c = _LEET_DIGITS[c]
        elif c in _LEET_SYMBOLS and (prev_alpha or (i + 1 < n and tok[i + 1].isalpha())):
            if not (c == "!" and (i + 1 >= n or not tok[i + 1].isalpha())):
                c = _LEET_SYMBOLS[c]
        prev_alpha = c.isalpha()
        out.append(c)
    return "".join(out)


def _leet_words(a: str) -> str:
    """Apply :func:`_leet` to just the words that contain a leetspeak hint."""
    out: list[str] = []
    pos = 0
    hints = sorted([h.start() for h in _LEET_AFTER.finditer(a)]
                   + [h.start() for h in _LEET_BEFORE.finditer(a)])
    for h in hints:
        if h < pos:
            continue
        tok = _LEET_TOKEN_AT.match(a, _token_start(a, h))
        if tok is None:
            continue
        out.append(a[pos : tok.start()])
        out.append(_leet(tok))
        pos = tok.end()
    out.append(a[pos:])
    return "".join(out)


def _token_start(a: str, i: int) -> int:
    while i > 0 and a[i - 1] in _TOKEN_CHARS:
        i -= 1
    return i


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for matching; see the module docstring for the steps and why."""
    a = _fold_text(text)
    ascii_text = a.isascii()
    # Folded ASCII text has no upper-case letters left, so it is "lower" exactly when it has a
    # Latin letter: a method call instead of a regex search.
    latin = a.islower() if ascii_text else _LATIN_ANY.search(a) is not None
    if latin and _LEET_ANY.search(a) and (_LEET_AFTER.search(a) or _LEET_BEFORE.search(a)):
        a = _leet_words(a)
    spans: list[tuple[int, int]] = []
    if "\x00" in a:
        spans.extend(m.span() for m in _ZW_RUN.finditer(a))
    # For the two deletions below, one search first: most lines have nothing to delete, and a
    # search that finds nothing costs a third of an empty finditer loop.
    first = _CJK_GAP.search(a) if not ascii_text and _CJK_ANY.search(a) is not None else None
    if first is not None:
        spans.extend(m.span() for m in _CJK_GAP.finditer(a, first.start()))
    first = _IN_WORD.search(a) if latin else None
    for m in _IN_WORD.finditer(a, first.start()) if first is not None else ():
        s = m.start()
        if s > 0 and a[s - 1] in _LATIN_LETTERS:
            spans.append(m.span())
    if "  " in a:
        spans.extend((m.start() + 1, m.end()) for m in _SPACES.finditer(a))
    if latin and _SPACED_HINT.search(a):
        for m in _SPACED.finditer(a):
            base = m.start()
            for sep in _SPACED_SEP.finditer(m.group()):
                spans.append((base + sep.start(), base + sep.end()))
    maps: list[tuple[list[int], list[int]]] = []
    if spans:
        spans.sort()
        a, mp = _delete(a, spans)
        maps.append(mp)
    if latin and _REPEAT_HINT.search(a):
        reps = [m.span(2) for m in _REPEAT.finditer(a)]
        if reps:
            a, mp = _delete(a, reps)
            maps.append(mp)
    return Normalized(a, maps)
