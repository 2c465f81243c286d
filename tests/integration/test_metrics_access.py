"""``GET /metrics`` is not open to anyone (issue 16, defect 13; PROTOCOL.md v1.1).

With a token configured: 401 without ``Authorization: Bearer <token>`` or with a wrong one, 200
with it. Without a token: 404 on the public port; served on the loopback-only port if set.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


async def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return await asyncio.to_thread(_get, url, headers)


async def test_metrics_need_the_bearer_token(server_factory: Callable[..., Any]) -> None:
    async with server_factory(metrics_token="s3cret-metrics-token") as live:
        url = live.http_url + "/metrics"
        status, headers, body = await get(url)
        assert status == 401 and b"peerline_" not in body
        assert headers.get("www-authenticate", "").startswith("Bearer")
        for wrong in ("Bearer s3cret-metrics-toke", "Bearer s3cret-metrics-token-and-more",
                      "Basic s3cret-metrics-token", "s3cret-metrics-token", "Bearer "):
            status, _, body = await get(url, Authorization=wrong)
            assert status == 401, wrong
            assert b"peerline_" not in body
        status, headers, body = await get(url, Authorization="Bearer s3cret-metrics-token")
        assert status == 200 and headers["content-type"].startswith("text/plain")
        assert b"peerline_connections" in body
        # The scheme is case-insensitive (RFC 7235), the token is not.
        assert (await get(url, Authorization="bearer s3cret-metrics-token"))[0] == 200
        assert (await get(url, Authorization="Bearer S3CRET-metrics-token"))[0] == 401


async def test_without_a_token_metrics_are_not_on_the_public_port(
        server_factory: Callable[..., Any]) -> None:
    async with server_factory(metrics_token=None) as live:
        status, _, body = await get(live.http_url + "/metrics")
        assert status == 404 and b"peerline_" not in body
        status, _, body = await get(live.http_url + "/metrics", Authorization="Bearer ")
        assert status == 404
        # The rest of the public port is unchanged.
        assert (await get(live.http_url + "/healthz"))[0] == 200


async def test_loopback_port_serves_metrics_without_a_token(
        server_factory: Callable[..., Any]) -> None:
    async with server_factory(metrics_token=None, metrics_local_port=0) as live:
        port = live.app.state.metrics_port
        status, headers, body = await get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and b"peerline_queue_length" in body
        # Only /metrics lives there: no pages, no API.
        assert (await get(f"http://127.0.0.1:{port}/api/resources"))[0] == 404
        assert (await get(live.http_url + "/metrics"))[0] == 404
        # Bound to loopback only.
        import socket

        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        assert json.loads((await get(live.http_url + "/healthz"))[2]) == {"status": "ok"}
