"""Campus sign-in against real identity servers on loopback (tests/idp.py).

The test plays the browser with httpx (cookies kept, redirects followed by hand): Peerline's
``/auth/<provider>/login`` → the IdP → Peerline's callback → the console with the token in
the URL fragment. The token then opens a real counselor WebSocket.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import httpx
from joserfc.jwk import RSAKey

from server.store.staff import SSO_ONLY
from tests.conftest import LiveServer
from tests.idp import CLIENT_ID, CLIENT_SECRET, OidcProvider, cas_server, oidc_provider


def oidc_settings(idp: OidcProvider, **more: Any) -> dict[str, Any]:
    return {"oidc_issuer": idp.url, "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET, "campus_name": "统一身份认证", **more}


async def start(browser: httpx.AsyncClient, live: LiveServer, provider: str,
                console: str = "counselor") -> httpx.Response:
    r = await browser.get(f"{live.http_url}/auth/{provider}/login", params={"console": console})
    assert r.status_code == 302, r.text
    return await browser.get(r.headers["location"])  # the campus login page signs in at once


async def options_of(live: LiveServer) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        return (await client.get(live.http_url + "/api/signin-options")).json()  # type: ignore[no-any-return]


def token_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    path, _, fragment = location.partition("#")
    assert path == "/counselor"
    return json.loads(urllib.parse.parse_qs(fragment)["sso"][0])  # type: ignore[no-any-return]


async def test_oidc_sign_in_gives_a_working_counselor_token(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with oidc_provider() as idp, server_factory(**oidc_settings(idp)) as live:
        await live.runtime.staff.add("cedar", "counselor", SSO_ONLY, alias="Cedar")
        options = await options_of(live)
        assert options == {"local": True, "campus_name": "统一身份认证",
                           "providers": [{"id": "oidc", "url": "/auth/oidc/login"}]}
        async with httpx.AsyncClient() as browser:
            at_idp = await start(browser, live, "oidc")
            assert at_idp.status_code == 302
            done = await browser.get(at_idp.headers["location"])
            signed = token_of(done)
            assert signed["role"] == "counselor"
            assert idp.redirect_uris == [live.http_url + "/auth/oidc/callback"]
            # The same callback again (a replayed code and state) is refused.
            again = await browser.get(at_idp.headers["location"])
            assert again.status_code == 400 and "expired" in again.text
        counselor = await live.client()
        welcome = await counselor.hello_staff("counselor", signed["token"])
        assert welcome["alias"] == "Cedar"
        # An SSO-only account has no password that works.
        status, _ = await live.login("cedar", SSO_ONLY)
        assert status == 401


async def test_a_callback_with_a_wrong_state_or_from_another_browser_is_refused(
    server_factory,  # type: ignore[no-untyped-def]
) -> None:
    async with oidc_provider() as idp, server_factory(**oidc_settings(idp)) as live:
        await live.runtime.staff.add("cedar", "counselor", SSO_ONLY)
        async with httpx.AsyncClient() as browser:
            at_idp = await start(browser, live, "oidc")
            callback = at_idp.headers["location"]
            url = urllib.parse.urlsplit(callback)
            query = dict(urllib.parse.parse_qsl(url.query))
            wrong = await browser.get(live.http_url + "/auth/oidc/callback",
                                      params={**query, "state": "not-the-state"})
            assert wrong.status_code == 400
            # The right state from a browser without the cookie (login CSRF) is refused too.
            async with httpx.AsyncClient() as other:
                foreign = await other.get(callback)
            assert foreign.status_code == 400
            assert "peerline_sso" not in str(foreign.headers.get("location", ""))


async def test_unknown_or_disabled_accounts_get_a_clear_403(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with oidc_provider() as idp, server_factory(**oidc_settings(idp)) as live:
        idp.user = "stranger"
        async with httpx.AsyncClient() as browser:
            at_idp = await start(browser, live, "oidc")
            refused = await browser.get(at_idp.headers["location"])
        assert refused.status_code == 403
        assert "not a Peerline staff account" in refused.text
        assert refused.headers["content-type"].startswith("text/html")

        idp.user = "cedar"
        await live.runtime.staff.add("cedar", "counselor", SSO_ONLY)
        await live.runtime.signin_store.set_disabled("cedar", True)
        async with httpx.AsyncClient() as browser:
            at_idp = await start(browser, live, "oidc")
            refused = await browser.get(at_idp.headers["location"])
        assert refused.status_code == 403


async def test_a_forged_id_token_is_refused(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with oidc_provider() as idp, server_factory(**oidc_settings(idp)) as live:
        await live.runtime.staff.add("cedar", "counselor", SSO_ONLY)
        idp.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        async with httpx.AsyncClient() as browser:
            at_idp = await start(browser, live, "oidc")
            refused = await browser.get(at_idp.headers["location"])
        assert refused.status_code == 401 and "ID token is not valid" in refused.text


async def test_group_mapping_gates_the_role(server_factory) -> None:  # type: ignore[no-untyped-def]
    settings = {"sso_group_roles": {"counseling-centre": "counselor"}}
    async with oidc_provider() as idp, server_factory(**oidc_settings(idp, **settings)) as live:
        await live.runtime.staff.add("cedar", "counselor", SSO_ONLY)
        idp.groups = ["students"]
        async with httpx.AsyncClient() as browser:
            refused = await browser.get((await start(browser, live, "oidc")).headers["location"])
        assert refused.status_code == 403
        idp.groups = ["students", "counseling-centre"]
        async with httpx.AsyncClient() as browser:
            done = await browser.get((await start(browser, live, "oidc")).headers["location"])
        assert token_of(done)["role"] == "counselor"


async def cas_login(browser: httpx.AsyncClient, live: LiveServer) -> tuple[str, httpx.Response]:
    at_cas = await start(browser, live, "cas")
    assert at_cas.status_code == 302
    callback = at_cas.headers["location"]
    return callback, await browser.get(callback)


async def test_cas_sign_in_and_a_replayed_ticket(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with cas_server() as cas:
        async with server_factory(cas_url=cas.url + "/cas", cas_version=3) as live:
            await live.runtime.staff.add("cedar", "counselor", SSO_ONLY, alias="Cedar")
            async with httpx.AsyncClient() as browser:
                callback, done = await cas_login(browser, live)
                signed = token_of(done)
                assert "ticket=ST-" in callback
                # The same ticket again: Peerline's state is used up, and CAS would refuse it.
                replay = await browser.get(callback)
                assert replay.status_code == 400
                # A fresh state with an already-used ticket: CAS refuses it.
                first = await browser.get(f"{live.http_url}/auth/cas/login",
                                          params={"console": "counselor"})
                state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
                    dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
                        first.headers["location"]).query))["service"]).query))["state"]
                ticket = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))[
                    "ticket"]
                reused = await browser.get(f"{live.http_url}/auth/cas/callback",
                                           params={"state": state, "ticket": ticket})
                assert reused.status_code == 401 and "INVALID_TICKET" in reused.text
            counselor = await live.client()
            assert (await counselor.hello_staff("counselor", signed["token"]))["alias"] == "Cedar"


async def test_cas_username_from_an_attribute_and_unknown_user(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with cas_server() as cas:
        cas.user = "20231234"  # a staff number; the username comes from an attribute
        cas.attributes = {"uid": "cedar"}
        async with server_factory(cas_url=cas.url + "/cas", cas_version=2,
                                  cas_username_attribute="uid") as live:
            async with httpx.AsyncClient() as browser:
                _, refused = await cas_login(browser, live)
            assert refused.status_code == 403
            await live.runtime.staff.add("cedar", "counselor", SSO_ONLY)
            async with httpx.AsyncClient() as browser:
                _, done = await cas_login(browser, live)
            assert token_of(done)["role"] == "counselor"


async def test_local_form_can_be_turned_off(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with cas_server() as cas:
        async with server_factory(cas_url=cas.url + "/cas", local_login=False) as live:
            await live.add_staff("maple", "helper", "pw-maple-123")
            status, body = await live.login("maple", "pw-maple-123")
            assert status == 403 and body["error"] == "forbidden"
            options = await options_of(live)
            assert options["local"] is False and options["providers"][0]["id"] == "cas"


