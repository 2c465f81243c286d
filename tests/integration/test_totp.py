"""A second factor (TOTP) for local accounts: enrolment, sign-in, wrong and replayed codes,
recovery codes, and ``peerline staff reset-2fa``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from typing import Any

import pyotp

from tests.conftest import LiveServer, http_json


async def post(url: str, body: dict[str, Any],
               bearer: str | None = None) -> tuple[int, dict[str, Any]]:
    import json
    import urllib.error
    import urllib.request

    def call() -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        req = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    return await asyncio.to_thread(call)


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


async def login(live: LiveServer, name: str, password: str,
                otp: str | None = None) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"username": name, "password": password}
    if otp is not None:
        body["otp"] = otp
    return await asyncio.to_thread(http_json, live.http_url + "/api/login", body)


async def test_required_enrolment_then_sign_in_with_codes(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with server_factory(totp_required_roles="counselor") as live:
        await live.add_staff("cedar", "counselor", "pw-cedar-123")
        await live.add_staff("maple", "helper", "pw-maple-123")
        # Helpers are not required to: they sign in as before.
        status, body = await login(live, "maple", "pw-maple-123")
        assert status == 200 and body["role"] == "helper"

        status, body = await login(live, "cedar", "pw-cedar-123")
        assert status == 401 and body["error"] == "otp_enrolment_required"
        ticket = body["enrolment"]
        assert "token" not in body
        status, wrong = await login(live, "cedar", "wrong-password")
        assert status == 401 and wrong["error"] == "unauthorized" and "enrolment" not in wrong

        status, started = await post(live.http_url + "/api/2fa/enrol", {"enrolment": ticket})
        assert status == 200
        secret = started["secret"]
        assert started["uri"].startswith("otpauth://totp/") and secret in started["uri"]
        assert started["qr_svg"].startswith("data:image/svg+xml")
        status, bad = await post(live.http_url + "/api/2fa/confirm",
                                 {"enrolment": ticket, "code": "000000"
                                  if code_at(secret) != "000000" else "111111"})
        assert status == 401
        status, done = await post(live.http_url + "/api/2fa/confirm",
                                  {"enrolment": ticket, "code": code_at(secret)})
        assert status == 200, done
        assert done["role"] == "counselor" and done["token"]
        recovery = done["recovery_codes"]
        assert len(recovery) == 10 and len(set(recovery)) == 10
        # The ticket is used up.
        status, _ = await post(live.http_url + "/api/2fa/enrol", {"enrolment": ticket})
        assert status == 401

        # Now a password alone is not enough.
        status, body = await login(live, "cedar", "pw-cedar-123")
        assert status == 401 and body["error"] == "otp_required"
        # The code used to confirm the enrolment cannot be used again (replay).
        status, body = await login(live, "cedar", "pw-cedar-123", code_at(secret))
        assert status == 401 and "already used" in body["detail"]
        # The next step's code works once (one step of clock drift is allowed).
        status, body = await login(live, "cedar", "pw-cedar-123", code_at(secret, 1))
        assert status == 200 and body["role"] == "counselor"
        counselor = await live.client()
        assert (await counselor.hello_staff("counselor", body["token"]))["role"] == "counselor"
        status, body = await login(live, "cedar", "pw-cedar-123", code_at(secret, 1))
        assert status == 401 and "already used" in body["detail"]
        status, body = await login(live, "cedar", "pw-cedar-123", "123")
        assert status == 401 and body["detail"] == "wrong code"
        # A wrong password with a right code is still a wrong password.
        status, body = await login(live, "cedar", "not-it-at-all", code_at(secret, 1))
        assert status == 401

        # A recovery code works once.
        status, body = await login(live, "cedar", "pw-cedar-123", recovery[0])
        assert status == 200
        status, body = await login(live, "cedar", "pw-cedar-123", recovery[0])
        assert status == 401

        # reset-2fa: the account enrols again at its next sign-in; its tokens are revoked.
        env = dict(os.environ, PEERLINE_KEY_PREFIX=live.settings.key_prefix)
        run = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "server", "staff", "reset-2fa", "cedar",
                             "--redis-url", live.redis_url],
            capture_output=True, text=True, env=env, timeout=60)
        assert run.returncode == 0, run.stderr
        assert await counselor.close_code() == 1008  # revoked: the open console is closed
        status, body = await login(live, "cedar", "pw-cedar-123", code_at(secret, 1))
        assert status == 401 and body["error"] == "otp_enrolment_required"


async def test_an_account_may_choose_a_second_factor(live_server: LiveServer) -> None:
    token = await live_server.staff_token("maple", "helper")
    status, _ = await post(live_server.http_url + "/api/2fa/enrol", {})
    assert status == 401  # who is enrolling? nobody signed in
    status, started = await post(live_server.http_url + "/api/2fa/enrol", {}, bearer=token)
    assert status == 200
    status, done = await post(live_server.http_url + "/api/2fa/confirm",
                              {"code": code_at(started["secret"])}, bearer=token)
    assert status == 200 and "token" not in done and len(done["recovery_codes"]) == 10
    status, bad = await post(live_server.http_url + "/api/2fa/confirm", {"code": 5},
                             bearer=token)
    assert status == 400


def wrong_code(secret: str) -> str:
    """A six-digit code that no step in the drift window accepts."""
    near = {code_at(secret, k) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


async def get(url: str, bearer: str | None = None) -> tuple[int, dict[str, Any]]:
    import json
    import urllib.error
    import urllib.request

    def call() -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {bearer}"}
                                     if bearer else {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    return await asyncio.to_thread(call)


async def test_a_few_wrong_codes_void_the_enrolment_ticket(server_factory) -> None:  # type: ignore[no-untyped-def]
    from server.store.signin import ENROL_TRIES

    async with server_factory(totp_required_roles="counselor") as live:
        await live.add_staff("cedar", "counselor", "pw-cedar-123")
        _, body = await login(live, "cedar", "pw-cedar-123")
        ticket = body["enrolment"]
        _, started = await post(live.http_url + "/api/2fa/enrol", {"enrolment": ticket})
        secret = started["secret"]
        for _ in range(ENROL_TRIES - 1):
            status, bad = await post(live.http_url + "/api/2fa/confirm",
                                     {"enrolment": ticket, "code": wrong_code(secret)})
            assert status == 401 and bad["error"] == "unauthorized"
        status, bad = await post(live.http_url + "/api/2fa/confirm",
                                 {"enrolment": ticket, "code": wrong_code(secret)})
        assert status == 401 and bad["error"] == "enrolment_expired"
        # Void: even the right code no longer works, and the ticket opens nothing.
        status, gone = await post(live.http_url + "/api/2fa/confirm",
                                  {"enrolment": ticket, "code": code_at(secret)})
        assert status == 401 and gone["error"] == "enrolment_expired"
        status, _ = await post(live.http_url + "/api/2fa/enrol", {"enrolment": ticket})
        assert status == 401
        # Signing in again gives a fresh ticket, whose enrolment works.
        _, body = await login(live, "cedar", "pw-cedar-123")
        fresh = body["enrolment"]
        _, started = await post(live.http_url + "/api/2fa/enrol", {"enrolment": fresh})
        status, done = await post(live.http_url + "/api/2fa/confirm",
                                  {"enrolment": fresh, "code": code_at(started["secret"])})
        assert status == 200 and done["token"]
        assert await live.runtime.redis.keys(f"{live.settings.key_prefix}:enroltries:*") == []


async def test_a_console_token_cannot_replace_an_existing_factor(live_server: LiveServer) -> None:
    token = await live_server.staff_token("maple", "helper")
    status, state = await get(live_server.http_url + "/api/2fa", bearer=token)
    assert status == 200 and state == {"enabled": False, "required": False, "recovery_left": 0}
    assert (await get(live_server.http_url + "/api/2fa"))[0] == 401
    _, started = await post(live_server.http_url + "/api/2fa/enrol", {}, bearer=token)
    status, _ = await post(live_server.http_url + "/api/2fa/confirm",
                           {"code": code_at(started["secret"])}, bearer=token)
    assert status == 200
    status, state = await get(live_server.http_url + "/api/2fa", bearer=token)
    assert state == {"enabled": True, "required": False, "recovery_left": 10}
    # Whoever holds the token (a thief too) cannot swap the factor for their own.
    status, refused = await post(live_server.http_url + "/api/2fa/enrol", {}, bearer=token)
    assert status == 409 and refused["error"] == "conflict"


async def test_staff_list_shows_how_each_account_signs_in(server_factory) -> None:  # type: ignore[no-untyped-def]
    from server.store.staff import SSO_ONLY
    from tests.integration.test_cli import peerline

    async with server_factory() as live:
        await live.add_staff("birch", "helper", "pw-birch-123")
        await live.add_staff("cedar", "counselor", SSO_ONLY)
        token = await live.staff_token("maple", "helper")
        _, started = await post(live.http_url + "/api/2fa/enrol", {}, bearer=token)
        await post(live.http_url + "/api/2fa/confirm", {"code": code_at(started["secret"])},
                   bearer=token)
        await live.runtime.signin_store.set_disabled("birch", True)
        listing = await asyncio.to_thread(peerline, live, "staff", "list")
        assert listing.returncode == 0, listing.stderr
        notes = {line.split("\t")[0]: line.split("\t")[-1] for line in listing.stdout.splitlines()}
        assert notes == {"birch": "disabled", "cedar": "sso-only", "maple": "2fa"}
