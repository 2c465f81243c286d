"""Lua scripts run by EVALSHA, with concurrent calls coalesced into one pipeline.

Why not redis-py's ``register_script`` with a pipeline: its pipeline sends ``SCRIPT EXISTS``
before every batch, one more round trip per batch, and its pipeline machinery was a fifth of the
server's CPU in the relay profile; batches go through ``resp.RespConnection`` instead.
Scripts are loaded once at start-up and reloaded only when Redis answers ``NOSCRIPT`` (after a
restart or ``SCRIPT FLUSH``), then the failed calls are retried: a call that got NOSCRIPT did not
run, so the retry is safe.

Batching: callers await ``run`` (or pass a callback to ``submit``); their calls queue up while a
batch is in flight and go together in the next one. Under load this turns thousands of round
trips a second into a few hundred pipelines, which is where most of the server's Redis time went
in the relay benchmark. A batch's replies are handed to their callers in one event-loop callback
after the next batch has been written, so Redis works on that one while these are handled.

Durability (``durability.py``): a batch that holds a message (a call submitted ``durable``)
ends with the confirming command (``WAIT``/``WAITAOF``) when the setting needs one, pipelined
behind it on the same connection, so the ack still costs one round trip; when it does not
confirm in time, each message of the batch fails with ``NotDurable`` instead of its reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from .durability import Durability
from .resp import RespError, bulk, pack
from .slots import Batcher, hot_connections

log = logging.getLogger("peerline.redis")


@dataclass(frozen=True)
class LuaScript:
    name: str
    source: str
    sha: str

    def head(self, nkeys: int, nargs: int) -> bytes:
        """The start of a call of this script in RESP (``EVALSHA sha nkeys``), for a caller that
        packs its own calls (``ScriptRunner.submit_packed``) of ``nkeys`` keys and ``nargs``
        arguments: the keys and arguments follow, each as ``bulk``."""
        return b"*%d\r\n%s%s%s" % (3 + nkeys + nargs, bulk(b"EVALSHA"), bulk(self.sha.encode()),
                                    bulk(b"%d" % nkeys))


Done = Callable[[Any, BaseException | None], None]
"""Called with ``(reply, None)`` or ``(None, exception)`` once a call's reply is in."""
_Call = tuple[bytes, Done]
"""A call as it goes to Redis (``EVALSHA ...`` packed in RESP), and who gets its reply."""


