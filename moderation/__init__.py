"""Peerline moderation: risk severity, categories and PII masking for every chat message.

Public API (what the hub calls)::

    from moderation import Moderator, RiskContext, Verdict, Match
    m = Moderator()                      # loads moderation/lexicons and moderation/model once
    v = m.scan(text, lang=None, context=None)
    v.severity, v.categories, v.masked, v.matches, v.lang, v.context
    m.mask(text)                         # PII masking only

Exceptions: :class:`ModerationError` and its subclasses :class:`LexiconError` (bad lexicon line,
named ``file:line``) and :class:`ModelFormatError` (risk-model artifact missing, corrupt or of
another format), raised only while loading; :class:`TrainingDataMismatch` from
``python -m moderation.train`` when the data is not what the model records.
"""

from .context import RiskContext
from .errors import LexiconError, ModelFormatError, ModerationError, TrainingDataMismatch
from .scanner import Match, Moderator, Verdict

__all__ = [
    "Moderator",
    "RiskContext",
    "Verdict",
    "Match",
    "ModerationError",
    "LexiconError",
    "ModelFormatError",
    "TrainingDataMismatch",
]
