"""Anonymous statistics on the real server (issue 19): counted across two processes, read
through ``GET /api/stats`` with the k-anonymity floor, exported as CSV by the CLI, and refused
to anyone but an admin."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from tests.client import Client
from tests.conftest import LiveServer
from tests.timing import MS, WAIT


def api(url: str, token: str | None = None, method: str = "GET",
        body: Any = None) -> tuple[int, Any]:
    """One HTTP call with an optional bearer token; (status, decoded JSON body)."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10_000 * MS) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


async def stats(live: LiveServer, token: str, **query: Any) -> dict[str, Any]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    status, body = await asyncio.to_thread(api, f"{live.http_url}/api/stats?{params}", token)
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def this_hour(report: dict[str, Any]) -> dict[str, Any]:
    """The row of the hour of day it is now (grouped ``by=hour``, the machine's time zone)."""
    key = f"{dt.datetime.now().hour:02d}"
    return next(row for row in report["buckets"] if row["key"] == key)


async def until_stats(live: LiveServer, token: str, check: Any, **query: Any
                      ) -> dict[str, Any]:
    """The report once ``check(report)`` holds (figures are live within 5 s)."""
    deadline = time.monotonic() + 5 * WAIT
    while True:
        report = await stats(live, token, **query)
        if check(report) or time.monotonic() > deadline:
            return report
        await asyncio.sleep(100 * MS)


async def ask(live: LiveServer, url: str | None = None, topic: str = "mood",
              mood: int | None = None, department: str | None = None) -> tuple[Client, str]:
    seeker, _ = await live.seeker(url=url)
    frame: dict[str, Any] = {"type": "request", "topic": topic, "lang": "en", "ref": "r"}
    if mood is not None:
        frame["mood"] = mood
    if department is not None:
        frame["department"] = department
    await seeker.send(frame)
    queued = await seeker.expect("queued")
    return seeker, queued["session"]


async def test_counts_from_two_processes_add_up_and_export_as_csv(
    live_server: LiveServer,
) -> None:
    live = live_server
    admin = await live.staff_token("birch", "admin")
    other = await asyncio.to_thread(live.spawn_process)
    helper = await live.helper("maple", capacity=6)

    # Six seekers, three on each process, are matched; a seventh waits and gives up.
    pairs = []
    for url in (None, other, None, other, None, other):
        seeker, sid = await ask(live, url, topic="mood")
        await seeker.expect("matched")
        await helper.expect("matched", skip=("queued",))
        pairs.append((seeker, sid))
    late, late_sid = await ask(live, other, topic="family")
    # The late one leaves first: a place freed before would pair them.
    for seeker, sid in [(late, late_sid), *pairs]:
        await seeker.send({"type": "leave", "session": sid})
        await seeker.expect("ended", skip=("queued", "matched"))

    report = await until_stats(live, admin, lambda r: this_hour(r)["max_severity"]["0"] == 7,
                               by="hour")
    row = this_hour(report)
    assert row["requests"] == 7
    assert row["matched"] == 6
    assert row["abandoned"] is None  # one: below the floor
    assert row["max_severity"] == {"0": 7, "1": 0, "2": 0, "3": 0}
    assert row["wait_p50_s"] is not None and row["wait_p50_s"] <= 10
    assert row["languages"] == {"zh": 0, "en": 7}
    topics = {r["key"]: r for r in (await stats(live, admin, by="topic"))["buckets"]}
    assert topics["mood"]["requests"] == 6 and topics["mood"]["matched"] == 6
    assert topics["family"]["requests"] is None and topics["family"]["abandoned"] is None
    assert topics["academic"]["requests"] == 0

    # The operator's export reads the same Redis from the command line.
    today = dt.date.today().isoformat()
    env = dict(os.environ, PEERLINE_KEY_PREFIX=live.settings.key_prefix)
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server", "stats", "export", "--redis-url", live.redis_url,
         "--from", today, "--to", today, "--format", "csv"],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("key,requests,matched")
    assert lines[1].startswith(f"{today},7,6,,")  # abandoned: 1, hidden
    assert len(lines) == 2

    as_json = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server", "stats", "export", "--redis-url", live.redis_url,
         "--from", today, "--to", today, "--format", "json", "--by", "topic"],
        env=env, capture_output=True, text=True, timeout=60)
    assert as_json.returncode == 0, as_json.stderr
    exported = {r["key"]: r for r in json.loads(as_json.stdout)["buckets"]}
    assert exported["mood"]["matched"] == 6 and exported["family"]["requests"] is None

    bad = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "server", "stats", "export", "--redis-url", live.redis_url,
         "--from", "04/12/2026", "--to", today],
        env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "YYYY-MM-DD" in bad.stderr


