"""A bare ``websockets`` relay: the practical limit of a Python WebSocket stack.

Frames (JSON text): ``{"type":"join","rooms":[…]}`` → ``{"type":"joined"}``;
``{"type":"say","room":r,"text":…}`` is forwarded unchanged to the other members of ``r``.
No storage, no moderation, no acks: a floor for what any Python relay can cost.
"""

from __future__ import annotations

import argparse
import json

from websockets.asyncio.server import ServerConnection, serve

ROOMS: dict[str, set[ServerConnection]] = {}


async def handler(ws: ServerConnection) -> None:
    mine: list[str] = []
    try:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") == "say":
                for other in ROOMS.get(msg["room"], ()):
                    if other is not ws:
                        await other.send(raw)
            elif msg.get("type") == "join":
                for r in msg["rooms"]:
                    ROOMS.setdefault(r, set()).add(ws)
                    mine.append(r)
                await ws.send('{"type":"joined"}')
    finally:
        for r in mine:
            members = ROOMS.get(r)
            if members is not None:
                members.discard(ws)
                if not members:
                    del ROOMS[r]


async def main(host: str, port: int) -> None:
    async with serve(handler, host, port, compression=None, max_queue=64) as server:
        await server.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    import uvloop

    uvloop.run(main(a.host, a.port))
