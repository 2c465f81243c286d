"""Department routing and pass_up in the counselor console (issue 19): the department
counselor is paged first and sees where the alert is, passes it up with a reason; the centre
counselor sees it passed up, claims it, joins; the department console goes on watching."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

CRISIS = "I have the pills ready and I'm going to take them all tonight. I want to kill myself."


async def department_counselor(people: People, username: str, alias: str, dept: str) -> Page:
    await people.server.runtime.staff.add(username, "counselor", PASSWORD, alias=alias,
                                          level="department", department=dept)
    page = await people.page("/counselor")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("presence")).not_to_be_empty()
    await page.get_by_test_id("on-call").set_checked(True)
    await expect(page.get_by_test_id("presence")).to_have_text("On call")
    return page


async def test_department_first_then_passed_up_to_the_centre(people: People) -> None:
    await people.server.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
    ada = await department_counselor(people, "ada", "Ada", "cs")
    cedar = await people.counselor("cedar", "Cedar")
    await people.helper()
    seeker = await people.seeker()
    await seeker.get_by_test_id("department").select_option("cs")
    await people.ask(seeker, topic="mood")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    await people.say(seeker, CRISIS)

    alert = ada.get_by_test_id("alert")
    await expect(alert.get_by_test_id("alert-level")).to_have_text(
        "Paged: the department’s counselors · Department: cs")
    await expect(cedar.get_by_test_id("alert")).to_have_count(0)
    await alert.get_by_test_id("claim").click()
    await expect(ada.get_by_test_id("messages")).to_contain_text(CRISIS)
    await people.say(ada, "Hi, I'm Ada from your department's student office.")

    await ada.get_by_test_id("pass-up").click()
    await ada.get_by_test_id("passup-reason").fill("Needs a centre counselor tonight")
    await ada.get_by_test_id("passup-submit").click()
    await expect(ada.get_by_test_id("messages")).to_contain_text("Passed up to the counseling")
    await expect(ada.get_by_test_id("pass-up")).to_have_count(0)

    passed = cedar.get_by_test_id("alert")
    await expect(passed.get_by_test_id("alert-passed-up")).to_have_text(
        "Passed up by the department: Needs a centre counselor tonight")
    await passed.get_by_test_id("claim").click()
    await expect(cedar.get_by_test_id("messages")).to_contain_text("Hi, I'm Ada")
    await people.say(cedar, "I'm Cedar from the counseling centre.")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("I'm Cedar")
    await expect(ada.get_by_test_id("messages")).to_contain_text("Cedar from the counseling "
                                                                "centre took over")
    await expect(ada.get_by_test_id("monitoring-badge")).to_be_visible()
    await expect(ada.get_by_test_id("messages")).to_contain_text("I'm Cedar")
