"""Every Redis key has the lifetime docs/operations.md states (issue 16, defect 8).

A whole conversation with an alert runs against the real server: a helper and a counselor sign
in (and someone mistypes a password), a seeker asks, talks, says crisis words, the counselor
claims and resolves the alert, the seeker leaves and gives feedback. Then every key under the
test's prefix is read with SCAN and matched to a row of the table in docs/operations.md ("Redis
keys and their lifetimes"), parsed here so that the doc and the code cannot drift: a key whose
family is not in the table, a key without a TTL that the table does not give a written reason
for, or a TTL that is none of the row's lifetimes fails.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.settings import Settings
from server.store import keys as keys_module
from tests.conftest import LiveServer
from tests.integration.test_escalation import CRISIS_EN
from tests.integration.test_talk import matched_pair

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
SLACK_S = 300
"""How far below its stated lifetime a TTL may be: the time since it was set in this test."""


@dataclass
class Row:
    patterns: list[str]
    regexes: list[re.Pattern[str]]
    lifetime: str
    reason: bool
    """"no TTL: …": a written reason instead of a lifetime."""


def doc_table() -> list[Row]:
    text = DOC.read_text()
    section = text.split("## Redis keys and their lifetimes", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        patterns = re.findall(r"`([^`]+)`", cells[0])
        rows.append(Row(patterns, [_regex(p) for p in patterns], cells[2],
                        cells[2].startswith("no TTL:")))
    assert len(rows) >= 20, "the lifetime table was not found in docs/operations.md"
    return rows


def _regex(pattern: str) -> re.Pattern[str]:
    """``s:{<sid>}:msgs`` → a regex: each ``<placeholder>`` is one non-empty key segment."""
    parts = re.split(r"(<[^>]+>)", pattern)
    body = "".join("[^:{}]+" if part.startswith("<") else re.escape(part) for part in parts)
    return re.compile(f"^{body}$")


_OPS = {ast.Add: operator.add, ast.Mult: operator.mul, ast.Sub: operator.sub}


def lifetimes(cell: str, settings: Settings) -> list[float]:
    """The lifetimes (seconds) a cell states: each backticked expression of numbers and
    ``PEERLINE_*`` settings (with ``+``, ``×``, ``max``)."""
    values = []
    for expr in re.findall(r"`([^`]+)`", cell):
        if not re.search(r"PEERLINE_|\d", expr):
            continue
        values.append(_evaluate(ast.parse(expr.replace("×", "*"), mode="eval").body, settings))
    return values


def _evaluate(node: ast.AST, settings: Settings) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id.startswith("PEERLINE_"):
        return float(getattr(settings, node.id.removeprefix("PEERLINE_").lower()))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_evaluate(node.left, settings), _evaluate(node.right, settings))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "max":
        return max(_evaluate(a, settings) for a in node.args)
    raise AssertionError(f"cannot read lifetime expression {ast.unparse(node)!r}")


async def full_conversation(live: LiveServer) -> str:
    counselor = await live.counselor()
    assert (await live.login("cedar", "not-her-password"))[0] == 401  # a typo counts
    seeker, helper, sid = await matched_pair(live)
    await seeker.say(sid, "hello, I need to talk")
    await helper.expect("message")
    await helper.say(sid, "I'm here, tell me")
    await seeker.say(sid, CRISIS_EN)
    alert = await counselor.expect("alert", skip=("watch",))
    await counselor.send({"type": "claim", "alert": alert["alert"], "ref": "k"})
    await counselor.expect("joined", skip=("watch", "alert"))
    await counselor.say(sid, "I'm a counselor, I'm with you")
    await counselor.send({"type": "resolve", "alert": alert["alert"], "outcome": "referred",
                          "ref": "r"})
    await counselor.expect("alert_resolved", skip=("watch", "message", "flag", "participant"))
    await seeker.send({"type": "leave", "session": sid, "ref": "bye"})
    await seeker.expect("ended", skip=("message", "participant", "resources", "typing",
                                       "queued"))
    await seeker.send({"type": "feedback", "session": sid, "rating": 4, "feeling": "better",
                       "ref": "f"})
    await seeker.expect("ack", skip=("message", "participant", "resources", "typing"))
    return sid


async def scan_against_table(live: LiveServer, rows: list[Row]
                             ) -> tuple[dict[str, list[tuple[str, float]]], list[str]]:
    """Every key under the test's prefix, matched to its row: (keys found per row, problems)."""
    redis, settings = live.runtime.redis, live.settings
    prefix = settings.key_prefix + ":"
    found: dict[str, list[tuple[str, float]]] = {}
    problems: list[str] = []
    async for raw in redis.scan_iter(match=prefix + "*", count=1000):
        key = raw.decode()[len(prefix):]
        row = next((r for r in rows if any(rx.match(key) for rx in r.regexes)), None)
        if row is None:
            problems.append(f"{key}: no row of the table in docs/operations.md")
            continue
        ttl_ms = await redis.pttl(raw)
        found.setdefault(row.patterns[0], []).append((key, ttl_ms / 1000))
        if ttl_ms < 0:
            if not row.reason:
                problems.append(f"{key}: no TTL, and the table gives no reason")
            continue
        allowed = lifetimes(row.lifetime, settings)
        if row.reason or not allowed:
            problems.append(f"{key}: has a TTL the table does not state ({ttl_ms} ms)")
            continue
        ttl = ttl_ms / 1000
        if not any(value - SLACK_S <= ttl <= value + 1 for value in allowed):
            problems.append(f"{key}: TTL {ttl:.0f} s is none of {allowed} ({row.lifetime})")
    return found, problems


