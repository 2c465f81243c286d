"""Exceptions raised by the moderation package.

Tree::

    ModerationError          base for everything this package raises on purpose
    ├── LexiconError         a lexicon or rule file is missing or has a bad line (names file:line)
    ├── ModelFormatError     the risk model artifact is missing, corrupt or of another format
    └── TrainingDataMismatch the training data's sha256 differs from the one the model records
"""

from __future__ import annotations


class ModerationError(Exception):
    """Base class: catch this to handle any moderation failure at start-up."""


class LexiconError(ModerationError):
    """A lexicon or rule file could not be read; the message names ``file:line``.

    Raised at load time only, so a counselor's typo stops start-up loudly instead of silently
    dropping a pattern that should page someone.
    """

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class ModelFormatError(ModerationError):
    """The risk-model artifact cannot be used: missing, corrupt, or written in another format
    version or feature size. Scoring with weights over different features would silently give
    wrong severities, so loading refuses instead."""


class TrainingDataMismatch(ModerationError):
    """The training data file is not the one the shipped model was trained on (its sha256
    differs from the manifest's): the model and its recorded figures cannot be reproduced."""
