"""The contract core, unchanged, on a Sentinel-managed master: talking, pairing, resume,
escalation and two server processes (the contract suite's own tests, collected here again)."""

from tests.contract.test_escalation import *  # noqa: F403
from tests.contract.test_multiprocess import *  # noqa: F403
from tests.contract.test_queue_match import *  # noqa: F403
from tests.contract.test_resume import *  # noqa: F403
from tests.contract.test_talk import *  # noqa: F403
