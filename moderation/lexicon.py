"""Loading the counselor-editable lexicon and rule files into one Aho-Corasick automaton.

Files in the lexicon directory (UTF-8, tab-separated, ``#`` starts a comment line):

* ``*.tsv`` not starting with ``rules_``: risk entries ``pattern, category, severity, note``.
* ``rules_benign.tsv``: same four columns, severity 0: phrases that *contain* a risk word but are
  not risk (笑死, 想死你了, "suicide squad"). The longest overlapping match wins, so a benign
  phrase silences the risk word inside it.
* ``rules_cues.tsv``: ``cue, kind, scope, cap, note``: words near a match that cap its severity
  (negation, hyperbole, third person, past, quoting) or, for kind ``intent``, raise a method
  (category ``self_harm_means``) to the given severity ("想" + "跳楼"). ``scope`` is
  ``before:N``, ``after:N`` or ``message`` (N normalised characters between cue and match).
* ``rules_combine.tsv``: ``category_a, category_b, severity, scope, note``: two categories in one
  message (scope ``message``), close together (``near:N``: within N normalised characters), or
  across recent messages (``conversation``) raise the severity.
* ``rules_conversation.tsv``: ``setting, value, note`` (window size, concern run length, how
  many distinct note-level signals in one message make a concern).

Pattern syntax: text is normalised exactly like messages (so 自殺 = 自杀, Kill = kill). Latin
patterns must start and end on word boundaries; a trailing ``*`` on a part allows any word
ending (``suicid*``, ``slit* ... wrist*``). ``a ... b`` means ``b`` follows ``a`` within a
short gap (default 24 normalised characters for Latin text, 8 for Chinese; ``a ..12.. b`` sets
the gap).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick  # type: ignore[import-untyped]

from .errors import LexiconError
from .normalize import normalize, squeeze

__all__ = ["Entry", "Cue", "CombineRule", "Lexicon", "load_lexicon", "default_lexicon_dir"]

SEVERITIES = (0, 1, 2, 3)
CUE_KINDS = (
    "negation", "hyperbole", "third_person", "past", "quote", "enclosed", "intent", "intent_method",
)
_LATIN = re.compile(r"[a-z]")
_LATIN_EDGE = frozenset("abcdefghijklmnopqrstuvwxyz")
_GAP = re.compile(r"\s+\.\.(\d*)\.\.?\s+")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_GAP_LATIN = 24
DEFAULT_GAP_CJK = 8


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon line: a (possibly gapped) pattern with its category and severity."""

    pattern: str
    category: str
    severity: int
    note: str
    parts: tuple[str, ...]
    gaps: tuple[int, ...]
    latin: tuple[bool, ...]
    prefix: tuple[bool, ...]  # part may continue into a longer word ("suicid*")
    origin: str
    benign: bool = False  # from rules_benign.tsv: silences risk words it covers
    anchor: int = 0  # the part of a gapped pattern the automaton looks for (its longest)
    # A word of intent right before it raises it (rules_cues.tsv, kind intent): every method
    # (self_harm_means), and a wish written with severity "2+" ("end it", "离开这个世界").
    raisable: bool = False

    @property
    def marker(self) -> bool:
        """Severity 0 and not benign: only used by combination rules (e.g. "tonight")."""
        return self.severity == 0 and not self.benign


@dataclass(frozen=True, slots=True)
class Cue:
    """A rule-file word that caps the severity of nearby matches."""

    cue: str
    kind: str
    before: int  # window before the match start (-1: not used)
    after: int  # window after the match end (-1: not used)
    whole_message: bool
    cap: int
    note: str
    latin: bool
    origin: str


@dataclass(frozen=True, slots=True)
class CombineRule:
    """Two categories together raise the severity to ``severity``."""

    first: str
    second: str
    severity: int
    conversation: bool
    near: int  # -1: anywhere in the message; else max characters between the two matches
    note: str


@dataclass(slots=True)
class Lexicon:
    """Everything loaded from a lexicon directory, plus the automaton built over it.

    Automaton keys are UTF-8 bytes (:func:`as_bytes`); values are ``(key length in characters,
    latin_edge, ((kind, index, part, single_part, open_end), ...))``: kind 0 = a one-part
    entry, 2 = an entry's space-less form ("killmyself"), 3 = the anchor part of a gapped entry
    (the other parts are looked for around it). ``markers`` is a second automaton of the severity-0
    markers, run only when a combination could use them.
    """

    entries: list[Entry] = field(default_factory=list)
    cues: list[Cue] = field(default_factory=list)
    combine: list[CombineRule] = field(default_factory=list)
    settings: dict[str, int] = field(default_factory=dict)
    enclosures: list[tuple[str, str, int, str]] = field(default_factory=list)
    automaton: Any = None
    markers: Any = None