class ScriptRunner:
    def __init__(
        self, redis: aioredis.Redis, url: str, max_batch: int = 512, max_inflight: int = 2,
        timeout_s: float = 10.0,
    ) -> None:
        self.redis = redis
        # One connection per batch in flight: a batch owns its connection until its replies are in.
        # On a Cluster each is a set of connections, one per master (slots.py).
        self._connections = hot_connections(url, max_inflight, timeout_s)
        self.max_batch = max_batch
        self._scripts: dict[str, LuaScript] = {}
        self._pending: list[_Call] = []
        self._inflight = 0
        self._max_inflight = max_inflight
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references
        self.durability = Durability()
        """What a ``durable`` call's batch must confirm (set once at start-up)."""

    def load(self, path: Path) -> LuaScript:
        return self.load_source(path.stem, path.read_text())

    def load_source(self, name: str, source: str) -> LuaScript:
        """Register a script given as text (one filled in at start-up, say)."""
        script = LuaScript(name, source, hashlib.sha1(source.encode()).hexdigest())
        self._scripts[script.sha] = script
        return script

    async def load_all(self) -> None:
        for script in self._scripts.values():
            await self.redis.script_load(script.source)

    async def run(self, script: LuaScript, keys: list[Any], args: list[Any]) -> Any:
        """Run one script call in the next batch; raises what Redis raised for this call."""
        return await self.run_packed(_packed(script, keys, args))

    async def run_packed(self, call: bytes, durable: bool = False) -> Any:
        """``run`` for a call already packed in RESP (see ``submit_packed``)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.submit_packed(call, partial(_settle, future), durable)
        return await future

    def submit(self, script: LuaScript, keys: list[Any], args: list[Any], done: Done) -> None:
        """Run one script call in the next batch and call ``done`` with its reply."""
        self.submit_packed(_packed(script, keys, args), done)

    def submit_durable(self, call: bytes, done: Done) -> None:
        """``submit_packed`` for a message: its batch confirms what ``durability`` promises
        before ``done`` gets the reply."""
        self.submit_packed(call, done, True)

    def submit_packed(self, call: bytes, done: Done, durable: bool = False) -> None:
        """``submit`` for a call already packed in RESP (see ``LuaScript.head``): for the message
        path, which packs its own (most of its arguments are the same on every call) and goes
        on in a callback instead of a task (see ``Connection``)."""
        if durable and self.durability.confirm is not None:
            done = _DurableDone(done)
        self._pending.append((call, done))
        if self._inflight < self._max_inflight:
            self._inflight += 1
            task = asyncio.get_running_loop().create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        connection = self._connections.pop()
        try:
            while self._pending:
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                await self._execute(batch, connection)
        finally:
            self._connections.append(connection)
            self._inflight -= 1

    async def _execute(self, batch: list[_Call], connection: Batcher) -> None:
        try:
            results = await self._send(batch, connection)
        except Exception as exc:  # connection lost etc.: every caller in the batch gets it
            failed: list[tuple[Done, Any, BaseException | None]] = [
                (done, None, exc) for _, done in batch]
            asyncio.get_running_loop().call_soon(_answer, failed)
            return
        retry: list[_Call] = []
        answers: list[tuple[Done, Any, BaseException | None]] = []
        for call, result in zip(batch, results, strict=True):
            if isinstance(result, RespError) and str(result).startswith("NOSCRIPT"):
                retry.append(call)  # the same bytes: the script's sha does not change on reload
            elif isinstance(result, RespError):
                answers.append((call[1], None, ResponseError(str(result))))
            elif isinstance(result, BaseException):  # this call could not be run (slots.py)
                answers.append((call[1], None, result))
            else:
                answers.append((call[1], result, None))
        asyncio.get_running_loop().call_soon(_answer, answers)
        if retry:
            log.warning("redis lost its scripts; reloading %d", len(self._scripts))
            await self.load_all()
            await self._execute(retry, connection)

    async def _send(self, batch: list[_Call], connection: Batcher) -> list[Any]:
        """The batch's replies; a batch with a durable call ends with the confirming command,
        and when that does not confirm, each durable call's reply is the refusal instead."""
        calls = [call for call, _ in batch]
        confirm = self.durability.confirm
        if confirm is None or not any(isinstance(done, _DurableDone) for _, done in batch):
            return await connection.batch(calls)
        results, confirmed = await connection.batch_confirmed(calls, confirm)
        refusal = self.durability.check(confirmed)
        if refusal is None:
            return results
        return [refusal if isinstance(done, _DurableDone) and not isinstance(result, RespError)
                else result for (_, done), result in zip(batch, results, strict=True)]

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


class _DurableDone:
    """A durable call's ``done``: marks it for ``_send`` (the confirmation is its batch's)."""

    __slots__ = ("done",)

    def __init__(self, done: Done) -> None:
        self.done = done

    def __call__(self, result: Any, exc: BaseException | None) -> None:
        self.done(result, exc)


def _packed(script: LuaScript, keys: list[Any], args: list[Any]) -> bytes:
    return pack(("EVALSHA", script.sha, len(keys), *keys, *args))


def _answer(answers: list[tuple[Done, Any, BaseException | None]]) -> None:
    for done, result, exc in answers:
        try:
            done(result, exc)
        except Exception:
            log.exception("a script call's callback failed")


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():  # the caller was cancelled
        return
    if exc is None:
        future.set_result(result)
    else:
        future.set_exception(exc)
