"""HTTP with a bearer token and any method, for the admin endpoints' tests."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from tests.timing import MS


def call(method: str, url: str, token: str | None = None, body: Any = None,
         raw: bytes | None = None) -> tuple[int, Any]:
    """(status, JSON body or None) of one request; HTTP errors are answers, not exceptions."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10_000 * MS) as response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        return exc.code, json.loads(payload) if payload else None


async def acall(method: str, url: str, token: str | None = None, body: Any = None,
                raw: bytes | None = None) -> tuple[int, Any]:
    return await asyncio.to_thread(call, method, url, token, body, raw)
