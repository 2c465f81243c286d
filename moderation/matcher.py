"""Finding lexicon entries in normalised text: one automaton pass, gaps, longest match wins.

Kept apart from the rules (cues, combinations, conversation) so that the hot loop, the part
that runs over every character of every message, stays small and easy to time.
"""

from __future__ import annotations

from .lexicon import Entry, Lexicon, as_bytes

__all__ = ["find_entries", "LATIN_CHARS"]

LATIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Space-less forms of multi-word patterns at least this long match without word boundaries.
_COMPACT_FREE = 8


def find_entries(lexicon: Lexicon, nt: str) -> list[tuple[int, int, int]]:
    """Entry matches ``(start, end, entry index)`` in ``nt``, after longest-wins.

    The automaton runs over UTF-8 bytes (see :func:`as_bytes`); hits arrive in order of their
    end, so byte offsets are turned into character offsets by decoding only the bytes since the
    previous hit.
    """
    entries = lexicon.entries
    single: list[tuple[int, int, int]] = []
    parts: dict[int, list[list[tuple[int, int]]]] = {}
    n = len(nt)
    latin = LATIN_CHARS
    ascii_text = nt.isascii()
    raw = b"" if ascii_text else nt.encode("utf-8")
    bpos = cpos = 0  # byte and character offsets of the last hit's end
    for bend, (klen, values) in lexicon.automaton.iter(as_bytes(nt)):
        if ascii_text:
            end = bend + 1
        else:
            cpos += len(raw[bpos : bend + 1].decode("utf-8"))
            bpos = bend + 1
            end = cpos
        start = end - klen
        # Latin keys must sit on word boundaries (so "die" is not found in "diet").
        left_open = start > 0 and nt[start] in latin and nt[start - 1] in latin
        right_open = end < n and nt[end - 1] in latin and nt[end] in latin
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
