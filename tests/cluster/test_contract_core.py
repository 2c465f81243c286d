"""The contract core, unchanged, on the Redis Cluster: talking, pairing, resume, escalation,
and two server processes (the tests are the contract suite's own, collected here again)."""

from tests.contract.test_talk import *  # noqa: F403
