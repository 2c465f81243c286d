"""The hot path on a Redis Cluster: each call goes to the master of its slot.

A script call is routed by the hash slot of its first key (``KEYS[1]``); every key the call
touches shares that slot (``keys.py``'s hash tags), so the call runs whole on one master. A batch
is split by master and sent to all of them at once, one pipelined write each, and the replies
are put back in the callers' order: the one round trip per message that ``scripts.py`` batches
for stays one round trip (to several masters in parallel).

What the cluster says back, and what is done:

``MOVED slot host:port``  the slot has a new owner (failover, resharding done): remember it,
                          reload the slot map before the next batch, send the call there.
``ASK slot host:port``    the slot is being migrated and this key is already on the target:
                          send ``ASKING`` and the call to the target, this once.
``TRYAGAIN``              a multi-key call during a migration found its keys split between
                          the two nodes: wait a little, try again.
``CLUSTERDOWN``           no master for the slot for now (a failover in progress): likewise.

None of these ran the call, so sending it again cannot apply it twice. A call whose connection
failed may or may not have run; it is not resent, its caller gets the ``ConnectionError``
(``unavailable`` to the client, who may send it again: a ``say`` carries its ``ref``, and a
retried ``ref`` is recognised by ``say.lua``). After ``MAX_TRIES`` redirections or waits the
call fails with ``SlotMoving`` (a ``ConnectionError``: ``unavailable`` too), never silently.

Durability (``fsync``, ``replica``: ``durability.py``): ``WAIT``/``WAITAOF`` confirm the writes
of the connection they are sent on, so a batch split over masters ends with the confirmation on
each master's connection, after the calls sent there (``batch_confirmed``); the batch counts as
confirmed only if every one of them confirms.

Why not redis-py's cluster pipeline: it is the pipeline machinery that ``resp.py`` exists to
avoid on the hot path (measured in docs/scaling.md), and it cannot take calls already packed in
RESP. The ordinary commands of the stores do go through redis-py's ``RedisCluster``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from typing import Any

import hiredis
from redis.crc import key_slot

from .resp import Address, RespConnection, RespError, Subscription, _roundtrip, open_stream, pack
from .topology import Topology, parse

log = logging.getLogger("peerline.redis")

SLOTS = 16384
MAX_TRIES = 40
"""Redirections and waits per call before it fails with ``SlotMoving``."""
RETRY_WAIT_S = 0.05
"""The wait after ``TRYAGAIN`` or ``CLUSTERDOWN`` (a failover takes about a node timeout)."""
SCRIPT_COMMANDS = {b"EVALSHA", b"EVAL", b"EVALSHA_RO", b"EVAL_RO", b"FCALL", b"FCALL_RO"}
ASKING = pack(["ASKING"])
_READER = hiredis.Reader()


def _reset_reader() -> None:
    global _READER
    _READER = hiredis.Reader()


class SlotMoving(ConnectionError):
    """A call's slot kept moving (or had no master) for ``MAX_TRIES`` tries; it did not run."""


def command_slot(command: Sequence[Any] | bytes) -> int | None:
    """The slot a command goes to: its first key's. For a script call that is ``KEYS[1]``;
    for other commands the first argument. None for a command without a key (``PING``)."""
    if isinstance(command, bytes):
        # A command in RESP is an array of bulk strings, as a reply can be: hiredis reads it.
        # One reader for all: each command is whole, so it is empty again after ``gets``.
        _READER.feed(command)
        args = _READER.gets()
        if not isinstance(args, list):  # not one whole command: a bug of the caller
            _reset_reader()
            raise ValueError("not one whole command in RESP")
    else:
        args = [a if isinstance(a, bytes) else str(a).encode() for a in command]
    name = args[0].upper()
    if name in SCRIPT_COMMANDS:
        return key_slot(args[3]) if len(args) > 3 and int(args[2]) > 0 else None
    return key_slot(args[1]) if len(args) > 1 else None


