"""The hub: this process's open connections, and delivery to them from anywhere.

The hub never decides policy; it only knows who is connected here and gets frames to them.
Frames for people on other processes travel over Redis pub/sub: every process subscribes to its
own node channel (session traffic, addressed by ``say.lua``/``relay.lua`` to the processes that
hold a session's participants) and to one broadcast channel (rare events: queue changes, alerts).

The listener owns its reconnect loop (capped exponential backoff, resubscribe): broadcaster's
listener dies with its Redis connection, which is what taught us to own it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any, cast

from ..core import frames, policy
from ..store.channels import Channels, pack_event, unpack_event
from ..store.keys import Keys
from ..store.presence import Presence
from ..store.sessions import SessionStore
from .connection import Connection

if TYPE_CHECKING:
    from ..service.ports import Reply

log = logging.getLogger("peerline.hub")

MAX_BACKOFF_S = 1.0
"""The listener retries Redis at least this often: while it is away nothing is served."""
SUBSCRIPTION_IDLE_S = 5.0
"""A silent subscription is PINGed after this long, and given up after twice as long."""
CATCH_UP_MARGIN_MS = 30_000
"""How far before the subscription was lost the catch-up reads (clock skew with Redis)."""


class Hub:
    def __init__(self, channels: Channels, redis_url: str, keys: Keys, node: str,
                 sessions: SessionStore, presence: Presence):
        self.channels = channels
        self.redis_url = redis_url
        self.keys = keys
        self.node = node
        self.sessions = sessions
        self.presence = presence
        self.users: dict[str, Connection] = {}
        self.by_session: dict[str, set[Connection]] = {}
        self.oncall: set[Connection] = set()
        self.overseers: set[Connection] = set()
        """Connections that get every on-call frame, on call or not (``policy.oversees``)."""
        self.queue_changed = asyncio.Event()
        self.listening = False
        """Subscribed, and caught up after any outage (readiness needs it)."""
        self._lost_at_ms: int | None = None
        """When the subscription was lost (wall clock, ms), until the catch-up after it."""
        self._backoff = 0.1
        self._generation = 0
        """Counts subscriptions: a catch-up for an older one stops."""
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references
        self.stopping = asyncio.Event()
        self.on_queued: Callable[[str, Reply], None] | None = None
        self.on_caught_up: Callable[[list[Reply]], Awaitable[None]] | None = None
        self._posts: deque[tuple[str, dict[str, Any]]] = deque()
        """Events for other processes (``to_nodes``), published in order by one task."""
        self._posting: asyncio.Task[None] | None = None

    # -- registry ----------------------------------------------------------------------------

    def register(self, reply: Reply) -> Reply | None:
        """Register a connection; return the older connection of the same person, if any."""
        conn = cast(Connection, reply)
        assert conn.who.known
        old = self.users.get(conn.who.uid)
        self.users[conn.who.uid] = conn
        if policy.oversees(conn.who.role):
            self.overseers.add(conn)
        if old is not None and old is not conn:
            for sid in list(old.who.sessions):
                self.part(old, sid)
            self.oncall.discard(old)
            self.overseers.discard(old)
            return old
        return None

    def unregister(self, reply: Reply) -> bool:
        """Forget a closed connection; False if a newer one of the same person replaced it."""
        conn = cast(Connection, reply)
        for sid in list(conn.who.sessions):
            self._part(conn, sid, keep_role=True)
        self.oncall.discard(conn)
        self.overseers.discard(conn)
        if conn.who.known and self.users.get(conn.who.uid) is conn:
            del self.users[conn.who.uid]
            return True
        return False

    def find(self, uid: str) -> Reply | None:
        return self.users.get(uid)

    def join(self, reply: Reply, sid: str, role: str) -> None:
        conn = cast(Connection, reply)
        conn.who.enter(sid, role)
        self.by_session.setdefault(sid, set()).add(conn)

    def part(self, reply: Reply, sid: str) -> None:
        self._part(cast(Connection, reply), sid)

    def set_on_call(self, reply: Reply, on_call: bool) -> None:
        if on_call:
            self.oncall.add(cast(Connection, reply))
        else:
            self.oncall.discard(cast(Connection, reply))

    def is_on_call(self, reply: Reply) -> bool:
        return reply in self.oncall

    def _part(self, conn: Connection, sid: str, keep_role: bool = False) -> None:
        if not keep_role:
            conn.who.leave(sid)
        members = self.by_session.get(sid)
        if members is not None:
            members.discard(conn)
            if not members:
                del self.by_session[sid]

    # -- local delivery ----------------------------------------------------------------------

    def deliver_session(
        self,
        sid: str,
        frame: dict[str, Any],
        roles: Collection[str] | None = None,
        exclude: str | None = None,
    ) -> None:
        for conn in tuple(self.by_session.get(sid, ())):
            who = conn.who
            if who.uid == exclude:
                continue
            if roles is not None and who.sessions.get(sid) not in roles:
                continue
            conn.send(frame)
            if frame["type"] == "ended":
                self._part(conn, sid)

    def deliver_user(
        self,
        uid: str,
        frames: list[dict[str, Any]],
        attach: tuple[str, str] | None = None,
        detach: str | None = None,
    ) -> bool:
        conn = self.users.get(uid)
        if conn is None:
            return False
        if attach is not None:
            self.join(conn, attach[0], attach[1])
        if detach is not None:
            self._part(conn, detach)
        for frame in frames:
            conn.send(frame)
            if frame["type"] == "queued" and self.on_queued is not None:
                self.on_queued(frame["session"], conn)
        return True

    def deliver_oncall(
        self, frame: dict[str, Any], tiers: Iterable[int] | None = None, exclude: str | None = None,
        audience: dict[str, Any] | None = None,
    ) -> int:
        wanted = set(tiers) if tiers is not None else None
        count = 0
        for conn in tuple(self.oncall):
            who = conn.who
            if (who.uid != exclude and (wanted is None or who.tier in wanted)
                    and policy.reaches(audience, who.role, who.tier, who.level or policy.CENTRE,
                                       who.department)):
                conn.send(frame)
                count += 1
        for conn in tuple(self.overseers - self.oncall):
            if conn.who.uid != exclude:
                conn.send(frame)
                count += 1
        return count

    # -- delivery anywhere -------------------------------------------------------------------

    async def to_session(
        self,
        sid: str,
        frame: dict[str, Any],
        *,
        roles: Iterable[str] | None = None,
        exclude: str | None = None,
        also: str = "",
        sender: tuple[str, str] | None = None,
    ) -> None:
        """Deliver to the session's participants here and on every process holding one.

        With a ``sender`` (uid, role), Redis first checks that the sender is in the active
        session and refuses otherwise (``NotInSession`` / ``SessionEnded``).
        """
        roles_list = list(roles) if roles is not None else None
        self.deliver_session(sid, frame, roles_list, exclude)
        if also:
            self.deliver_user(also, [frame])
        payload = pack_event(
            {"k": "sess", "session": sid, "frame": frame, "roles": roles_list,
             "exclude": exclude, "also": also})
        uid, role = sender or ("", "")
        await self.sessions.relay(sid, payload, uid=uid, role=role, extra_uid=also)

    def to_nodes(self, nodes: Iterable[str], event: dict[str, Any]) -> None:
        """Publish ``event`` to each node, after every event given before (one task drains
        them in order: messages of a session must arrive in their order)."""
        self._posts.extend((node, event) for node in nodes)
        if self._posting is None and self._posts:
            self._posting = asyncio.get_running_loop().create_task(self._post())

    async def _post(self) -> None:
        try:
            while self._posts:
                node, event = self._posts.popleft()
                try:
                    await self.channels.to_node(node, event)
                except Exception as exc:
                    # Stored and acked: the receiver's catch-up after its own outage, or the
                    # person's resume, brings it; here it is only not live.
                    log.warning("could not publish to node %s (%s)", node, type(exc).__name__)
        finally:
            self._posting = None

    async def to_user(
        self,
        uid: str,
        frames: list[dict[str, Any]],
        attach: tuple[str, str] | None = None,
        detach: str | None = None,
    ) -> None:
        """Deliver to one person wherever they are connected (nowhere, if they are not)."""
        if self.deliver_user(uid, frames, attach, detach):
            return
        node = await self.presence.location(uid)
        if node is None or node == self.node:
            return
        await self.channels.to_node(
            node, {"k": "user", "uid": uid, "frames": frames, "attach": attach, "detach": detach})

    async def broadcast(self, event: dict[str, Any]) -> None:
        """Send an event to every process, this one included (it comes back through Redis)."""
        await self.channels.to_all(event)

    async def to_on_call(self, frame: dict[str, Any], tiers: list[int] | None = None,
                         exclude: str | None = None,
                         audience: dict[str, Any] | None = None) -> None:
        """To the on-call counselors of ``tiers`` (all when None) and ``audience`` (levels and
        departments: ``policy.reaches``; everyone when None) on every process, and to every
        admin connected."""
        event: dict[str, Any] = {"k": "oncall", "frame": frame, "tiers": tiers}
        if exclude is not None:
            event["exclude"] = exclude
        if audience is not None:
            event["audience"] = audience
        await self.broadcast(event)

    # -- the listener ------------------------------------------------------------------------

    async def listen(self) -> None:
        """Take this node's channel and the broadcast channel until stopped, reconnecting with
        a capped exponential backoff. The subscription is read with hiredis
        (``resp.Subscription``): events read together are delivered together, without a
        coroutine step and a timeout per event as redis-py's ``PubSub.get_message`` takes."""
        while not self.stopping.is_set():
            subscription = self.channels.subscription(self.redis_url, self._on_event,
                                                      SUBSCRIPTION_IDLE_S,
                                                      f"peerline-sub-{self.node}")
            try:
                await subscription.run(on_subscribed=self._subscribed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening = False
                log.warning("pub/sub listener lost Redis (%s); retrying in %.1fs",
                            type(exc).__name__, self._backoff)
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)
            finally:
                self.listening = False
                if self._lost_at_ms is None:
                    self._lost_at_ms = int(time.time() * 1000)

    def _subscribed(self) -> None:
        self._generation += 1
        self._backoff = 0.1
        log.info("listening on node channel %s", self.node)
        if self._lost_at_ms is None:
            self.listening = True
            return
        since, self._lost_at_ms = self._lost_at_ms - CATCH_UP_MARGIN_MS, None
        task = asyncio.get_running_loop().create_task(self._catch_up(since))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _catch_up(self, since_ms: int) -> None:
        """After the subscription was lost, deliver to every connection here what was published
        while it was down: the messages stored since then that each has not had (gap detection
        by ``seq``), read from the session's stream. Until this is done the process is not
        ready (frames are refused with ``unavailable``), so nothing acked stays undelivered."""
        generation = self._generation
        while generation == self._generation and not self.stopping.is_set():
            try:
                for sid in list(self.by_session):
                    missed = await self.sessions.messages_since(sid, since_ms)
                    if missed:
                        for conn in tuple(self.by_session.get(sid, ())):
                            conn.catch_up(sid, missed)
                if self.on_caught_up is not None:
                    await self.on_caught_up(list(self.users.values()))
            except Exception as exc:
                log.warning("catching up after the pub/sub outage failed (%s); retrying",
                            type(exc).__name__)
                await asyncio.sleep(MAX_BACKOFF_S)
                continue
            if generation == self._generation:  # not lost again meanwhile
                self.listening = True
                log.info("caught up after the pub/sub outage")
            return

    def replace_elsewhere(self, uid: str, node: str) -> None:
        """``uid`` connected here while ``node`` held them: that node closes its connection
        (one person, one live connection across all processes)."""
        event = {"k": "replace", "uid": uid, "before": int(time.time() * 1000)}
        task = asyncio.get_running_loop().create_task(self.channels.to_node(node, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_event(self, data: bytes) -> None:
        try:
            event = unpack_event(data)
            kind = event["k"]
            if kind == "msg":
                sid = event["session"]
                self.deliver_session(sid, frames.message(
                    sid, event["id"], event["from"], event["alias"], event["text"], event["ts"],
                    event["seq"]))
            elif kind == "sess":
                self.deliver_session(event["session"], event["frame"], event["roles"],
                                     event["exclude"])
                if event.get("also"):
                    self.deliver_user(event["also"], [event["frame"]])
            elif kind == "user":
                attach = tuple(event["attach"]) if event.get("attach") else None
                self.deliver_user(event["uid"], event["frames"], attach,  # type: ignore[arg-type]
                                  event.get("detach"))
            elif kind == "revoke":  # the account was removed or its password changed
                conn = self.users.get(event["uid"])
                if conn is not None:
                    conn.send(frames.error("unauthorized", "your sign-in was revoked"))
                    conn.close(1008, "revoked")
            elif kind == "replace":  # the same person connected on another process since
                conn = self.users.get(event["uid"])
                if conn is not None and conn.opened_ms < event["before"]:
                    conn.close(4000, "replaced by a newer connection")
            elif kind == "queue":
                self.queue_changed.set()
            elif kind == "oncall":
                self.deliver_oncall(event["frame"], event.get("tiers"), event.get("exclude"),
                                    event.get("audience"))
        except Exception:
            log.exception("bad event on the pub/sub channel")
