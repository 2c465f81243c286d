"""Campus sign-in for staff: OpenID Connect (code flow + PKCE) and CAS 2/3.

    GET /api/signin-options             what the consoles' login pages offer
    GET /auth/{oidc|cas}/login?console=helper|counselor   → the campus login page
    GET /auth/oidc/callback?code&state  → the console, with the Peerline token in the fragment
    GET /auth/cas/callback?state&ticket → the same

One round trip: ``state`` (random, single-use, kept 10 min with the OIDC ``nonce`` and PKCE
``code_verifier``) must also match a cookie set on this browser, so a callback from another
browser (login CSRF) or a replayed one is refused. The ID token's signature is checked against
the provider's published keys (JWKS), with its issuer, audience, expiry and nonce. A CAS ticket
is validated with the CAS server (``/p3/serviceValidate``), which accepts each ticket once.
The token goes back in the URL fragment, which browsers never send to a server or a proxy log.

Built on authlib (PKCE, the authorization URL), joserfc (JWT/JWKS, authlib's successor for
JOSE), cassyy (CAS response parsing) and httpx.
"""

from __future__ import annotations

import html
import json
import logging
import secrets
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cassyy import AsyncCASClient, CASError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..core.errors import NotStaff
from ..store.signin import SSO_STATE_TTL_S, SsoState

if TYPE_CHECKING:
    from .app import Runtime

log = logging.getLogger("peerline.sso")
COOKIE = "peerline_sso"
CONSOLES = ("helper", "counselor")
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]
"""Asymmetric only: a provider's ID token is checked against its published public keys."""


class SsoFailed(Exception):
    """The identity provider's answer could not be trusted or used (shown as a page)."""


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _base(request: Request) -> str:
    configured = _runtime(request).settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def providers(request: Request) -> list[str]:
    s = _runtime(request).settings
    found = []
    if s.oidc_issuer and s.oidc_client_id:
        found.append("oidc")
    if s.cas_url:
        found.append("cas")
    return found


async def signin_options(request: Request) -> Response:
    s = _runtime(request).settings
    return JSONResponse({
        "local": s.local_login,
        "campus_name": s.campus_name,
        "providers": [{"id": p, "url": f"/auth/{p}/login"} for p in providers(request)],
    })


