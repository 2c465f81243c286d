"""Staff sign-in cannot be used to lock a counselor out or to take the CPU (issue 16, defect 6).

Real server, real Redis, real Argon2id (the production parameters), requests over real sockets.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tests.timing import MS

Response = tuple[int, dict[str, str], dict[str, Any]]


async def post_login(http_url: str, username: str, password: str,
                     cookie: str | None = None) -> Response:
    """One ``POST /api/login`` on its own connection (so many can be in flight at once)."""
    url = urlsplit(http_url)
    body = json.dumps({"username": username, "password": password}).encode()
    head = (f"POST /api/login HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n")
    if cookie:
        head += f"Cookie: peerline_device={cookie}\r\n"
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(head.encode() + b"\r\n" + body)
        raw = await asyncio.wait_for(reader.read(), 60_000 * MS)
    finally:
        writer.close()
    header_block, _, payload = raw.partition(b"\r\n\r\n")
    lines = header_block.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return status, headers, json.loads(payload or b"{}")


def device_cookie(headers: dict[str, str]) -> str:
    set_cookie = headers["set-cookie"]
    assert "httponly" in set_cookie.lower() and "samesite=strict" in set_cookie.lower()
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


async def test_the_right_password_is_never_locked_out(server_factory: Callable[..., Any]
                                                       ) -> None:
    async with server_factory(signin_free_attempts=3, signin_first_delay_s=0.2,
                              signin_max_delay_s=1.0) as live:
        await live.add_staff("yew", "counselor", "the-right-password")
        for _ in range(20):  # an attacker who knows the name
            status, headers, body = await post_login(live.http_url, "yew", "a-wrong-guess")
            assert status in (401, 429), body
            if status == 429:
                # A short, stated wait: never 15 minutes.
                assert body["error"] == "rate_limited"
                assert 1 <= int(headers["retry-after"]) <= 1
        status, headers, body = await post_login(live.http_url, "yew", "the-right-password")
        if status == 429:
            await asyncio.sleep(int(headers["retry-after"]))
            status, headers, body = await post_login(live.http_url, "yew", "the-right-password")
        assert status == 200, body
        # The right password clears the name's count: the next sign-in is not slowed.
        assert (await post_login(live.http_url, "yew", "the-right-password"))[0] == 200


async def test_a_trusted_device_signs_in_while_the_name_is_under_attack(
        server_factory: Callable[..., Any]) -> None:
    async with server_factory(signin_free_attempts=3, signin_first_delay_s=30) as live:
        await live.add_staff("cedar", "counselor", "cedar-password")
        status, headers, _ = await post_login(live.http_url, "cedar", "cedar-password")
        assert status == 200
        cookie = device_cookie(headers)
        answers = [(await post_login(live.http_url, "cedar", f"guess-{i}"))[0] for i in range(8)]
        assert answers[:3] == [401, 401, 401] and answers[4:] == [429] * 4
        # Without the device: wait (the gate is closed for ~30 s).
        assert (await post_login(live.http_url, "cedar", "cedar-password"))[0] == 429
        # A made-up cookie is just no cookie.
        assert (await post_login(live.http_url, "cedar", "cedar-password", "x" * 43))[0] == 429
        # From the browser she signed in with before: at once.
        status, headers, body = await post_login(live.http_url, "cedar", "cedar-password",
                                                 cookie)
        assert status == 200 and body["role"] == "counselor"
        assert device_cookie(headers) == cookie
        # A cookie is no skeleton key: it is trusted only for its own name, and only for a few
        # wrong passwords.
        await live.add_staff("fir", "helper", "fir-password")
        for _ in range(4):
            await post_login(live.http_url, "fir", "nope", cookie)
        assert (await post_login(live.http_url, "fir", "fir-password", cookie))[0] == 429
        for _ in range(5):
            assert (await post_login(live.http_url, "cedar", "nope", cookie))[0] == 401
        # The sixth goes through the name's gate again (cleared by her last success), and the
        # used-up device is replaced by a new one.
        status, headers, _ = await post_login(live.http_url, "cedar", "cedar-password", cookie)
        assert status == 200 and device_cookie(headers) != cookie


async def test_concurrent_guesses_are_counted_before_the_check(
        server_factory: Callable[..., Any]) -> None:
    async with server_factory(signin_free_attempts=5, signin_first_delay_s=30,
                              signin_hash_queue=100, signin_hash_wait_s=60) as live:
        await live.add_staff("rowan", "helper", "rowan-password")
        answers = await asyncio.gather(*(post_login(live.http_url, "rowan", f"guess-{i}")
                                         for i in range(60)))
        statuses = sorted(status for status, _, _ in answers)
        # Exactly the free attempts and the one that starts the delay are checked.
        assert statuses.count(401) == 6, statuses
        assert statuses.count(429) == 54, statuses


async def test_unknown_names_are_counted_the_same_way(server_factory: Callable[..., Any]
                                                      ) -> None:
    async with server_factory(signin_free_attempts=3, signin_first_delay_s=30) as live:
        await live.add_staff("yew", "helper", "yew-password")
        for name in ("nobody-here", "yew"):
            answers = [(await post_login(live.http_url, name, "guess"))[0] for _ in range(5)]
            assert answers == [401, 401, 401, 401, 429], (name, answers)
        # Counted under the normalised name: width, case and spaces do not open a new count.
        for variant in ("ＹＥＷ", " Yew ", "YEW"):
            assert (await post_login(live.http_url, variant, "guess"))[0] == 429, variant


async def test_password_hashing_has_a_budget(server_factory: Callable[..., Any]) -> None:
    async with server_factory(signin_hash_slots=1, signin_hash_queue=2,
                              signin_hash_wait_s=30) as live:
        answers = await asyncio.gather(*(post_login(live.http_url, f"made-up-{i}", "pw")
                                         for i in range(30)))
        busy = [(h, b) for status, h, b in answers if status == 503]
        assert busy, [status for status, _, _ in answers]
        assert all(b["error"] == "busy" and int(h["retry-after"]) >= 1 for h, b in busy)
        assert {status for status, _, _ in answers} <= {401, 503}
        budget = live.runtime.guard.budget
        assert budget.peak_in_use == 1
        # Each refused sign-in cost no hashing: at most the slot and the queue were checked
        # while the others were refused.
        assert sum(1 for status, _, _ in answers if status == 401) >= 3
        # The budget comes back: a real sign-in works afterwards.
        await live.add_staff("hazel", "helper", "hazel-password")
        assert (await post_login(live.http_url, "hazel", "hazel-password"))[0] == 200


async def test_no_typed_string_becomes_a_key(server_factory: Callable[..., Any]) -> None:
    async with server_factory() as live:
        typed = "Correct Horse Battery Staple 42"  # a password typed into the name field
        assert (await post_login(live.http_url, typed, "x"))[0] == 401
        redis = live.runtime.redis
        names = [k async for k in redis.scan_iter(match=f"{live.settings.key_prefix}:*")]
        assert names, "the attempt is counted"
        for key in names:
            assert b"horse" not in key.lower() and b"staple" not in key.lower(), key
            for value in (await redis.hgetall(key)).values() if await redis.type(
                    key) == b"hash" else []:
                assert b"horse" not in value.lower()
        assert any(k.split(b":")[1] == b"signin" and len(k.split(b":")[2]) == 64 for k in names)
