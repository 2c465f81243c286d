"""Where the load goes: URL checks (loopback only), staff provisioning, login over HTTP.

A :class:`Target` is one deployment under test: one or more ``ws://`` URLs of server processes
sharing one Redis, and a way to create staff accounts. The command line provisions through the
operator CLI (``peerline staff import``); the tests provision through the live-server fixture.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from . import fastjson

REPO_ROOT = Path(__file__).resolve().parent.parent


class TargetError(Exception):
    """A URL or provisioning problem that stops the run before any load is sent."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    path: str

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}{self.path}"

    @property
    def http_base(self) -> str:
        return f"http://{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_url(url: str, default_path: str = "/ws") -> Endpoint:
    """Split a ``ws://`` or ``http://`` URL; refuse anything that is not on this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "http"):
        raise TargetError(f"{url}: only ws:// (or http://) URLs, no TLS: this is a loopback tool")
    host = parts.hostname or ""
    if not is_loopback(host):
        raise TargetError(
            f"{url}: refusing a non-loopback host ({host!r}); load goes to 127.0.0.0/8 or ::1 only"
        )
    if parts.port is None:
        raise TargetError(f"{url}: give the port explicitly")
    host = "127.0.0.1" if host == "localhost" else host
    return Endpoint(host, parts.port, parts.path or default_path)


async def http_json(
    ep: Endpoint, method: str, path: str, body: object | None = None, timeout: float = 30.0
) -> tuple[int, object]:
    """One HTTP/1.1 request with a JSON body on a fresh connection; ``(status, parsed body)``."""
    data = b"" if body is None else fastjson.dumps(body)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {ep.host}:{ep.port}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()

    async def go() -> tuple[int, object]:
        reader, writer = await asyncio.open_connection(ep.host, ep.port)
        try:
            writer.write(head + data)
            raw = await reader.read()
        finally:
            writer.close()
        header, _, payload = raw.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if any(ln.lower().startswith("transfer-encoding: chunked") for ln in lines[1:]):
            payload = _unchunk(payload)
        try:
            return status, fastjson.loads(payload) if payload else None
        except fastjson.JSONDecodeError:
            return status, payload.decode(errors="replace")

    return await asyncio.wait_for(go(), timeout)


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return bytes(out)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str  # helper | counselor
    password: str
    tier: int = 1


Provisioner = Callable[[Sequence[StaffSpec]], Awaitable[None]]


def make_staff(
    run_id: str, role: str, count: int, tier: int = 1, start: int = 0
) -> list[StaffSpec]:
    """``count`` accounts named ``<run id><h|c><n>``: unique per run, so reruns against the same
    Redis never collide. Passwords are random per run and never written anywhere but the import
    file, which is deleted at once."""
    pw = secrets.token_urlsafe(12)
    return [StaffSpec(f"{run_id}{role[0]}{i}", role, pw, tier) for i in range(start, start + count)]


def peerline_cli() -> list[str]:
    exe = shutil.which("peerline")
    if exe:
        return [exe]
    # Not installed as a distribution: run the console script's function from the checkout.
    return [sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())"]


def cli_provisioner(
    redis_url: str | None = None, data_dir: str | None = None, parallel: int = 2
) -> Provisioner:
    """Accounts by ``peerline staff import --file FILE (--redis-url URL | --data-dir D)``.

    The import hashes every password with Argon2id (~0.1 s each), so large batches are split over
    ``parallel`` import processes."""
    if not redis_url and not data_dir:
        raise TargetError(
            "staff accounts need --redis-url (or --data-dir) of the server under test"
        )
    where = ["--redis-url", redis_url] if redis_url else ["--data-dir", str(data_dir)]

    async def import_file(specs: Sequence[StaffSpec]) -> None:
        fd, name = tempfile.mkstemp(prefix="peerline-staff-", suffix=".txt")
        try:
            with os.fdopen(fd, "w") as f:
                for s in specs:
                    f.write(f"{s.username} {s.role} {s.password} {s.tier}\n")
            proc = await asyncio.create_subprocess_exec(
                *peerline_cli(),
                "staff",
                "import",
                "--file",
                name,
                *where,
                cwd=str(REPO_ROOT),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await asyncio.wait_for(proc.communicate(), timeout=60 + 0.5 * len(specs))
            if proc.returncode != 0:
                raise TargetError(
                    f"peerline staff import failed ({proc.returncode}): "
                    f"{err.decode(errors='replace').strip()[-500:]}"
                )
        finally:
            os.unlink(name)

    async def provision(specs: Sequence[StaffSpec]) -> None:
        if not specs:
            return
        k = max(1, min(parallel, len(specs) // 20))
        await asyncio.gather(*(import_file(specs[i::k]) for i in range(k)))

    return provision


async def login(ep: Endpoint, spec: StaffSpec) -> str:
    status, body = await http_json(
        ep, "POST", "/api/login", {"username": spec.username, "password": spec.password}
    )
    if status != 200 or not isinstance(body, dict) or "token" not in body:
        raise TargetError(f"login of {spec.username} failed with HTTP {status}")
    return str(body["token"])


async def login_all(
    eps: Sequence[Endpoint], specs: Sequence[StaffSpec], concurrency: int = 4
) -> list[str]:
    """Tokens for ``specs``, logging in round-robin across the endpoints (a login costs the
    server an Argon2id verification, so only a few at a time)."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int, s: StaffSpec) -> str:
        async with sem:
            return await login(eps[i % len(eps)], s)

    return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(specs))))


@dataclass
class Target:
    """The deployment under test."""

    endpoints: list[Endpoint]
    provision: Provisioner | None = None
    server_pids: list[int] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: "lt" + secrets.token_hex(3))
    made: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_urls(cls, urls: Sequence[str], **kw: object) -> Target:
        if not urls:
            raise TargetError("give at least one --url")
        return cls([parse_url(u) for u in urls], **kw)  # type: ignore[arg-type]

    async def staff(self, role: str, count: int, tier: int = 1) -> list[tuple[StaffSpec, str]]:
        """Create ``count`` accounts of ``role`` and log each in; ``[(spec, token)]``."""
        if count <= 0:
            return []
        if self.provision is None:
            raise TargetError(
                "this scenario needs staff accounts: give --redis-url of the server's Redis"
            )
        specs = make_staff(self.run_id, role, count, tier, start=self.made.get(role, 0))
        self.made[role] = self.made.get(role, 0) + count
        await self.provision(specs)
        tokens = await login_all(self.endpoints, specs)
        return list(zip(specs, tokens, strict=True))
