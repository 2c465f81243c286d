"""A new visitor's browser answers the server's proof-of-work when new identities are over budget
(issue 16, defect 7): the seeker page still reaches a helper, with nothing to do by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.conftest import LiveServer, run_server

from .conftest import SERVER_SETTINGS, People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(loop_scope="module")
async def web_server(embedded_redis: Any) -> AsyncIterator[LiveServer]:
    """No budget at all: every new identity must prove work, 16 bits (about 2 s here on
    average), with a hello deadline (1 s) that the solving usually outlasts: the page must then
    carry its solved proof to a new connection."""
    async with run_server(embedded_redis.url, **SERVER_SETTINGS, new_identity_burst=0,
                          new_identity_per_s=0, new_identity_pow_bits=16,
                          new_identity_pow_extra_bits=0, hello_timeout_s=1.0) as live:
        yield live


async def test_the_seeker_page_solves_the_proof_and_gets_help(people: People) -> None:
    seeker = await people.seeker()
    await people.ask(seeker, topic="mood", note="cannot sleep")
    await expect(seeker.get_by_test_id("queue-status")).to_contain_text("You are next in line")
    helper = await people.helper()
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    await expect(helper.get_by_test_id("pane-note")).to_contain_text("cannot sleep")
    admission = people.server.runtime.wiring.dispatch.welcome.admission
    assert admission is not None and admission.proofs_accepted >= 1


async def test_the_plain_javascript_sha256_matches_the_browsers(people: People) -> None:
    """The fallback for plain-http pages (no crypto.subtle) hashes exactly as the browser does."""
    page = await people.seeker()
    same = await page.evaluate("""async () => {
      const { sha256 } = await import('/static/js/proof.js');
      const hex = (b) => Array.from(new Uint8Array(b),
                                     (x) => x.toString(16).padStart(2, '0')).join('');
      const inputs = ['', 'abc', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64),
                      '汉字:12345', 'q'.repeat(200)];
      for (const s of inputs) {
        const data = new TextEncoder().encode(s);
        const want = hex(await crypto.subtle.digest('SHA-256', data));
        if (hex(sha256(data)) !== want) return s;
      }
      return true;
    }""")
    assert same is True, same
