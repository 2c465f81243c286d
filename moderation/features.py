"""Hashed n-gram features for the risk model, computed with numpy over the code-point array.

Why this design:

* **Deterministic across processes.** Python's ``hash()`` of a string is salted per process, so
  a model trained in one process would see different feature indices in the server. Every
  n-gram is hashed here with a polynomial hash over its code points in 64-bit wrap-around
  arithmetic, then spread over the table by a multiply-shift; the same text gives the same
  indices in every process and on every machine.
* **Fast on long texts.** The text becomes one ``uint32`` array (``str.encode("utf-32-le")``);
  prefix hashes give the hash of any span in one subtraction, so all n-grams of one order cost
  a couple of vectorised operations. A 500-character message costs a few tens of microseconds.
* **Fast on chat lines** (:class:`GramScorer`). Numpy costs microseconds a call whatever the
  array size; on a ten-word line its fifteen calls were most of the scan (40-50 µs). The scan
  therefore sums a short text's weights in pure Python from bounded memo tables:

  - English by *units* (a word with the space before it): every n-gram starts in one unit and
    reaches at most four characters past it, so the unit plus those four characters is a memo
    key for the sum and count of the n-grams starting there (the word's own feature too). A
    chat line costs one ``split``, one slice and one dictionary look-up per word.
  - Chinese (no spaces) by position: the 1-3 grams starting at a character are the prefixes
    of the three characters from there, so those three characters are the memo key for their
    summed weight; a line costs one slice and one look-up per character, done by ``map`` at
    C speed.

  What is not in a table yet is hashed by :func:`gram_bucket` and :func:`word_bucket`, the
  scalar twins of the numpy hash (same buckets, checked by the tests). Texts longer than
  :data:`NUMPY_CHARS` take the numpy path, which is cheaper there. The tables hold at most
  :data:`_MEMO_LIMIT` entries each (cleared when full; ~120 bytes an entry) and live only in
  the process's memory: recent fragments of text, never written anywhere, like any buffer a
  message passes through.

The feature value of each n-gram occurrence is ``1 / sqrt(number of n-grams in the text)``, so
a score is ``sum(w[idx]) / sqrt(len(idx)) + bias``: no ``bincount`` or ``unique`` is needed at
inference, and the score of several chat turns together is exact from per-turn
``(sum(w[idx]), len(idx))`` pairs (see :mod:`moderation.model`).

Orders: Chinese text uses character 1-3 grams; English text character 3-5 grams over the text
with a space at each end (which also captures short words and word edges) plus whole words.
The text given here is the output of :func:`moderation.normalize.normalize` (folded, simplified,
de-leeted), so evasions meet the same features as plain spellings.
"""

from __future__ import annotations

import array
from typing import cast

import numpy as np
import numpy.typing as npt

__all__ = [
    "FEATURE_BITS",
    "LANGS",
    "NUMPY_CHARS",
    "GramScorer",
    "gram_bucket",
    "word_bucket",
    "ngram_parts",
    "ngram_indices",
    "grams_with_spans",
]

FEATURE_BITS = 18  # 262,144 buckets per language
LANGS = ("en", "zh")
_P = np.uint32(1_000_003)  # polynomial base (odd, so multiplication is a bijection mod 2**32)
_MIX = np.uint32(0x9E3779B1)  # golden-ratio multiplier for multiply-shift hashing
_WORD_SALT = np.uint32(0x27D4EB2F)  # words and n-grams of the same characters must differ
_MAX_LEN = 4096  # longer texts are cut: risk in a 4,000-character message is in its words
_POW = np.ones(_MAX_LEN + 2, dtype=np.uint32)
with np.errstate(over="ignore"):
    for _i in range(1, len(_POW)):
        _POW[_i] = _POW[_i - 1] * _P
del _i
_SHIFT = np.uint32(32 - FEATURE_BITS)

# (orders of character n-grams, whether words are features too) per language.
Grams = tuple[tuple[int, ...], bool]
_ORDERS: dict[str, Grams] = {"zh": ((1, 2, 3), False), "en": ((3, 4, 5), True)}
_SPACE = np.uint32(32)

Parts = list[npt.NDArray[np.uint32]]


def _prepare(text: str, lang: str) -> str:
    text = text[: _MAX_LEN - 2]
    return f" {text} " if lang == "en" else text


Spans = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
# P**i * MIX: the multiply of multiply-shift hashing folded into the positional power.
with np.errstate(over="ignore"):
    _POW_MIX = _POW * _MIX


