"""The ASGI application: routes, the WebSocket endpoint, and the lifespan that owns resources."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from matching import MatchQueue

from . import http_api, logs
from .codec import choose_codec
from .connection import Connection
from .gcpolicy import GcPolicy
from .hub import Hub
from .metrics import Metrics
from .redis_setup import EmbeddedRedis, Keys, connect, start_embedded
from .scripts import ScriptRunner
from .seekers import SeekerStore
from .services import Services
from .sessions import SessionStore
from .settings import Settings
from .staff import StaffStore

if TYPE_CHECKING:
    from moderation import Moderator

log = logging.getLogger("peerline")
WEB_CLIENT = Path(__file__).resolve().parent.parent / "web_client"


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        logs.install_filters()
        embedded: EmbeddedRedis | None = None
        url = settings.redis_url
        if url is None:
            embedded = await asyncio.to_thread(start_embedded, settings.resolved_data_dir())
            url = embedded.url
        services = await build_services(settings, url)
        app.state.services = services
        await services.nodes.beat()
        gc_policy = GcPolicy(settings.gc_refreeze_s, settings.gc_full_s,
                             settings.gc_young_threshold)
        if settings.gc_refreeze_s > 0:
            gc_policy.start()
        tasks = [
            asyncio.create_task(services.hub.listen(), name="hub-listener"),
            asyncio.create_task(services.matchmaker.run(), name="matchmaker"),
            asyncio.create_task(services.lifecycle.run(), name="sweeper"),
        ]
        if settings.gc_refreeze_s > 0:
            tasks.append(asyncio.create_task(gc_policy.run(services.stopping), name="gc"))
        log.info("node %s ready", services.node)
        try:
            yield
        finally:
            services.stopping.set()
            with contextlib.suppress(Exception):
                await services.nodes.leave()
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=5)
            gc_policy.stop()
            services.runner.close()
            await services.redis.aclose()
            if embedded is not None:
                await asyncio.to_thread(embedded.stop)

    async def websocket_endpoint(ws: WebSocket) -> None:
        codec = choose_codec(list(ws.scope.get("subprotocols") or []))
        offered = ws.scope.get("subprotocols") or []
        await ws.accept(subprotocol=codec.subprotocol if codec.subprotocol in offered else None)
        await Connection(ws, app.state.services, codec).run()

    def page(name: str):  # type: ignore[no-untyped-def]
        async def serve(request: object) -> Response:
            return FileResponse(WEB_CLIENT / name, headers={"Cache-Control": "no-cache"})

        return serve

    routes = [
        Route("/", page("seeker.html")),
        Route("/helper", page("helper.html")),
        Route("/counselor", page("counselor.html")),
        Route("/api/login", http_api.login, methods=["POST"]),
        Route("/api/resources", http_api.crisis_resources),
        Route("/api/self-help", http_api.self_help),
        Route("/healthz", http_api.healthz),
        Route("/readyz", http_api.readyz),
        Route("/metrics", http_api.metrics),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", StaticFiles(directory=WEB_CLIENT, check_dir=False), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    return app


async def build_services(settings: Settings, redis_url: str) -> Services:
    redis = connect(redis_url)
    keys = Keys(settings.key_prefix)
    node = secrets.token_hex(6)
    runner = ScriptRunner(redis, redis_url)
    sessions = SessionStore(
        redis, keys, runner, node,
        live_ttl_s=settings.seeker_ttl_s,
        retention_s=settings.retention_s,
        escalated_retention_s=settings.escalated_retention_s,
    )
    moderator = _moderator(settings.student_id_pattern)
    services = Services(
        settings=settings,
        redis=redis,
        keys=keys,
        node=node,
        runner=runner,
        staff=StaffStore(redis, keys, settings.token_ttl_s),
        seekers=SeekerStore(redis, keys, settings.seeker_ttl_s),
        sessions=sessions,
        queue=MatchQueue(redis, settings.key_prefix),
        hub=Hub(redis, redis_url, keys, node, sessions),
        moderator=moderator,
        metrics=Metrics(),
    )
    await runner.load_all()
    return services


@functools.cache
def _moderator(student_id_pattern: str | None) -> Moderator:
    """One filter per process: its automaton is read-only once built, so apps can share it.

    Built on the calling thread on purpose: building it in a worker thread while the main
    thread imports hit a CPython 3.11 parser race ("AST constructor recursion depth mismatch").
    """
    from moderation import Moderator

    if student_id_pattern:
        return Moderator(student_id_pattern=student_id_pattern)
    return Moderator()


def app_factory() -> Starlette:
    """For ``uvicorn --factory server.app:app_factory`` and the CLI's worker processes.

    Run it with ``--ws server.wsproto:PeerlineWebSocketProtocol`` (as ``peerline serve``
    does): under uvicorn's stock WebSocket protocols it works, through ASGI messages, but
    without the direct read and write path that the throughput figures depend on.
    """
    settings = Settings()
    logs.configure(settings.log_level)
    return create_app(settings)
