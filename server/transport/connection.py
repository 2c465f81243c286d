"""One WebSocket connection: its frames in, handled in order, and its frames out.

Frames in: each is decoded, rate-limited and validated, then handled. A participant's ``say`` is
handled without a task: screened, handed to the script runner, and finished in a callback when
its store's reply comes (ack, deliver); anything else goes to ``dispatch`` on a worker task that
exists only while it runs. Errors become ``error`` frames and the connection carries on.

Frames out go into the bounded outbox. Under Peerline's own uvicorn protocol (``wsproto.py``)
the outbox is flushed once per event-loop turn straight to the socket, every frame queued in
that turn in one write; under any other ASGI server a send task drains it through
``websocket.send``. ``run`` holds a receive task (the ASGI receive loop) and that send task (or a
closer) in a TaskGroup: when either ends, the other is cancelled and the socket is closed with
the code chosen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket

from ..core import frames
from ..core.errors import PeerlineError, RateLimited, Unavailable
from ..core.ordering import MAX_WAIT_S, SessionOrder
from ..core.participant import Participant
from ..core.protocol import Ping, Say, frame_ref, parse_frame
from ..core.ratelimit import AbuseCounter, TokenBucket
from ..service.dispatch import Dispatch
from ..service.metrics import Metrics
from ..service.ports import ReplayPages
from ..store.health import unavailable
from ..store.sessions import SessionStore
from .codec import Codec
from .flushing import FlushTurn
from .gate import Gate
from .outbox import DROPPABLE, Outbox, Overflow
from .wsproto import DIRECT_WRITE, READ_AHEAD, PeerlineWebSocketProtocol

if TYPE_CHECKING:
    from ..service.talk import Saying
    from ..store.scripts import Done

log = logging.getLogger("peerline.conn")

CLOSE_POLICY = 1008
CLOSE_SERVER_FAULT = 1011
CLOSE_TRY_AGAIN = 1013
CLOSE_REPLACED = 4000
WORKER_GRACE_S = 10.0
CLOSE_LINGER_S = 10.0
"""How long a closed connection's last frames and close frame may wait for a client that does
not read before its socket is aborted and their memory freed."""
"""How long a closed connection's last frames may take to be handled before they are dropped."""


class _Closing(Exception):
    """Raised by the send task to stop the connection's task group."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one connection may do (from settings)."""

    outbound_queue: int
    rate_burst: int
    rate_per_s: float
    rate_abuse_refusals: int
    rate_abuse_window_s: float
    hello_timeout_s: float
    replay_page: int = 200
    """Messages read from a transcript at a time when a resume replays it (``Replay``)."""


@dataclass(frozen=True, slots=True)
class Wiring:
    """What every connection of this process is handed: the use cases it calls, and where."""

    dispatch: Dispatch
    submit: Callable[[bytes, Done], None]
    """Send a packed store call; its reply comes to the callback (``ScriptRunner``)."""
    closed: Callable[[Connection], Awaitable[None]]
    """Called once when the connection is over (``Lifecycle.disconnected``)."""
    ready: Callable[[], bool]
    """Whether this process can reach Redis now (``/readyz``): if not, frames are refused."""
    metrics: Metrics
    flush_turn: FlushTurn
    limits: Limits
    gate: Gate | None = None
    """The process's connection counts (``gate.py``); told when this connection says hello."""