async def test_four_people_are_hidden_and_five_are_shown(live_server: LiveServer) -> None:
    live = live_server
    admin = await live.staff_token("birch", "admin")
    for _ in range(4):
        await ask(live, mood=2)
    report = await until_stats(live, admin, lambda r: this_hour(r)["requests"] is None,
                               by="hour")
    row = this_hour(report)
    assert row["requests"] is None
    assert row["matched"] == 0  # nobody: zero identifies no one
    assert row["mood_before"]["2"] is None
    assert row["wait_p50_s"] is None

    await ask(live, mood=2)
    report = await until_stats(live, admin, lambda r: this_hour(r)["requests"] == 5, by="hour")
    row = this_hour(report)
    assert row["requests"] == 5
    assert row["mood_before"] == {"1": 0, "2": 5, "3": 0, "4": 0, "5": 0}
    # Every other grouping floors the same people the same way.
    weekday = (await stats(live, admin, by="weekday"))["buckets"]
    assert sorted(r["requests"] for r in weekday) == [0] * 6 + [5]


async def test_departments_are_counted_apart_and_floored(live_server: LiveServer) -> None:
    live = live_server
    admin = await live.staff_token("birch", "admin")
    departments = live.runtime.network.departments
    await departments.add("cs", "计算机学院", "Computer Science")
    await departments.add("law", "法学院", "Law")
    for _ in range(5):
        await ask(live, department="cs", topic="academic")
    for _ in range(2):
        await ask(live, department="law", topic="academic")
    await ask(live, topic="academic")

    report = await until_stats(
        live, admin, lambda r: {b["key"]: b["requests"] for b in r["buckets"]}.get("cs") == 5,
        by="department")
    rows = {b["key"]: b for b in report["buckets"]}
    assert set(rows) == {"cs", "law", "_none"}
    assert rows["cs"]["requests"] == 5 and rows["cs"]["matched"] == 0
    assert rows["law"]["requests"] is None  # two students of law: hidden
    assert rows["_none"]["requests"] is None
    assert (await stats(live, admin, by="topic"))["buckets"][0] == {
        **(await stats(live, admin, by="topic"))["buckets"][0], "key": "academic",
        "requests": 8}


async def test_a_bad_mood_is_refused_and_nothing_is_counted(live_server: LiveServer) -> None:
    live = live_server
    admin = await live.staff_token("birch", "admin")
    seeker, _ = await live.seeker()
    for mood in (0, 6, "good"):
        await seeker.send({"type": "request", "topic": "mood", "mood": mood, "ref": "m"})
        error = await seeker.expect("error")
        assert error["code"] == "bad_frame" and error["ref"] == "m"
    assert this_hour(await stats(live, admin, by="hour"))["requests"] == 0


async def test_only_an_admin_reads_statistics(live_server: LiveServer) -> None:
    live = live_server
    url = f"{live.http_url}/api/stats"
    admin = await live.staff_token("birch", "admin")
    helper = await live.staff_token("maple", "helper")
    counselor = await live.staff_token("cedar", "counselor")

    status, body = await asyncio.to_thread(api, url)
    assert status == 401 and body["error"] == "unauthorized"
    assert (await asyncio.to_thread(api, url, "not-a-token"))[0] == 401
    for token in (helper, counselor):
        status, body = await asyncio.to_thread(api, url, token)
        assert status == 403 and body["error"] == "forbidden"

    now = int(time.time() * 1000)
    for query in ("by=month", "from=yesterday", f"from={now}&to={now - 1}",
                  f"from=0&to={now}", "to=-5"):
        status, body = await asyncio.to_thread(api, f"{url}?{query}", admin)
        assert status == 422, query
        assert body["error"] == "bad_request" and body["detail"], query

    status, body = await asyncio.to_thread(api, f"{url}?by=day", admin)
    assert status == 200
    assert body["by"] == "day" and len(body["buckets"]) in (7, 8)
    assert set(body["buckets"][0]) >= {"key", "requests", "matched", "abandoned", "wait_p50_s",
                                       "alerts", "max_severity"}