class SlotMap:
    """Which master serves each slot, from ``CLUSTER SLOTS``; shared by the connections of one
    process. ``stale`` makes the next user reload it (after a ``MOVED`` or a lost node)."""

    def __init__(self, topology: Topology, timeout_s: float = 10.0) -> None:
        self.topology = topology
        self.timeout_s = timeout_s
        self.owners: list[Address | None] = [None] * SLOTS
        self.masters: list[Address] = []
        self.stale = True
        self._loading: asyncio.Task[None] | None = None

    async def fresh(self) -> None:
        """Reload the map if it is stale (one load at a time; concurrent callers share it)."""
        if not self.stale:
            return
        if self._loading is None or self._loading.done():
            self._loading = asyncio.get_running_loop().create_task(self._load())
        await asyncio.shield(self._loading)

    def owner(self, slot: int | None) -> Address:
        address = self.owners[slot] if slot is not None else None
        if address is None:
            if not self.masters:
                raise SlotMoving("the cluster's slot map is empty")
            return random.choice(self.masters)
        return address

    def moved(self, slot: int, address: Address) -> None:
        self.owners[slot] = address
        self.stale = True

    async def _load(self) -> None:
        seeds = [*self.masters, *(Address(h, p) for h, p in self.topology.hosts)]
        errors = []
        for seed in dict.fromkeys(seeds):
            try:
                async with asyncio.timeout(self.timeout_s):
                    reader, writer = await open_stream(seed, self.topology, select_db=False)
                    try:
                        (reply,) = await _roundtrip(reader, writer, [["CLUSTER", "SLOTS"]])
                    finally:
                        writer.close()
            except (OSError, TimeoutError, RespError) as exc:
                errors.append(f"{seed}: {type(exc).__name__}")
                continue
            if isinstance(reply, RespError) or not reply:
                errors.append(f"{seed}: no slots")
                continue
            owners: list[Address | None] = [None] * SLOTS
            masters: dict[Address, None] = {}
            for start, end, master, *_replicas in reply:
                host = master[0].decode() or seed.host  # an empty host: the node asked
                address = Address(host, int(master[1]))
                masters[address] = None
                owners[start:end + 1] = [address] * (end + 1 - start)
            self.owners, self.masters, self.stale = owners, list(masters), False
            return
        raise ConnectionError("no cluster node answered CLUSTER SLOTS (" + "; ".join(errors)
                              + ")")


def _redirect(text: str) -> tuple[str, int, Address] | None:
    """``MOVED``/``ASK`` with their slot and target address, from an error reply."""
    kind, _, rest = text.partition(" ")
    if kind not in ("MOVED", "ASK"):
        return None
    slot_text, _, where = rest.partition(" ")
    host, _, port = where.rpartition(":")
    return kind, int(slot_text), Address(host, int(port))


class ClusterConnection:
    """``RespConnection``'s ``batch`` for a Cluster: one connection per master, calls routed by
    slot, redirections followed (see the module's docstring)."""

    def __init__(self, topology: Topology, slots: SlotMap, timeout_s: float = 10.0) -> None:
        self.topology = topology
        self.slots = slots
        self.timeout_s = timeout_s
        self._nodes: dict[Address, RespConnection] = {}

    async def batch(self, commands: Sequence[Sequence[Any] | bytes]) -> list[Any]:
        """The replies of ``commands`` in order; a call that could not be run gets the
        exception in its place (``ConnectionError``/``SlotMoving``), as an error reply does."""
        results, _ = await self._run(commands, None)
        return results

    async def batch_confirmed(self, commands: Sequence[Sequence[Any] | bytes],
                              confirm: bytes) -> tuple[list[Any], Any]:
        """``batch``, each master's part ending with ``confirm`` (``WAIT``/``WAITAOF`` covers
        only the writes of its own connection, so every master the batch wrote to is asked,
        after the last call sent to it, redirected ones included). The confirmation returned is
        the least of theirs (``least_confirmed``): a batch is as durable as its weakest part."""
        results, confirmations = await self._run(commands, confirm)
        if not confirmations:  # nothing reached any master: every call already failed
            return results, ConnectionError("no master confirmed the batch")
        return results, least_confirmed(confirmations)

    async def _run(self, commands: Sequence[Sequence[Any] | bytes], confirm: bytes | None
                   ) -> tuple[list[Any], list[Any]]:
        results: list[Any] = [None] * len(commands)
        confirmations: list[Any] = []
        todo: list[tuple[int, int | None, Address | None]] = [
            (i, command_slot(c), None) for i, c in enumerate(commands)]
        for _ in range(MAX_TRIES):
            try:
                await self.slots.fresh()
            except ConnectionError as exc:
                for i, _slot, _ask in todo:
                    results[i] = exc
                return results, confirmations
            groups: dict[Address, list[tuple[int, int | None, Address | None]]] = {}
            for item in todo:
                i, slot, ask = item
                groups.setdefault(ask or self.slots.owner(slot), []).append(item)
            sent = await asyncio.gather(
                *(self._send(address, [(commands[i], ask is not None) for i, _, ask in items],
                             confirm)
                  for address, items in groups.items()), return_exceptions=True)
            todo, wait = [], False
            for items, answer in zip(groups.values(), sent, strict=True):
                if isinstance(answer, BaseException):
                    self.slots.stale = True  # a node lost: its replica may own the slots now
                    for i, _slot, _ask in items:
                        results[i] = answer
                    continue
                replies, confirmed = answer
                if confirm is not None:
                    confirmations.append(confirmed)
                for (i, slot, _ask), reply in zip(items, replies, strict=True):
                    if not isinstance(reply, RespError):
                        results[i] = reply
                        continue
                    text = str(reply)
                    redirect = _redirect(text)
                    if redirect is not None and redirect[0] == "MOVED":
                        self.slots.moved(redirect[1], redirect[2])
                        todo.append((i, slot, None))
                    elif redirect is not None:
                        todo.append((i, slot, redirect[2]))
                    elif text.startswith(("TRYAGAIN", "CLUSTERDOWN")):
                        self.slots.stale = self.slots.stale or text.startswith("CLUSTERDOWN")
                        todo.append((i, slot, None))
                        wait = True
                    else:
                        results[i] = reply
            if not todo:
                return results, confirmations
            if wait:
                await asyncio.sleep(RETRY_WAIT_S)
        for i, _slot, _ask in todo:
            results[i] = SlotMoving("the slot kept moving; nothing was stored, try again")
        return results, confirmations

    async def _send(self, address: Address, calls: list[tuple[Sequence[Any] | bytes, bool]],
                    confirm: bytes | None) -> tuple[list[Any], Any]:
        """The replies of ``calls`` sent to one master (``ASKING`` before those marked), and
        ``confirm``'s reply after them when given."""
        connection = self._nodes.get(address)
        if connection is None:
            connection = self._nodes[address] = RespConnection(self.topology, self.timeout_s,
                                                               address=address)
        wire: list[Sequence[Any] | bytes] = []
        for command, asking in calls:
            if asking:
                wire.append(ASKING)
            wire.append(command)
        if confirm is not None:
            wire.append(confirm)
        replies = await connection.batch(wire)
        confirmed = replies.pop() if confirm is not None else None
        if len(replies) == len(calls):
            return replies, confirmed
        out, at = [], 0
        for _command, asking in calls:
            at += asking  # skip ASKING's +OK
            out.append(replies[at])
            at += 1
        return out, confirmed

    def close(self) -> None:
        for connection in self._nodes.values():
            connection.close()
        self._nodes.clear()


