"""Display aliases: friendly, random, and carrying nothing about the person."""

from __future__ import annotations

import secrets

_ADJECTIVES = (
    "Quiet", "Gentle", "Bright", "Calm", "Brave", "Kind", "Warm", "Steady", "Clear", "Soft",
    "Golden", "Silver", "Misty", "Sunny", "Patient", "Hopeful", "Still", "Green", "Blue", "Amber",
)
_NOUNS = (
    "Maple", "Willow", "Heron", "Otter", "Sparrow", "River", "Meadow", "Cedar", "Lantern", "Harbor",
    "Pine", "Finch", "Brook", "Comet", "Fern", "Robin", "Tide", "Aspen", "Cloud", "Pebble",
)


def random_alias() -> str:
    return f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_NOUNS)}"
