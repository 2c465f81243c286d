"""Every scenario, very briefly, against a real Peerline server started by the fixtures.

The server runs in the test's own loop, so the figures mean nothing here; what is tested is that
each scenario drives the real protocol end to end and reports under the stable names.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from loadtests import report
from loadtests.params import Params
from loadtests.run import Run, ServerProbe, bounded
from loadtests.scenarios import SCENARIOS
from loadtests.target import StaffSpec, Target, parse_url
from tests.timing import MS


def target_of(live: Any, urls: Sequence[str] | None = None) -> Target:
    async def provision(specs: Sequence[StaffSpec]) -> None:
        for s in specs:
            await live.add_staff(s.username, s.role, s.password, tier=s.tier)

    return Target([parse_url(u) for u in (urls or [live.ws_url])], provision=provision)


async def run_scenario(
    name: str, live: Any, p: Params, tmp_path: Path, urls: Sequence[str] | None = None
) -> dict[str, Any]:
    import os

    run = Run(name, p.as_dict(), p.duration, probe=ServerProbe([os.getpid()]))
    target = target_of(live, urls)
    await bounded(run, SCENARIOS[name](run, target, p), setup_allowance=60)
    rep = report.build(
        name,
        p.as_dict(),
        run.results,
        run.stats.error_total(),
        dict(run.stats.errors),
        run.notes,
        run.latency.series(),
        [e.ws_url for e in target.endpoints],
    )
    report.write(rep, tmp_path / f"{name}.json")
    assert (tmp_path / f"{name}.md").exists()
    for k in report.STABLE:
        assert k in rep
    assert not any("deadline" in n for n in rep["notes"]), rep["notes"]
    return rep


def quick(**kw: Any) -> Params:
    base = dict(duration=1.0, warmup=0.3, match_timeout=15_000 * MS)
    return Params(**{**base, **kw})


async def test_relay(live_server: Any, tmp_path: Path) -> None:
    rep = await run_scenario("relay", live_server, quick(pairs=6, capacity=3), tmp_path)
    assert rep["pairs_matched"] == 6 and rep["helpers"] == 2 and rep["connections"] == 8
    assert rep["delivered_per_s"] > 20
    lat = rep["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert rep["setup_match_wait_ms"]["count"] == 6


async def test_rush_is_fair_and_never_double_matches(live_server: Any, tmp_path: Path) -> None:
    p = quick(seekers=16, helpers=2, capacity=2, duration=1.5, hold=0.3)
    rep = await run_scenario("rush", live_server, p, tmp_path)
    assert rep["seekers_matched"] == 16 and rep["seekers_unmatched"] == 0
    assert rep["match_wait_ms"]["count"] == 16 and rep["match_wait_ms"]["p99"] is not None
    assert rep["double_match"] == {
        "seekers_matched_twice": 0,
        "sessions_given_twice": 0,
        "helpers_over_capacity": 0,
    }
    assert rep["fairness"]["checked"] == 16
    assert rep["fairness"]["violations"] == 0, rep["fairness"]


async def test_steady_measures_memory_per_connection(live_server: Any, tmp_path: Path) -> None:
    p = quick(connections=16, capacity=3, rate=20.0, duration=1.5)
    rep = await run_scenario("steady", live_server, p, tmp_path)
    assert rep["connections"] == 16 and rep["sessions"] == 12
    assert rep["delivered_per_s"] > 5
    assert rep["latency_ms"]["count"] > 5
    assert rep["rss_per_conn_kib"] is not None and rep["server_rss_mb"] > 0


async def test_alert_latency(live_server: Any, tmp_path: Path) -> None:
    p = quick(
        connections=8, capacity=3, rate=10.0, alerts=2, counselors=1, resolve=True, duration=2.0
    )
    rep = await run_scenario("alert", live_server, p, tmp_path)
    assert rep["alerts_raised"] == 2 and rep["alerts_missing"] == 0
    assert rep["alert_latency_ms"]["count"] == 2
    assert 0 < rep["alert_latency_ms"]["p50"] < 5000
    assert rep["claim_latency_ms"]["count"] == 2


@pytest.mark.multiprocess
async def test_multi_crosses_processes(live_server: Any, tmp_path: Path) -> None:
    second = live_server.spawn_process()
    rep = await run_scenario(
        "multi",
        live_server,
        quick(pairs=6, capacity=3),
        tmp_path,
        urls=[live_server.ws_url, second],
    )
    assert rep["server_nodes_seen"] == 2
    assert rep["connections_per_url"] == [4, 4]
    assert rep["cross_process_pairs"] > 0
    assert rep["delivered_per_s"] > 10
