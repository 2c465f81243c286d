"""HTTP endpoints (PROTOCOL.md: Opening — staff tokens; HTTP)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

from tests.conftest import LiveServer, http_json
from tests.timing import MS


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=10_000 * MS) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    return await asyncio.to_thread(_get, url, headers)


async def post(url: str, body: dict | None = None, raw: bytes | None = None
               ) -> tuple[int, dict]:
    return await asyncio.to_thread(http_json, url, body, raw)


async def test_login_200_with_token_role_expires_at(live_server: LiveServer) -> None:
    await live_server.add_staff("willow", "helper", "correct horse battery")
    status, body = await post(live_server.http_url + "/api/login",
                              {"username": "willow", "password": "correct horse battery"})
    assert status == 200, body
    assert isinstance(body["token"], str) and len(body["token"]) >= 22
    assert body["role"] == "helper"
    assert isinstance(body["expires_at"], int | float)
    # Epoch milliseconds, in the future.
    import time
    assert body["expires_at"] > time.time() * 1000


async def test_login_counselor_role(live_server: LiveServer) -> None:
    await live_server.add_staff("yew", "counselor", "pw-yew-123456")
    status, body = await post(live_server.http_url + "/api/login",
                              {"username": "yew", "password": "pw-yew-123456"})
    assert status == 200 and body["role"] == "counselor"


async def test_login_401_same_answer_for_wrong_name_and_wrong_password(
        live_server: LiveServer) -> None:
    await live_server.add_staff("rowan", "helper", "right-password-1")
    url = live_server.http_url + "/api/login"
    wrong_pw = await post(url, {"username": "rowan", "password": "wrong-password-1"})
    wrong_name = await post(url, {"username": "nobody-here", "password": "right-password-1"})
    assert wrong_pw[0] == 401 and wrong_name[0] == 401
    assert wrong_pw[1] == wrong_name[1]
    assert "token" not in wrong_pw[1]


async def test_login_bad_body_is_not_200(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/login"
    for raw in (b"not json", b"[]", json.dumps({"username": "x"}).encode()):
        status, body = await post(url, raw=raw)
        assert status in (400, 401, 422), (raw, status, body)
        assert "token" not in body


async def test_login_token_opens_staff_hello(live_server: LiveServer) -> None:
    await live_server.add_staff("hazel", "helper", "hazel-password")
    status, body = await post(live_server.http_url + "/api/login",
                              {"username": "hazel", "password": "hazel-password"})
    assert status == 200
    c = await live_server.client()
    await c.send_raw(json.dumps({"type": "hello", "role": "helper", "token": body["token"]}))
    welcome = await c.expect("welcome", skip=())
    assert welcome["role"] == "helper" and isinstance(welcome["alias"], str)
    assert welcome["sessions"] == []
    assert "resume" not in welcome or welcome.get("resume") is None


async def test_resources(live_server: LiveServer) -> None:
    status, ctype, data = await get(live_server.http_url + "/api/resources")
    assert status == 200 and "json" in ctype
    body = json.loads(data)
    assert isinstance(body["items"], list) and body["items"]
    for item in body["items"]:
        assert {"title", "phone", "url"} <= set(item), item


async def test_healthz_and_readyz(live_server: LiveServer) -> None:
    status, _, _ = await get(live_server.http_url + "/healthz")
    assert status == 200
    status, _, _ = await get(live_server.http_url + "/readyz")
    assert status == 200


async def test_metrics_is_prometheus_text(live_server: LiveServer) -> None:
    # Some traffic first, so the counters have something to say.
    c = await live_server.client()
    await c.send_raw(json.dumps({"type": "hello", "role": "seeker", "lang": "en"}))
    await c.expect("welcome", skip=())
    token = live_server.settings.metrics_token
    assert token is not None
    status, ctype, data = await get(live_server.http_url + "/metrics",
                                    {"Authorization": f"Bearer {token.get_secret_value()}"})
    assert status == 200
    assert ctype.startswith("text/plain")
    text = data.decode()
    assert "# TYPE" in text and "# HELP" in text
    names = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    # Issue 2: connections, queue length, match wait, messages.
    assert any("connection" in n for n in names), names
    assert any("queue" in n for n in names), names
    assert any("wait" in n for n in names), names
    assert any("message" in n for n in names), names


async def test_pages(live_server: LiveServer) -> None:
    for path in ("/", "/helper", "/counselor"):
        status, ctype, data = await get(live_server.http_url + path)
        assert status == 200, path
        assert "text/html" in ctype, (path, ctype)
        assert data.strip()
