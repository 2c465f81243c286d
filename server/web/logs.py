"""Logging without personal data, as text or as one JSON object a line.

uvicorn logs each WebSocket handshake with the client's address at INFO, and its access log
records addresses too. Peerline promises to keep no IP address of a seeker, so those records are
dropped here, and the access log is turned off where the server is started.

``PEERLINE_LOG_FORMAT=json`` writes each record as a JSON object (python-json-logger) with
``time``, ``level``, ``logger``, ``event``, ``process`` and, where there is one, ``request`` or
``connection`` (random ids from ``server/logcontext.py``), so a centre's log system can read it.
The same filters apply to both formats: what the text log leaves out, the JSON log leaves out.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Receive, Scope, Send

from ..logcontext import connection_id, new_id, request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class DropClientAddresses(logging.Filter):
    """Drop uvicorn's per-connection records (they carry the peer's IP address) and the frame
    traces that ``websockets`` writes at DEBUG through uvicorn's logger (they carry the text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        return not (msg.startswith('%s - "') or msg.startswith("< ") or msg.startswith("> ")
                    or msg.startswith("%s - "))


class PeerlineJsonFormatter(JsonFormatter):
    """One JSON object per record: the fields a log system indexes, nothing from ``extra`` that
    a caller did not mean to publish (uvicorn's ``color_message`` is dropped)."""

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        log_data["time"] = (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                            + f".{int(record.msecs):03d}Z")
        log_data["level"] = record.levelname.lower()
        log_data["logger"] = record.name
        log_data["event"] = record.getMessage()
        log_data["process"] = record.process
        req, conn = request_id.get(), connection_id.get()
        if req is not None:
            log_data["request"] = req
        if conn is not None:
            log_data["connection"] = conn
        if record.exc_info:
            log_data["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            log_data["stack_info"] = self.formatStack(record.stack_info)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for ``PEERLINE_LOG_FORMAT`` (``text`` or ``json``)."""
    if log_format == "json":
        # The fields are set in add_fields; "%(message)s" keeps the base class from parsing a
        # format string of its own.
        return PeerlineJsonFormatter("%(message)s", json_ensure_ascii=False)
    return logging.Formatter(TEXT_FORMAT)


def configure(level: str = "info", log_format: str = "text") -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    handler = next((h for h in root.handlers if getattr(h, "peerline", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.peerline = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(formatter(log_format))
    install_filters()


def install_filters() -> None:
    # httpx logs each request's URL at INFO and cassyy the CAS validation URL at DEBUG: a CAS
    # ticket travels in that URL, so neither writes below WARNING.
    for name in ("httpx", "httpcore", "cassyy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn.error", "uvicorn.access", "uvicorn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropClientAddresses) for f in logger.filters):
            logger.addFilter(DropClientAddresses())


class LogContext:
    """ASGI middleware: each HTTP request and each WebSocket connection gets a random id that
    its log lines carry (``request`` / ``connection`` in the JSON log)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            token = request_id.set(new_id())
            try:
                await self.app(scope, receive, send)
            finally:
                request_id.reset(token)
        elif scope["type"] == "websocket":
            token = connection_id.set(new_id())
            try:
                await self.app(scope, receive, send)
            finally:
                connection_id.reset(token)
        else:
            await self.app(scope, receive, send)