def _parts(t: str, lang: str, want_spans: bool = False) -> tuple[Parts, list[Spans]]:
    """Bucket indices of every feature of the prepared text ``t``, as one array (in a list,
    for :func:`ngram_parts`), and, if asked, each feature's ``(starts, ends)`` in ``t``.

    Hashing (all mod 2**32, wrap-around intended): ``C[i] = sum_{j<i} c[j] * P**(MAX-j)`` is
    one ``cumsum``; the span ``[i, i+k)`` then hashes to ``(C[i+k] - C[i]) * P**i`` =
    ``sum_{t<k} c[i+t] * P**(MAX-t)``, a function of its characters alone (not of where it
    stands or of the text). Multiply-shift (times an odd constant, keep the top bits) spreads
    that over ``2**FEATURE_BITS`` buckets. Every order is written into one preallocated
    buffer, so a message costs about fifteen numpy calls whatever its length.
    """
    orders, words = _ORDERS.get(lang, _ORDERS["en"])
    codes = np.frombuffer(t.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = len(codes)
    spans: list[Spans] = []
    if n == 0:
        return [], spans
    pre = np.empty(n + 1, dtype=np.uint32)
    pre[0] = 0
    starts = ends = None
    if words:
        # Words are the runs between spaces of the padded text (punctuation included).
        sp = np.flatnonzero(codes == _SPACE)
        starts, ends = sp[:-1] + 1, sp[1:]
    sizes = [max(0, n - k + 1) for k in orders]
    total = sum(sizes) + (len(starts) if starts is not None else 0)
    out = np.empty(total, dtype=np.uint32)
    with np.errstate(over="ignore"):
        np.cumsum(codes * _POW[_MAX_LEN : _MAX_LEN - n : -1], out=pre[1:])
        o = 0
        for k, m in zip(orders, sizes, strict=True):
            if m:
                seg = out[o : o + m]
                np.subtract(pre[k:], pre[:m], out=seg)
                seg *= _POW_MIX[:m]
                if want_spans:
                    st = np.arange(m, dtype=np.int64)
                    spans.append((st, st + k))
                o += m
        if starts is not None and ends is not None and len(starts):
            seg = out[o:]
            np.subtract(pre[ends], pre[starts], out=seg)
            seg *= _POW[starts]
            seg ^= _WORD_SALT
            seg *= _MIX
            if want_spans:
                spans.append((starts.astype(np.int64), ends.astype(np.int64)))
        out >>= _SHIFT
    return [out], spans


def ngram_parts(text: str, lang: str) -> Parts:
    """Bucket index of every n-gram occurrence of ``text`` (already normalised), one array per
    feature kind (each occurrence counts: duplicates are kept). Cheapest form: the scorer sums
    weights per array without concatenating them."""
    return _parts(_prepare(text, lang), lang)[0]


def ngram_indices(text: str, lang: str) -> npt.NDArray[np.int64]:
    """:func:`ngram_parts` as one ``int64`` array (for training)."""
    parts = ngram_parts(text, lang)
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64)


