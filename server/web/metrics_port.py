"""``/metrics`` on a loopback-only port, for deployments that keep it off the public port.

Why a second listener rather than an address check on the public one: behind a proxy every
request comes from the proxy's address, so "is this loopback?" cannot be answered there. A
socket bound to 127.0.0.1 can only be reached from this machine, whatever sits in front.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from . import http_api

if TYPE_CHECKING:
    from .app import Runtime

log = logging.getLogger("peerline")
LOOPBACK = "127.0.0.1"


def bind_first_free(port: int, tries: int) -> socket.socket:
    """A listening socket on the first free port of ``port … port + tries - 1`` (each worker
    process of one deployment takes its own, so each can be scraped)."""
    last: OSError | None = None
    for candidate in range(port, port + max(1, tries)):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((LOOPBACK, candidate))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            last = exc
            continue
        sock.listen(16)
        sock.setblocking(False)
        return sock
    raise last or OSError(errno.EADDRINUSE, "no free metrics port")


class LocalMetrics:
    """A small uvicorn server, in this process's event loop, answering only ``GET /metrics``."""

    def __init__(self, runtime: Runtime, port: int, tries: int) -> None:
        app = Starlette(routes=[Route("/metrics", http_api.local_metrics)])
        app.state.runtime = runtime
        self.sock = bind_first_free(port, tries)
        self.port: int = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(
            app, lifespan="off", log_config=None, access_log=False, log_level="warning"))

    async def run(self) -> None:
        """Serve until cancelled. Not ``Server.serve``: that installs signal handlers, which
        belong to the public server of this process."""
        config = self.server.config
        config.load()
        self.server.lifespan = config.lifespan_class(config)  # "off": does nothing
        await self.server.startup(sockets=[self.sock])
        log.info("metrics on http://%s:%d/metrics", LOOPBACK, self.port)
        try:
            await self.server.main_loop()
        finally:
            self.server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.shield(self.server.shutdown(sockets=[self.sock]))
            self.sock.close()