async def test_every_key_has_the_lifetime_the_operations_doc_states(
        live_server: LiveServer) -> None:
    rows = doc_table()
    sid = await full_conversation(live_server)
    settings = live_server.settings
    found, problems = await scan_against_table(live_server, rows)
    assert not problems, "\n".join(problems)
    assert sum(len(keys) for keys in found.values()) >= 25, found

    # The conversation touched what it should, so the check above was not vacuous.
    for family in ("s:{<sid>}", "u:s.<id>:sessions", "seeker:s.<id>", "resume:<digest>",
                   "token:<digest>", "signin:<digest>", "device:<digest>", "a:<aid>",
                   "{alerts}:all", "audit", "feedback", "staff"):
        assert family in found, (family, sorted(found))
    # The ended, escalated session is kept for the escalated retention, and so is its alert.
    escalated = settings.escalated_retention_s
    for key, ttl in found["s:{<sid>}"] + found["a:<aid>"]:
        if sid in key or key.startswith("a:"):
            assert escalated - SLACK_S <= ttl <= escalated, (key, ttl)


async def test_the_keys_of_supervision_blocks_hours_and_replies_too(
        server_factory: Callable[..., Any]) -> None:
    """Inside the chat (issue 18): the staff log, blocked pairs, a paused seeker, the hours and
    the approved replies, against the same table."""
    async with server_factory(abuse_blocks=1) as live:
        seeker, helper, sid = await matched_pair(live)
        await seeker.say(sid, "hello")
        await helper.expect("message")
        await helper.send({"type": "note", "session": sid, "text": "exam stress", "ref": "n"})
        await helper.expect("note")
        await helper.send({"type": "block", "session": sid, "ref": "b"})
        await helper.expect("ended")
        await seeker.expect("ended")
        await live.runtime.intake.hours.set("always")
        assert await live.runtime.canned.items()
        found, problems = await scan_against_table(live, doc_table())
        assert not problems, "\n".join(problems)
        for family in ("s:{<sid>}:staff", "{m}:blk:<uid>", "blockedby:<uid>", "reqban:<uid>",
                       "hours", "canned"):
            assert family in found, (family, sorted(found))
        # The ended session's staff log is kept exactly as long as its transcript.
        (_, staff_ttl), = found["s:{<sid>}:staff"]
        retention = live.settings.retention_s
        assert retention - SLACK_S <= staff_ttl <= retention, staff_ttl


def test_the_developers_key_table_names_every_family_of_the_operations_doc() -> None:
    """server/store/keys.py keeps the same table for developers: every family is in both."""
    developers = keys_module.__doc__ or ""
    for row in doc_table():
        for pattern in row.patterns:
            stem = "{m}" if pattern.startswith("{m}") else pattern.split("<", 1)[0]
            # (``a`` / ``a:b`` rows there may write the second as ``:b``.)
            assert f"``{stem}" in developers or f"``:{stem.split(':')[-1]}" in developers, (
                pattern, stem)