def page(status: int, title: str, text: str, console: str | None = None) -> Response:
    """A plain page a person lands on when a campus sign-in cannot go on."""
    back = f"/{console}" if console in CONSOLES else "/counselor"
    body = (f"<!doctype html><html lang=en><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{html.escape(title)} · Peerline</title>"
            f"<link rel=stylesheet href=/static/css/app.css>"
            f"<main class='card login' style='max-width:32rem;margin:3rem auto;padding:1.5rem'>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
            f"<p><a class='btn btn--primary' href='{back}'>Back to sign-in · 返回登录</a></p>"
            f"</main></html>")
    return Response(body, status, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


async def begin(request: Request) -> Response:
    provider = request.path_params["provider"]
    console = request.query_params.get("console", "counselor")
    if provider not in providers(request):
        return page(404, "Campus sign-in is not set up",
                    "This Peerline does not offer that sign-in. Ask the centre's admin.")
    if console not in CONSOLES:
        return page(400, "Unknown console", "console must be helper or counselor.")
    runtime = _runtime(request)
    settings = runtime.settings
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    verifier = generate_token(64)
    await runtime.signin_store.save_state(state, SsoState(provider, console, nonce, verifier))
    if provider == "oidc":
        try:
            meta = await _oidc_metadata(runtime)
        except SsoFailed as exc:
            return page(502, "Campus sign-in is unavailable", str(exc), console)
        url = prepare_grant_uri(
            meta["authorization_endpoint"], settings.oidc_client_id, "code",
            redirect_uri=f"{_base(request)}/auth/oidc/callback", scope=settings.oidc_scopes,
            state=state, nonce=nonce, code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256")
    else:
        url = _cas(runtime).build_login_url(_cas_service(request, state))
    response = RedirectResponse(url, 302)
    response.set_cookie(COOKIE, state, max_age=SSO_STATE_TTL_S, path="/auth/", httponly=True,
                        samesite="lax", secure=_base(request).startswith("https://"))
    return response


async def callback(request: Request) -> Response:
    provider = request.path_params["provider"]
    if provider not in providers(request):
        return page(404, "Campus sign-in is not set up", "Ask the centre's admin.")
    runtime = _runtime(request)
    state = request.query_params.get("state", "")
    cookie = request.cookies.get(COOKIE, "")
    saved = await runtime.signin_store.take_state(state) if state else None
    if (saved is None or saved.provider != provider or not cookie
            or not secrets.compare_digest(cookie, state)):
        log.info("campus sign-in refused: unknown, used or foreign state")
        return _clear(page(400, "This sign-in link has expired",
                           "Start again from the console's sign-in page."))
    if "error" in request.query_params:
        return _clear(page(401, "Campus sign-in was cancelled",
                           "The campus login did not complete.", saved.console))
    try:
        if provider == "oidc":
            username, groups = await _oidc_identity(request, runtime, saved)
        else:
            username, groups = await _cas_identity(request, runtime, state)
    except SsoFailed as exc:
        log.warning("campus sign-in failed: %s", exc)
        return _clear(page(401, "Campus sign-in failed", str(exc), saved.console))
    try:
        token = await runtime.signin.campus(username, groups)
    except NotStaff as exc:
        return _clear(page(403, "Not a Peerline staff account",
                           f"{exc.detail}. Ask the centre's admin to add you "
                           f"(您的校园账号不是 Peerline 工作人员账号，请联系中心管理员).",
                           saved.console))
    if token.role != saved.console:
        return _clear(page(403, "Wrong console",
                           f"Your account is a {token.role}; open the {token.role} console.",
                           token.role))
    fragment = urllib.parse.urlencode({"sso": json.dumps(
        {"token": token.token, "role": token.role, "expires_at": token.expires_at})})
    return _clear(RedirectResponse(f"/{saved.console}#{fragment}", 302))


def _clear(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/auth/")
    response.headers["Cache-Control"] = "no-store"
    return response


# -- OpenID Connect --------------------------------------------------------------------------

_metadata: dict[str, tuple[float, dict[str, Any]]] = {}
METADATA_TTL_S = 3600


async def _get_json(runtime: Runtime, url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=runtime.settings.sso_http_timeout_s) as client:
            response = await client.get(url)
            response.raise_for_status()
            data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoFailed(f"the identity provider did not answer ({exc.__class__.__name__})"
                        ) from None
    if not isinstance(data, dict):
        raise SsoFailed("the identity provider's answer is not a JSON object")
    return data


async def _oidc_metadata(runtime: Runtime) -> dict[str, Any]:
    """The provider's discovery document, cached for an hour per issuer."""
    issuer = (runtime.settings.oidc_issuer or "").rstrip("/")
    cached = _metadata.get(issuer)
    if cached and time.monotonic() - cached[0] < METADATA_TTL_S:
        return cached[1]
    meta = await _get_json(runtime, issuer + "/.well-known/openid-configuration")
    if meta.get("issuer", "").rstrip("/") != issuer:
        raise SsoFailed("the provider's discovery document names another issuer")
    _metadata[issuer] = (time.monotonic(), meta)
    return meta


async def _oidc_identity(request: Request, runtime: Runtime,
                         saved: SsoState) -> tuple[str, list[str]]:
    settings = runtime.settings
    code = request.query_params.get("code")
    if not code:
        raise SsoFailed("the provider sent no authorization code")
    meta = await _oidc_metadata(runtime)
    try:
        async with httpx.AsyncClient(timeout=settings.sso_http_timeout_s) as client:
            response = await client.post(meta["token_endpoint"], data={
                "grant_type": "authorization_code", "code": code,
                "redirect_uri": f"{_base(request)}/auth/oidc/callback",
                "code_verifier": saved.verifier,
            }, auth=(settings.oidc_client_id or "", settings.oidc_client_secret or ""))
            tokens = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SsoFailed(f"the token exchange failed ({exc.__class__.__name__})") from None
    if response.status_code != 200 or "id_token" not in tokens:
        raise SsoFailed(f"the provider refused the code ({tokens.get('error', 'no id_token')})")
    keys = KeySet.import_key_set(await _get_json(runtime, meta["jwks_uri"]))  # type: ignore[arg-type]
    try:
        token = jwt.decode(tokens["id_token"], keys, algorithms=ID_TOKEN_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": meta["issuer"]},
            aud={"essential": True, "value": settings.oidc_client_id or ""},
            nonce={"essential": True, "value": saved.nonce},
            exp={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise SsoFailed(f"the ID token is not valid ({exc.__class__.__name__})") from None
    claims = dict(token.claims)
    if settings.oidc_username_claim not in claims and meta.get("userinfo_endpoint"):
        claims.update(await _userinfo(runtime, meta["userinfo_endpoint"],
                                      tokens.get("access_token", ""), claims.get("sub")))
    username = claims.get(settings.oidc_username_claim)
    if not isinstance(username, str) or not username:
        raise SsoFailed(f"the provider did not send {settings.oidc_username_claim!r}")
    groups = claims.get(settings.oidc_groups_claim) or []
    return username, [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []


async def _userinfo(runtime: Runtime, url: str, access_token: str,
                    sub: object) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=runtime.settings.sso_http_timeout_s) as client:
            response = await client.get(url, headers={"Authorization": f"Bearer {access_token}"})
            info = response.json()
    except (httpx.HTTPError, ValueError):
        return {}
    # OIDC Core 5.3.2: the userinfo sub must be the ID token's, or the answer is not used.
    return info if isinstance(info, dict) and info.get("sub") == sub else {}


# -- CAS ---------------------------------------------------------------------------------------


def _cas(runtime: Runtime) -> AsyncCASClient:
    s = runtime.settings
    base = (s.cas_url or "").rstrip("/") + "/"

    async def get(url: str, timeout: float) -> str:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url)
            response.raise_for_status()
            return response.text

    return AsyncCASClient.from_base_url(
        base, login_path="login", logout_path="logout",
        validate_path="p3/serviceValidate" if s.cas_version == 3 else "serviceValidate",
        http_get_func=get)


def _cas_service(request: Request, state: str) -> str:
    """The service URL: the same at login and at validation, as CAS requires."""
    return f"{_base(request)}/auth/cas/callback?" + urllib.parse.urlencode({"state": state})


async def _cas_identity(request: Request, runtime: Runtime,
                        state: str) -> tuple[str, list[str]]:
    ticket = request.query_params.get("ticket")
    if not ticket:
        raise SsoFailed("the CAS server sent no ticket")
    try:
        user = await _cas(runtime).validate(_cas_service(request, state), ticket,
                                            timeout=runtime.settings.sso_http_timeout_s)
    except CASError as exc:
        raise SsoFailed(f"the CAS server did not accept the ticket ({exc.error_code})"
                        ) from None
    s = runtime.settings
    username = user.attributes.get(s.cas_username_attribute) if s.cas_username_attribute \
        else user.userid
    if not username:
        raise SsoFailed(f"the CAS server did not send {s.cas_username_attribute!r}")
    group = user.attributes.get(s.cas_groups_attribute)
    return username, [group] if group else []
