"""The scan: normalise, match once with Aho-Corasick, apply the rule files, add conversation risk.

Order of decisions for one message (each step is data-driven by a lexicon or rule file):

1. Every lexicon entry and benign phrase is found in one pass over the normalised text
   (severity-0 markers such as "tonight" in a second pass, only when something could use them).
2. Longest match wins: a match inside a longer one is dropped, so the benign phrase 笑死 hides
   the 死 it contains and "want to die" is reported once, not also as "die".
3. Cues cap the severity of nearby matches (negation, hyperbole, third person, past, quotes),
   or raise a method next to an intent word (想跳楼). They are looked for only in the short
   windows around risk matches: most messages have none, and common cue words (他, not) would
   otherwise cost a hit each.
4. Combination rules raise severity when two categories meet in one message (intent + means).
5. Several distinct distress signals in one message make a concern (the note pile).
6. The learned risk model (:mod:`moderation.model`) scores the normalised text; its severity
   (2 or 3 at cross-validated thresholds) counts when higher, unless a strong lexicon cue
   says the words are not a risk: a benign phrase (笑死, "killing me", "suicide prevention"),
   hyperbole, negation or a quote caps the model at the lexicon's severity, another person or
   the past at the watch list. Its reasons appear as ``model_risk`` matches: the phrases whose
   n-grams weighed most.
7. Conversation rules raise it when they meet across recent messages, or when several concern
   level messages come in a row; the model also scores the last few turns together
   (``model_risk_conversation``), so risk spread over short messages is caught.

Most chat lines match nothing in step 1; unless the conversation wants markers or the model
finds risk, they skip steps 2-5 and 7 (each needs a match) and only have their personal data
masked.

Pure CPU, no I/O, no shared mutable state after construction: safe to call from any thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

from .context import FLAG_BITS, MODEL_TURNS, ModelTurn, RiskContext
from .cues import CueRules, Hits
from .lexicon import Lexicon, load_lexicon
from .matcher import find_entries
from .model import MIN_GRAMS, SHORT_CHARS, LangModel, RiskModel, load_model
from .normalize import Normalized, normalize, prepare
from .pii import PiiMasker

__all__ = ["Match", "Verdict", "Moderator"]

NONE, NOTE, CONCERN, CRISIS = 0, 1, 2, 3
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Categories whose note-level matches add up to a concern (see note_pile).
# Cue kinds (rules_cues.tsv) after which the words are not a risk at all: the model may not
# overrule them. After "other person" or "past" cues the model may still reach the watch list.
_MODEL_VETO_CUES = frozenset({"hyperbole", "negation", "quote"})
_MODEL_WATCH_CUES = frozenset({"third_person", "past"})
# Categories the policy puts on the watch list however strongly worded: when a short message's
# lexicon matches are only of these kinds, the lexicon has explained it and the model may not
# page it ("I'm hopeless", "my friend wants to kill herself", "I tried to kill myself once").
_WATCH_CATEGORIES = frozenset(
    {"hopelessness", "abuse_disclosure", "other_at_risk", "suicide_attempt_history"}
)
# Categories that can make a crisis; with any of them live the model keeps its say.
_CRISIS_KINDS = frozenset(
    {"self_harm_intent", "self_harm_means", "self_harm_plan", "farewell",
     "suicide_attempt_in_progress", "self_harm_time", "harm_to_others", "self_harm"}
)
# Categories of a concrete act (a method, a plan, an attempt, self-harm): one that no cue
# speaks against keeps the model's say when a cue put another match on the watch list. A
# wish or the bare word 自杀 does not: talk about suicide in general mentions it freely.
_FREE_KINDS = frozenset(
    {"self_harm_means", "self_harm_plan", "suicide_attempt_in_progress", "self_harm"}
)
_LANG_CODE = {"en": 0, "zh": 1}
# Pile kinds that show distress but no risk by themselves: a pile of only these stays a note.
_PILE_DISTRESS_ONLY = frozenset({"distress", "mental_health", "goodbye", "leaving"})
_PILE_CATEGORIES = frozenset(
    {"distress", "isolation", "self_worth", "mental_health", "hopelessness", "burden", "self_harm",
     "self_harm_intent", "farewell", "goodbye", "leaving", "self_harm_means", "self_harm_plan",
     "suicide_attempt_history"}
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


# A frozen dataclass's __init__ sets each field through object.__setattr__, which looks the slot
# up by name each time; setting the slots directly costs half as much, and every scan builds a
# Verdict. Same class, same fields, and just as frozen to everyone else.
_SET_VERDICT = tuple(getattr(Verdict, f.name).__set__ for f in fields(Verdict))


def _verdict(
    severity: int,
    categories: list[str],
    masked: str,
    matches: list[Match],
    lang: str,
    context: RiskContext,
) -> Verdict:
    """``Verdict(severity, categories, masked, matches, lang, context)``, built faster."""
    v: Verdict = object.__new__(Verdict)
    s_sev, s_cat, s_mask, s_match, s_lang, s_ctx = _SET_VERDICT
    s_sev(v, severity)
    s_cat(v, categories)
    s_mask(v, masked)
    s_match(v, matches)
    s_lang(v, lang)
    s_ctx(v, context)
    return v


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
    """Loads the lexicons and the risk model once (a fraction of a second) and scans messages.

    ``model`` is the loaded risk model; by default the shipped one (``moderation/model``).
    Pass ``use_model=False`` for the lexicon alone (training uses that to learn what the model
    must add).
    """

    def __init__(
        self,
        lexicon_dir: Path | str | None = None,
        student_id_pattern: str | None = None,
        model: RiskModel | None = None,
        use_model: bool = True,
    ) -> None:
        prepare()
        self.model: RiskModel | None = (
            (model if model is not None else load_model()) if use_model else None
        )
        self.lexicon: Lexicon = load_lexicon(lexicon_dir)
        self._masker = PiiMasker(student_id_pattern)
        self._entries = self.lexicon.entries
        self._cues = CueRules(self.lexicon)
        self._window = self.lexicon.settings.get("window", 5)
        self._concern_run = self.lexicon.settings.get("concern_run", 3)
        self._note_pile = self.lexicon.settings.get("note_pile", 99)
        # Categories that combine with a marker category (self_harm_time), and their flags.
        marker_cats = {e.category for e in self._entries if e.marker}
        self._marker_partners = frozenset(
            r.second if r.first in marker_cats else r.first
            for r in self.lexicon.combine
            if (r.first in marker_cats) != (r.second in marker_cats)
        )
        self._partner_bits = 0
        for cat in self._marker_partners:
            self._partner_bits |= FLAG_BITS.get(cat, 0)
        # Remembered flags that make a message with no match still look for markers.
        self._marker_bits = self._partner_bits if self.lexicon.markers is not None else 0
        self._msg_rules = [r for r in self.lexicon.combine if not r.conversation]
        # How many live categories a message rule needs: two, unless one pairs a category
        # with itself. Most messages have one at most, and skip the loop.
        self._msg_rules_need = 1 if any(r.first == r.second for r in self._msg_rules) else 2
        # Conversation rules with their categories' flag bits looked up once.
        self._conv_rules = [
            (r.first, r.second, FLAG_BITS.get(r.first, 0), FLAG_BITS.get(r.second, 0), r.severity)
            for r in self.lexicon.combine
            if r.conversation
        ]

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
        return self._scan(text, lang, context, None)

    def lexicon_probe(self, text: str, lang: str | None = None) -> tuple[int, int]:
        """``(severity, cap)`` of one message by the lexicon alone: its severity before the
        model and conversation, and the highest severity the model may raise it to (lower
        than 3 when a cue or benign phrase speaks against risk). Training uses it to choose
        thresholds for the combination the scanner really applies."""
        probe: list[tuple[int, int]] = []
        self._scan(text, lang, None, probe)
        return probe[0] if probe else (NONE, CRISIS)

    def _scan(
        self,
        text: str,
        lang: str | None,
        context: RiskContext | None,
        probe: list[tuple[int, int]] | None,
    ) -> Verdict:
        """:meth:`scan`; with ``probe``, the model is left out and the lexicon's
        ``(severity, cap)`` appended to ``probe``."""
        if lang not in ("zh", "en"):
            lang = detect_lang(text)
        ctx = context if context is not None else RiskContext()
        norm = normalize(text)
        nt = norm.text
        found = find_entries(self.lexicon.automaton, self._entries, nt)
        lm = self.model.get(lang) if self.model is not None and probe is None else None
        raw: tuple[float, int] | None = None  # the model's (sum, count), computed once
        turn: ModelTurn | None = None  # what the conversation remembers of the model's score
        if not found and not ctx.flags() & self._marker_bits:
            # Nothing matched: most chat lines. Only the model can add anything.
            if lm is None:
                return self._quiet(text, lang, ctx, None)
            raw = mtotal, mcount = lm.raw(nt, lang)
            turn = (_LANG_CODE.get(lang, 0), round(mtotal, 4), mcount, len(text))
            msev, p = self._model_message(lm, mtotal, mcount, len(text), lang)
            if msev == NONE and self._model_conversation(lm, turn, ctx) == NONE:
                return self._quiet(text, lang, ctx, _remembered(lm, turn, p))
        matches: list[Match] = []
        severity = NONE
        live: dict[str, list[tuple[int, int]]] = {}  # matches no cue demoted, markers included
        seen: set[tuple[int, int, str]] = set()  # one reported match per span and category
        pile: list[tuple[str, int]] = []  # (category, entry) of live signals toward the pile
        cue_hits: tuple[Hits, Hits] | None = None  # cue words, found once if a concern needs
        reported: set[int] = set()  # entries already reported
        veto = False  # a benign phrase or a cue says these words are not a risk
        watch_only = False  # the message is about someone else or the past (see watch_cued)
        watch_cued = False  # a cue put a match on the watch list (someone else, the past)
        free_crisis = False  # a crisis-kind concern no cue speaks against
        negated = False  # a negation capped a match
        note_spans: list[tuple[int, int, str]] = []  # note-level risk words (no cue search)
        for start, end, idx in found:
            entry = self._entries[idx]
            sev = entry.severity
            if sev == NONE:
                veto = True
                continue  # a benign phrase: it has done its job by covering a risk word
            note = entry.note
            demoted = False
            if sev > NOTE:  # no cue caps below a note, so notes skip the cue search
                if cue_hits is None:
                    cue_hits = self._cues.hits(
                        nt, [(s, e) for s, e, i in found if self._entries[i].severity > NOTE]
                    )
                cap, why, raise_to = self._cues.near(
                    nt, start, end, entry.category, cue_hits, entry.raisable
                )
                if entry.category == "other_at_risk" and why.startswith("third_person"):
                    # The entry is about someone else by definition ("she wants to die"); the
                    # other-person cue next to it is expected, and the policy puts someone
                    # else at risk on the watch list.
                    cap, why = max(cap, CONCERN), ""
                if cap < CRISIS and why.split(":", 1)[0] in _MODEL_WATCH_CUES:
                    # "我以前想过自杀": the past cue caps at 2 what is already 2; the model may
                    # still not page what the policy puts on the watch list (past ideation).
                    watch_cued = True
                elif cap >= CRISIS and entry.category in _FREE_KINDS:
                    free_crisis = True
                if cap < sev:
                    sev, demoted = cap, True
                    kind = why.split(":", 1)[0]
                    if kind == "negation" and "news" not in why:
                        negated = True
                    elif kind in _MODEL_VETO_CUES or "news" in why:  # news is a topic
                        veto = True
                    elif kind in _MODEL_WATCH_CUES:
                        watch_cued = True
                elif raise_to > sev:
                    sev = raise_to
                if why:
                    note = f"{note} [{why}]" if note else f"[{why}]"
            elif entry.category in _PILE_CATEGORIES:
                note_spans.append((start, end, entry.category))
            if not demoted:
                live.setdefault(entry.category, []).append((start, end))
                if entry.category in _PILE_CATEGORIES:
                    pile.append((entry.category, idx))
            if sev == NOTE and idx in reported:
                continue  # a repeated note-level word is reported once ("好累 ... 好累")
            reported.add(idx)
            if (start, end, entry.category) not in seen:
                seen.add((start, end, entry.category))
                s, e = _widen(text, *norm.span(start, end))
                matches.append(Match(text[s:e], entry.category, sev, s, e, note))
                if sev > severity:
                    severity = sev
        if self.lexicon.markers is not None and (
            not self._marker_partners.isdisjoint(live) or ctx.flags() & self._partner_bits
        ):
            # Markers ("tonight", "明天") are common words that matter only next to a method, a
            # wish to die or a goodbye, so they are looked for only when one is present.
            for start, end, idx in find_entries(self.lexicon.markers, self._entries, nt):
                live.setdefault(self._entries[idx].category, []).append((start, end))
        categories = sorted({m.category for m in matches})
        for rule in self._msg_rules if len(live) >= self._msg_rules_need else ():
            if rule.severity > severity and rule.first in live and rule.second in live:
                if rule.near < 0 or _near(live[rule.first], live[rule.second], rule.near):
                    severity = rule.severity
        if negated and not free_crisis:
            veto = True
        if watch_cued and not free_crisis:
            # A cue about someone else or the past governs its own match: when a method, plan,
            # attempt or self-harm elsewhere in the message stands free of any cue ("以前怕跳
            # 楼，现在宁愿跳楼"; a wish or the bare word 自杀 does not count), the message is not
            # only about them or back then, and the model keeps its say. Otherwise it may raise
            # to the watch list only. A negation likewise vetoes the model only when nothing is
            # free.
            watch_only = True
        # The model may not overrule a lexicon cue that says the words are no risk.
        if (
            severity < CRISIS
            and live
            and len(text) <= SHORT_CHARS
            and not _WATCH_CATEGORIES.isdisjoint(live)
            and _CRISIS_KINDS.isdisjoint(live)
        ):
            watch_only = True  # the lexicon explains a short message as a watch-list matter
        cap = severity if veto else max(severity, CONCERN) if watch_only else CRISIS
        # Several distinct distress signals of different kinds in one message are a concern
        # even when each alone is only a note (rules_conversation.tsv: note_pile).
        piled = severity < CONCERN and len(pile) >= self._note_pile and self._piles(pile)
        if probe is not None:
            # The pile is the lexicon's too: training must count its watch-list flags when it
            # chooses how many more the model may add.
            probe.append((CONCERN if piled else severity, cap))
        if lm is not None and severity >= CRISIS and raw is None:
            # Already a page: the model cannot add to it, and a turn that paged stops the
            # conversation score from raising the turns after it (see _model_conversation),
            # so its score is not needed either. Skipping it keeps the dense crisis posts,
            # the slowest scans, from paying for the model.
            turn = (_LANG_CODE.get(lang, 0), 0.0, 0, len(text))
        elif lm is not None:
            mtotal, mcount = raw if raw is not None else lm.raw(nt, lang)
            msev, p = self._model_message(lm, mtotal, mcount, len(text), lang)
            if msev > severity and cap > severity and note_spans and self._note_veto(
                nt, note_spans
            ):
                cap = severity  # "this exam is going to kill me lol": a joke the model missed
            if msev > severity and cap > severity:
                severity = min(msev, cap)
                matches.extend(self._explain(lm, text, norm, lang, severity, p))
                categories.append("model_risk")
            # A vetoed message adds nothing to the conversation's model score.
            turn = (_LANG_CODE.get(lang, 0), round(mtotal, 4) if not veto else 0.0, mcount,
                    len(text))
        # ``own`` is what the conversation remembers. A concern reached only by piling up notes
        # is not remembered as one: three sad messages in a row must not page a counselor.
        own = severity
        if piled and severity < CONCERN:
            severity = CONCERN
            categories.append("distress_cluster")
        flags = 0
        for cat in live:
            flags |= FLAG_BITS.get(cat, 0)
        severity, extra = self._conversation(own, severity, live, ctx)
        if lm is not None and turn is not None and severity < CRISIS and not veto:
            jsev = self._model_conversation(lm, turn, ctx)
            if jsev > severity:
                severity = jsev
                extra.append("model_risk_conversation")
        categories.extend(c for c in extra if c not in categories)
        severity, masked = self._pii(text, severity, categories, matches)
        return _verdict(
            severity, categories, masked, matches, lang,
            ctx.pushed(
                own, flags, self._window,
                _remembered(lm, turn, None) if lm is not None and turn is not None else turn,
            ),
        )

    def _piles(self, pile: list[tuple[str, int]]) -> bool:
        """Whether distinct signals pile up to a concern (rules_conversation.tsv: note_pile):
        ``note_pile`` distinct entries of at least two kinds, or one more of any kind, at least
        one of them a sign of risk (hopelessness, worthlessness, isolation, burden, a wish,
        means, a goodbye note) rather than of distress alone. Stress, a diagnosis and
        ordinary goodbyes together are distress without risk: the policy's note.
        """
        entries = {idx for _c, idx in pile}
        need = self._note_pile
        if len(entries) < need:
            return False
        kinds = {c for c, _i in pile}
        return (len(kinds) > 1 or len(entries) > need) and not kinds <= _PILE_DISTRESS_ONLY

    def _note_veto(self, nt: str, spans: list[tuple[int, int, str]]) -> bool:
        """Whether a hyperbole, negation or quote cue stands next to a note-level risk word.

        Notes skip the cue search during the scan (no cue can lower a note); it is run here,
        only when the model is about to raise such a message.
        """
        hits = self._cues.hits(nt, [(s, e) for s, e, _c in spans])
        for s, e, cat in spans:
            cap, why, _raise = self._cues.near(nt, s, e, cat, hits)
            if cap < CRISIS and why.split(":", 1)[0] in _MODEL_VETO_CUES:
                return True
        return False

    @staticmethod
    def _model_message(
        lm: LangModel, total: float, count: int, chars: int, lang: str = "en"
    ) -> tuple[int, float]:
        """The model's severity and probability for one message (0 for a message too short to
        judge alone, see MIN_GRAMS)."""
        p = lm.probability(total, count)
        if count < MIN_GRAMS.get(lang, 16):
            return NONE, p
        return lm.severity(p, chars), p

    @staticmethod
    def _model_conversation(lm: LangModel, turn: ModelTurn, ctx: RiskContext) -> int:
        """The model's severity for this turn and the remembered previous ones of the same
        language together (of the last :data:`MODEL_TURNS` turns); 0 when there is none."""
        window = ctx.model[-(MODEL_TURNS - 1) :]
        prev = [t for t in window if t[2] and t[0] == turn[0]]
        if not prev:
            return NONE
        # Only what the turns together reveal counts: after a message that was already a
        # crisis, the next ordinary line is not one too.
        earlier = max((s for s, _f in ctx.recent[-len(window) :]), default=NONE)
        total = turn[1] + sum(t[1] for t in prev)
        count = turn[2] + sum(t[2] for t in prev)
        chars = turn[3] + sum(t[3] for t in prev)
        sev = lm.severity(lm.probability(total, count), chars)
        # Pages only: weak evidence adds up over turns (the score is a sum over sqrt(count)),
        # so a run of ordinary lines could otherwise reach the watch list together.
        return sev if sev >= CRISIS and sev > earlier else NONE

    @staticmethod
    def _explain(
        lm: LangModel, text: str, norm: Normalized, lang: str, severity: int, p: float
    ) -> list[Match]:
        """``model_risk`` matches: the phrases of the original text that weighed most."""
        out: list[Match] = []
        for s, e, _w in lm.top_spans(norm.text, lang):
            os_, oe = norm.span(s, e)
            os_, oe = _word_edges(text, max(0, os_), min(len(text), oe))
            term = text[os_:oe]
            if len(term) > 1 and all(not (os_ < m.end and oe > m.start) for m in out):
                out.append(Match(term, "model_risk", severity, os_, oe,
                                 f"learned risk model, p={p:.2f}"))
        if not out:
            out.append(Match("", "model_risk", severity, 0, 0, f"learned risk model, p={p:.2f}"))
        return out

    def _quiet(self, text: str, lang: str, ctx: RiskContext, turn: ModelTurn | None) -> Verdict:
        """The verdict of :meth:`scan` for a message in which no lexicon entry matched and no
        marker is wanted: most chat lines.

        With nothing matched, nothing is live: no cue, combination, note pile or conversation
        rule can apply (each needs a live category), so the message is severity 0 with no
        flags, and only personal data can add to it. Conversation rules that could combine a
        remembered category with a marker found here are why a context with a marker partner
        takes the full path.
        """
        categories: list[str] = []
        matches: list[Match] = []
        severity, masked = self._pii(text, NONE, categories, matches)
        return _verdict(
            severity, categories, masked, matches, lang,
            ctx.pushed(NONE, 0, self._window, turn),
        )

    def _pii(
        self, text: str, severity: int, categories: list[str], matches: list[Match]
    ) -> tuple[int, str]:
        """Mask personal data: adds its category and matches; returns the severity (at least a
        note when something was masked) and the masked text."""
        spans = self._masker.find(text)
        if not spans:
            return severity, text
        categories.append("pii")
        for sp in spans:
            matches.append(Match(text[sp.start : sp.end], "pii", NOTE, sp.start, sp.end, sp.kind))
        return max(severity, NOTE), self._masker.mask(text, spans)

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
            for first, second, a, b, rule_severity in self._conv_rules:
                if (first in live and past & b) or (second in live and past & a):
                    if rule_severity > severity:
                        severity = rule_severity
                        extra.append("conversation_risk")
        return severity, extra


# What the conversation remembers of a turn the model found no risk in: nothing, but in its
# place, so the last MODEL_TURNS records stay the last MODEL_TURNS turns.
QUIET_TURN: ModelTurn = (0, 0.0, 0, 0)


def _remembered(lm: LangModel, turn: ModelTurn, p: float | None) -> ModelTurn:
    """``turn`` if the model alone puts it at least on the watch list (``p``: its probability,
    if already known), else :data:`QUIET_TURN`.

    The conversation score joins the turns that lean toward risk ("我想通了" then "不会再痛了");
    an ordinary line has nothing to add to them. Remembering only those also keeps a quiet
    conversation's context the same from message to message, and the hub stores the context
    with the session only when it changes: with every turn remembered, every seeker line
    rewrote it (a JSON encoding and a bigger Redis call per message).
    """
    if p is None:
        p = lm.probability(turn[1], turn[2])
    return turn if lm.severity(p, turn[3]) >= CONCERN else QUIET_TURN


def _widen(text: str, s: int, e: int) -> tuple[int, int]:
    """Extend a span over letters squeezed away at its end ("DIEEEE", not "DIE")."""
    n = len(text)
    if e < n and text[e - 1].isascii():  # only Latin letters are squeezed
        while e < n and text[e].isalpha() and text[e].lower() == text[e - 1].lower():
            e += 1
    return s, e


def _word_edges(text: str, s: int, e: int) -> tuple[int, int]:
    """``[s, e)`` grown to whole Latin words and stripped of spaces at its ends: character
    n-grams cut words ("kill m"), the console shows "kill my"."""
    n = len(text)
    while s > 0 and text[s - 1].isascii() and text[s - 1].isalnum() and text[s].isalnum():
        s -= 1
    while e < n and text[e].isascii() and text[e].isalnum() and text[e - 1].isalnum():
        e += 1
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def _near(first: list[tuple[int, int]], second: list[tuple[int, int]], limit: int) -> bool:
    """Whether some span of ``first`` and some span of ``second`` lie within ``limit``."""
    for s1, e1 in first:
        for s2, e2 in second:
            if max(s1, s2) - min(e1, e2) <= limit:
                return True
    return False


