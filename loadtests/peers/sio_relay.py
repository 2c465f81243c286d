"""A python-socketio relay with rooms (ASGI, under uvicorn), as its documentation shows it.

Events: ``join`` with a list of rooms (acknowledged); ``say`` ``{"room","text"}`` is emitted as
``message`` to the room, skipping the sender.
"""

from __future__ import annotations

import argparse

import socketio

sio = socketio.AsyncServer(
    async_mode="asgi", cors_allowed_origins=[], logger=False, engineio_logger=False
)
app = socketio.ASGIApp(sio)


@sio.event
async def join(sid: str, rooms: list[str]) -> str:
    for r in rooms:
        await sio.enter_room(sid, r)
    return "joined"


@sio.event
async def say(sid: str, data: dict) -> None:
    await sio.emit("message", data, room=data["room"], skip_sid=sid)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    import uvicorn

    uvicorn.run(app, host=a.host, port=a.port, log_level="warning", access_log=False, loop="uvloop")
