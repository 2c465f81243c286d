"""The scan: normalise, match once with Aho-Corasick, apply the rule files, add conversation risk.

Order of decisions for one message (each step is data-driven by a lexicon or rule file):

1. Every lexicon entry and benign phrase is found in one pass over the normalised text.
2. Longest match wins: a match inside a longer one is dropped, so the benign phrase 笑死 hides
   the 死 it contains and "want to die" is reported once, not also as "die".
3. Cues cap the severity of nearby matches (negation, hyperbole, third person, past, quotes),
   or raise a method next to an intent word (想跳楼). They are looked for only in the short
   windows around risk matches: most messages have none, and common cue words (他, not) would
   otherwise cost a hit each.
4. Combination rules raise severity when two categories meet in one message (intent + means).
5. Conversation rules raise it when they meet across recent messages, or when several concern
   level messages come in a row.

Pure CPU, no I/O, no shared mutable state after construction: safe to call from any thread.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick  # type: ignore[import-untyped]

from .context import FLAG_BITS, RiskContext
from .lexicon import Cue, Entry, Lexicon, as_bytes, load_lexicon
from .normalize import normalize
from .pii import PiiMasker

__all__ = ["Match", "Verdict", "Moderator"]

NONE, NOTE, CONCERN, CRISIS = 0, 1, 2, 3
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A cue acts within its own clause: commas count too ("离开他，离开这个世界" is not about him).
_CLAUSE_END = re.compile(r"[.!?;,。！？；，\n]")
_LATIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Space-less forms of multi-word patterns at least this long match without word boundaries.
_COMPACT_FREE = 8
# Only a concern-level method is raised by an intent cue ("想" + "跳楼"), never a note-level
# word such as "pills" or "rope".
_RAISABLE = frozenset({"self_harm_means"})
# Categories whose note-level matches add up to a concern (see note_pile).
_PILE_CATEGORIES = frozenset(
    {"distress", "hopelessness", "burden", "self_harm", "self_harm_intent", "farewell",
     "goodbye", "leaving", "self_harm_means", "self_harm_plan", "suicide_attempt_history"}
)


class Match(NamedTuple):
    """One reason for a verdict, for the helper console: what matched, where, and why.

    A named tuple rather than a frozen dataclass: a scan builds several, and tuples are built
    five times faster.
    """

    term: str  # the matched words as written in the original message
    category: str
    severity: int  # after cue caps
    start: int  # span in the original message
    end: int
    note: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of :meth:`Moderator.scan`."""

    severity: int
    categories: list[str]
    masked: str
    matches: list[Match]
    lang: str
    context: RiskContext = field(default_factory=RiskContext)


def detect_lang(text: str) -> str:
    """``"zh"`` when Chinese characters outnumber Latin words, else ``"en"``."""
    if _CJK_CHAR.search(text) is None:
        return "en"
    # Counted without a Python loop: UTF-8 spends 3 bytes on a Chinese character, so the excess
    # over len() counts them; ASCII characters over 5 approximate Latin words.
    cjk = (len(text.encode("utf-8", "surrogatepass")) - len(text)) // 2
    ascii_chars = len(text.encode("ascii", "ignore"))
    return "zh" if cjk * 5 >= ascii_chars else "en"