class Connection:
    """One WebSocket: the socket's frames in and out, and the ``Participant`` speaking on it.

    The use cases see it only as a ``Reply`` (``send``, ``hold``, ``release``, ``close``).
    """

    def __init__(self, ws: WebSocket, wiring: Wiring, codec: Codec) -> None:
        self.ws = ws
        self.wiring = wiring
        self.talk = wiring.dispatch.talk
        self.metrics = wiring.metrics
        self.codec = codec
        limits = wiring.limits
        self.outbox = Outbox(limits.outbound_queue)
        self.bucket = TokenBucket(limits.rate_burst, limits.rate_per_s)
        self.abuse = AbuseCounter(limits.rate_abuse_refusals, limits.rate_abuse_window_s)
        self.who = Participant()
        self.opened_ms = int(time.time() * 1000)
        self.close_code: int | None = None
        self.close_reason = ""
        self._overflow_logged = False
        self._held: list[dict[str, Any]] | None = None
        self._replay: asyncio.Task[None] | None = None
        self._drained: asyncio.Event | None = None
        """Set when the outbox has been written out (a replay waits on it for room)."""
        self._order: dict[str, SessionOrder] = {}
        self._order_timers: dict[str, asyncio.TimerHandle] = {}
        extensions = ws.scope.get("extensions") or {}
        self._direct: PeerlineWebSocketProtocol | None = extensions.get(DIRECT_WRITE)
        self._flush_pending = False
        self._inbox: deque[tuple[str | bytes, float]] = deque()
        """Frames waiting to be handled, each with when it arrived (the rate limit counts
        arrivals: frames that waited for a slow Redis are not refused for bunching up)."""
        self._worker: asyncio.Task[None] | None = None
        self._storing: Saying | None = None
        """The ``say`` whose store is in flight (its reply comes to ``_stored``)."""
        self._idle: asyncio.Future[None] | None = None
        self._stopped = False
        self._room: asyncio.Event | None = None
        self._hello_timer: asyncio.TimerHandle | None = None
        self.hello_counted = False
        """The gate was told that this connection is past ``hello``."""

    @property
    def closed(self) -> bool:
        return self.outbox.closed

    # -- sending -----------------------------------------------------------------------------

    def hold(self) -> None:
        """Hold back every frame sent to this connection until ``release``."""
        self._held = []

    def release(self, first: list[dict[str, Any]], replayed: dict[str, int],
                pages: ReplayPages | None = None) -> None:
        """Send ``first`` (welcome), then the replay's pages, then what was held, less the
        messages replayed.

        ``replayed`` (and ``pages.replayed``) map a session to the last ``seq`` the replay sent:
        a held ``message`` at or below it was already in the transcript and is dropped, so each
        message arrives once. The pages are read one at a time, each only once the outbox has
        drained below its low-water mark and the socket is writable (``_replay_pages``): a
        replay never goes past the outbox's limit, however long the transcript. Live frames
        stay held meanwhile, within the same limit (``send``).
        """
        for frame in first:
            self._deliver(frame)
        if pages is None:
            self._unhold(replayed)
            return
        self._replay = asyncio.get_running_loop().create_task(
            self._replay_pages(pages, replayed))

    async def _replay_pages(self, pages: ReplayPages, replayed: dict[str, int]) -> None:
        limit = self.wiring.limits.outbound_queue
        size = max(1, min(self.wiring.limits.replay_page, limit // 2))
        try:
            while True:
                await self._replay_room(limit // 4)
                if self.closed:
                    return
                page = await pages.next_page(size)
                if not page:
                    break
                for frame in page:
                    self._deliver(frame)
        except Exception as exc:  # Redis went away mid-replay: the client resumes later
            log.warning("a resume's replay failed (%s); closing to resume", type(exc).__name__)
            self.close(CLOSE_SERVER_FAULT, "replay failed; reconnect and resume")
            return
        finally:
            self._replay = None
        self._unhold({**replayed, **pages.replayed})

    async def _replay_room(self, low_water: int) -> None:
        """Until the outbox holds at most ``low_water`` frames and the socket takes more."""
        direct = self._direct
        while not self.closed and (len(self.outbox) > low_water
                                   or (direct is not None and direct.paused)):
            if self._drained is None:
                self._drained = asyncio.Event()
            self._drained.clear()
            await self._drained.wait()

    def _wake_replay(self) -> None:
        if self._drained is not None:
            self._drained.set()

    def _unhold(self, replayed: dict[str, int]) -> None:
        held, self._held = self._held or [], None
        for frame in held:
            if frame["type"] == "message" and frame["seq"] <= replayed.get(frame["session"], 0):
                continue
            self._deliver(frame)

    def send(self, frame: dict[str, Any]) -> None:
        held = self._held
        if held is None:
            self._deliver(frame)
        elif len(held) < self.wiring.limits.outbound_queue:
            held.append(frame)
        elif frame["type"] in DROPPABLE:
            self.outbox.dropped += 1
        else:
            # Held back (a replay in progress) longer than the outbox allows: the same policy
            # as a full outbox, and the client resumes from what it has.
            self._overflowed()

    def _deliver(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "message":
            self._in_order(frame["session"], frame)
            return
        self._put(frame)
        if kind == "ack" and "seq" in frame:
            order = self._order.get(frame["session"])
            if order is None:
                order = self._order[frame["session"]] = SessionOrder()
            for ready in order.own_seq(frame["seq"]):
                self._put(ready)
        elif kind == "ended":
            self._order.pop(frame["session"], None)

    def _in_order(self, sid: str, frame: dict[str, Any]) -> None:
        order = self._order.get(sid)
        if order is None:
            order = self._order[sid] = SessionOrder()
        for ready in order.offer(frame):
            self._put(ready)
        if order.held and sid not in self._order_timers:
            self._order_timers[sid] = asyncio.get_running_loop().call_later(
                MAX_WAIT_S, self._give_up, sid
            )

    def catch_up(self, sid: str, messages: list[dict[str, Any]]) -> None:
        """Messages of ``sid`` (staff copies, in ``seq`` order) that may have been missed while
        the pub/sub subscription was down: each one this connection has not had is sent, in
        order. Its own lines are skipped (it had their ``ack``)."""
        role = self.who.sessions.get(sid)
        if role is None:
            return
        order = self._order.get(sid)
        after = -1 if order is None or order.next is None else order.next - 1
        held = order.held if order is not None else {}
        staff = role != "seeker"
        for frame in messages:
            seq = frame["seq"]
            if seq <= after or seq in held or frame["from"] == role:
                continue
            if not staff and "severity" in frame:
                frame = {k: v for k, v in frame.items() if k != "severity"}
            self.send(frame)

    def _give_up(self, sid: str) -> None:
        self._order_timers.pop(sid, None)
        order = self._order.get(sid)
        if order is not None:
            for ready in order.give_up():
                self._put(ready)

    def _put(self, frame: dict[str, Any]) -> None:
        try:
            self.outbox.put(frame)
        except Overflow:
            self._overflowed()
            return
        if self._direct is not None and not self._flush_pending:
            self._schedule_flush()

    def _overflowed(self) -> None:
        if not self._overflow_logged:
            self._overflow_logged = True
            log.warning("outbox full for a %s connection; closing it to resume", self.who.role)
        self.close(CLOSE_TRY_AGAIN, "too slow to keep up; reconnect and resume")

    def writing_resumed(self) -> None:
        """The client's socket drained: send what waited in the outbox."""
        if not self._flush_pending:
            self._schedule_flush()
        self._wake_replay()

    def control_received(self) -> bool:
        """A WebSocket ping from the client: it costs a frame of the rate limit like any other
        (before ``hello`` too), so that a ping flood is refused and then closed (1008) instead of
        answered with pongs without end. A refused ping gets no answer and no error frame."""
        if self.close_code is not None:
            return False
        if self.bucket.take():
            return True
        if self.abuse.record():
            self.close(CLOSE_POLICY, "flooding")
        return False

    def _schedule_flush(self) -> None:
        self._flush_pending = True
        self.wiring.flush_turn.add(self)

    def flush(self) -> None:
        """Write every queued frame in one socket write (direct mode), unless the client's
        socket is backed up: then they wait in the bounded outbox for ``writing_resumed``."""
        self._flush_pending = False
        direct = self._direct
        if direct is None or direct.paused:
            return
        frames = self.outbox.take_nowait()
        if frames:
            payload = self.codec.payload
            if direct.write_frames([payload(frame) for frame in frames], self.codec.binary):
                self.metrics.hot.frames_out += len(frames)
        if self._replay is not None:
            self._wake_replay()

    def error(self, exc: PeerlineError, ref: str | None) -> None:
        self.metrics.errors.labels(exc.code).inc()
        self.send(frames.error(exc.code, exc.detail or exc.code, ref, **exc.extra))

    def close(self, code: int, reason: str = "") -> None:
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
        if code == CLOSE_REPLACED:
            self._drop_everything()
        self.outbox.close()
        self._wake_replay()

    def _drop_everything(self) -> None:
        """Replaced by a newer connection of the same person: nothing more is owed to this
        one. Its queued and held frames and its replay are dropped at once, and if its client
        is not reading (bytes still wait in the socket's buffer) the socket is aborted, so a
        replaced connection holds no memory however its client behaves."""
        self._held = None
        self.outbox.take_nowait()
        if self._replay is not None:
            self._replay.cancel()
        direct = self._direct
        if direct is not None and direct.transport.get_write_buffer_size() > 0:
            direct.drop()

    # -- receiving ---------------------------------------------------------------------------

    def frame_received(self, data: str | bytes) -> int:
        """A whole frame from the client; returns how many are waiting to be handled.

        Called straight from the socket's ``data_received`` under Peerline's protocol (from the
        ASGI receive loop under any other server). Frames are handled one at a time, in order.
        A participant's ``say`` is handled right here and its store goes on in a callback
        (``_stored``); anything else runs on a worker task that exists only while it does. So
        an idle connection holds no task, coroutine or future of its own, and the message path
        creates none (see "The GC pauses" and "Latest runs" in docs/performance.md).
        """
        if self.close_code is not None:
            return 0
        self._inbox.append((data, time.monotonic()))
        if self._worker is None and self._storing is None:
            self._handle_waiting()
        return len(self._inbox)

    def _handle_waiting(self) -> None:
        inbox = self._inbox
        while inbox and self._worker is None and self._storing is None:
            if self.close_code is not None or self._stopped:
                inbox.clear()
                break
            self._start(*inbox.popleft())
        if self._worker is None and self._storing is None:
            if self._direct is not None:
                self._direct.resume_reading()
            elif self._room is not None:
                self._room.set()
            if self._idle is not None and not self._idle.done():
                self._idle.set_result(None)

    def _start(self, data: str | bytes, arrived: float) -> None:
        """Decode, rate-limit and validate one frame, then handle it (see ``frame_received``)."""
        self.metrics.hot.frames_in += 1
        expect_hello = not self.who.known
        ref: str | None = None
        try:
            raw = self.codec.decode(data)
            ref = frame_ref(raw)  # decoded first, so that even a refusal carries the ref
            if not self.bucket.take(arrived):
                if self.abuse.record():
                    self.close(CLOSE_POLICY, "flooding")
                    return
                raise RateLimited("too many frames; slow down")
            frame = parse_frame(raw)
            if not self.wiring.ready() and type(frame) is not Ping:
                # What /readyz denies is not served: nothing is stored or sent half-way.
                raise Unavailable("the server cannot reach its storage; try again shortly")
            if type(frame) is Say and not expect_hello:
                talk = self.talk
                saying = talk.screen(self.who, frame)
                if saying is not None:
                    # (The reply comes in a later loop callback, never inside ``submit``.)
                    self.wiring.submit(talk.store_call(self.who, saying), self._stored)
                    self._storing = saying
                    return
        except PeerlineError as exc:
            self._refused(exc, ref, expect_hello)
            return
        except Exception as exc:
            self._fault(exc)
            return
        self._worker = asyncio.get_running_loop().create_task(
            self._work(self.wiring.dispatch.dispatch(self, frame, expect_hello), ref,
                       expect_hello)
        )

    def _stored(self, reply: Any, failure: BaseException | None) -> None:
        """The store's reply to the ``say`` in ``_storing``: ack, deliver, then the next frame."""
        saying, self._storing = self._storing, None
        assert saying is not None
        try:
            if failure is not None:
                raise unavailable(failure) or failure
            stored = SessionStore.stored(reply)
            if self.talk.stored(self, saying, stored):
                self._worker = asyncio.get_running_loop().create_task(
                    self._work(self.talk.flagged(saying, stored), saying.ref, False)
                )
        except PeerlineError as exc:
            self.error(exc, saying.ref)
        except Exception as exc:
            self._fault(exc)
        self._handle_waiting()

    async def _work(self, job: Awaitable[None], ref: str | None, expect_hello: bool) -> None:
        """The worker task: one frame's handling that has to wait (anything but ``say``)."""
        try:
            await job
        except PeerlineError as exc:
            self._refused(exc, ref, expect_hello)
        except Exception as exc:
            refusal = unavailable(exc)
            if refusal is None:
                self._fault(exc)
            else:
                self._refused(refusal, ref, expect_hello)
        finally:
            self._worker = None
            if expect_hello and self.who.known and self._hello_timer is not None:
                self._hello_timer.cancel()
                self._hello_timer = None
            if expect_hello and self.who.known and not self.hello_counted:
                self.hello_counted = True
                if self.wiring.gate is not None:
                    self.wiring.gate.said_hello()
            self._handle_waiting()

    def _fault(self, exc: Exception) -> None:
        """A bug while handling a frame: logged, and this connection closed with 1011."""
        log.error("connection failed", exc_info=exc)
        self.close(CLOSE_SERVER_FAULT, "server error")

    def _refused(self, exc: PeerlineError, ref: str | None, expect_hello: bool) -> None:
        self.error(exc, ref)
        if expect_hello and isinstance(exc, Unavailable):
            self.close(CLOSE_SERVER_FAULT, "storage unavailable; try again")
        elif expect_hello and not isinstance(exc, RateLimited):
            # The contract: the first frame must be a (valid) hello.
            self.close(CLOSE_POLICY, "the first frame must be hello")

    def _no_hello(self) -> None:
        self._hello_timer = None
        if not self.who.known:
            self.close(CLOSE_POLICY, "no hello in time")

    # -- running -----------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._hello_timer = loop.call_later(self.wiring.limits.hello_timeout_s, self._no_hello)
        if self._direct is not None:
            self._direct.attach(self)
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._pump())
                tg.create_task(self._closer() if self._direct is not None else self._send_loop())
        except* _Closing:
            pass
        except* Exception as group:
            for exc in group.exceptions:
                if not _is_disconnect(exc):
                    log.error("connection failed", exc_info=exc)
                    self.close_code = self.close_code or CLOSE_SERVER_FAULT
        finally:
            if self._hello_timer is not None:
                self._hello_timer.cancel()
            # Frames the client sent before it went are still handled (a last message is
            # stored and delivered), within the time a Redis call may take.
            if self._worker is not None or self._storing is not None:
                self._idle = loop.create_future()
                await asyncio.wait({self._idle}, timeout=WORKER_GRACE_S)
            self._stopped = True
            if self._worker is not None:
                self._worker.cancel()
            if self._replay is not None:
                self._replay.cancel()
            try:
                await self.wiring.closed(self)
            except Exception:  # never lose the close code to a failed clean-up (1006)
                log.exception("clean-up after a connection failed")
            if self.close_code is not None:
                try:
                    await self.ws.close(self.close_code, self.close_reason[:120])
                except Exception:
                    pass
            if self._direct is not None:
                # A client that does not read would keep its unread frames in the server for
                # good (a transport closes only once its buffer is written): dropped after
                # the close handshake's time.
                self._direct.drop_later(CLOSE_LINGER_S)

    async def _pump(self) -> None:
        """The ASGI receive loop. Under Peerline's protocol it sees only the frames that came
        before the connection attached, then the disconnect; under another server, every frame."""
        try:
            receive = self.ws._receive  # raw ASGI: the handshake is long done
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    return
                data = message.get("text")
                if data is None:
                    data = message.get("bytes") or b""
                if self.frame_received(data) >= READ_AHEAD and self._direct is None:
                    self._room = self._room or asyncio.Event()
                    self._room.clear()
                    await self._room.wait()
        finally:
            self.outbox.close()

    async def _closer(self) -> None:
        await self.outbox.wait_closed()
        self.flush()  # what was queued before the close (an error frame before a 1008, say)
        raise _Closing

    async def _send_loop(self) -> None:
        """Sending under another ASGI server: the outbox drained through ``websocket.send``."""
        # The raw ASGI send: Starlette's wrapper re-checks its state machine on every frame,
        # and the handshake is long done here.
        send = self.ws._send
        encode = self.codec.encode
        key = "bytes" if self.codec.binary else "text"
        hot = self.metrics.hot
        while True:
            frames = await self.outbox.take_all()
            if not frames:
                raise _Closing
            for frame in frames:
                await send({"type": "websocket.send", key: encode(frame)})
            hot.frames_out += len(frames)
            self._wake_replay()


def _is_disconnect(exc: BaseException) -> bool:
    from starlette.websockets import WebSocketDisconnect

    # uvicorn raises ClientDisconnected (an OSError) once the peer has gone.
    return isinstance(exc, WebSocketDisconnect | OSError | RuntimeError)
