"""The ASGI application: routes, the WebSocket endpoint, and the lifespan that owns resources.

This is the one place where everything is wired: the stores are made over one Redis client,
each use case is handed exactly what it needs, events and deadlines are routed to the use cases
that handle them, and each connection gets the ``Wiring`` it calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from matching import MatchQueue

from ..core.policy import Graces
from ..gcpolicy import GcPolicy
from ..service import resources
from ..service.admission import Admission
from ..service.blocking import Blocking
from ..service.dispatch import Dispatch
from ..service.ending import Ending
from ..service.escalation import (
    ALERT_NO_CONTACT,
    ALERT_RESOURCES,
    ALERT_TIER,
    Escalation,
    EscalationTimes,
)
from ..service.events import Events
from ..service.handover import Handover
from ..service.intake import Intake
from ..service.lifecycle import HELPER_GONE, SEEKER_GONE, Lifecycle
from ..service.matchmaking import Matchmaking
from ..service.metrics import Metrics
from ..service.nodes import Nodes
from ..service.oncall import COUNSELOR_GONE, OnCall
from ..service.overview import Overview
from ..service.sharing import Sharing
from ..service.signin import SignIn
from ..service.signin_guard import SignInGuard
from ..service.supervision import Supervision
from ..service.sweeper import Sweeper
from ..service.talk import Talk
from ..service.welcome import Welcome
from ..service.workbudget import WorkBudget
from ..settings import Settings
from ..store.alerts import AlertStore
from ..store.blocks import BlockStore
from ..store.canned import CannedStore
from ..store.channels import Channels
from ..store.client import connect
from ..store.deadlines import Deadlines
from ..store.durability import prepare as prepare_durability
from ..store.embedded import EmbeddedRedis, start_embedded
from ..store.health import RedisHealth
from ..store.hours import HoursStore
from ..store.keys import Keys
from ..store.presence import Presence
from ..store.scripts import ScriptRunner
from ..store.seekers import SeekerStore
from ..store.sessions import SessionStore
from ..store.signin import SignInStore
from ..store.signin_gate import GatePolicy, SigninGate
from ..store.staff import StaffStore
from ..store.supervision import SupervisionStore
from ..transport.codec import choose_codec
from ..transport.connection import Connection, Limits, Wiring
from ..transport.flushing import FlushTurn
from ..transport.gate import GATE, Gate, GateLimits
from ..transport.hub import Hub
from . import http_api, logs, sso, twofactor
from .between_wiring import ROUTES as BETWEEN_ROUTES
from .between_wiring import BetweenChats, build_between
from .metrics_port import LocalMetrics

if TYPE_CHECKING:
    from moderation import Moderator

log = logging.getLogger("peerline")
WEB_CLIENT = Path(__file__).resolve().parent.parent.parent / "web_client"
STARTUP_SUBSCRIBE_S = 10.0
"""How long start-up waits for the pub/sub subscription before serving anyway (not ready)."""


@dataclass
class Runtime:
    """One server process's wired parts, as the lifespan and the HTTP endpoints need them."""

    settings: Settings
    node: str
    redis: aioredis.Redis
    keys: Keys
    runner: ScriptRunner
    hub: Hub
    health: RedisHealth
    presence: Presence
    staff: StaffStore
    guard: SignInGuard
    sessions: SessionStore
    queue: MatchQueue
    metrics: Metrics
    escalation: Escalation
    matchmaking: Matchmaking
    sweeper: Sweeper
    wiring: Wiring
    crisis_resources: list[dict[str, object]]
    self_help: list[dict[str, object]]
    signin: SignIn
    signin_store: SignInStore
    between: BetweenChats
    intake: Intake
    canned: CannedStore
    overview: Overview

    @property
    def stopping(self) -> asyncio.Event:
        return self.hub.stopping


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        logs.install_filters()
        embedded: EmbeddedRedis | None = None
        url = settings.redis_url
        if url is None:
            embedded = await asyncio.to_thread(start_embedded, settings.resolved_data_dir())
            url = embedded.url
        runtime = await build(settings, url)
        app.state.runtime = runtime
        await runtime.presence.beat()
        gc_policy = GcPolicy(settings.gc_refreeze_s, settings.gc_full_s,
                             settings.gc_young_threshold)
        if settings.gc_refreeze_s > 0:
            gc_policy.start()
        tasks = [
            asyncio.create_task(runtime.hub.listen(), name="hub-listener"),
            asyncio.create_task(runtime.matchmaking.run(), name="matchmaker"),
            asyncio.create_task(runtime.sweeper.run(), name="sweeper"),
            asyncio.create_task(runtime.health.run(runtime.stopping), name="redis-health"),
        ]
        if settings.gc_refreeze_s > 0:
            tasks.append(asyncio.create_task(gc_policy.run(runtime.stopping), name="gc"))
        # Serve once subscribed: a process takes no frame it could not deliver the answers to.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STARTUP_SUBSCRIBE_S):
                while not runtime.hub.listening:
                    await asyncio.sleep(0.01)
        if settings.metrics_local_port is not None:
            local_metrics = LocalMetrics(runtime, settings.metrics_local_port, settings.workers)
            app.state.metrics_port = local_metrics.port
            tasks.append(asyncio.create_task(local_metrics.run(), name="metrics-port"))
        log.info("node %s ready", runtime.node)
        try:
            # The gate in the lifespan state reaches uvicorn's protocols (httpproto.py).
            yield {GATE: runtime.wiring.gate}
        finally:
            runtime.stopping.set()
            with contextlib.suppress(Exception):
                await runtime.presence.leave()
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=5)
            gc_policy.stop()
            runtime.runner.close()
            await runtime.redis.aclose()
            if embedded is not None:
                await asyncio.to_thread(embedded.stop)

    async def websocket_endpoint(ws: WebSocket) -> None:
        wiring: Wiring = ws.app.state.runtime.wiring
        gate = wiring.gate
        if gate is not None and not gate.admit_websocket():
            await _refuse_websocket(ws)
            return
        conn: Connection | None = None
        try:
            codec = choose_codec(list(ws.scope.get("subprotocols") or []))
            offered = ws.scope.get("subprotocols") or []
            await ws.accept(subprotocol=codec.subprotocol if codec.subprotocol in offered
                            else None)
            conn = Connection(ws, wiring, codec)
            await conn.run()
            # Role and close code only: what an operator needs to follow a connection.
            log.debug("connection closed (role %s, code %s)", conn.who.role or "none",
                      conn.close_code)
        finally:
            if gate is not None:
                gate.websocket_closed(said_hello=conn is not None and conn.hello_counted)

    def page(name: str):  # type: ignore[no-untyped-def]
        async def serve(request: object) -> Response:
            return FileResponse(WEB_CLIENT / name, headers={"Cache-Control": "no-cache"})

        return serve

    routes = [
        Route("/", page("seeker.html")),
        Route("/helper", page("helper.html")),
        Route("/counselor", page("counselor.html")),
        Route("/library", page("library.html")),
        Route("/stories", page("stories.html")),
        *BETWEEN_ROUTES,
        Route("/api/login", http_api.login, methods=["POST"]),
        Route("/api/resources", http_api.crisis_resources),
        Route("/api/self-help", http_api.self_help),
        Route("/api/signin-options", sso.signin_options),
        Route("/api/2fa", twofactor.status),
        Route("/api/2fa/enrol", twofactor.enrol, methods=["POST"]),
        Route("/api/2fa/confirm", twofactor.confirm, methods=["POST"]),
        Route("/auth/{provider}/login", sso.begin),
        Route("/auth/{provider}/callback", sso.callback),
        Route("/api/hours", http_api.hours),
        Route("/api/canned", http_api.canned_list, methods=["GET"]),
        Route("/api/canned", http_api.canned_add, methods=["POST"]),
        Route("/api/canned/{id}", http_api.canned_put, methods=["PUT"]),
        Route("/api/canned/{id}", http_api.canned_delete, methods=["DELETE"]),
        Route("/api/sessions/active", http_api.active_sessions, methods=["GET"]),
        Route("/healthz", http_api.healthz),
        Route("/readyz", http_api.readyz),
        Route("/metrics", http_api.metrics),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", StaticFiles(directory=WEB_CLIENT, check_dir=False), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(logs.LogContext)])


async def build(settings: Settings, redis_url: str) -> Runtime:
    """Make every part of one server process and wire them together."""
    redis = connect(redis_url, timeout_s=settings.redis_timeout_s)
    keys = Keys(settings.key_prefix)
    node = secrets.token_hex(6)
    runner = ScriptRunner(redis, redis_url, timeout_s=settings.redis_timeout_s)
    # What an ack promises (PEERLINE_DURABILITY); the embedded Redis is set up for it.
    runner.durability = await prepare_durability(
        redis, settings.durability, settings.durability_timeout_ms,
        embedded=settings.redis_url is None)
    health = RedisHealth(redis, min(settings.redis_timeout_s, 0.8), settings.readiness_probe_s)
    metrics = Metrics()
    events = Events()

    # The stores: the only code that knows Redis.
    sessions = SessionStore(
        redis, keys, runner, node,
        live_ttl_s=settings.seeker_ttl_s,
        retention_s=settings.retention_s,
        escalated_retention_s=settings.escalated_retention_s,
        unmatched_retention_s=settings.unmatched_retention_s,
        durability=runner.durability,
    )
    presence = Presence(redis, keys, runner, node, settings.node_timeout_s)
    alerts = AlertStore(redis, keys, runner, settings.escalated_retention_s)
    deadlines = Deadlines(redis, keys.deadlines)
    staff = StaffStore(redis, keys, settings.token_ttl_s)
    signin_gate = SigninGate(redis, keys, runner, GatePolicy(
        settings.signin_free_attempts, settings.signin_first_delay_s,
        settings.signin_max_delay_s, settings.signin_window_s, settings.signin_device_ttl_s,
        settings.signin_device_failures))
    seekers = SeekerStore(redis, keys, settings.seeker_ttl_s, settings.seeker_idle_ttl_s,
                          settings.requests_per_identity_hour)
    queue = MatchQueue(redis, settings.key_prefix)
    supervised = SupervisionStore(redis, keys, runner, settings.seeker_ttl_s)
    blocks = BlockStore(redis, keys, limit=settings.abuse_blocks,
                        window_s=settings.abuse_window_s, ban_s=settings.abuse_pause_s)
    hours = HoursStore(redis, keys, settings.hours_cache_s)
    canned = CannedStore(redis, keys)

    hub = Hub(Channels(redis, keys, node), redis_url, keys, node, sessions, presence)
    crisis, self_help = resources.load()
    graces = Graces(queued_seeker_s=settings.queued_seeker_grace_s,
                    seeker_s=settings.seeker_grace_s, helper_s=settings.helper_grace_s,
                    counselor_s=settings.counselor_grace_s)

    # The use cases, each given what it needs; the order is their dependency order.
    ending = Ending(sessions, hub, events, metrics)
    escalation = Escalation(
        moderator=_moderator(settings.student_id_pattern), alerts=alerts, sessions=sessions,
        queue=queue, presence=presence, deadlines=deadlines, delivery=hub, ending=ending,
        events=events, metrics=metrics, crisis_resources=crisis,
        times=EscalationTimes(settings.tier_timeout_s, settings.resources_fallback_s,
                              settings.cooldown_s, settings.no_contact_after_s))
    oncall = OnCall(presence=presence, alerts=alerts, sessions=sessions, deadlines=deadlines,
                    delivery=hub, escalation=escalation, graces=graces)
    intake = Intake(hours=hours, blocks=blocks, presence=presence,
                          timezone=settings.timezone, crisis_resources=crisis)
    matchmaking = Matchmaking(queue=queue, sessions=sessions, escalation=escalation,
                              delivery=hub, events=events, metrics=metrics,
                              max_note_chars=settings.max_note_chars,
                              refresh_s=settings.queue_refresh_s, stopping=hub.stopping,
                              seekers=seekers, admission=intake.check)
    lifecycle = Lifecycle(sessions=sessions, queue=queue, presence=presence,
                          deadlines=deadlines, delivery=hub, ending=ending,
                          escalation=escalation, matchmaking=matchmaking, oncall=oncall,
                          events=events, metrics=metrics, graces=graces)
    nodes = Nodes(presence=presence, sessions=sessions, lifecycle=lifecycle,
                  heartbeat_s=settings.heartbeat_s, node_timeout_s=settings.node_timeout_s)
    welcome = Welcome(seekers=seekers, staff=staff, sessions=sessions, queue=queue,
                      presence=presence, delivery=hub, lifecycle=lifecycle,
                      matchmaking=matchmaking, oncall=oncall, metrics=metrics, node=node,
                      staff_log=supervised,
                      admission=Admission(settings.new_identity_burst,
                                          settings.new_identity_per_s,
                                          settings.new_identity_pow_bits,
                                          settings.new_identity_pow_extra_bits))
    talk = Talk(sessions=sessions, escalation=escalation, delivery=hub, metrics=metrics)
    supervision = Supervision(sessions=sessions, store=supervised, escalation=escalation,
                              delivery=hub, events=events)
    handover = Handover(sessions=sessions, queue=queue, supervision=supervised,
                        matchmaking=matchmaking, escalation=escalation, delivery=hub,
                        events=events)
    blocking = Blocking(sessions=sessions, queue=queue, blocks=blocks, ending=ending,
                        escalation=escalation, block_s=settings.block_s)
    guard = SignInGuard(gate=signin_gate, metrics=metrics, budget=WorkBudget(
        settings.signin_hash_slots, settings.signin_hash_queue, settings.signin_hash_wait_s))
    between = await build_between(redis, keys, settings,
                                  _moderator(settings.student_id_pattern), crisis)
    dispatch = Dispatch(welcome=welcome, talk=talk, lifecycle=lifecycle,
                        matchmaking=matchmaking, escalation=escalation, oncall=oncall,
                        supervision=supervision, handover=handover, blocking=blocking,
                        sharing=Sharing(library=between.library, sessions=sessions,
                                        delivery=hub))
    sweeper = Sweeper(
        deadlines,
        {SEEKER_GONE: lifecycle.seeker_gone, HELPER_GONE: lifecycle.helper_gone,
         ALERT_TIER: escalation.tier_due, ALERT_RESOURCES: escalation.resources_due,
         COUNSELOR_GONE: oncall.counselor_gone, ALERT_NO_CONTACT: escalation.no_contact_due},
        [nodes.tick, lifecycle.retry_departures], settings.sweep_interval_s, hub.stopping)
    wiring = Wiring(
        dispatch=dispatch, submit=runner.submit_durable, closed=lifecycle.disconnected,
        ready=lambda: hub.listening and health.answering,
        metrics=metrics, flush_turn=FlushTurn(),
        gate=Gate(GateLimits(settings.request_timeout_s, settings.max_pending_connections,
                             settings.max_pre_hello, settings.max_websockets)),
        limits=Limits(settings.outbound_queue, settings.rate_burst, settings.rate_per_s,
                      settings.rate_abuse_refusals, settings.rate_abuse_window_s,
                      settings.hello_timeout_s, replay_page=settings.replay_page))
    signin_store = SignInStore(redis, keys)
    signin = SignIn(staff, signin_store, issuer=f"Peerline ({settings.campus_name})",
                    totp_required=settings.totp_roles(), group_roles=settings.sso_group_roles)
    await runner.load_all()
    return Runtime(settings=settings, node=node, redis=redis, keys=keys, runner=runner, hub=hub,
                   health=health,
                   presence=presence, staff=staff, guard=guard, sessions=sessions, queue=queue,
                   metrics=metrics, escalation=escalation, matchmaking=matchmaking,
                   sweeper=sweeper, wiring=wiring,
                   crisis_resources=crisis, self_help=self_help,
                   signin=signin, signin_store=signin_store, between=between,
                   intake=intake, canned=canned,
                   overview=Overview(staff=staff, queue=queue, sessions=sessions))


async def _refuse_websocket(ws: WebSocket) -> None:
    """The process has as many WebSockets (or as many not yet past ``hello``) as it takes: the
    handshake is answered 503 with ``Retry-After``, before any WebSocket exists."""
    log.warning("websocket refused: the connection limit is reached")
    try:
        await ws.send_denial_response(JSONResponse(
            {"detail": "too many connections; try again shortly"}, status_code=503,
            headers={"Retry-After": "5"}))
    except RuntimeError:  # a server without the denial-response extension: 403 instead
        await ws.close(1013)


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
    """For ``uvicorn --factory server.web.app:app_factory`` and the CLI's worker processes.

    Run it with ``--ws server.transport.wsproto:PeerlineWebSocketProtocol`` (as ``peerline
    serve`` does): under uvicorn's stock WebSocket protocols it works, through ASGI messages,
    but without the direct read and write path that the throughput figures depend on.
    """
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    return create_app(settings)
