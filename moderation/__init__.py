"""Peerline moderation: risk severity, categories and PII masking for every chat message.

Public API (what the hub calls)::

    from moderation import Moderator, RiskContext, Verdict, Match
    m = Moderator()                      # loads moderation/lexicons once
    v = m.scan(text, lang=None, context=None)
    v.severity, v.categories, v.masked, v.matches, v.lang, v.context
    m.mask(text)                         # PII masking only

Exceptions: :class:`ModerationError` and its subclass :class:`LexiconError` (bad lexicon line,
named ``file:line``), raised only while loading.
"""

from .context import RiskContext
from .errors import LexiconError, ModerationError
from .scanner import Match, Moderator, Verdict

__all__ = ["Moderator", "RiskContext", "Verdict", "Match", "ModerationError", "LexiconError"]
