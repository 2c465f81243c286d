"""Real identity servers for the SSO tests, started on loopback in the test's own event loop.

- ``OidcProvider``: an OpenID provider (discovery, authorize, token, JWKS, userinfo) with the
  authorization code flow and PKCE S256, signing RS256 ID tokens. Built from authlib's PKCE
  helper and joserfc (authlib's JOSE library) over Starlette; it checks what a real provider
  checks: the client's secret, the redirect URI, the code (once) and the code verifier.
- ``CasServer``: CAS 2/3 ``/login`` and ``/serviceValidate`` + ``/p3/serviceValidate``; a
  service ticket validates once, for the service it was issued to.

The person "signed in at the IdP" is set by the test (``user``, ``groups``).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import uvicorn
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "peerline"
CLIENT_SECRET = "s3cret-" + secrets.token_hex(8)


@contextlib.asynccontextmanager
async def serve_app(app: Starlette) -> AsyncIterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            access_log=False, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait({task}, timeout=10)


@dataclass
class OidcProvider:
    url: str = ""
    user: str = "cedar"
    groups: list[str] = field(default_factory=list)
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={
        "kid": "k1", "use": "sig", "alg": "RS256"}))
    signing_key: RSAKey | None = None
    """Sign with this key instead (a forged token: not in the published JWKS)."""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    redirect_uris: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
            Route("/userinfo", self.userinfo),
        ])

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.url, "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token", "jwks_uri": self.url + "/jwks",
            "userinfo_endpoint": self.url + "/userinfo", "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        })

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return JSONResponse({"error": "unauthorized_client"}, 400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "detail": "PKCE required"}, 400)
        if "openid" not in (q.get("scope") or "").split():
            return JSONResponse({"error": "invalid_scope"}, 400)
        self.redirect_uris.append(q["redirect_uri"])
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": q["code_challenge"], "nonce": q.get("nonce"),
                            "redirect_uri": q["redirect_uri"], "user": self.user,
                            "groups": list(self.groups)}
        sep = "&" if "?" in q["redirect_uri"] else "?"
        return RedirectResponse(q["redirect_uri"] + sep + urllib.parse.urlencode(
            {"code": code, "state": q.get("state", "")}), 302)

    async def token(self, request: Request) -> Response:
        import base64

        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        auth = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, 401)
        grant = self.codes.pop(str(form.get("code")), None)  # a code is used once
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, 400)
        verifier = str(form.get("code_verifier") or "")
        if create_s256_code_challenge(verifier) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "detail": "PKCE failed"}, 400)
        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "sub": "sub-" + grant["user"],
                  "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  "preferred_username": grant["user"], "groups": grant["groups"]}
        key = self.signing_key or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return JSONResponse({"access_token": "at-" + secrets.token_hex(8), "token_type":
                             "Bearer", "expires_in": 300, "id_token": id_token})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    async def userinfo(self, request: Request) -> Response:
        return JSONResponse({"sub": "sub-" + self.user, "preferred_username": self.user})


@dataclass
class CasServer:
    url: str = ""
    user: str = "cedar"
    attributes: dict[str, str] = field(default_factory=dict)
    tickets: dict[str, tuple[str, str]] = field(default_factory=dict)
    """ticket → (service, user): removed when validated."""

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/cas/login", self.login),
            Route("/cas/serviceValidate", self.validate),
            Route("/cas/p3/serviceValidate", self.validate),
        ])

    async def login(self, request: Request) -> Response:
        service = request.query_params["service"]
        ticket = "ST-" + secrets.token_urlsafe(16)
        self.tickets[ticket] = (service, self.user)
        sep = "&" if "?" in service else "?"
        return RedirectResponse(service + sep + urllib.parse.urlencode({"ticket": ticket}), 302)

    async def validate(self, request: Request) -> Response:
        q = request.query_params
        issued = self.tickets.pop(q.get("ticket", ""), None)
        ns = "http://www.yale.edu/tp/cas"
        if issued is None or issued[0] != q.get("service"):
            body = (f"<cas:serviceResponse xmlns:cas='{ns}'><cas:authenticationFailure "
                    f"code='INVALID_TICKET'>ticket not recognized</cas:authenticationFailure>"
                    f"</cas:serviceResponse>")
        else:
            attrs = "".join(f"<cas:{k}>{escape(v)}</cas:{k}>" for k, v in self.attributes.items())
            body = (f"<cas:serviceResponse xmlns:cas='{ns}'><cas:authenticationSuccess>"
                    f"<cas:user>{escape(issued[1])}</cas:user>"
                    f"<cas:attributes>{attrs}</cas:attributes>"
                    f"</cas:authenticationSuccess></cas:serviceResponse>")
        return Response(body, media_type="application/xml")


@contextlib.asynccontextmanager
async def oidc_provider() -> AsyncIterator[OidcProvider]:
    provider = OidcProvider()
    async with serve_app(provider.app()) as url:
        provider.url = url
        yield provider


@contextlib.asynccontextmanager
async def cas_server() -> AsyncIterator[CasServer]:
    server = CasServer()
    async with serve_app(server.app()) as url:
        server.url = url
        yield server
