"""Minimal Redis connections for the hot path: pipelined EVALSHA batches, and the subscription
that brings other processes' events. Nothing else.

Why not redis-py here: in the relay profile its pipeline machinery (a Pipeline object per batch,
command packing, the retry wrapper, per-reply parsing calls) cost about a fifth of the server's
CPU, for what is one write and one read; its ``PubSub.get_message`` is a coroutine with a timeout
context and a dict per message. These write RESP bytes in one call and parse the replies with
hiredis (already a dependency, the same parser redis-py uses). Everything else (ordinary
commands) stays on redis-py. Measured against redis-py's pipeline: ``python -m loadtests
pipecost`` (docs/scaling.md).

Where they connect comes from the URL (``topology.py``): one node (TCP, TLS or a Unix socket),
or the master a Sentinel names, asked again on every reconnect. On a Cluster, ``slots.py`` keeps
one of these connections per master and routes each call by its slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import hiredis

from .topology import Topology, parse

READ_CHUNK = 1 << 16


class RespError(Exception):
    """An error reply from Redis (for one command of a batch)."""


def pack(args: Sequence[Any]) -> bytes:
    """One command in RESP (an array of bulk strings), packed by hiredis in C (a third of the
    time of the same in Python, which was 3 % of the relay profile)."""
    return hiredis.pack_command(tuple(args))


def bulk(value: bytes) -> bytes:
    """One bulk string in RESP: for callers that pack a command from parts packed once."""
    return b"$%d\r\n%s\r\n" % (len(value), value)


@dataclass(frozen=True)
class Address:
    """One Redis server: a TCP host and port, or a Unix socket."""

    host: str = "localhost"
    port: int = 6379
    unix_path: str | None = None

    def __str__(self) -> str:
        return self.unix_path or f"{self.host}:{self.port}"


Locate = Callable[[], Awaitable[Address]]
"""Where to connect now: fixed for one node; asked of the Sentinels for a Sentinel master."""


async def open_stream(address: Address, topology: Topology, select_db: bool = True,
                      ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A stream to the Redis at ``address``, over TLS if the URL says so, authenticated and on
    the URL's database (a Cluster node has only database 0: ``select_db=False``)."""
    if address.unix_path is not None:
        reader, writer = await asyncio.open_unix_connection(address.unix_path)
    else:
        context = topology.tls.context() if topology.tls is not None else None
        reader, writer = await asyncio.open_connection(
            address.host, address.port, ssl=context,
            server_hostname=address.host if context is not None else None)
    setup: list[list[Any]] = []
    if topology.password:
        setup.append(["AUTH", topology.username, topology.password] if topology.username else
                     ["AUTH", topology.password])
    if select_db and topology.db:
        setup.append(["SELECT", topology.db])
    if setup:
        try:
            for reply in await _roundtrip(reader, writer, setup):
                if isinstance(reply, RespError):
                    raise reply
        except BaseException:
            writer.close()
            raise
    return reader, writer


