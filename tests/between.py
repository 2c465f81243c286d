"""HTTP helpers for the between-chats tests: any method, a bearer token, a diary key."""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.error
import urllib.request
from typing import Any


def _call(method: str, url: str, body: Any = None, token: str | None = None,
          headers: dict[str, str] | None = None, raw: bytes | None = None
          ) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        text = exc.read()
        return exc.code, json.loads(text) if text else None


async def call(method: str, url: str, body: Any = None, token: str | None = None,
               headers: dict[str, str] | None = None,
               raw: bytes | None = None) -> tuple[int, Any]:
    return await asyncio.to_thread(_call, method, url, body, token, headers, raw)


def diary_key() -> str:
    """What the browser makes: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)
