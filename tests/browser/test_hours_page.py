"""The seeker page while the centre is closed: said plainly, crisis numbers shown, no request."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import People

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_closed_hours_are_shown_before_anyone_writes(people: People) -> None:
    await people.server.runtime.intake.hours.set("closed", message_en="Closed for the holiday.")
    page = await people.seeker()
    banner = page.get_by_test_id("closed")
    await expect(banner).to_be_visible()
    await expect(page.get_by_test_id("closed-message")).to_have_text("Closed for the holiday.")
    await expect(page.get_by_test_id("closed-resources").get_by_test_id("resource").first
                 ).to_be_visible()
    await expect(page.get_by_test_id("request-help")).to_be_disabled()