async def open_redis(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A stream to the one-node Redis at ``url`` (``redis://``, ``rediss://``, ``unix://``)."""
    topology = parse(url)
    return await open_stream(await locator(topology)(), topology)


def locator(topology: Topology, timeout_s: float = 10.0) -> Locate:
    """How a connection to ``topology``'s writable node finds it, each time it (re)connects.

    One node: its address. Sentinel: the master the Sentinels name now (``SENTINEL
    GET-MASTER-ADDR-BY-NAME``, asked of each Sentinel in turn), so a connection opened after a
    failover goes to the new master. A Cluster has no one such node (``slots.py`` routes).
    """
    if topology.kind == "node":
        if topology.unix_path is not None:
            fixed = Address(unix_path=topology.unix_path)
        else:
            fixed = Address(*topology.hosts[0])

        async def at_node() -> Address:
            return fixed

        return at_node
    if topology.kind == "sentinel":
        return partial(sentinel_master, topology, timeout_s)
    raise ValueError("a Redis Cluster is reached through slots.ClusterConnection")


class NoMaster(ConnectionError):
    """No Sentinel answered with a master (all unreachable, or none knows the service)."""


async def sentinel_master(topology: Topology, timeout_s: float = 10.0) -> Address:
    """The master's address as the first Sentinel that answers names it."""
    sentinel_auth = replace(topology, username=topology.sentinel_username,
                            password=topology.sentinel_password, db=0)
    errors = []
    for host, port in topology.hosts:
        try:
            async with asyncio.timeout(timeout_s):
                reader, writer = await open_stream(Address(host, port), sentinel_auth,
                                                   select_db=False)
                try:
                    (reply,) = await _roundtrip(reader, writer, [
                        ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", topology.service]])
                finally:
                    writer.close()
        except (OSError, TimeoutError, RespError) as exc:
            errors.append(f"{host}:{port}: {type(exc).__name__}")
            continue
        if isinstance(reply, list) and len(reply) == 2:
            return Address(reply[0].decode(), int(reply[1]))
        errors.append(f"{host}:{port}: no master named {topology.service!r}")
    raise NoMaster("no Sentinel named a master (" + "; ".join(errors) + ")")


async def _roundtrip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     commands: Sequence[Sequence[Any] | bytes]) -> list[Any]:
    """Write ``commands`` in one call and read their replies (errors as ``RespError``)."""
    writer.write(b"".join([c if isinstance(c, bytes) else pack(c) for c in commands]))
    parser = hiredis.Reader()
    replies: list[Any] = []
    while len(replies) < len(commands):
        data = await reader.read(READ_CHUNK)
        if not data:
            raise ConnectionError("Redis closed the connection")
        parser.feed(data)
        while (reply := parser.gets()) is not False:
            replies.append(RespError(str(reply)) if isinstance(reply, hiredis.ReplyError)
                           else reply)
    return replies


class NotMaster(ConnectionError):
    """The node reached is not (or no longer) the writable master: a Sentinel failover moved
    it. Nothing was applied there; the next batch finds the master again."""


class RespConnection:
    """One connection; ``batch`` sends commands together and returns their replies in order.

    A reply that is an error comes back as ``RespError`` in its place; a failure of the connection
    itself raises, and the next batch reconnects, asking the Sentinels again where the master is
    when the URL is a Sentinel one. A ``READONLY`` reply (the master turned replica under us)
    comes back as ``NotMaster`` in its place and drops the connection.

    ``address`` pins the connection to one node (a Cluster master, ``slots.py``).
    """

    def __init__(self, url: str | Topology, timeout_s: float = 10.0,
                 address: Address | None = None) -> None:
        self.topology = parse(url) if isinstance(url, str) else url
        self.timeout_s = timeout_s
        self._fixed = address
        self._locate = None if address is not None else locator(self.topology, timeout_s)
        self.address: Address | None = address
        """Where this connection goes (for a Sentinel master: as last found)."""
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def batch(self, commands: Sequence[Sequence[Any] | bytes]) -> list[Any]:
        """Send ``commands`` (each a sequence of arguments, or already packed) in one write and
        return their replies."""
        try:
            async with asyncio.timeout(self.timeout_s):
                if self._reader is not None and self._reader.at_eof():
                    # Redis closed this idle connection (it restarted, or killed it): nothing
                    # was sent on it, so open a new one instead of failing the batch.
                    self.close()
                if self._reader is None or self._writer is None:
                    self._reader, self._writer = await self._open()
                replies = await _roundtrip(self._reader, self._writer, commands)
        except BaseException:
            self.close()
            raise
        for i, reply in enumerate(replies):
            if isinstance(reply, RespError) and str(reply).startswith("READONLY"):
                replies[i] = NotMaster(f"{self.address} is a replica now")
                self.close()
        return replies

    async def batch_confirmed(self, commands: Sequence[Sequence[Any] | bytes],
                              confirm: bytes) -> tuple[list[Any], Any]:
        """``batch`` ending with ``confirm`` (``WAIT``/``WAITAOF``, which covers the writes of
        this connection): the replies of ``commands``, and the confirmation's."""
        replies = await self.batch([*commands, confirm])
        return replies[:-1], replies[-1]

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._locate is not None:
            self.address = await self._locate()
        assert self.address is not None
        cluster = self.topology.kind == "cluster"
        reader, writer = await open_stream(self.address, self.topology, select_db=not cluster)
        if self.topology.kind == "sentinel":
            # A Sentinel can name a master that has just been demoted (or not yet see the
            # failover): ask the node itself before writing to it.
            try:
                (role,) = await _roundtrip(reader, writer, [["ROLE"]])
                if not isinstance(role, list) or role[0] != b"master":
                    raise NotMaster(f"{self.address} is not the master")
            except BaseException:
                writer.close()
                raise
        return reader, writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class Subscription:
    """A connection subscribed to ``channels``: each message's payload goes to ``on_message`` as
    soon as it is read, all the messages of one read in one go, with no await between them.

    ``run`` returns only by raising: when Redis closes the connection, refuses the subscription,
    or stays silent past ``idle_s`` twice (a ``PING`` after the first silence; a subscribed
    connection answers it too). The caller reconnects.

    ``sharded`` channels are taken with ``SSUBSCRIBE`` (a Cluster: ``address`` must be the master
    of their slots; ``SPUBLISH`` reaches only that shard); ``channels`` with ``SUBSCRIBE``. When a
    sharded channel's slot moves, Redis ends it (``sunsubscribe``) and so does ``run``.
    """

    def __init__(self, url: str | Topology, channels: Sequence[str],
                 on_message: Callable[[bytes], None], idle_s: float = 30.0, name: str = "",
                 sharded: Sequence[str] = (), address: Address | None = None) -> None:
        self.topology = parse(url) if isinstance(url, str) else url
        self.channels = list(channels)
        self.sharded = list(sharded)
        self.on_message = on_message
        self.idle_s = idle_s
        self.name = name
        """Shown by ``CLIENT LIST`` (which process this subscription belongs to)."""
        self.address = address

    async def run(self, on_subscribed: Callable[[], None]) -> None:
        """Subscribe, call ``on_subscribed`` once Redis has confirmed every channel, then hand
        over messages until the connection fails."""
        async with asyncio.timeout(self.idle_s):
            if self.address is None:
                self.address = await locator(self.topology, self.idle_s)()
            reader, writer = await open_stream(self.address, self.topology,
                                               select_db=self.topology.kind != "cluster")
        try:
            if self.name:
                writer.write(pack(["CLIENT", "SETNAME", self.name]))
            if self.channels:
                writer.write(pack(["SUBSCRIBE", *self.channels]))
            for channel in self.sharded:  # one each: SSUBSCRIBE's channels share one slot
                writer.write(pack(["SSUBSCRIBE", channel]))
            parser = hiredis.Reader()
            wanted = len(self.channels) + len(self.sharded)
            confirmed = 0
            pinged = False
            while True:
                try:
                    async with asyncio.timeout(self.idle_s):
                        data = await reader.read(READ_CHUNK)
                except TimeoutError:
                    if pinged:
                        raise ConnectionError("Redis did not answer a PING") from None
                    writer.write(pack(["PING"]))
                    pinged = True
                    continue
                if not data:
                    raise ConnectionError("Redis closed the connection")
                pinged = False
                parser.feed(data)
                while (reply := parser.gets()) is not False:
                    if isinstance(reply, hiredis.ReplyError):
                        raise RespError(str(reply))
                    if not isinstance(reply, list):
                        continue  # +OK to CLIENT SETNAME
                    kind = reply[0]
                    if kind == b"message" or kind == b"smessage":
                        self.on_message(reply[2])
                    elif kind == b"subscribe" or kind == b"ssubscribe":
                        confirmed += 1
                        if confirmed == wanted:
                            on_subscribed()
                    elif kind == b"sunsubscribe":
                        raise ConnectionError("a sharded channel's slot moved")
        finally:
            writer.close()
