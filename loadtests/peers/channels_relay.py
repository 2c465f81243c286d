"""A Django Channels relay with channels_redis, as the Channels tutorial builds a chat.

Each connection joins its rooms as Channels groups; a ``say`` is ``group_send`` through Redis to
the room's group and every other member's consumer forwards it to its socket. Runs under uvicorn.
"""

from __future__ import annotations

import argparse
import json
import os

import django
from django.conf import settings


def configure(redis_url: str, layer: str = "core") -> None:
    backend = (
        "channels_redis.pubsub.RedisPubSubChannelLayer"
        if layer == "pubsub"
        else "channels_redis.core.RedisChannelLayer"
    )
    settings.configure(
        DEBUG=False,
        SECRET_KEY="peerline-loadtest-peer-only",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        INSTALLED_APPS=["channels"],
        ASGI_APPLICATION="loadtests.peers.channels_relay.application",
        # redis-py 8 pools stop at 100 connections and raise beyond that; every consumer's group_add
        # and group_send holds one while in flight: a few thousand sockets need more.
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": backend,
                "CONFIG": {"hosts": [{"address": redis_url, "max_connections": 4096}]},
            }
        },
        USE_TZ=True,
    )
    django.setup()


def build_app():  # noqa: ANN201 - Channels' types
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.urls import path

    class RelayConsumer(AsyncWebsocketConsumer):
        async def connect(self) -> None:
            self.rooms: list[str] = []
            await self.accept()

        async def disconnect(self, code: int) -> None:
            for r in self.rooms:
                await self.channel_layer.group_discard(r, self.channel_name)

        async def receive(
            self, text_data: str | None = None, bytes_data: bytes | None = None
        ) -> None:
            msg = json.loads(text_data or "{}")
            if msg.get("type") == "say":
                await self.channel_layer.group_send(
                    msg["room"],
                    {"type": "relay.message", "text": text_data, "sender": self.channel_name},
                )
            elif msg.get("type") == "join":
                for r in msg["rooms"]:
                    await self.channel_layer.group_add(r, self.channel_name)
                    self.rooms.append(r)
                await self.send(text_data='{"type":"joined"}')

        async def relay_message(self, event: dict) -> None:
            if event["sender"] != self.channel_name:
                await self.send(text_data=event["text"])

    return ProtocolTypeRouter({"websocket": URLRouter([path("ws/", RelayConsumer.as_asgi())])})


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--redis-url", required=True)
    ap.add_argument("--layer", choices=["core", "pubsub"], default="core")
    a = ap.parse_args()
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "false")
    configure(a.redis_url, a.layer)
    import uvicorn

    uvicorn.run(
        build_app(), host=a.host, port=a.port, log_level="warning", access_log=False, loop="uvloop"
    )
