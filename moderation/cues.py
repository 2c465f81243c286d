"""Applying ``rules_cues.tsv``: words near a risk match that cap it, or raise a method or wish.

Cues matter only next to a concern-level match, and common cue words (他, 要, "not", "he") are
in every other sentence, so they are not in the main automaton: a small automaton of cue words
runs once over a message, and only when the message has a concern-level match.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

import ahocorasick  # type: ignore[import-untyped]

from .lexicon import Cue, Lexicon, as_bytes
from .matcher import LATIN_CHARS

__all__ = ["CueRules", "Hits"]

Hits = list[tuple[int, int, str]]  # (start, end, cue word) in normalised-text offsets

# A cue acts within its own clause: commas count too ("离开他，离开这个世界" is not about him).
_CLAUSE_END = re.compile(r"[.!?;,。！？；，\n]")
# Only a concern-level method or wish is raised by an intent cue ("想" + "跳楼", "going to" +
# "end it", "想" + "离开这个世界"), never a note-level word such as "pills" or "rope". A wish
# to die said with a word of intent in front is active ideation, which the policy pages
# (C-SSRS level 2 and up); alone, "end it" or "离开这个世界" stays on the watch list.
# Kind ``intent_method`` is for weak words ("就" then, "直接" just) that mean intent before a
# method ("就跳下去") but not before a passive wish ("睡着了就不要醒来" stays on the watch list).
_INTENT_KINDS: dict[str, frozenset[str]] = {
    "intent": frozenset({"self_harm_means", "self_harm_intent"}),
    "intent_method": frozenset({"self_harm_means"}),
}
_NO_CAP = 3
# A first-person word between an other-person cue and the match (or opening the match) makes
# the match the writer's own: "give several people my suicide note" is not about the people.
_FIRST_PERSON = re.compile(r"\b(?:i|im|ive|id|my|me|myself)\b")
# An English word of the present between a past cue and the match puts the match back in the
# present: "I was abused years ago and now I want to die" is a wish of today.
_PRESENT = re.compile(r"\b(?:now|today|tonight|currently|anymore|lately|again)\b")


def _whole(nt: str, cs: int, ce: int) -> bool:
    """Whether the cue word at ``[cs, ce)`` is not part of a longer Latin word."""
    latin = LATIN_CHARS
    return not (
        (cs > 0 and nt[cs] in latin and nt[cs - 1] in latin)
        or (ce < len(nt) and nt[ce - 1] in latin and nt[ce] in latin)
    )


class CueRules:
    """The cue rules of one lexicon, ready to apply; immutable after construction."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._enclosures = lexicon.enclosures
        self._index: dict[str, list[Cue]] = {}
        for cue in lexicon.cues:
            self._index.setdefault(cue.cue, []).append(cue)
        self._others = frozenset(c.cue for c in lexicon.cues if c.kind == "third_person")
        near_all = [c for c in lexicon.cues if not c.whole_message]
        # Single Chinese characters (不, 他, 要, 过) are in every other sentence and act only a
        # few characters from a match: they are checked by looking at those characters, not
        # collected from the whole window by the automaton.
        chars = [c for c in near_all if len(c.cue) == 1 and not c.cue.isascii()]
        self._chars = frozenset(c.cue for c in chars)
        self._char_before = max((c.before for c in chars), default=-1) + 1
        self._char_after = max((c.after for c in chars), default=-1) + 1
        near = [c for c in near_all if c.cue not in self._chars]
        self._automaton = _automaton(c.cue for c in near)
        # Message-wide cues are few; str.find over the message is cheaper than an automaton.
        self._whole_words = sorted({c.cue for c in lexicon.cues if c.whole_message})
        # Window sizes around a match, per script: Chinese cues reach at most a dozen
        # characters, English ones ("this song ... kill myself") further; a narrower window for
        # Chinese matches means fewer common cue characters (他, 要, 不) to look at.
        self._windows: dict[bool, tuple[int, int]] = {}
        for latin in (True, False):
            group = [c for c in near if c.cue.isascii() == latin] or near
            longest = max((len(c.cue) for c in group), default=0)
            self._windows[latin] = (
                max((c.before for c in group), default=0) + longest,
                max((c.after for c in group), default=0) + longest,
            )
        longest = max((len(c.cue) for c in near), default=0)
        self._before = max((c.before for c in near), default=0) + longest
        self._after = max((c.after for c in near), default=0)
        # Furthest each cue word can act, before and after a match: a cheap first test per hit.
        self._reach: dict[str, tuple[int, int]] = {}
        for c in lexicon.cues:
            b0, a0 = self._reach.get(c.cue, (-1, -1))
            big = 1 << 30 if c.whole_message else -1
            self._reach[c.cue] = (max(b0, c.before, big), max(a0, c.after, big))

    def hits(self, nt: str, spans: list[tuple[int, int]]) -> tuple[Hits, Hits]:
        """Cue words for :meth:`near`: those that act near a match, found only in the windows
        around ``spans`` (the concern-level matches) and sorted by start, and those that act
        anywhere in the message."""
        near: Hits = []
        if self._automaton is not None:
            lo_hi: list[tuple[int, int]] = []
            for s, e in sorted(spans):
                before, after = self._windows[nt[s].isascii()]
                lo, hi = max(0, s - before), min(len(nt), e + after)
                if lo_hi and lo <= lo_hi[-1][1]:
                    lo_hi[-1] = (lo_hi[-1][0], max(hi, lo_hi[-1][1]))
                else:
                    lo_hi.append((lo, hi))
            for lo, hi in lo_hi:
                near.extend(_hits(self._automaton, nt, lo, hi))
            near.sort()
        whole: Hits = []
        for word in self._whole_words:
            k = nt.find(word)
            while k >= 0:
                whole.append((k, k + len(word), word))
                k = nt.find(word, k + 1)
        return near, whole

    def near(
        self, nt: str, start: int, end: int, category: str, hits: tuple[Hits, Hits],
        raisable: bool = False,
    ) -> tuple[int, str, int]:
        """For the match ``[start, end)``: the lowest cap a nearby cue imposes (3 if none), its
        reason, and the severity an intent cue raises a method or a ``raisable`` wish to (0 if
        none). ``hits`` comes from :meth:`hits` on the same text."""
        cap, why, raise_to, raise_why = _NO_CAP, "", 0, ""
        other_before = False
        n = len(nt)
        near, whole = hits
        i = bisect_left(near, (start - self._before, -1, ""))
        j = bisect_left(near, (end + self._after + 1, -1, ""), i)
        candidates = near[i:j] + whole if whole else near[i:j]
        chars = self._chars
        for k in range(max(0, start - self._char_before), start):
            if nt[k] in chars:
                candidates.append((k, k + 1, nt[k]))
        for k in range(end, min(n, end + self._char_after)):
            if nt[k] in chars:
                candidates.append((k, k + 1, nt[k]))
        for cs, ce, word in candidates:
            before, after = self._reach[word]
            if not ((ce <= start and start - ce <= before) or (cs >= end and cs - end <= after)):
                if ce <= start and word in self._others and _whole(nt, cs, ce) and (
                    _CLAUSE_END.search(nt, ce, start) is None
                ):
                    other_before = True  # "my friend said he is going to end it all"
                continue  # too far for every cue with this word (message cues reach anywhere)
            if not _whole(nt, cs, ce):
                continue  # Latin cues are whole words: "he" is not in "the"
            for cue in self._index[word]:
                hit = cue.whole_message and (ce <= start or cs >= end)
                if not hit and cue.before >= 0 and ce <= start and start - ce <= cue.before:
                    hit = _CLAUSE_END.search(nt, ce, start) is None
                if not hit and cue.after >= 0 and cs >= end and cs - end <= cue.after:
                    hit = _CLAUSE_END.search(nt, end, cs) is None
                if not hit:
                    continue
                if cue.kind == "third_person" and ce <= start and _FIRST_PERSON.search(
                    nt, ce, min(end, start + 3)
                ):
                    continue  # the writer's own words, with someone else named before them
                if cue.kind == "past" and _PRESENT.search(
                    nt, *((ce, start) if ce <= start else (end, cs))
                ):
                    continue  # "years ago ... and now I want to die": the present again
                if cue.kind in _INTENT_KINDS:
                    if raisable and category in _INTENT_KINDS[cue.kind] and cue.cap > raise_to:
                        raise_to, raise_why = cue.cap, f"intent: {cue.note or cue.cue}"
                elif cue.cap < cap:
                    cap, why = cue.cap, f"{cue.kind}: {cue.note or cue.cue}"
        for open_, close, ecap, note in self._enclosures:
            if ecap < cap and open_ in nt:
                o = nt.rfind(open_, 0, start)
                if o >= 0 and nt.rfind(close, o, start) < 0 and nt.find(close, end) >= 0:
                    cap, why = ecap, f"quote: {note or open_ + close}"
        if raise_to and other_before and category != "self_harm_means":
            # A word of intent makes a wish active only when the wish is the writer's: someone
            # else named earlier in the clause (beyond the cue's own reach) leaves it at the
            # watch list, as the policy puts someone else at risk.
            raise_to = 0
        if cap < _NO_CAP:
            raise_to = 0  # a cap beats a raise, and its reason is the one shown
        else:
            why = raise_why if raise_to else ""
        return cap, why, raise_to


def _automaton(words: Iterable[str]) -> Any:
    """A small automaton over cue words (UTF-8 bytes, as for the lexicon)."""
    unique = set(words)
    if not unique:
        return None
    automaton = ahocorasick.Automaton()
    for word in unique:
        automaton.add_word(as_bytes(word), word)
    automaton.make_automaton()
    return automaton


def _hits(automaton: Any, nt: str, lo: int, hi: int) -> Hits:
    """Every cue in ``nt[lo:hi]`` as ``(start, end, cue)`` in ``nt`` character offsets."""
    window = nt[lo:hi]
    out: Hits = []
    if window.isascii():
        for bend, word in automaton.iter(window):
            out.append((lo + bend + 1 - len(word), lo + bend + 1, word))
        return out
    raw = window.encode("utf-8")
    bpos = cpos = 0
    for bend, word in automaton.iter(as_bytes(window)):
        cpos += len(raw[bpos : bend + 1].decode("utf-8"))
        bpos = bend + 1
        out.append((lo + cpos - len(word), lo + cpos, word))
    return out
