"""The consoles' ways in, in a real Chromium: "Sign in with <campus>" through a real OpenID
provider on loopback (tests/idp.py), the second-factor code, enrolling a factor from the QR
code (required at sign-in, or chosen by a signed-in account), and the recovery codes."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from server.store.staff import SSO_ONLY
from tests.browser.conftest import PASSWORD, SERVER_SETTINGS, People
from tests.conftest import LiveServer, run_server
from tests.idp import CLIENT_ID, CLIENT_SECRET, oidc_provider
from tests.integration.test_totp import code_at, get, login, wrong_code

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


@contextlib.asynccontextmanager
async def crowd(browser: Browser, embedded_redis: Any, **settings: Any
                ) -> AsyncIterator[tuple[People, LiveServer]]:
    """A server with these settings and a People on it (pages checked for script errors)."""
    async with run_server(embedded_redis.url, **{**SERVER_SETTINGS, **settings}) as live:
        people = People(browser, live)
        try:
            yield people, live
        finally:
            await people.close()
        assert not people.page_errors, people.page_errors


async def password_step(page: Page, username: str) -> None:
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()


async def signed_in(page: Page, alias: str) -> None:
    await expect(page.get_by_test_id("who")).to_have_text(f"Signed in as {alias}")
    await expect(page.get_by_test_id("presence")).not_to_be_empty()


async def test_campus_sign_in_through_a_real_openid_provider(browser: Browser,
                                                             embedded_redis: Any) -> None:
    async with oidc_provider() as idp, crowd(
            browser, embedded_redis, oidc_issuer=idp.url, oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET, campus_name="统一身份认证") as (people, live):
        await live.runtime.staff.add("cedar", "counselor", SSO_ONLY, alias="Cedar")
        page = await people.page("/counselor")
        button = page.get_by_test_id("campus-oidc")
        await expect(button).to_have_text("Sign in with 统一身份认证")
        await expect(page.get_by_test_id("login-username")).to_be_visible()  # local login is on
        # Keyboard: the campus button comes just before the password form.
        await expect(page.get_by_test_id("login-username")).to_be_focused()
        await page.keyboard.press("Shift+Tab")
        await expect(button).to_be_focused()
        await page.keyboard.press("Enter")
        # Peerline → the provider's /authorize → Peerline's callback → the console.
        await signed_in(page, "Cedar")
        assert idp.redirect_uris == [live.http_url + "/auth/oidc/callback"]
        assert "#" not in page.url and "sso" not in page.url  # the token left the address bar
        # A reload keeps the sign-in (the token is in this tab's storage).
        await page.reload()
        await signed_in(page, "Cedar")


async def test_with_local_login_off_only_the_campus_button_is_offered(
        browser: Browser, embedded_redis: Any) -> None:
    async with oidc_provider() as idp, crowd(
            browser, embedded_redis, oidc_issuer=idp.url, oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET, campus_name="Campus ID",
            local_login=False) as (people, live):
        await live.runtime.staff.add("maple", "helper", SSO_ONLY, alias="Maple")
        idp.user = "maple"
        page = await people.page("/helper")
        await expect(page.get_by_test_id("campus-oidc")).to_have_text("Sign in with Campus ID")
        await expect(page.get_by_test_id("login-username")).to_be_hidden()
        await expect(page.get_by_test_id("campus-oidc")).to_be_focused()
        await page.get_by_test_id("campus-oidc").click()
        await signed_in(page, "Maple")


async def test_a_campus_name_that_is_not_staff_gets_the_clear_page(browser: Browser,
                                                                   embedded_redis: Any) -> None:
    async with oidc_provider() as idp, crowd(
            browser, embedded_redis, oidc_issuer=idp.url, oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET) as (people, _live):
        idp.user = "stranger"
        page = await people.page("/counselor")
        await page.get_by_test_id("campus-oidc").click()
        await expect(page.get_by_role("heading")).to_have_text("Not a Peerline staff account")
        await page.get_by_role("link", name=re.compile("Back to sign-in")).click()
        await expect(page.get_by_test_id("campus-oidc")).to_be_visible()


async def test_sign_in_with_a_code_from_the_authenticator(browser: Browser,
                                                          embedded_redis: Any) -> None:
    async with crowd(browser, embedded_redis) as (people, live):
        await live.add_staff("cedar", "counselor", PASSWORD, alias="Cedar")
        started = await live.runtime.signin.begin_enrolment("cedar")
        await live.runtime.signin.confirm_enrolment("cedar", code_at(started.secret),
                                                    attempt="test")
        page = await people.page("/counselor")
        await password_step(page, "cedar")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
        otp = page.get_by_test_id("login-otp")
        await expect(otp).to_be_focused()
        await expect(otp).to_have_attribute("autocomplete", "one-time-code")
        await otp.fill(wrong_code(started.secret))
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("otp-error")).to_contain_text("not right")
        used = code_at(started.secret, 1)  # the next step's code (one step of drift is allowed)
        await otp.fill(used)
        await page.get_by_test_id("otp-submit").click()
        await signed_in(page, "Cedar")
        # The same code again, from another browser (a replay), is refused with a clear reason.
        # (The code stays inside the accepted window for at least 30 s after its use.)
        other = await people.page("/counselor")
        await password_step(other, "cedar")
        await other.get_by_test_id("login-otp").fill(used)
        await other.get_by_test_id("otp-submit").click()
        await expect(other.get_by_test_id("otp-error")).to_contain_text("already used")
        # "Back" returns to the password form.
        await other.get_by_role("button", name="Back").click()
        await expect(other.get_by_test_id("login-username")).to_be_focused()


async def test_sign_in_with_a_recovery_code(browser: Browser, embedded_redis: Any) -> None:
    async with crowd(browser, embedded_redis) as (people, live):
        await live.add_staff("cedar", "counselor", PASSWORD, alias="Cedar")
        started = await live.runtime.signin.begin_enrolment("cedar")
        codes = await live.runtime.signin.confirm_enrolment("cedar", code_at(started.secret),
                                                            attempt="test")
        page = await people.page("/counselor")
        await password_step(page, "cedar")
        await page.get_by_test_id("login-otp").fill(codes[3])
        await page.get_by_test_id("otp-submit").click()
        await signed_in(page, "Cedar")
        assert await live.runtime.signin_store.recovery_left("cedar") == 9


async def enrol_in(page: Page, scope: Page | Any) -> tuple[str, list[str]]:
    """Scan (read the key), confirm with a wrong then the right code; the recovery codes."""
    qr = scope.get_by_test_id("enrol-qr")
    await expect(qr).to_be_visible()
    # The QR code really drew (an SVG image, with a size), from a data: URL.
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 100")
    assert (await qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    secret = (await scope.get_by_test_id("enrol-secret").inner_text()).replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    code = scope.get_by_test_id("enrol-code")
    await code.fill(wrong_code(secret))
    await scope.get_by_test_id("enrol-confirm").click()
    await expect(scope.get_by_test_id("enrol-error")).to_contain_text("not right")
    await code.fill(code_at(secret))
    await scope.get_by_test_id("enrol-confirm").click()
    shown = scope.get_by_test_id("recovery-codes").locator("li")
    await expect(shown).to_have_count(10)
    await expect(scope.get_by_text("Save these codes now.")).to_be_visible()
    done = scope.get_by_test_id("enrol-done")
    await expect(done).to_be_disabled()  # until "I have saved these codes" is ticked
    await scope.get_by_test_id("recovery-saved").check()
    return secret, [c.strip() for c in await shown.all_inner_texts()]


async def test_required_enrolment_shows_the_qr_code_then_the_recovery_codes(
        browser: Browser, embedded_redis: Any) -> None:
    async with crowd(browser, embedded_redis, totp_required_roles="counselor") as (people, live):
        await live.add_staff("cedar", "counselor", PASSWORD, alias="Cedar")
        page = await people.page("/counselor")
        await password_step(page, "cedar")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
        secret, codes = await enrol_in(page, page)
        await page.get_by_test_id("enrol-done").click()
        await signed_in(page, "Cedar")
        # What the page showed is real: the factor is on, and a shown recovery code signs in.
        assert await live.runtime.signin_store.totp_secret("cedar") == secret
        status, body = await login(live, "cedar", PASSWORD, codes[0])
        assert status == 200 and body["role"] == "counselor"
        # Codes are not kept in the tab's storage.
        stored = await page.evaluate("JSON.stringify(sessionStorage)")
        assert codes[1] not in stored and secret not in stored
        # Already on: the console does not offer to set it up.
        await expect(page.get_by_test_id("twofa-open")).to_be_hidden()


async def test_too_many_wrong_codes_send_the_enrolment_back_to_sign_in(
        browser: Browser, embedded_redis: Any) -> None:
    from server.store.signin import ENROL_TRIES

    async with crowd(browser, embedded_redis, totp_required_roles="helper") as (people, live):
        await live.add_staff("maple", "helper", PASSWORD, alias="Maple")
        page = await people.page("/helper")
        await password_step(page, "maple")
        secret = (await page.get_by_test_id("enrol-secret").inner_text()).replace(" ", "")
        for _ in range(ENROL_TRIES - 1):
            await page.get_by_test_id("enrol-code").fill(wrong_code(secret))
            await page.get_by_test_id("enrol-confirm").click()
            await expect(page.get_by_test_id("enrol-confirm")).to_be_enabled()
            await expect(page.get_by_test_id("enrol-error")).to_contain_text("not right")
        await page.get_by_test_id("enrol-code").fill(wrong_code(secret))
        await page.get_by_test_id("enrol-confirm").click()
        await expect(page.get_by_test_id("login-error")).to_contain_text("sign in again")
        await expect(page.get_by_test_id("login-username")).to_be_visible()


async def test_a_signed_in_helper_turns_on_a_second_factor(browser: Browser,
                                                           embedded_redis: Any) -> None:
    async with crowd(browser, embedded_redis) as (people, live):
        page = await people.helper(available=False)
        opener = page.get_by_test_id("twofa-open")
        await expect(opener).to_be_visible()
        await opener.click()
        dialog = page.get_by_test_id("twofa-dialog")
        await expect(dialog).to_be_visible()
        await enrol_in(page, dialog)
        await dialog.get_by_test_id("enrol-done").click()
        await expect(dialog).to_be_hidden()
        await expect(opener).to_be_hidden()
        token = await page.evaluate("JSON.parse(sessionStorage.getItem('peerline.staff')).token")
        status, state = await get(live.http_url + "/api/2fa", bearer=token)
        assert status == 200 and state["enabled"] is True
        # From now on a password alone asks for the code.
        status, body = await login(live, "maple", PASSWORD)
        assert status == 401 and body["error"] == "otp_required"
