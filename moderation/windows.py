"""Sentence windows: chat turns are shorter than the posts the model is trained on.

Training adds 1-2 sentence windows of every post (with the post's label and a lower weight), so
the model learns what a short message looks like; evaluation measures on short windows of the
held-out posts (the "chat" column), because live chat is shorter than social-media posts.
"""

from __future__ import annotations

import random
import re

__all__ = ["sentences", "training_windows", "chat_windows", "CHAT_CHARS"]

CHAT_CHARS = 80  # a chat window is at most this long
_TRAIN_WINDOW_CHARS = 160
_MAX_TRAIN_WINDOWS = 8
# A sentence ends at . ! ? … (ASCII or full width) or a line break, with what follows them.
_SENT_END = re.compile(r"(?<=[.!?。！？…\n])(?![.!?。！？…])[\s\"'”’）)]*|(?<=[~～])\s+")
_WORDY = re.compile(r"\w")


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, stripped, empty ones dropped."""
    return [s.strip() for s in _SENT_END.split(text) if s and _WORDY.search(s)]


def training_windows(text: str, seed: int) -> list[str]:
    """Windows of one and two consecutive sentences of a post (only when the post has more
    than one sentence), at most :data:`_MAX_TRAIN_WINDOWS`, chosen with a fixed seed."""
    sents = sentences(text)
    if len(sents) < 2:
        return []
    out = [s for s in sents if len(s) <= _TRAIN_WINDOW_CHARS]
    out.extend(
        f"{a} {b}" for a, b in zip(sents, sents[1:], strict=False)
        if len(a) + len(b) < _TRAIN_WINDOW_CHARS
    )
    if len(out) > _MAX_TRAIN_WINDOWS:
        out = random.Random(seed).sample(out, _MAX_TRAIN_WINDOWS)
    return out


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at a space when there is one in the last third."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit * 2 // 3 else cut


def chat_windows(text: str, seed: int) -> list[str]:
    """Up to two chat-like windows of a post, each at most :data:`CHAT_CHARS` characters: its
    first sentence, and one random window of one or two sentences (when different)."""
    sents = sentences(text) or [text]
    first = _cut(sents[0], CHAT_CHARS)
    out = [first]
    cands = [s for s in sents[1:] if len(s) <= CHAT_CHARS]
    cands.extend(
        f"{a} {b}" for a, b in zip(sents, sents[1:], strict=False)
        if len(a) + len(b) + 1 <= CHAT_CHARS
    )
    cands = [c for c in cands if c != first]
    if cands:
        out.append(random.Random(seed).choice(cands))
    return [w for w in out if w.strip()]
