"""``python -m loadtests soak``: hours of a bad night, compressed: steady chat while Redis restarts.

It starts its own redis-server (AOF on) and ``peerline serve`` processes on loopback, matches
``--conns / 2`` seekers with helpers, and has every participant write at a fixed total rate
(``--rate`` messages a second). Every ``--restart-every`` seconds Redis is stopped and started
again on the same port and data. Clients behave as the web client does: a frame refused with
``unavailable`` is sent again (``resend``) a moment later; a closed connection reconnects and
resumes from the last message it has with none missing before it (``last_seen``); a message not
acked when its connection dropped is sent again, marked ``resend``.

At the end it counts, per session, from the stream in Redis and from what each client got:

- **lost**: acked to its sender but not in the transcript;
- **undelivered**: acked to its sender but never received by the other participant (live or in a
  resume's replay), after a settle period;
- **duplicated**: a message id a client received twice;
- the server processes' RSS over time (first sample after warm-up, last, highest).

Everything is bounded: the run stops by itself after ``--minutes`` (plus start-up and settle).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import websockets

from .launch import free_port, redis_server_path, start_peerline
from .target import StaffSpec, cli_provisioner

RETRY_S = 0.5


@dataclass
class Ledger:
    """What every client saw: acks (per sender role) and messages received (per role)."""

    acked: dict[str, dict[str, dict[str, int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(dict)))
    """session → sender role → message id → seq."""
    received: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    duplicates: int = 0
    unavailable: int = 0
    reconnects: int = 0
    sent: int = 0


class Person:
    """One seeker or helper: a connection that comes back whenever it is closed."""

    def __init__(self, url: str, role: str, ledger: Ledger, token: str = "",
                 capacity: int = 1) -> None:
        self.url = url
        self.role = role
        self.ledger = ledger
        self.token = token
        self.capacity = capacity
        self.resume: str | None = None
        self.sessions: set[str] = set()
        self.asked = False
        self.seqs: dict[str, dict[int, str]] = defaultdict(dict)
        """session → seq → id of every message this person has (own acks included)."""
        self.pending: dict[str, dict[str, Any]] = {}
        """ref → say frame not acked yet."""
        self.ws: Any = None
        self.stopping = False
        self._refs = 0

    def last_seen(self) -> dict[str, str]:
        out = {}
        for sid, seqs in self.seqs.items():
            if not seqs:
                continue
            seq = min(seqs)
            while seq + 1 in seqs:
                seq += 1
            out[sid] = seqs[seq]
        return out

    async def run(self) -> None:
        while not self.stopping:
            try:
                async with websockets.connect(self.url, max_size=None, open_timeout=20,
                                              ping_interval=None) as ws:
                    self.ws = ws
                    await self._hello()
                    async for data in ws:
                        await self._on(json.loads(data))
            except (TimeoutError, OSError, websockets.WebSocketException):
                pass
            self.ws = None
            if not self.stopping:
                self.ledger.reconnects += 1
                await asyncio.sleep(random.uniform(0.2, 1.0))

    async def _hello(self) -> None:
        hello: dict[str, Any] = {"type": "hello", "role": self.role}
        if self.role == "seeker":
            hello.update(lang="en", resume=self.resume)
        else:
            hello["token"] = self.token
        seen = self.last_seen()
        if seen or self.role != "seeker":
            hello["last_seen"] = seen
        await self.ws.send(json.dumps(hello))

    async def _on(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "welcome":
            if self.role == "seeker":
                self.resume = frame.get("resume")
                if not self.asked:
                    self.asked = True
                    await self._send({"type": "request", "topic": "other", "lang": "en"})
            else:
                await self._send({"type": "status", "available": True,
                                  "capacity": self.capacity, "langs": ["en"]})
            for summary in frame.get("sessions", []):
                if summary.get("state") != "ended":
                    self.sessions.add(summary["session"])
            for pending in list(self.pending.values()):
                await self._send({**pending, "resend": True})
        elif kind == "matched":
            self.sessions.add(frame["session"])
        elif kind == "message":
            sid, mid = frame["session"], frame["id"]
            got = self.ledger.received[sid][self.role]
            if mid in got:
                self.ledger.duplicates += 1
            got.add(mid)
            self.seqs[sid][frame["seq"]] = mid
        elif kind == "ack" and "seq" in frame:
            self.pending.pop(frame.get("ref", ""), None)
            self.ledger.acked[frame["session"]][self.role][frame["id"]] = frame["seq"]
            self.seqs[frame["session"]][frame["seq"]] = frame["id"]
        elif kind == "error" and frame.get("code") == "unavailable":
            self.ledger.unavailable += 1
            pending = self.pending.get(frame.get("ref") or "")
            if pending is not None:
                await asyncio.sleep(RETRY_S)
                await self._send({**pending, "resend": True})
        elif kind == "ended":
            self.sessions.discard(frame["session"])

    async def say(self) -> None:
        if self.ws is None or not self.sessions:
            return
        sid = random.choice(sorted(self.sessions))
        self._refs += 1
        frame = {"type": "say", "session": sid, "ref": f"{id(self):x}-{self._refs}",
                 "text": f"soak line {self._refs}"}
        self.pending[frame["ref"]] = frame
        self.ledger.sent += 1
        await self._send(frame)

    async def _send(self, frame: dict[str, Any]) -> None:
        ws = self.ws
        if ws is not None:
            with contextlib.suppress(websockets.WebSocketException, OSError):
                await ws.send(json.dumps(frame))


class RestartableRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="peerline-soak-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [redis_server_path(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.dir), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
             "--maxclients", "20000", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                _, w = await asyncio.open_connection("127.0.0.1", self.port)
                w.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    async def restart(self) -> None:
        self.stop()
        await self.start()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None


async def soak(minutes: float, conns: int, rate: float, restart_every: float, processes: int,
               settle_s: float = 10.0) -> dict[str, Any]:
    redis = RestartableRedis()
    await redis.start()
    servers = []
    try:
        for _ in range(processes):
            servers.append(await start_peerline(redis.url))
        urls = [f"ws://127.0.0.1:{s.port}/ws" for s in servers]
        pairs = conns // 2
        capacity = 10
        helpers_n = max(1, -(-pairs // capacity))
        password = secrets.token_urlsafe(12)
        specs = [StaffSpec(f"soak{i}", "helper", password, 1) for i in range(helpers_n)]
        await cli_provisioner(redis.url)(specs)
        ledger = Ledger()
        tokens = [await _login(urls[0], s.username, password) for s in specs]
        people = [Person(urls[i % len(urls)], "helper", ledger, tokens[i], capacity)
                  for i in range(helpers_n)]
        people += [Person(urls[(i + 1) % len(urls)], "seeker", ledger) for i in range(pairs)]
        tasks = [asyncio.create_task(p.run()) for p in people]
        await asyncio.sleep(5)  # everyone in and matched
        rss: list[tuple[float, int]] = []
        procs = [psutil.Process(s.pid) for s in servers]
        started = time.monotonic()
        end = started + minutes * 60
        next_restart = started + restart_every
        restarts = 0
        interval = 1.0 / rate
        next_sample = started
        while (now := time.monotonic()) < end:
            if now >= next_restart:
                await redis.restart()
                restarts += 1
                next_restart = now + restart_every
            if now >= next_sample:
                rss.append((round(now - started, 1), sum(_rss(p) for p in procs)))
                next_sample = now + 10
            await random.choice(people).say()
            await asyncio.sleep(interval)
        await asyncio.sleep(settle_s)
        for p in people:
            p.stopping = True
        for p in people:
            if p.ws is not None:
                with contextlib.suppress(Exception):
                    await p.ws.close()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return await _account(redis.url, ledger, rss, restarts, minutes, conns, rate)
    finally:
        for s in servers:
            s.stop()
        redis.stop()


async def _account(redis_url: str, ledger: Ledger, rss: list[tuple[float, int]],
                   restarts: int, minutes: float, conns: int, rate: float) -> dict[str, Any]:
    from server.store.client import connect

    client = connect(redis_url, pool_size=4)
    lost = undelivered = acked_total = 0
    try:
        keys = [k async for k in client.scan_iter(match="pl:s:{*}:msgs", count=1000)]
        streams: dict[str, set[str]] = {}
        for key in keys:
            sid = key.decode().split("{", 1)[1].split("}", 1)[0]
            streams[sid] = {i.decode() for i, _ in await client.xrange(key)}
    finally:
        await client.aclose()
    for sid, by_role in ledger.acked.items():
        stored = streams.get(sid, set())
        for role, ids in by_role.items():
            acked_total += len(ids)
            lost += len(set(ids) - stored)
            other = "helper" if role == "seeker" else "seeker"
            undelivered += len(set(ids) - ledger.received[sid][other])
    warm = [b for t, b in rss if t >= 10] or [b for _, b in rss]
    return {"minutes": minutes, "connections": conns, "rate": rate, "restarts": restarts,
            "sent": ledger.sent, "acked": acked_total, "lost": lost,
            "undelivered": undelivered, "duplicated": ledger.duplicates,
            "unavailable": ledger.unavailable, "reconnects": ledger.reconnects,
            "rss_mb": {"first": round(warm[0] / 2**20, 1) if warm else None,
                       "last": round(warm[-1] / 2**20, 1) if warm else None,
                       "max": round(max(warm) / 2**20, 1) if warm else None},
            "rss_samples": rss}


def _rss(proc: psutil.Process) -> int:
    try:
        return int(proc.memory_info().rss + sum(c.memory_info().rss
                                                for c in proc.children(recursive=True)))
    except psutil.Error:
        return 0


async def _login(ws_url: str, username: str, password: str) -> str:
    import urllib.request

    http = ws_url.replace("ws://", "http://").rsplit("/ws", 1)[0]
    body = json.dumps({"username": username, "password": password}).encode()

    def post() -> str:
        req = urllib.request.Request(f"{http}/api/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as response:
            return str(json.loads(response.read())["token"])

    return await asyncio.to_thread(post)


def add_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--conns", type=int, default=2000, help="connections (half seekers)")
    ap.add_argument("--rate", type=float, default=500.0, help="messages a second, in all")
    ap.add_argument("--restart-every", type=float, default=300.0, help="seconds")
    ap.add_argument("--processes", type=int, default=2, help="peerline serve processes")
    ap.add_argument("--report", type=Path, default=None)


def main(args: argparse.Namespace) -> int:
    result = asyncio.run(soak(args.minutes, args.conns, args.rate, args.restart_every,
                              args.processes))
    text = json.dumps({k: v for k, v in result.items() if k != "rss_samples"}, indent=2)
    print(text)
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(result, indent=2))
    ok = result["lost"] == 0 and result["undelivered"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    add_args(parser)
    sys.exit(main(parser.parse_args()))