class Moderator:
    """Loads the lexicons once (tens of milliseconds) and scans messages against them."""

    def __init__(
        self,
        lexicon_dir: Path | str | None = None,
        student_id_pattern: str | None = None,
    ) -> None:
        self.lexicon: Lexicon = load_lexicon(lexicon_dir)
        self._masker = PiiMasker(student_id_pattern)
        self._automaton = self.lexicon.automaton
        self._entries = self.lexicon.entries
        self._cue_index: dict[str, list[Cue]] = {}
        for cue in self.lexicon.cues:
            self._cue_index.setdefault(cue.cue, []).append(cue)
        near = [c for c in self.lexicon.cues if not c.whole_message]
        whole = [c for c in self.lexicon.cues if c.whole_message]
        self._cue_ac = _cue_automaton(c.cue for c in near)
        self._msg_cue_ac = _cue_automaton(c.cue for c in whole)
        # Furthest each cue word can act, before and after a match: a cheap first test per hit.
        self._cue_reach: dict[str, tuple[int, int]] = {}
        for c in self.lexicon.cues:
            b0, a0 = self._cue_reach.get(c.cue, (-1, -1))
            big = 1 << 30 if c.whole_message else -1
            self._cue_reach[c.cue] = (max(b0, c.before, big), max(a0, c.after, big))
        self._whole_cues_from = 3  # concern matches from which one whole-message cue pass pays
        self._cue_before = max((c.before for c in near), default=0) + 32
        self._cue_after = max((c.after for c in near), default=0) + 32
        self._window = self.lexicon.settings.get("window", 5)
        self._concern_run = self.lexicon.settings.get("concern_run", 3)
        self._note_pile = self.lexicon.settings.get("note_pile", 99)
        # Benign phrases only silence what they cover; severity-0 lexicon markers ("tonight")
        # take part in combination rules.
        self._benign = frozenset(i for i, e in enumerate(self._entries) if e.benign)
        self._msg_rules = [r for r in self.lexicon.combine if not r.conversation]
        self._conv_rules = [r for r in self.lexicon.combine if r.conversation]

    def mask(self, text: str) -> str:
        """``text`` with personal data replaced by ``[phone]``, ``[email]``, ...; nothing else."""
        return self._masker.mask(text)

    def scan(
        self, text: str, lang: str | None = None, context: RiskContext | None = None
    ) -> Verdict:
        """Severity, categories, masked text and explanations for one message.

        ``context`` is the previous verdict's ``context`` for the same conversation (or
        ``None`` for the first message); pass the returned ``verdict.context`` next time.
        """
        if lang not in ("zh", "en"):
            lang = detect_lang(text)
        ctx = context if context is not None else RiskContext()
        norm = normalize(text)
        nt = norm.text
        found = self._find(nt)
        matches: list[Match] = []
        severity = NONE
        live: dict[str, list[tuple[int, int]]] = {}  # matches no cue demoted, markers included
        seen: set[tuple[int, int, str]] = set()  # one reported match per span and category
        notes: set[int] = set()  # distinct entries that count toward the note pile
        msg_hits: list[tuple[int, int, str]] | None = None  # message-wide cues, found once
        all_hits: list[tuple[int, int, str]] | None = None
        concerns = sum(1 for _s, _e, i in found if self._entries[i].severity > NOTE)
        if self._cue_ac is None:
            concerns = 0
        for start, end, idx in found:
            entry = self._entries[idx]
            sev = entry.severity
            if sev == NONE:
                if idx not in self._benign:  # markers such as "tonight" feed combinations
                    live.setdefault(entry.category, []).append((start, end))
                continue
            note = entry.note
            demoted = False
            if sev > NOTE:  # no cue caps below a note, so notes skip the cue search
                if msg_hits is None and self._msg_cue_ac is not None:
                    msg_hits = _cue_hits(self._msg_cue_ac, nt, 0, len(nt))
                if all_hits is None and concerns >= self._whole_cues_from:
                    # Several concerns: one pass over the message beats a window per match.
                    all_hits = _cue_hits(self._cue_ac, nt, 0, len(nt))
                    all_hits.sort()
                cap, why, raise_to = self._cues_near(
                    nt, start, end, entry.category, msg_hits, all_hits
                )
                if cap < sev:
                    sev, demoted = cap, True
                elif raise_to > sev:
                    sev = raise_to
                if why:
                    note = f"{note} [{why}]" if note else f"[{why}]"
            if not demoted:
                live.setdefault(entry.category, []).append((start, end))
                if entry.category in _PILE_CATEGORIES:
                    notes.add(idx)
            if (start, end, entry.category) not in seen:
                seen.add((start, end, entry.category))
                s, e = _widen(text, *norm.span(start, end))
                matches.append(Match(text[s:e], entry.category, sev, s, e, note))
                if sev > severity:
                    severity = sev
        categories = sorted({m.category for m in matches})
        for rule in self._msg_rules:
            if rule.severity > severity and rule.first in live and rule.second in live:
                if rule.near < 0 or _near(live[rule.first], live[rule.second], rule.near):
                    severity = rule.severity
        # ``own`` is what the conversation remembers. A concern reached only by piling up notes
        # is not remembered as one: three sad messages in a row must not page a counselor.
        own = severity
        if severity < CONCERN and len(notes) >= self._note_pile:
            # Several distinct distress signals in one message are a concern even when each
            # alone is only a note (rules_conversation.tsv: note_pile).
            severity = CONCERN
            categories.append("distress_cluster")
        flags = 0
        for cat in live:
            flags |= FLAG_BITS.get(cat, 0)
        severity, extra = self._conversation(own, severity, live, ctx)
        categories.extend(c for c in extra if c not in categories)
        spans = self._masker.find(text)
        masked = text
        if spans:
            masked = self._masker.mask(text, spans)
            categories.append("pii")
            for sp in spans:
                matches.append(Match(text[sp.start : sp.end], "pii", NOTE, sp.start, sp.end,
                                     sp.kind))
            severity = max(severity, NOTE)
        return Verdict(
            severity, categories, masked, matches, lang, ctx.pushed(own, flags, self._window)
        )

    def _find(self, nt: str) -> list[tuple[int, int, int]]:
        """Entry matches ``(start, end, entry)`` after longest-wins."""
        entries = self._entries
        single: list[tuple[int, int, int]] = []
        parts: dict[int, list[list[tuple[int, int]]]] = {}
        n = len(nt)
        latin = _LATIN_CHARS
        ascii_text = nt.isascii()
        raw = b"" if ascii_text else nt.encode("utf-8")
        bpos = cpos = 0  # byte and character offsets of the last hit's end
        for bend, (klen, values) in self._automaton.iter(as_bytes(nt)):
            if ascii_text:
                end = bend + 1
            else:  # hits come in order of their end: decode only the bytes since the last one
                cpos += len(raw[bpos : bend + 1].decode("utf-8"))
                bpos = bend + 1
                end = cpos
            end_idx = end - 1
            start = end - klen
            # Latin keys must sit on word boundaries (so "die" is not found in "diet").
            left_open = start > 0 and nt[start] in latin and nt[start - 1] in latin
            right_open = end < n and nt[end_idx] in latin and nt[end] in latin
            for kind, idx, part_no, single_part, open_end in values:
                if (kind == 2 and klen >= _COMPACT_FREE) or not (
                    left_open or (right_open and not open_end)
                ):  # compact "iwanttodie" has no word boundaries left to check
                    if single_part:
                        single.append((start, end, idx))
                    else:
                        slots = parts.get(idx)
                        if slots is None:
                            slots = parts[idx] = [[] for _ in entries[idx].parts]
                        slots[part_no].append((start, end))
        for idx, slots in parts.items():
            span = _chain(slots, entries[idx].gaps)
            if span is not None:
                single.append((span[0], span[1], idx))
        if len(single) > 1:
            single = _longest(single, entries)
        return single

    def _cues_near(
        self,
        nt: str,
        start: int,
        end: int,
        category: str,
        msg_hits: list[tuple[int, int, str]] | None,
        all_hits: list[tuple[int, int, str]] | None = None,
    ) -> tuple[int, str, int]:
        """For the match ``[start, end)``: the lowest cap a nearby cue imposes, its reason, and
        the severity an intent cue raises a method to (0 if none)."""
        cap, why, raise_to = CRISIS, "", NONE
        n = len(nt)
        hits: list[tuple[int, int, str]] = []
        lo, hi = max(0, start - self._cue_before), min(n, end + self._cue_after)
        if all_hits is not None:  # found once for the whole message; take this window
            i = bisect_left(all_hits, (lo, -1, ""))
            while i < len(all_hits) and all_hits[i][0] < hi:
                hits.append(all_hits[i])
                i += 1
        elif self._cue_ac is not None:
            hits.extend(_cue_hits(self._cue_ac, nt, lo, hi))
        if msg_hits is not None:
            hits.extend(msg_hits)
        reach = self._cue_reach
        for cs, ce, word in hits:
            before, after = reach[word]
            if not (
                (ce <= start and start - ce <= before) or (cs >= end and cs - end <= after)
            ):
                continue  # too far for every cue with this word (message cues: reach is n)
            if (cs > 0 and nt[cs] in _LATIN_CHARS and nt[cs - 1] in _LATIN_CHARS) or (
                ce < n and nt[ce - 1] in _LATIN_CHARS and nt[ce] in _LATIN_CHARS
            ):
                continue  # Latin cues are whole words: "he" is not in "the"
            for cue in self._cue_index[word]:
                hit = cue.whole_message and (ce <= start or cs >= end)
                if not hit and cue.before >= 0 and ce <= start and start - ce <= cue.before:
                    hit = _CLAUSE_END.search(nt, ce, start) is None
                if not hit and cue.after >= 0 and cs >= end and cs - end <= cue.after:
                    hit = _CLAUSE_END.search(nt, end, cs) is None
                if not hit:
                    continue
                if cue.kind == "intent":
                    if category in _RAISABLE and cue.cap > raise_to:
                        raise_to, why = cue.cap, f"intent: {cue.note or cue.cue}"
                elif cue.cap < cap:
                    cap, why = cue.cap, f"{cue.kind}: {cue.note or cue.cue}"
        for open_, close, ecap, note in self.lexicon.enclosures:
            if ecap < cap and open_ in nt:
                o = nt.rfind(open_, 0, start)
                if o >= 0 and nt.rfind(close, o, start) < 0 and nt.find(close, end) >= 0:
                    cap, why = ecap, f"quote: {note or open_ + close}"
        if cap < CRISIS:
            raise_to = NONE
        elif raise_to == NONE:
            why = ""
        return cap, why, raise_to

    def _conversation(
        self, own: int, current: int, live: dict[str, list[tuple[int, int]]], ctx: RiskContext
    ) -> tuple[int, list[str]]:
        """Escalation from recent messages: a run of concerns, or categories meeting.

        ``own`` is the message's remembered severity (see :meth:`scan`), ``current`` the
        severity so far; the result is never below ``current``.
        """
        if current >= CRISIS:
            return current, []
        extra: list[str] = []
        severity = current
        run = self._concern_run
        if own >= CONCERN and run > 1 and len(ctx.recent) >= run - 1:
            if all(s >= CONCERN for s, _f in ctx.recent[-(run - 1) :]):
                severity = CRISIS
                extra.append("sustained_concern")
        if self._conv_rules and ctx.recent:
            past = ctx.flags()
            for rule in self._conv_rules:
                a, b = FLAG_BITS.get(rule.first, 0), FLAG_BITS.get(rule.second, 0)
                if (rule.first in live and past & b) or (rule.second in live and past & a):
                    if rule.severity > severity:
                        severity = rule.severity
                        extra.append("conversation_risk")
        return severity, extra


