"""Client side of the peers' relays, shaped like Peerline's: ``P`` seeker-like connections in one
room each and ``ceil(P/C)`` helper-like connections in ``C`` rooms each, so every stack carries the
same connections and the same frames per second as Peerline does in ``relay``.

Each adapter knows how to open a connection, join rooms and recognise a relayed message; the
closed loop itself is :class:`loadtests.loops.ClosedLoop`, shared with Peerline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from .. import fastjson, wsclient
from ..client import Client, RunStats


class RoomClient(Client):
    """JSON relays (bare websockets, Channels): a relayed frame is the sender's ``say``."""

    __slots__ = ()

    def _on_text(self, conn: wsclient.WSConn, data: str | bytes) -> None:
        obj = fastjson.loads(data)
        room = obj.get("room")
        if room is not None and self.on_relay is not None:
            self.on_relay(self, room, time.monotonic())
            return
        self.deliver(obj.get("type", ""), obj)


class SocketIOClient(Client):
    """Engine.IO v4 / Socket.IO v5 over a plain WebSocket, as the JS client speaks it."""

    __slots__ = ()

    def _on_text(self, conn: wsclient.WSConn, data: str | bytes) -> None:
        if isinstance(data, bytes):
            return
        if data.startswith("42"):
            ev = fastjson.loads(data[2:])
            if ev[0] == "message" and self.on_relay is not None:
                self.on_relay(self, ev[1]["room"], time.monotonic())
            return
        if data == "2":  # engine.io ping → pong
            conn.send_text("3")
        elif data.startswith("43"):
            self.deliver("ack", {"raw": data})
        elif data.startswith("40"):
            self.deliver("connected", {"raw": data})
        elif data.startswith("0"):
            self.deliver("open", {"raw": data})
        elif data.startswith("44"):
            self.deliver("connect_error", {"raw": data})


class Adapter:
    name = "json"
    path = "/"
    cls: type[Client] = RoomClient

    def say(self, room: str, text: str) -> bytes:
        return fastjson.dumps({"type": "say", "room": room, "text": text})

    async def handshake(self, c: Client) -> None:
        return None

    async def join(self, c: Client, rooms: Sequence[str]) -> None:
        c.send({"type": "join", "rooms": list(rooms)})
        await c.expect("joined", timeout=30.0)

    async def open(self, port: int, stats: RunStats, label: str, rooms: Sequence[str]) -> Client:
        conn = await wsclient.connect("127.0.0.1", port, self.path, None, timeout=15.0)
        c = self.cls(conn, stats, label)
        await self.handshake(c)
        await self.join(c, rooms)
        return c


class WebsocketsAdapter(Adapter):
    name = "websockets"


class ChannelsAdapter(Adapter):
    name = "channels"
    path = "/ws/"


class SocketIOAdapter(Adapter):
    name = "socketio"
    path = "/socket.io/?EIO=4&transport=websocket"
    cls = SocketIOClient

    def say(self, room: str, text: str) -> bytes:
        return b"42" + fastjson.dumps(["say", {"room": room, "text": text}])

    async def handshake(self, c: Client) -> None:
        await c.expect("open", timeout=15.0)
        c.conn.send_text("40")
        await c.expect("connected", timeout=15.0)

    async def join(self, c: Client, rooms: Sequence[str]) -> None:
        c.send_raw(b"420" + fastjson.dumps(["join", list(rooms)]))
        await c.expect("ack", timeout=30.0)


class SocketIORedisAdapter(SocketIOAdapter):
    """The same relay and client, its rooms in Redis (``sio_relay.py --redis-url``)."""

    name = "socketio-redis"


ADAPTERS: dict[str, Adapter] = {
    "websockets": WebsocketsAdapter(),
    "socketio": SocketIOAdapter(),
    "socketio-redis": SocketIORedisAdapter(),
    "channels": ChannelsAdapter(),
}


async def open_rooms(
    adapter: Adapter, port: int, stats: RunStats, pairs: int, capacity: int, concurrency: int = 100
) -> tuple[list[Client], list[Client]]:
    """``pairs`` seekers (room ``r<i>``), ``ceil(pairs/capacity)`` helpers (``capacity`` rooms)."""
    sem = asyncio.Semaphore(concurrency)
    rooms = [f"r{i}" for i in range(pairs)]

    async def one(label: str, rs: Sequence[str]) -> Client:
        async with sem:
            return await adapter.open(port, stats, label, rs)

    helper_rooms = [rooms[i : i + capacity] for i in range(0, pairs, capacity)]
    helpers = await asyncio.gather(*(one(f"h{j}", rs) for j, rs in enumerate(helper_rooms)))
    seekers = await asyncio.gather(*(one(f"s{i}", [r]) for i, r in enumerate(rooms)))
    for j, h in enumerate(helpers):
        h.user = helper_rooms[j]
    return list(seekers), list(helpers)