def default_lexicon_dir() -> Path:
    """The lexicons shipped inside the package (``moderation/lexicons``)."""
    return Path(str(resources.files("moderation") / "lexicons"))


def _rows(path: Path, ncols: int, min_cols: int) -> Iterable[tuple[int, list[str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(str(path), 0, f"cannot read: {exc}") from exc
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) < min_cols or len(cols) > ncols:
            raise LexiconError(
                str(path), lineno, f"expected {min_cols}-{ncols} tab-separated columns"
            )
        cols += [""] * (ncols - len(cols))
        yield lineno, cols


def _severity(path: Path, lineno: int, value: str) -> int:
    if not value.isdigit() or int(value) not in SEVERITIES:
        raise LexiconError(str(path), lineno, f"severity must be 0-3, got {value!r}")
    return int(value)


def _category(path: Path, lineno: int, value: str) -> str:
    if not _CATEGORY.match(value):
        raise LexiconError(str(path), lineno, f"bad category {value!r} (use lower_snake_case)")
    return value


def _parse_pattern(
    path: Path, lineno: int, pattern: str
) -> tuple[list[str], list[int], list[bool]]:
    pieces = _GAP.split(pattern)
    # _GAP.split alternates: text, gap digits, text, ...
    parts: list[str] = []
    gaps: list[int] = []
    prefix: list[bool] = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            piece = piece.strip()
            open_end = piece.endswith("*")
            piece = piece[:-1] if open_end else piece
            if "*" in piece:
                raise LexiconError(str(path), lineno, "'*' is only allowed at the end of a word")
            norm = normalize(piece.strip()).text.strip()
            if not norm:
                raise LexiconError(str(path), lineno, f"empty pattern part in {pattern!r}")
            parts.append(norm)
            prefix.append(open_end)
        else:
            gaps.append(int(piece) if piece else -1)
    return parts, gaps, prefix


def _load_entries(lex: Lexicon, path: Path, benign: bool) -> None:
    for lineno, (pattern, category, sev, note) in _rows(path, 4, 3):
        cat = _category(path, lineno, category)
        # "2+": a watch-list wish that a word of intent in front of it makes a page.
        raisable = cat == "self_harm_means" or (not benign and sev == "2+")
        severity = _severity(path, lineno, sev[:-1] if sev == "2+" and not benign else sev)
        if benign and severity != 0:
            raise LexiconError(str(path), lineno, "benign phrases must have severity 0")
        parts, gaps, prefix = _parse_pattern(path, lineno, pattern)
        latin = tuple(bool(_LATIN.search(p)) for p in parts)
        gaps = [
            g if g >= 0 else (DEFAULT_GAP_LATIN if latin[i] or latin[i + 1] else DEFAULT_GAP_CJK)
            for i, g in enumerate(gaps)
        ]
        anchor = max(range(len(parts)), key=lambda i: (len(parts[i]), i))
        lex.entries.append(
            Entry(pattern, cat, severity, note, tuple(parts), tuple(gaps), latin, tuple(prefix),
                  f"{path.name}:{lineno}", benign, anchor, raisable)
        )


def _load_cues(lex: Lexicon, path: Path) -> None:
    for lineno, (cue, kind, scope, cap, note) in _rows(path, 5, 4):
        if kind not in CUE_KINDS:
            raise LexiconError(str(path), lineno, f"kind must be one of {', '.join(CUE_KINDS)}")
        capv = _severity(path, lineno, cap)
        if kind == "enclosed":
            if len(cue) != 2:
                raise LexiconError(str(path), lineno, "enclosed cue is an open+close pair: 《》")
            lex.enclosures.append((cue[0], cue[1], capv, note))
            continue
        before = after = -1
        whole = False
        for part in scope.split(","):
            name, _, num = part.strip().partition(":")
            if name == "message" and not num:
                whole = True
            elif name in ("before", "after") and num.isdigit():
                if name == "before":
                    before = int(num)
                else:
                    after = int(num)
            else:
                raise LexiconError(str(path), lineno, f"bad scope {scope!r}")
        norm = normalize(cue).text.strip()
        if not norm:
            raise LexiconError(str(path), lineno, "empty cue")
        lex.cues.append(
            Cue(norm, kind, before, after, whole, capv, note, bool(_LATIN.search(norm)),
                f"{path.name}:{lineno}")
        )


def _load_combine(lex: Lexicon, path: Path) -> None:
    for lineno, (a, b, sev, scope, note) in _rows(path, 5, 4):
        near = -1
        if scope.startswith("near:") and scope[5:].isdigit():
            near = int(scope[5:])
        elif scope not in ("message", "conversation"):
            raise LexiconError(
                str(path), lineno, "scope must be message, near:N or conversation"
            )
        lex.combine.append(
            CombineRule(_category(path, lineno, a), _category(path, lineno, b),
                        _severity(path, lineno, sev), scope == "conversation", near, note)
        )


def _load_settings(lex: Lexicon, path: Path) -> None:
    for lineno, (name, value, _note) in _rows(path, 3, 2):
        if not value.isdigit() or not 1 <= int(value) <= 20:
            raise LexiconError(str(path), lineno, f"{name} must be an integer 1-20")
        lex.settings[name] = int(value)


def _build_automaton(lex: Lexicon, markers: bool) -> Any:
    keys: dict[str, list[tuple[int, int, int, bool, bool]]] = {}
    for idx, entry in enumerate(lex.entries):
        if entry.marker != markers:
            continue
        single = len(entry.parts) == 1
        if not single:
            # Only the anchor goes in the automaton: the other parts of a gapped pattern are
            # often common words ("爸妈", "药") that would cost a hit on every sentence.
            a = entry.anchor
            keys.setdefault(entry.parts[a], []).append((3, idx, a, False, entry.prefix[a]))
            continue
        keys.setdefault(entry.parts[0], []).append((0, idx, 0, True, entry.prefix[0]))
        if entry.latin[0] and " " in entry.parts[0]:
            # "kill myself" also as "killmyself": hashtags and s p a c e d evasion lose spaces.
            compact = entry.parts[0].replace(" ", "")
            keys.setdefault(compact, []).append((2, idx, 0, True, entry.prefix[0]))
    for key in list(keys):
        short = squeeze(key)
        if short != key:  # "kill" also as "kil", so "killll" (normalised to "kil") meets it
            keys.setdefault(short, []).extend(keys[key])
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, values in keys.items():
        # Whether either end of the key is a Latin letter, i.e. whether hits need word-boundary
        # checks (Chinese keys never do).
        latin_edge = key[0] in _LATIN_EDGE or key[-1] in _LATIN_EDGE
        automaton.add_word(as_bytes(key), (len(key), latin_edge, tuple(values)))
    automaton.make_automaton()
    return automaton


def as_bytes(text: str) -> str:
    """``text`` as its UTF-8 bytes, one byte per character (latin-1), for the automaton.

    pyahocorasick finds a node's child by a linear scan: with hundreds of Chinese first
    characters at the root, every character of a Chinese message scanned them all (45 µs per
    500 characters). Over UTF-8 bytes the root has a few dozen children and the same scan takes
    15 µs. UTF-8 is self-synchronising, so a key's bytes only ever match at a character start.
    """
    return text if text.isascii() else text.encode("utf-8").decode("latin-1")


def load_lexicon(directory: Path | str | None = None) -> Lexicon:
    """Read every lexicon and rule file in ``directory`` and build the automaton once.

    Raises :class:`LexiconError` naming ``file:line`` for any malformed line, and when the
    directory holds no risk entries at all (an empty filter must not start silently).
    """
    base = Path(directory) if directory is not None else default_lexicon_dir()
    if not base.is_dir():
        raise LexiconError(str(base), 0, "lexicon directory not found")
    lex = Lexicon()
    for path in sorted(base.glob("*.tsv")):
        name = path.name
        if name == "rules_benign.tsv":
            _load_entries(lex, path, benign=True)
        elif name == "rules_cues.tsv":
            _load_cues(lex, path)
        elif name == "rules_combine.tsv":
            _load_combine(lex, path)
        elif name == "rules_conversation.tsv":
            _load_settings(lex, path)
        elif name.startswith("rules_"):
            raise LexiconError(str(path), 0, "unknown rule file")
        else:
            _load_entries(lex, path, benign=False)
    if not any(e.severity > 0 for e in lex.entries):
        raise LexiconError(str(base), 0, "no risk entries found")
    lex.automaton = _build_automaton(lex, markers=False)
    lex.markers = _build_automaton(lex, markers=True)
    return lex