class ClusterSubscription:
    """``resp.Subscription`` across a Cluster: each sharded channel is taken with
    ``SSUBSCRIBE`` on the master of its slot (one connection per master holding any), and the
    plain channels with ``SUBSCRIBE`` on one of them (a plain ``PUBLISH`` reaches every node).

    ``run`` ends by raising as soon as any of its connections does (a node lost, a slot moved:
    ``sunsubscribe``); the caller subscribes again, on a fresh slot map.
    """

    def __init__(self, topology: Topology, sharded: Sequence[str],
                 on_message: Callable[[bytes], None], idle_s: float = 30.0, name: str = "",
                 plain: Sequence[str] = (), slots: SlotMap | None = None) -> None:
        self.topology = topology
        self.sharded = list(sharded)
        self.plain = list(plain)
        self.on_message = on_message
        self.idle_s = idle_s
        self.name = name
        self.slots = slots or SlotMap(topology, idle_s)

    async def run(self, on_subscribed: Callable[[], None]) -> None:
        self.slots.stale = True
        await self.slots.fresh()
        groups: dict[Address, list[str]] = {}
        for channel in self.sharded:
            groups.setdefault(self.slots.owner(key_slot(channel.encode())), []).append(channel)
        if not groups:
            groups[self.slots.owner(None)] = []
        pending = len(groups)

        def one_subscribed() -> None:
            nonlocal pending
            pending -= 1
            if pending == 0:
                on_subscribed()

        parts = [
            Subscription(self.topology, self.plain if n == 0 else (), self.on_message,
                         self.idle_s, self.name, sharded=channels, address=address)
            for n, (address, channels) in enumerate(groups.items())]
        tasks = [asyncio.ensure_future(part.run(one_subscribed)) for part in parts]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # raises what ended it
            raise ConnectionError("a cluster subscription ended")
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def least_confirmed(confirmations: Sequence[Any]) -> Any:
    """What several masters' ``WAIT`` (a count of replicas) or ``WAITAOF`` (``[local,
    replicas]``) replies promise together: an error if any failed, else the smallest count
    (per place for ``WAITAOF``)."""
    for reply in confirmations:
        if isinstance(reply, BaseException):
            return reply
    if isinstance(confirmations[0], list):
        return [min(column) for column in zip(*confirmations, strict=True)]
    return min(confirmations)


Batcher = RespConnection | ClusterConnection
"""What ``scripts.ScriptRunner`` sends its batches through."""


def hot_connections(url: str, count: int, timeout_s: float = 10.0) -> list[Batcher]:
    """``count`` hot-path connections to the Redis of ``url``: plain ``RespConnection``s for one
    node or a Sentinel master, ``ClusterConnection``s sharing one slot map for a Cluster."""
    topology = parse(url)
    if topology.kind == "cluster":
        slots = SlotMap(topology, timeout_s)
        return [ClusterConnection(topology, slots, timeout_s) for _ in range(count)]
    return [RespConnection(topology, timeout_s) for _ in range(count)]
