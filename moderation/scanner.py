"""The scan: normalise, match once with Aho-Corasick, apply the rule files, add conversation risk.

Order of decisions for one message (each step is data-driven by a lexicon or rule file):

1. Every lexicon entry, benign phrase and cue is found in one pass over the normalised text.
2. Longest match wins: a match inside a longer one is dropped, so the benign phrase 笑死 hides
   the 死 it contains and "want to die" is reported once, not also as "die".
3. Cues cap the severity of nearby matches (negation, hyperbole, third person, quotes).
4. Combination rules raise severity when two categories meet in one message (intent + means).
5. Conversation rules raise it when they meet across recent messages, or when several concern
   level messages come in a row.

Pure CPU, no I/O, no shared mutable state after construction: safe to call from any thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .context import FLAG_BITS, RiskContext
from .lexicon import Entry, Lexicon, load_lexicon
from .normalize import normalize
from .pii import PiiMasker

__all__ = ["Match", "Verdict", "Moderator"]

NONE, NOTE, CONCERN, CRISIS = 0, 1, 2, 3
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CLAUSE_END = re.compile(r"[.!?;。！？；\n]")
_LATIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Space-less forms of multi-word patterns at least this long match without word boundaries.
_COMPACT_FREE = 8
# Categories whose note-level matches add up to a concern (see note_pile).
_PILE_CATEGORIES = frozenset(
    {"distress", "hopelessness", "burden", "self_harm", "self_harm_intent", "farewell"}
)


@dataclass(frozen=True, slots=True)
class Match:
    """One reason for a verdict, for the helper console: what matched, where, and why."""

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
    # UTF-8 spends 3 bytes on a Chinese character: the excess over len() counts them without
    # a Python-level loop (other non-ASCII characters add a little noise, which is harmless).
    cjk = (len(text.encode("utf-8", "surrogatepass")) - len(text)) // 2
    return "zh" if cjk >= len(_LATIN_WORD.findall(text)) else "en"


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
        self._cues = self.lexicon.cues
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
        found, cue_hits = self._find(nt)
        matches: list[Match] = []
        severity = NONE
        live: list[tuple[int, int, str]] = []  # matches no cue demoted, markers included
        seen: set[tuple[int, int, str]] = set()  # one reported match per span and category
        notes: set[int] = set()  # distinct entries that count toward the note pile
        for start, end, idx in found:
            entry = self._entries[idx]
            sev = entry.severity
            note = entry.note
            if sev > NONE:
                cap, why = self._cap(nt, start, end, cue_hits)
                if cap < sev:
                    sev = cap
                    note = f"{note} [{why}]" if note else f"[{why}]"
                else:
                    live.append((start, end, entry.category))
                    if entry.category in _PILE_CATEGORIES:
                        notes.add(idx)
            elif idx not in self._benign:
                live.append((start, end, entry.category))  # markers feed combinations
            if sev > NONE and (start, end, entry.category) not in seen:
                seen.add((start, end, entry.category))
                s, e = _widen(text, *norm.span(start, end))
                matches.append(Match(text[s:e], entry.category, sev, s, e, note))
                severity = max(severity, sev)
        categories = sorted({m.category for m in matches})
        live_cats = {c for _s, _e, c in live}
        for rule in self._msg_rules:
            if rule.severity > severity and rule.first in live_cats and rule.second in live_cats:
                if rule.near < 0 or _near(live, rule.first, rule.second, rule.near):
                    severity = rule.severity
        if severity < CONCERN and len(notes) >= self._note_pile:
            # Several distinct distress signals in one message are a concern even when each
            # alone is only a note (rules_conversation.tsv: note_pile).
            severity = CONCERN
            categories.append("distress_cluster")
        own = severity
        flags = 0
        for cat in live_cats:
            flags |= FLAG_BITS.get(cat, 0)
        severity, extra = self._conversation(own, live_cats, ctx)
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

    def _find(self, nt: str) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        """Entry matches ``(start, end, entry)`` after longest-wins, and cue hits."""
        entries = self._entries
        single: list[tuple[int, int, int]] = []
        cues: list[tuple[int, int, int]] = []
        parts: dict[int, list[list[tuple[int, int]]]] = {}
        n = len(nt)
        latin = _LATIN_CHARS
        for end_idx, (klen, values) in self._automaton.iter(nt):
            start = end_idx - klen + 1
            end = end_idx + 1
            # Latin keys must sit on word boundaries (so "die" is not found in "diet").
            left_open = start > 0 and nt[start] in latin and nt[start - 1] in latin
            right_open = nt[end_idx] in latin and end < n and nt[end] in latin
            for kind, idx, part_no in values:
                if kind == 1:
                    if not (left_open or right_open):
                        cues.append((start, end, idx))
                    continue
                entry = entries[idx]
                if kind == 2 and klen >= _COMPACT_FREE:
                    pass  # "iwanttodie": spaced-out text has no word boundaries left
                elif left_open or (right_open and not entry.prefix[part_no]):
                    continue
                if len(entry.parts) == 1:
                    single.append((start, end, idx))
                else:
                    slots = parts.get(idx)
                    if slots is None:
                        slots = parts[idx] = [[] for _ in entry.parts]
                    slots[part_no].append((start, end))
        for idx, slots in parts.items():
            span = _chain(slots, entries[idx].gaps)
            if span is not None:
                single.append((span[0], span[1], idx))
        if len(single) > 1:
            single = _longest(single, entries)
        return single, cues

    def _cap(
        self, nt: str, start: int, end: int, cue_hits: list[tuple[int, int, int]]
    ) -> tuple[int, str]:
        """Lowest severity cap any cue near ``[start, end)`` imposes, and a reason."""
        cap, why = CRISIS, ""
        for cs, ce, idx in cue_hits:
            cue = self._cues[idx]
            if cue.cap >= cap:
                continue
            hit = cue.whole_message and (ce <= start or cs >= end)
            if not hit and cue.before >= 0 and ce <= start and start - ce <= cue.before:
                hit = _CLAUSE_END.search(nt, ce, start) is None
            if not hit and cue.after >= 0 and cs >= end and cs - end <= cue.after:
                hit = _CLAUSE_END.search(nt, end, cs) is None
            if hit:
                cap, why = cue.cap, f"{cue.kind}: {cue.note or cue.cue}"
        for open_, close, ecap, note in self.lexicon.enclosures:
            if ecap < cap and open_ in nt:
                o = nt.rfind(open_, 0, start)
                if o >= 0 and nt.rfind(close, o, start) < 0 and nt.find(close, end) >= 0:
                    cap, why = ecap, f"quote: {note or open_ + close}"
        return cap, why

    def _conversation(self, own: int, live: set[str], ctx: RiskContext) -> tuple[int, list[str]]:
        """Escalation from recent messages: a run of concerns, or categories meeting."""
        if own >= CRISIS:
            return own, []
        extra: list[str] = []
        severity = own
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


def _widen(text: str, s: int, e: int) -> tuple[int, int]:
    """Extend a span over letters squeezed away at its end ("DIEEEE", not "DIE")."""
    n = len(text)
    while e < n and text[e].isalpha() and text[e].lower() == text[e - 1].lower():
        e += 1
    return s, e


def _near(live: list[tuple[int, int, str]], first: str, second: str, limit: int) -> bool:
    """Whether a ``first`` match and a ``second`` match lie within ``limit`` characters."""
    for s1, e1, c1 in live:
        if c1 != first:
            continue
        for s2, e2, c2 in live:
            if c2 == second and max(s1, s2) - min(e1, e2) <= limit:
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
    """Drop matches strictly inside a longer contiguous one (gapped patterns hide nothing)."""
    found.sort(key=lambda m: (m[0], m[0] - m[1]))
    kept: list[tuple[int, int, int]] = []
    for m in found:
        inside = False
        for k in kept:
            if (
                k[0] <= m[0]
                and m[1] <= k[1]
                and (k[1] - k[0]) > (m[1] - m[0])
                and len(entries[k[2]].parts) == 1
            ):
                inside = True
                break
        if not inside and m not in kept:
            kept.append(m)
    return kept