def grams_with_spans(
    text: str, lang: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """:func:`ngram_indices` plus each feature's start and end in ``text``, for explanations
    (the helper console shows which phrases weighed most)."""
    shift = 1 if lang == "en" else 0  # the space added in front
    parts, spans = _parts(_prepare(text, lang), lang, want_spans=True)
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    idx = np.concatenate(parts).astype(np.int64)
    starts = np.clip(np.concatenate([s for s, _e in spans]) - shift, 0, len(text))
    ends = np.clip(np.concatenate([e for _s, e in spans]) - shift, 0, len(text))
    return idx, starts, ends


# -- the scan's scorer: pure Python with memo tables ------------------------------------------

_M32 = 0xFFFFFFFF
_SHIFT_I = 32 - FEATURE_BITS
# P**(MAX-t) * MIX and P**(MAX-t) mod 2**32: an n-gram ``g`` hashes to
# ``(sum(ord(g[t]) * P**(MAX-t)) * MIX mod 2**32) >> SHIFT`` (see _parts: the span hash times
# P**i * MIX at its position i), a word to ``((sum(...) ^ SALT) * MIX mod 2**32) >> SHIFT``.
_GRAM_POW = [int(x) for x in _POW_MIX[_MAX_LEN : _MAX_LEN - 8 : -1]]
_WORD_POW = [int(x) for x in _POW[_MAX_LEN::-1]]
_SALT_I = int(_WORD_SALT)
_MIX_I = int(_MIX)
NUMPY_CHARS = 160  # prepared texts longer than this are summed with numpy
_MEMO_LIMIT = 100_000  # entries per memo table before it is cleared (~120 bytes each)
_LOOKAHEAD = 4  # characters after a unit that its n-grams can reach (orders up to 5)
# For a Chinese text of each length n up to NUMPY_CHARS, the slices [i, i+3) at every start i:
# mapping ``text.__getitem__`` over them cuts every window at C speed.
_ZH_TOP = _ORDERS["zh"][0][-1]
_STARTS: list[list[slice]] = [
    [slice(i, i + _ZH_TOP) for i in range(n)] for n in range(NUMPY_CHARS + 1)
]


def gram_bucket(gram: str) -> int:
    """Bucket of one character n-gram (at most five characters), as :func:`ngram_parts`."""
    h = 0
    for t, ch in enumerate(gram):
        h += ord(ch) * _GRAM_POW[t]
    return (h & _M32) >> _SHIFT_I


def word_bucket(word: str) -> int:
    """Bucket of one English word (a run between spaces), as :func:`ngram_parts`."""
    h = 0
    for t, ch in enumerate(word[: _MAX_LEN]):
        h += ord(ch) * _WORD_POW[t]
    return ((((h & _M32) ^ _SALT_I) * _MIX_I) & _M32) >> _SHIFT_I


class GramScorer:
    """``(sum of weights, number of n-grams)`` of a normalised text, as the model defines it,
    cheaply on chat lines (see the module docstring).

    The result equals ``sum(weights[ngram_indices(text)])`` and its length, up to float
    rounding. Safe to share between threads: a memo table is only ever added to or cleared,
    and a look-up that misses recomputes.
    """

    __slots__ = ("_np_w", "_w", "_lang", "_orders", "_words", "_grams", "_units")

    def __init__(self, weights: npt.NDArray[np.float32], lang: str) -> None:
        self._np_w = np.ascontiguousarray(weights, dtype=np.float32)
        # For misses: indexing an array('f') gives a Python float (no numpy scalar) and keeps
        # the weights at 4 bytes each (a list of floats would take 32).
        self._w = array.array("f", self._np_w.tobytes())
        self._lang = lang
        self._orders, self._words = _ORDERS.get(lang, _ORDERS["en"])
        self._grams: dict[str, float] = {}
        self._units: dict[str, tuple[float, int]] = {}

    def raw(self, text: str) -> tuple[float, int]:
        """``(sum, count)`` of the n-grams of the normalised ``text``."""
        t = _prepare(text, self._lang)
        n = len(t)
        if n > NUMPY_CHARS:
            total = 0.0
            count = 0
            for part in _parts(t, self._lang)[0]:
                total += float(self._np_w[part].sum(dtype=np.float64))
                count += len(part)
            return total, count
        if self._words:
            return self._raw_units(t)
        # Chinese: the n-grams starting at position i are the prefixes of t[i:i+3], so that
        # window (shorter at the end) is the memo key for their summed weight.
        memo = self._grams
        cut = t.__getitem__
        vals: list[float | None] = list(map(memo.get, map(cut, _STARTS[n])))
        if None in vals:
            vals = [self._learn_start(cut(sl)) if v is None else v
                    for v, sl in zip(vals, _STARTS[n], strict=True)]
        count = sum(max(0, n - k + 1) for k in self._orders)
        return sum(cast("list[float]", vals)), count

    def _raw_units(self, t: str) -> tuple[float, int]:
        """English: ``(sum, count)`` of the prepared text ``t`` by units, one look-up a word.

        A unit is a word with the space before it. Every n-gram starts in exactly one unit, and
        the n-grams starting in a unit depend only on the unit and the next four characters
        (an n-gram is at most five long), so ``t[unit start : unit end + 4]`` is a memo key
        for their weights' sum and count, the word's own weight included.
        """
        memo = self._units
        get = memo.get
        total = 0.0
        count = 0
        pos = 0
        for word in t.split(" ")[1:-1]:
            end = pos + 1 + len(word)  # the space after the word
            key = t[pos : end + _LOOKAHEAD]
            e = get(key)
            if e is None:
                e = self._learn_unit(key)
            total += e[0]
            count += e[1]
            pos = end
        return total, count

    def _learn_unit(self, key: str) -> tuple[float, int]:
        u = key.find(" ", 1)  # the unit is key[:u], the rest is what follows it
        if u < 0:
            u = len(key)
        w = self._w
        total = w[word_bucket(key[1:u])]
        count = 1
        for k in self._orders:
            for i in range(min(u, len(key) - k + 1)):
                total += w[gram_bucket(key[i : i + k])]
                count += 1
        e = (total, count)
        if len(memo := self._units) >= _MEMO_LIMIT:
            memo.clear()
        memo[key] = e
        return e

    def _learn_start(self, key: str) -> float:
        """Summed weight of the n-grams that are prefixes of ``key`` (those starting there)."""
        w = self._w
        v = 0.0
        for k in self._orders:
            if k <= len(key):
                v += w[gram_bucket(key[:k])]
        if len(self._grams) >= _MEMO_LIMIT:
            self._grams.clear()
        self._grams[key] = v
        return v

