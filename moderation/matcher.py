"""Finding lexicon entries in normalised text: one automaton pass, gaps, longest match wins.

Kept apart from the rules (cues, combinations, conversation) so that the hot loop, the part
that runs over every character of every message, stays small and easy to time.
"""

from __future__ import annotations

from typing import Any

from .lexicon import Entry, as_bytes
from .normalize import squeeze

__all__ = ["find_entries", "LATIN_CHARS"]

LATIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Space-less forms of multi-word patterns at least this long match without word boundaries.
_COMPACT_FREE = 8


def find_entries(automaton: Any, entries: list[Entry], nt: str) -> list[tuple[int, int, int]]:
    """Entry matches ``(start, end, entry index)`` in ``nt``, after longest-wins.

    The automaton runs over UTF-8 bytes (see :func:`as_bytes`); hits arrive in order of their
    end, so byte offsets are turned into character offsets by decoding only the bytes since the
    previous hit.
    """
    if automaton is None:
        return []
    found: list[tuple[int, int, int]] = []
    n = len(nt)
    latin = LATIN_CHARS
    ascii_text = nt.isascii()
    raw = b"" if ascii_text else nt.encode("utf-8")
    bpos = cpos = 0  # byte and character offsets of the last hit's end
    for bend, (klen, latin_edge, values) in automaton.iter(as_bytes(nt)):
        if ascii_text:
            end = bend + 1
        else:
            cpos += len(raw[bpos : bend + 1].decode("utf-8"))
            bpos = bend + 1
            end = cpos
        start = end - klen
        if not latin_edge:  # a Chinese key: no word boundaries to check
            for _kind, idx, _part, single_part, _open in values:
                if single_part:
                    found.append((start, end, idx))
                else:
                    span = _around(nt, entries[idx], start, end)
                    if span is not None:
                        found.append((span[0], span[1], idx))
            continue
        # Latin keys must sit on word boundaries (so "die" is not found in "diet").
        left_open = start > 0 and nt[start] in latin and nt[start - 1] in latin
        right_open = end < n and nt[end - 1] in latin and nt[end] in latin
        for kind, idx, _part, single_part, open_end in values:
            if (kind == 2 and klen >= _COMPACT_FREE) or not (
                left_open or (right_open and not open_end)
            ):  # compact "iwanttodie" has no word boundaries left to check
                if single_part:
                    found.append((start, end, idx))
                else:
                    span = _around(nt, entries[idx], start, end)
                    if span is not None:
                        found.append((span[0], span[1], idx))
    if len(found) > 1:
        found = _longest(found, entries)
    return found


def _around(nt: str, entry: Entry, start: int, end: int) -> tuple[int, int] | None:
    """Complete a gapped pattern around its anchor hit ``[start, end)``, nearest parts first."""
    s, e = start, end
    for j in range(entry.anchor - 1, -1, -1):
        span = _find_part(nt, entry, j, max(0, s - entry.gaps[j] - len(entry.parts[j])), s, True)
        if span is None:
            return None
        s = span[0]
    for j in range(entry.anchor + 1, len(entry.parts)):
        span = _find_part(nt, entry, j, e, e + entry.gaps[j - 1] + len(entry.parts[j]), False)
        if span is None:
            return None
        e = span[1]
    return s, e


def _find_part(
    nt: str, entry: Entry, j: int, lo: int, hi: int, last: bool
) -> tuple[int, int] | None:
    """The occurrence of part ``j`` inside ``nt[lo:hi]`` closest to the anchor, on word
    boundaries for Latin text (the part's squeezed form, "kil" for "kill", counts too)."""
    part = entry.parts[j]
    latin = LATIN_CHARS
    best: tuple[int, int] | None = None
    for form in (part, squeeze(part)) if part.isascii() else (part,):
        k = nt.rfind(form, lo, hi) if last else nt.find(form, lo, hi)
        while k >= 0:
            ke = k + len(form)
            if not (k > 0 and nt[k] in latin and nt[k - 1] in latin) and not (
                ke < len(nt) and nt[ke - 1] in latin and nt[ke] in latin and not entry.prefix[j]
            ):
                if best is None or (k > best[0] if last else k < best[0]):
                    best = (k, ke)
                break
            k = nt.rfind(form, lo, ke - 1) if last else nt.find(form, k + 1, hi)
    return best


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
