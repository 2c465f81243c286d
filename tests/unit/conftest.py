"""Moderators shared by the moderation unit tests: building one loads the lexicons and the
model (about a tenth of a second), and a Moderator holds no state between scans but its
bounded memo tables, so one of each serves the whole session."""

from __future__ import annotations

import pytest

from moderation import Moderator


@pytest.fixture(scope="session")
def lexicon_only() -> Moderator:
    """The lexicon and rules alone: what pages without the learned model."""
    return Moderator(use_model=False)


@pytest.fixture(scope="session")
def full() -> Moderator:
    """The shipped filter: lexicon, rules and the learned model."""
    return Moderator()