def _cue_automaton(words: Iterable[str]) -> Any:
    """A small automaton over the cue words (UTF-8 bytes, as for the lexicon)."""
    unique = set(words)
    if not unique:
        return None
    automaton = ahocorasick.Automaton()
    for word in unique:
        automaton.add_word(as_bytes(word), word)
    automaton.make_automaton()
    return automaton


def _cue_hits(automaton: Any, nt: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
    """Every cue in ``nt[lo:hi]`` as ``(start, end, cue)`` in ``nt`` character offsets."""
    window = nt[lo:hi]
    out: list[tuple[int, int, str]] = []
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


def _widen(text: str, s: int, e: int) -> tuple[int, int]:
    """Extend a span over letters squeezed away at its end ("DIEEEE", not "DIE")."""
    n = len(text)
    while e < n and text[e].isalpha() and text[e].lower() == text[e - 1].lower():
        e += 1
    return s, e


def _near(first: list[tuple[int, int]], second: list[tuple[int, int]], limit: int) -> bool:
    """Whether some span of ``first`` and some span of ``second`` lie within ``limit``."""
    for s1, e1 in first:
        for s2, e2 in second:
            if max(s1, s2) - min(e1, e2) <= limit:
                return True
    return False


def _chain(slots: list[list[tuple[int, int]]], gaps: tuple[int, ...]) -> tuple[int, int] | None:
    """First occurrence of all parts in order, each within its gap of the previous one."""
    if any(not s for s in slots):
        return None
    for first_start, first_end in slots[0]:
        prev_end = first_end
        ok = True
        for slot, gap in zip(slots[1:], gaps, strict=True):
            nxt = next((e for s, e in slot if prev_end <= s <= prev_end + gap), None)
            if nxt is None:
                ok = False
                break
            prev_end = nxt
        if ok:
            return first_start, prev_end
    return None


def _longest(found: list[tuple[int, int, int]], entries: list[Entry]) -> list[tuple[int, int, int]]:
    """Drop matches strictly inside a longer contiguous one (gapped patterns hide nothing).

    One pass: sorted by start and then longest first, a match is inside another exactly when
    the kept contiguous match reaching furthest (earliest start on ties) covers it.
    """
    found.sort(key=lambda m: (m[0], m[0] - m[1]))
    kept: list[tuple[int, int, int]] = []
    cover_start, cover_end = -1, -1
    for m in found:
        start, end, idx = m
        if cover_end >= end and (cover_start < start or cover_end > end):
            continue
        if kept and kept[-1] == m:
            continue
        kept.append(m)
        if len(entries[idx].parts) == 1 and end > cover_end:
            cover_start, cover_end = start, end
    return kept
