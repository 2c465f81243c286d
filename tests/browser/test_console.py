"""The operator console (/admin) in a real browser against the real server: the dashboard,
staff management, and a settings change that a seeker page then shows, at phone and desktop
widths, in Chinese and English."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Page, expect

from server.core.stats import group_key, hour_of
from server.store.audit import AuditQuery
from tests.browser.conftest import PASSWORD, People

pytestmark = pytest.mark.asyncio(loop_scope="module")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LAYOUTS = [pytest.param("en-US", DESKTOP, id="desktop-en"),
           pytest.param("zh-CN", PHONE, id="phone-zh")]
WORDS = {"en-US": {"dashboard": "Dashboard", "hidden": "<5", "trained": "trained",
                   "closed_msg": "Closed for exams week."},
         "zh-CN": {"dashboard": "总览", "hidden": "<5", "trained": "已培训",
                   "closed_msg": "考试周暂停服务。"}}


async def sign_in(people: People, locale: str, viewport: dict[str, int]) -> Page:
    await people.server.add_staff("boss", "admin", PASSWORD)
    page = await people.page("/admin", locale=locale, viewport=viewport)
    await page.get_by_test_id("login-username").fill("boss")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("live-queue")).to_be_visible()
    return page


@pytest.mark.parametrize("locale, viewport", LAYOUTS)
async def test_dashboard_shows_the_service_live_and_its_statistics(
        people: People, locale: str, viewport: dict[str, int]) -> None:
    server = people.server
    # Two hours of last week's counts: one above the k-anonymity floor, one below it.
    stats = server.runtime.insight.statistics.store
    busy = hour_of(time.time() - 3 * 86400)
    quiet = busy - 5
    await stats.add(busy, {"req": 12, "match": 11, "sev0": 9, "sev2": 5})
    await stats.add(quiet, {"req": 3, "match": 3, "sev0": 3})
    helper = await server.helper("maple", capacity=2)
    seeker, _ = await server.seeker()
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    await seeker.expect("matched")
    await helper.expect("matched")

    page = await sign_in(people, locale, viewport)
    await expect(page.get_by_test_id("tab-dashboard")).to_have_text(WORDS[locale]["dashboard"])
    await expect(page.get_by_test_id("live-helpers-value")).to_have_text("1")
    await expect(page.get_by_test_id("live-queue-value")).to_have_text("0")
    await expect(page.get_by_test_id("load-list")).to_contain_text("Maple")
    await expect(page.get_by_test_id("load-list")).to_contain_text("1/2")
    # Today: one request so far, under the floor: "<5", never 1.
    await expect(page.get_by_test_id("today-requests-value")).to_have_text("<5")

    heat = page.get_by_test_id("chart-heatmap")
    await expect(heat.locator("rect[data-key]")).to_have_count(7 * 24)
    busy_key = group_key(busy, "weekday_hour", None)
    quiet_key = group_key(quiet, "weekday_hour", None)
    await expect(heat.locator(f'rect[data-key="{busy_key}"]')).to_have_attribute(
        "data-value", "12")
    await expect(heat.locator(f'rect[data-key="{quiet_key}"]')).to_have_attribute(
        "data-value", "hidden")
    await expect(page.get_by_test_id("chart-demand").locator("canvas")).to_be_visible()
    await expect(page.get_by_test_id("chart-severity").locator("rect[data-severity]")
                 ).not_to_have_count(0)
    await expect(page.get_by_test_id("chart-claim").locator("canvas")).to_be_visible()
    await expect(page.get_by_test_id("chart-mood").locator("canvas")).to_be_visible()
    # The dashboard follows the service: a second seeker waits (the helper has room for
    # two, so a third person is needed to see a queue; a full helper leaves them waiting).
    await helper.send({"type": "status", "available": False, "capacity": 2, "ref": "off"})
    await helper.expect("presence")
    second, _ = await server.seeker()
    await second.send({"type": "request", "topic": "academic", "lang": "en"})
    await second.expect("queued", skip=())
    await expect(page.get_by_test_id("live-queue-value")).to_have_text("1")
    # Width: nothing sticks out of the page sideways.
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")


@pytest.mark.parametrize("locale, viewport", LAYOUTS)
async def test_staff_are_added_trained_and_disabled(
        people: People, locale: str, viewport: dict[str, int]) -> None:
    page = await sign_in(people, locale, viewport)
    await page.get_by_test_id("tab-staff").click()
    await page.get_by_test_id("staff-username").fill("willow")
    await page.get_by_test_id("staff-role").select_option("helper")
    await page.get_by_test_id("staff-alias").fill("Willow")
    await page.get_by_test_id("staff-password").fill("a long first password")
    await page.get_by_test_id("staff-add-submit").click()
    row = page.get_by_test_id("staff-willow")
    await expect(row).to_be_visible()
    await expect(row.get_by_test_id("badge-trained")).not_to_have_text(WORDS[locale]["trained"])
    staff = people.server.runtime.staff
    account = await staff.get("willow")
    assert account is not None and account.role == "helper" and not account.trained

    await row.get_by_test_id("staff-train").click()
    await expect(row.get_by_test_id("badge-trained")).to_have_text(WORDS[locale]["trained"])
    account = await staff.get("willow")
    assert account is not None and account.trained

    status, _ = await people.server.login("willow", "a long first password")
    assert status == 200
    await row.get_by_test_id("staff-disable").click()
    await expect(row.get_by_test_id("badge-disabled")).to_be_visible()
    status, _ = await people.server.login("willow", "a long first password")
    assert status == 401  # a disabled account cannot sign in
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")


@pytest.mark.parametrize("locale, viewport", LAYOUTS)
async def test_closing_the_hours_reaches_the_seeker_page(
        people: People, locale: str, viewport: dict[str, int]) -> None:
    page = await sign_in(people, locale, viewport)
    await page.get_by_test_id("tab-settings").click()
    await expect(page.get_by_test_id("set-hours")).to_have_value("always")
    await page.get_by_test_id("set-hours-closed").click()
    await expect(page.get_by_test_id("set-hours")).to_have_value("closed")
    message = WORDS[locale]["closed_msg"]
    await page.get_by_test_id("set-msg-zh" if locale == "zh-CN" else "set-msg-en").fill(message)
    await page.get_by_test_id("set-hours-save").click()
    await expect(page.get_by_test_id("admin-status")).to_be_visible()
    await expect(page.get_by_test_id("set-version")).not_to_be_empty()

    # A bad spec is refused in plain words and changes nothing.
    await page.get_by_test_id("set-hours").fill("mon-fri 8-22")
    await page.get_by_test_id("set-hours-save").click()
    await expect(page.get_by_test_id("set-hours-error")).to_contain_text("hours")

    # A crisis number added in the console is the one the closed page lists.
    await page.get_by_test_id("add-crisis").click()
    new_row = page.get_by_test_id("crisis-row").last
    await new_row.locator('[name="title"]').fill("Campus night line")
    await new_row.locator('[name="phone"]').fill("010-6275 0000")
    await page.get_by_test_id("set-res-save").click()
    await expect(page.get_by_test_id("set-res-error")).to_be_hidden()

    seeker = await people.seeker(locale=locale, viewport=viewport)
    await expect(seeker.get_by_test_id("closed")).to_be_visible()
    await expect(seeker.get_by_test_id("closed-message")).to_have_text(message)
    await expect(seeker.get_by_test_id("closed-resources")).to_contain_text("Campus night line")
    await expect(seeker.get_by_test_id("request-help")).to_be_disabled()

    audit = await people.server.runtime.network.staffing.audit(
        AuditQuery(kind="settings_changed"))
    kinds = [(item["kind"], item["actor"], item["detail"]) for item in audit]
    assert ("settings_changed", "a.boss", {"settings": "resources"}) in kinds
    assert ("settings_changed", "a.boss",
            {"settings": "hours,hours_message,open_when_on_call"}) in kinds



async def test_a_warning_reaches_the_open_console_and_is_acknowledged(people: People) -> None:
    server = people.server
    page = await sign_in(people, "en-US", DESKTOP)
    await server.runtime.insight.early_warning.set_thresholds("a.boss", {"queue_length": 1})
    for topic in ("mood", "academic"):  # no helper online: both wait
        seeker, _ = await server.seeker()
        await seeker.send({"type": "request", "topic": topic, "lang": "en"})
        await seeker.expect("queued", skip=())
    (raised,) = await server.runtime.insight.early_warning.check()
    # Pushed over the admin's WebSocket: said at once, wherever the admin is in the console.
    await expect(page.get_by_test_id("admin-status")).to_contain_text(
        "Demand outruns the helpers")
    await expect(page.get_by_test_id("warn-badge")).to_have_text("1")
    await expect(page.get_by_test_id("live-queue-value")).to_have_text("2")

    await page.get_by_test_id("tab-warnings").click()
    item = page.get_by_test_id(f"warn-{raised.wid}")
    await item.get_by_test_id("warn-ack").click()
    await expect(item).to_be_hidden()  # the open list no longer has it
    await expect(page.get_by_test_id("warn-badge")).to_be_hidden()
    await page.get_by_test_id("warn-state").select_option("all")
    await expect(item.get_by_test_id("warn-acked-by")).to_contain_text("boss")
