"""The seeker's optional department on the start page (issue 19): shown only when the centre
has departments, "prefer not to say" first and chosen, a line saying who sees it, in zh and
en; the choice reaches the session (and so the department's counselors)."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from tests.browser.conftest import People
from tests.conftest import LiveServer
from tests.timing import MS

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def session_departments(server: LiveServer) -> list[str]:
    """The department of every session on the server, once the request has made one."""
    redis, prefix = server.runtime.redis, server.settings.key_prefix
    for _ in range(100):
        found = []
        async for key in redis.scan_iter(match=f"{prefix}:s:*"):
            if key.endswith(b"}"):
                found.append((await redis.hget(key, "department") or b"").decode())
        if found:
            return found
        await asyncio.sleep(50 * MS)
    return []


async def test_without_departments_the_field_is_not_shown(people: People) -> None:
    page = await people.seeker()
    await expect(page.get_by_test_id("request-help")).to_be_enabled()
    await expect(page.get_by_test_id("department-field")).to_be_hidden()
    await people.ask(page, topic="mood")
    await expect(page.get_by_test_id("cancel-wait")).to_be_visible()
    assert await session_departments(people.server) == [""]


async def test_the_choice_is_optional_explained_and_reaches_the_session(people: People) -> None:
    departments = people.server.runtime.network.departments
    await departments.add("cs", "计算机学院", "Computer Science")
    await departments.add("law", "法学院", "Law")
    page = await people.seeker()
    select = page.get_by_test_id("department")
    await expect(page.get_by_test_id("department-field")).to_be_visible()
    await expect(select).to_have_value("")
    await expect(select.locator("option").first).to_have_text("Prefer not to say")
    await expect(select.locator("option")).to_have_text(
        ["Prefer not to say", "Computer Science", "Law"])
    await expect(page.locator("#department-hint")).to_contain_text("at least 5 people")
    await select.select_option("cs")
    await people.ask(page, topic="academic")
    await expect(page.get_by_test_id("cancel-wait")).to_be_visible()
    assert await session_departments(people.server) == ["cs"]


async def test_the_field_speaks_chinese(people: People) -> None:
    await people.server.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
    page = await people.seeker(locale="zh-CN")
    select = page.get_by_test_id("department")
    await expect(select.locator("option")).to_have_text(["不想说", "计算机学院"])
    await expect(page.locator("#department-hint")).to_contain_text("满 5 人")


async def test_an_untrained_helper_is_told_and_cannot_go_available(people: People) -> None:
    server = people.server
    await server.runtime.staff.add("newbie", "helper", "correct horse battery staple",
                                   alias="Newbie", trained=False)
    page = await people.page("/helper")
    await page.get_by_test_id("login-username").fill("newbie")
    await page.get_by_test_id("login-password").fill("correct horse battery staple")
    await page.get_by_test_id("login-submit").click()
    notice = page.get_by_test_id("untrained")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("not marked as trained")
    await expect(page.get_by_test_id("available")).to_be_disabled()
    await expect(page.get_by_test_id("available")).not_to_be_checked()
