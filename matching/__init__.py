"""The Redis-backed matching queue: seekers waiting, helpers available, atomic pairing.

Every write that must not interleave with another process's is one Lua script beside this file.
"""

from .estimate import estimate_wait_s, queue_score
from .queue import HelperPresence, MatchKeys, MatchQueue, Pair, Priority

__all__ = [
    "HelperPresence",
    "MatchKeys",
    "MatchQueue",
    "Pair",
    "Priority",
    "estimate_wait_s",
    "queue_score",
]
