"""Redis Cluster's key rules hold on a whole run, proved on the embedded Redis (issue 17).

The flows that touch the schema beyond the contract core (a whole conversation with an alert,
handover, supervision, the library, stories, the diary, canned replies, a second factor, the
school's side) run in a pytest of their own under ``tests.slot_audit``, which records every
script call (with the commands Lua ran for it, from ``MONITOR``), every transaction and every
multi-key command, and
checks each against what Redis Cluster allows: one slot per script call and per transaction,
no key a script was not given. A cluster refuses the first and cannot route the second; here
they fail a test instead of a deployment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.slot_audit import parse_monitor_line

ROOT = Path(__file__).resolve().parents[2]
FLOWS = [
    # The contract core (pairing, talk, resume, escalation, two processes) is not here: it runs
    # on a real 3-master Cluster (tests/cluster/test_contract_core.py), which refuses a script
    # touching a key of another slot as this audit does. A whole conversation with an alert:
    "tests/integration/test_key_lifetimes.py",
    "tests/integration/test_handover.py",
    "tests/integration/test_supervision.py",
    "tests/integration/test_alert_closing.py",
    # Between chats and sign-in: library, stories, diary, canned replies, a second factor.
    "tests/integration/test_library_api.py",
    "tests/integration/test_stories_api.py",
    "tests/integration/test_diary_api.py",
    "tests/integration/test_canned.py",
    "tests/integration/test_totp.py",
    # The school's side: departments and pass-up, administration, statistics, early warning.
    "tests/integration/test_departments.py",
    "tests/integration/test_admin_api.py",
    "tests/integration/test_statistics.py",
    "tests/integration/test_statistics_events.py",
    "tests/integration/test_early_warning.py",
    "tests/integration/test_console_settings.py",
    "tests/integration/test_console_overview.py",
]


def test_monitor_lines_are_read_back_exactly() -> None:
    client, args = parse_monitor_line(
        b'1796411843.560384 [0 lua] "SET" "k\\"ey\\n" "va\\x00l\\\\" ""')
    assert client == "lua"
    assert args == [b"SET", b'k"ey\n', b"va\x00l\\", b""]


@pytest.mark.timeout(900)
def test_every_script_and_transaction_stays_in_one_slot(tmp_path: Path) -> None:
    report_file = tmp_path / "slots.json"
    # One process (the audit's plugin records one session), not an xdist worker's child.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env["PEERLINE_SLOT_AUDIT"] = str(report_file)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-p",
         "tests.slot_audit", *FLOWS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=880)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    report = json.loads(report_file.read_text())
    # The run did what it should, so the checks were not vacuous: every message a script call,
    # each with the commands Lua ran for it, and the matching and alert transactions.
    assert report["scripts"] >= 200, report
    assert report["script_commands"] >= 3 * report["scripts"], report
    assert report["transactions"] >= 50, report
    assert report["violations"] == [], "\n".join(report["violations"])
