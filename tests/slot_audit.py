"""A pytest plugin that records what every test of a run asks of the embedded Redis, and checks
it against Redis Cluster's rules (issue 17), without a cluster:

1. the keys of one script call (``EVAL``/``EVALSHA`` ``KEYS``) hash to one slot;
2. a script touches no key it was not given (each command Lua runs, read from ``MONITOR``:
   Redis feeds a script's commands to monitors right after its call, tagged ``lua``);
3. the keys of one ``MULTI``/``EXEC`` transaction hash to one slot (recorded in this process,
   from redis-py's pipelines: ``MONITOR`` shows every unix-socket client alike);
4. a command with several keys (``MGET``, ``SINTERSTORE``…) names one slot; ``DEL``, ``EXISTS``,
   ``TOUCH`` and ``UNLINK`` are split by slot by redis-py's cluster client, so they may not.

Load it with ``-p tests.slot_audit`` and set ``PEERLINE_SLOT_AUDIT`` to a file: at the end of
the run the file holds a JSON report (counts and every violation), which
``tests/integration/test_cluster_slots.py`` reads. Keys are found by asking Redis itself
(``COMMAND GETKEYS``), so no command's key positions are guessed here.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.asyncio.client import Pipeline
from redis.crc import key_slot

SPLIT_BY_CLIENT = {b"DEL", b"EXISTS", b"TOUCH", b"UNLINK"}
"""Multi-key commands that redis-py's ``RedisCluster`` sends slot by slot."""
NOT_COMMANDS = {b"MULTI", b"EXEC", b"DISCARD", b"MONITOR"}


def parse_monitor_line(line: bytes) -> tuple[str, list[bytes]]:
    """``<time> [<db> <client>] "arg" "arg" …`` → (client, args), unescaping Redis's quoting
    (``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``, ``\\a``, ``\\b``, ``\\xHH``)."""
    start = line.index(b"[")
    end = line.index(b"]", start)
    client = line[start + 1:end].split(b" ", 1)[1].decode()
    args: list[bytes] = []
    i, n = end + 1, len(line)
    simple = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("a"): b"\a",
              ord("b"): b"\b", ord('"'): b'"', ord("\\"): b"\\"}
    while i < n:
        if line[i] != ord('"'):
            i += 1
            continue
        i += 1
        out = bytearray()
        while line[i] != ord('"'):
            if line[i] == ord("\\"):
                code = line[i + 1]
                if code == ord("x"):
                    out.append(int(line[i + 2:i + 4], 16))
                    i += 4
                    continue
                out += simple.get(code, bytes([code]))
                i += 2
                continue
            out.append(line[i])
            i += 1
        args.append(bytes(out))
        i += 1
    return client, args


