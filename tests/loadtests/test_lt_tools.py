"""The helper commands behind docs/performance.md: hotpath, storecost and tables."""

import asyncio
import json
from pathlib import Path

import pytest

from loadtests import hotpath, report, storecost, tables
from tests.timing import MS


def test_hotpath_times_every_step() -> None:
    rows = hotpath.measure(n=20)
    assert len(rows) == 6
    assert all(us > 0 for _, us in rows)


def test_tables_come_from_the_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lat = {"p50": 1.5, "p95": 2.5, "p99": 3.5, "max": 9.0, "mean": 2.0, "count": 10}
    rep = report.build(
        "relay", {}, {"delivered_per_s": 4321.0, "latency_ms": lat, "connections": 1100}, 0, {}, []
    )
    (tmp_path / "relay.json").write_text(json.dumps(rep))
    peers = {
        "results": {
            "peerline": {"delivered_per_s": 5000.0, "latency_ms": lat, "connections": 1100},
            "websockets": {"delivered_per_s": 20000.0, "latency_ms": lat, "connections": 1100},
            "channels": {"error": "RuntimeError: boom", "notes": []},
        }
    }
    (tmp_path / "peers.json").write_text(json.dumps(peers))
    assert tables.print_tables(tmp_path) == 0
    out = capsys.readouterr().out
    assert "| relay | 1,100 | 4,321.0 | 1.50 / 2.50 / 3.50 / 9.00 |" in out
    assert "0.25×" in out and "failed: RuntimeError: boom" in out


def test_every_chat_frame_has_its_own_ref() -> None:
    # Peerline stores a re-sent ref only once, so a load test that reused refs would stall.
    from loadtests.loops import Room, frame_of
    from loadtests.scenarios.relay import say_head

    room = Room("S", None, None, say_head("S", "hi", "a"), say_head("S", "yo", "b"), b'"}')  # type: ignore[arg-type]
    frames = [json.loads(frame_of(room, i % 2 == 0)) for i in range(6)]
    assert len({f["ref"] for f in frames}) == 6
    assert frames[0] == {"type": "say", "session": "S", "text": "hi", "ref": frames[0]["ref"]}
    assert frames[1]["text"] == "yo" and frames[1]["ref"].startswith("b")


def test_speed_times_the_same_loop_again_and_again() -> None:
    from loadtests import speed

    s = speed.measure(samples=3, pause_s=0, n=1000)
    assert len(s.samples_ms) == 3 and 0 < s.low <= s.median <= s.high


def test_storecost_reads_redis_cost_per_call_round_by_round() -> None:
    rounds = asyncio.run(storecost.measure(sessions=5, rounds=3, per_round=4))
    assert [r.messages_per_session for r in rounds] == [5, 9, 13]  # one before the rounds
    assert all(r.calls == 5 * 4 and r.us_per_call > 0 for r in rounds)
    md = storecost.markdown(rounds, rounds)
    assert md.count("\n") == 2 + 3 and "| 13 |" in md


@pytest.mark.bench
def test_storecost_counts_redis_instructions_per_call_under_callgrind() -> None:
    import shutil

    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        pytest.skip("valgrind is not installed")
    rounds = asyncio.run(storecost.measure(sessions=4, rounds=2, per_round=3, instructions=True))
    # say.lua is tens of thousands of instructions a call (90,000 in docs/performance.md);
    # a figure far off means the dumps were not read round by round.
    for r in rounds:
        assert r.calls == 12 and 20_000 < (r.instructions_per_call or 0) < 1_000_000
    md = storecost.markdown(rounds, rounds)
    assert "| instructions per `say.lua` call" in md
    assert f"| {rounds[0].messages_per_session} |" in md


@pytest.mark.bench
def test_a_cpu_budget_holds_the_process_and_its_children() -> None:
    import subprocess
    import sys
    import time

    from loadtests.cpulimit import CpuGroup, CpuLimitUnavailable

    try:
        group = CpuGroup.create(f"test-{time.monotonic_ns()}", 0.1)
    except CpuLimitUnavailable as exc:
        pytest.skip(f"no cgroup CPU controller here: {exc}")
    spin = "import os, time\nos.fork()\nend = time.monotonic() + 1\n"
    spin += "while time.monotonic() < end: pass\n"
    proc = subprocess.Popen(group.wrap([sys.executable, "-c", spin]))
    try:
        members: set[int] = set()
        end = time.monotonic() + 10_000 * MS  # Python starts slowly on a tenth of a core
        while len(members) < 2 and time.monotonic() < end:
            time.sleep(50 * MS)
            members = {int(p) for p in (group.path / "cgroup.procs").read_text().split()}
        assert proc.pid in members and len(members) == 2  # the command itself (exec), its child
        proc.wait(30_000 * MS)
        end = time.monotonic() + 10_000 * MS
        while (group.path / "cgroup.procs").read_text().strip():  # the child's second ends
            assert time.monotonic() < end, "the forked child never left the group"
            time.sleep(50 * MS)
        periods, waited = group.throttled()
        assert periods > 0 and waited > 0  # two busy loops within a tenth of a core: held back
    finally:
        proc.kill()
        proc.wait()
        group.remove()
    assert not group.path.exists()
    with pytest.raises(ValueError):
        CpuGroup.create("too-small", 0.05)
