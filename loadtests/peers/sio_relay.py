"""A python-socketio relay with rooms (ASGI, under uvicorn), as its documentation shows it.

Events: ``join`` with a list of rooms (acknowledged); ``say`` ``{"room","text"}`` is emitted as
``message`` to the room, skipping the sender.

With ``--redis-url`` the rooms are shared through Redis (``AsyncRedisManager``), as python-socketio
must be set up to run in more than one process: every emit is published to Redis and delivered
by each process from its subscription, its own included. That is the peer with Peerline's
reach (any number of processes, Redis the shared state); without it, one process only.
"""

from __future__ import annotations

import argparse

import socketio


def make_app(redis_url: str | None = None) -> socketio.ASGIApp:
    """The relay; with ``redis_url``, its rooms in Redis (python-socketio's documented set-up
    for several server processes), else in this process's memory."""
    # redis-py 8 pools stop at 100 connections and raise beyond that; with a thousand emits
    # in flight each takes one, so the pool is raised as for the Channels peer (without it,
    # most of the relay's time went to failed connects and their retries).
    manager = (
        socketio.AsyncRedisManager(redis_url, redis_options={"max_connections": 4096})
        if redis_url
        else None
    )
    sio = socketio.AsyncServer(
        async_mode="asgi", cors_allowed_origins=[], logger=False, engineio_logger=False,
        client_manager=manager,
    )

    @sio.event
    async def join(sid: str, rooms: list[str]) -> str:
        for r in rooms:
            await sio.enter_room(sid, r)
        return "joined"

    @sio.event
    async def say(sid: str, data: dict) -> None:
        await sio.emit("message", data, room=data["room"], skip_sid=sid)

    return socketio.ASGIApp(sio)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--redis-url", help="share rooms through this Redis (AsyncRedisManager)")
    a = ap.parse_args()
    import uvicorn

    uvicorn.run(
        make_app(a.redis_url), host=a.host, port=a.port, log_level="warning", access_log=False,
        loop="uvloop",
    )