class Recorder:
    """Everything seen during the run, checked once it is over (``report``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.scripts: list[tuple[list[bytes], list[list[bytes]]]] = []
        """Each script call: its command, and the commands Lua ran for it."""
        self.singles: list[list[bytes]] = []
        self.transactions: list[list[list[bytes]]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # -- recording ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._monitor, name="slot-audit", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("MONITOR did not start")

    def _monitor(self) -> None:
        client = redis.Redis.from_url(self.url)
        connection = client.connection_pool.get_connection()
        connection.send_command("MONITOR")
        connection.read_response()
        self._ready.set()
        current: tuple[list[bytes], list[list[bytes]]] | None = None
        while not self._stop.is_set():
            try:
                if not connection.can_read(timeout=0.2):
                    continue
                line = connection.read_response()
            except (redis.ConnectionError, OSError):
                return
            if not isinstance(line, bytes) or b"[" not in line:
                continue
            who, args = parse_monitor_line(line)
            if not args:
                continue
            if who == "lua":
                if current is not None:
                    current[1].append(args)
                continue
            name = args[0].upper()
            if name in (b"EVALSHA", b"EVAL"):
                current = (args, [])
                self.scripts.append(current)
            else:
                current = None
                if name not in NOT_COMMANDS:
                    self.singles.append(args)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def transaction(self, commands: list[list[bytes]]) -> None:
        self.transactions.append(commands)

    # -- checking ----------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        keys_of = KeyFinder(self.url)
        violations: list[str] = []
        for call, inner in self.scripts:
            declared = call[3:3 + int(call[2])]
            slots = {key_slot(k) for k in declared}
            if len(slots) > 1:
                violations.append(f"script keys in {len(slots)} slots: {_show(declared)}")
            allowed = set(declared)
            for command in inner:
                for key in keys_of(command):
                    if key not in allowed:
                        violations.append(
                            f"script touched an undeclared key {key!r} with "
                            f"{command[0].decode()} (declared: {_show(declared)})")
        for commands in self.transactions:
            keys = [k for command in commands for k in keys_of(command)]
            if len({key_slot(k) for k in keys}) > 1:
                names = " ".join(c[0].decode() for c in commands)
                violations.append(f"transaction ({names}) spans slots: {_show(keys)}")
        for command in self.singles:
            if command[0].upper() in SPLIT_BY_CLIENT:
                continue
            keys = keys_of(command)
            if len({key_slot(k) for k in keys}) > 1:
                violations.append(f"{command[0].decode()} spans slots: {_show(keys)}")
        return {"scripts": len(self.scripts),
                "script_commands": sum(len(inner) for _, inner in self.scripts),
                "transactions": len(self.transactions), "commands": len(self.singles),
                "violations": sorted(set(violations))}


class KeyFinder:
    """The keys of a command, as Redis reads them (``COMMAND GETKEYS``), cached by command
    when its keys sit at fixed places (``COMMAND INFO``)."""

    def __init__(self, url: str) -> None:
        self.redis = redis.Redis.from_url(url)
        self._connection = self.redis.connection_pool.get_connection()
        self._info: dict[bytes, tuple[int, int, int] | None] = {}

    def _ask(self, *args: Any) -> Any:
        """A command's raw reply (redis-py's callbacks would reshape ``COMMAND INFO``)."""
        self._connection.send_command(*args)
        return self._connection.read_response()

    def __call__(self, command: list[bytes]) -> list[bytes]:
        name = command[0].lower()
        if name not in self._info:
            info = self._ask("COMMAND", "INFO", name)[0]
            movable = info is not None and b"movablekeys" in info[2]
            self._info[name] = (None if info is None or movable
                                else (int(info[3]), int(info[4]), int(info[5])))
        fixed = self._info[name]
        if fixed is not None:
            first, last, step = fixed
            if first == 0:
                return []
            stop = len(command) + last if last < 0 else last
            return [command[i] for i in range(first, min(stop, len(command) - 1) + 1, step)]
        try:
            return list(self._ask("COMMAND", "GETKEYS", *command))
        except redis.ResponseError:  # no key in this form of the command (EVALSHA … 0)
            return []


def _show(keys: list[bytes]) -> str:
    return ", ".join(k.decode(errors="replace") for k in keys[:6])


_recorder: Recorder | None = None


@pytest.fixture(scope="session", autouse=True)
def slot_audit(embedded_redis: Any) -> Iterator[Recorder]:
    """Record the whole run on the session's embedded Redis; write the report at its end."""
    global _recorder
    out = os.environ.get("PEERLINE_SLOT_AUDIT")
    if not out:
        raise pytest.UsageError("tests.slot_audit needs PEERLINE_SLOT_AUDIT (a report file)")
    recorder = Recorder(embedded_redis.url)
    recorder.start()
    _recorder = recorder
    original = Pipeline.execute

    async def execute(self: Pipeline, raise_on_error: bool = True) -> Any:
        if self.is_transaction and _recorder is not None:
            _recorder.transaction([[_b(a) for a in args] for args, _ in self.command_stack])
        return await original(self, raise_on_error)

    Pipeline.execute = execute  # type: ignore[method-assign]
    try:
        yield recorder
    finally:
        Pipeline.execute = original  # type: ignore[method-assign]
        recorder.stop()
        _recorder = None
        Path(out).write_text(json.dumps(recorder.report(), indent=1))


def _b(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode()
