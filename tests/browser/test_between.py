"""Between chats in a real browser: the library on a phone, a course step by step, a story
submitted and published through the console, the mood diary and its chart, PHQ-9 item 9,
a library card sent into a chat and a mood summary shared back."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Page, expect

from server.core.between import iso_week, secret_digest
from server.core.diary import days_back
from tests.between import call

from .conftest import PHONE, People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

HOSTILE = '<img src=x onerror="window.__pwned=1"> **kind** words'


async def test_library_search_on_a_phone(people: People) -> None:
    token = await people.server.staff_token("oak", "counselor")
    status, _ = await call("POST", people.server.http_url + "/api/library", {
        "kind": "article", "lang": "en", "title": "Handling a breakup", "topics": ["relationships"],
        "published": True, "summary": "For the first days.",
        "body": f"## First days\n\n{HOSTILE}\n\n- one\n- two\n\n[More](javascript:alert(1))"},
        token=token)
    assert status == 201
    page = await people.page("/library", viewport=PHONE)
    cards = page.get_by_test_id("lib-items").get_by_test_id("lib-card")
    await expect(cards.first).to_be_visible()
    # New this week: the item just published.
    await expect(page.get_by_test_id("lib-new")).to_contain_text("Handling a breakup")
    await page.get_by_test_id("lib-q").fill("awake")
    await page.get_by_test_id("lib-search-go").click()
    await expect(cards).to_have_count(1)
    await expect(cards.first).to_contain_text("When your mind won't let you sleep")
    await page.get_by_test_id("lib-q").fill("")
    await page.get_by_test_id("lib-topic").select_option("relationships")
    await page.get_by_test_id("lib-search-go").click()
    await expect(cards.filter(has_text="Handling a breakup")).to_have_count(1)
    await cards.filter(has_text="Handling a breakup").get_by_test_id("lib-open").click()
    body = page.get_by_test_id("item-body")
    await expect(body.locator("h3")).to_have_text("First days")
    await expect(body.locator("strong")).to_have_text("kind")
    await expect(body.locator("li")).to_have_count(2)
    await expect(body).to_contain_text('<img src=x onerror="window.__pwned=1">')
    assert await body.locator("img").count() == 0
    assert await body.locator("a").count() == 0  # a javascript: link stays text
    assert await page.evaluate("window.__pwned") is None
    # Readable on a phone: nothing wider than the screen.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.get_by_test_id("lib-back").click()
    await expect(page.get_by_test_id("lib-items")).to_be_visible()


async def test_course_step_by_step_progress_kept(people: People) -> None:
    page = await people.page("/library#item=calm-course-en", viewport=PHONE)
    progress = page.get_by_test_id("course-progress")
    await expect(progress).to_have_text("0 of 5 steps done")
    await expect(page.get_by_test_id("course-step")).to_contain_text("Step 1 of 5")
    await expect(page.get_by_test_id("course-step")).to_contain_text("Notice")
    for n in range(2, 4):
        await page.get_by_test_id("course-next").click()
        await expect(page.get_by_test_id("course-step")).to_contain_text(f"Step {n} of 5")
    await expect(progress).to_have_text("2 of 5 steps done")
    await page.reload()
    await expect(page.get_by_test_id("course-step")).to_contain_text("Step 3 of 5")
    await expect(page.get_by_test_id("course-step")).to_contain_text("Ground yourself")
    await page.get_by_test_id("course-prev").click()
    await expect(page.get_by_test_id("course-step")).to_contain_text("Step 2 of 5")
    for _ in range(4):
        await page.get_by_test_id("course-next").click()
    await expect(page.get_by_test_id("course-finished")).to_be_visible()
    await expect(progress).to_have_text("5 of 5 steps done")


async def counselor_tab(people: People, tab: str) -> Page:
    page = await people.counselor(on_call=False)
    await page.get_by_test_id(f"tab-{tab}").click()
    return page


async def test_story_submitted_reviewed_and_published(people: People) -> None:
    student = await people.page("/stories", viewport=PHONE)
    await expect(student.get_by_test_id("stories")).to_be_empty()
    await student.get_by_test_id("story-title").fill("My first term")
    await student.get_by_test_id("story-text").fill(
        "I felt lost for weeks. Text me on 13812345678. A club helped me find friends.")
    await student.get_by_test_id("story-topic").select_option("academic")
    await student.get_by_test_id("story-submit").click()
    await expect(student.get_by_test_id("story-receipt")).not_to_be_empty()
    receipt = (await student.get_by_test_id("story-receipt").text_content()) or ""
    assert len(receipt) >= 22
    await expect(student.get_by_test_id("story-crisis")).to_be_hidden()
    await student.get_by_test_id("receipt-go").click()
    await expect(student.get_by_test_id("receipt-status")).to_have_text("Waiting for review.")

    # A second student writes in crisis: resources at once, and the story tops the review.
    other = await people.page("/stories", viewport=PHONE)
    await other.get_by_test_id("story-title").fill("Tonight")
    await other.get_by_test_id("story-text").fill(
        "I have the pills ready and I'm going to take them all tonight. I want to kill myself.")
    await other.get_by_test_id("story-submit").click()
    await expect(other.get_by_test_id("story-crisis")).to_be_visible()
    await expect(other.get_by_test_id("story-crisis").get_by_test_id("resource").first
                 ).to_be_visible()
    await expect(other.get_by_test_id("crisis-panel")).to_be_visible()
    await expect(other.get_by_test_id("story-chat")).to_have_attribute("href", "/")

    console = await counselor_tab(people, "stories")
    stories = console.get_by_test_id("cur-story")
    await expect(stories).to_have_count(2)
    await expect(stories.first.get_by_test_id("cur-story-crisis")).to_be_visible()
    mine = stories.filter(has_text="My first term")
    await expect(mine).to_contain_text("[phone]")
    await mine.get_by_test_id("cur-approve").click()
    await expect(console.get_by_test_id("cur-stories-status")).to_contain_text("published")
    await expect(stories).to_have_count(1)

    await student.get_by_test_id("receipt-go").click()
    await expect(student.get_by_test_id("receipt-status")).to_have_text(
        "Published. Thank you for sharing.")
    await student.reload()
    story = student.get_by_test_id("story")
    await expect(story).to_have_count(1)
    await expect(story).to_contain_text("My first term")
    await story.get_by_test_id("story-open").click()
    await expect(story.get_by_test_id("story-body")).to_contain_text("[phone]")
    await expect(story.get_by_test_id("story-reads")).to_have_text("1 reads")
    await story.get_by_test_id("react-hug").click()
    await expect(story.get_by_test_id("story-counts")).to_contain_text("Hug 1")
    await expect(story.get_by_test_id("react-thanks")).to_be_disabled()


async def test_console_creates_previews_and_publishes_an_item(people: People) -> None:
    console = await counselor_tab(people, "library")
    await console.get_by_test_id("cur-new").click()
    await console.get_by_test_id("cur-kind").select_option("course")
    await console.get_by_test_id("cur-lang").select_option("en")
    await console.get_by_test_id("cur-title").fill("Three breaths")
    await console.get_by_test_id("cur-topic-mood").check()
    await console.get_by_test_id("cur-steps").fill(
        "Sit\nSit **comfortably**.\n---\nBreathe\nThree slow breaths.")
    await console.get_by_test_id("cur-preview-btn").click()
    await expect(console.get_by_test_id("cur-preview")).to_contain_text("Step 1 of 2")
    await expect(console.get_by_test_id("cur-preview").locator("strong")).to_have_text(
        "comfortably")
    await console.get_by_test_id("cur-save").click()
    row = console.get_by_test_id("cur-item").filter(has_text="Three breaths")
    await expect(row.get_by_test_id("cur-state")).to_have_text("Draft")
    status, body = await call("GET", people.server.http_url + "/api/library?q=breaths")
    assert body["items"] == []
    await row.get_by_test_id("cur-toggle").click()
    await expect(row.get_by_test_id("cur-state")).to_have_text("Published")
    status, body = await call("GET", people.server.http_url + "/api/library?q=breaths")
    assert [i["title"] for i in body["items"]] == ["Three breaths"]
    assert body["items"][0]["steps_count"] == 2
    # A bad item is refused with the field named, nothing saved.
    await console.get_by_test_id("cur-new").click()
    await console.get_by_test_id("cur-kind").select_option("book")
    await console.get_by_test_id("cur-title").fill("No author")
    await console.get_by_test_id("cur-save").click()
    await expect(console.get_by_test_id("cur-error")).to_contain_text("author")


async def test_diary_filled_in_and_charted(people: People) -> None:
    seeker = await people.seeker(viewport=PHONE)
    diary = seeker.get_by_test_id("diary")
    await expect(diary.get_by_test_id("diary-empty")).to_be_visible()
    await diary.get_by_test_id("diary-mood-2").check()
    await diary.get_by_test_id("diary-tag-sleep").check()
    await diary.get_by_test_id("diary-tag-study").check()
    await diary.get_by_test_id("diary-note").fill("Exams again, slept badly")
    await diary.get_by_test_id("diary-save").click()
    await expect(diary.get_by_test_id("diary-status")).to_have_text("Saved for today.")
    bars = diary.locator("[data-testid=diary-chart] rect[data-mood]")
    await expect(bars).to_have_count(1)
    assert await bars.first.get_attribute("data-mood") == "2"
    await expect(diary.get_by_test_id("diary-falling")).to_be_hidden()

    # Two earlier low days (written straight into the store, as if on those days): a falling
    # trend is pointed out gently, with a chat and reading offered.
    key = await seeker.evaluate("sessionStorage.getItem('peerline.diary')")
    assert key and len(key) >= 43
    assert await seeker.evaluate("localStorage.getItem('peerline.diary')") is None
    store = people.server.runtime.between.diary.store
    for day in days_back(time.time(), 4)[2:4]:
        await store.put(secret_digest(key), day, {"mood": 1, "tags": [], "note": "", "ts": 0})
    await seeker.reload()
    await expect(diary.locator("[data-testid=diary-chart] rect[data-mood]")).to_have_count(3)
    await expect(diary.get_by_test_id("diary-falling")).to_be_visible()

    # The code, to carry to another device: another browser opens the same diary with it.
    await diary.get_by_test_id("diary-more").click()
    await diary.get_by_test_id("diary-show-code").click()
    await expect(diary.get_by_test_id("diary-code")).to_have_text(key)
    laptop = await people.seeker()
    other = laptop.get_by_test_id("diary")
    await other.get_by_test_id("diary-more").click()
    await other.get_by_test_id("diary-code-in").fill(key)
    await other.get_by_test_id("diary-code-use").click()
    await expect(other.locator("[data-testid=diary-chart] rect[data-mood]")).to_have_count(3)

    await diary.get_by_test_id("diary-delete").click()
    await diary.get_by_test_id("diary-delete-yes").click()
    await expect(diary.get_by_test_id("diary-status")).to_have_text("Your diary was deleted.")
    await expect(diary.get_by_test_id("diary-empty")).to_be_visible()
    status, body = await call("GET", people.server.http_url + "/api/diary",
                              headers={"X-Diary-Key": key})
    assert body["entries"] == []


async def test_crisis_note_in_the_diary_shows_resources(people: People) -> None:
    seeker = await people.seeker(viewport=PHONE)
    diary = seeker.get_by_test_id("diary")
    await diary.get_by_test_id("diary-mood-1").check()
    await diary.get_by_test_id("diary-note").fill(
        "I have the pills ready and I'm going to take them all tonight")
    await diary.get_by_test_id("diary-save").click()
    await expect(diary.get_by_test_id("diary-crisis")).to_be_visible()
    await expect(diary.get_by_test_id("diary-crisis").get_by_test_id("resource").first
                 ).to_be_visible()
    await expect(seeker.get_by_test_id("crisis-panel")).to_be_visible()


async def test_phq9_item_9_shows_resources_at_once(people: People) -> None:
    seeker = await people.seeker(viewport=PHONE)
    check = seeker.get_by_test_id("selfcheck")
    await check.get_by_test_id("check-phq9").click()
    await expect(check.get_by_test_id("check-item-9")).to_contain_text("better off dead")
    await expect(check.get_by_test_id("check-crisis")).to_be_hidden()
    await check.get_by_test_id("check-9-1").check()
    await expect(check.get_by_test_id("check-crisis")).to_be_visible()
    await expect(check.get_by_test_id("check-crisis").get_by_test_id("resource").first
                 ).to_be_visible()
    await expect(seeker.get_by_test_id("crisis-panel")).to_be_visible()
    await check.get_by_test_id("check-9-0").check()
    await expect(check.get_by_test_id("check-crisis")).to_be_hidden()
    # Scored in the browser; only the band is sent, and only when ticked.
    await check.get_by_test_id("check-submit").click()
    await expect(check.get_by_test_id("check-error")).to_be_visible()
    for item in range(1, 10):
        await check.get_by_test_id(f"check-{item}-2" if item < 4 else f"check-{item}-0").check()
    await check.get_by_test_id("check-optin").check()
    await check.get_by_test_id("check-submit").click()
    await expect(check.get_by_test_id("check-score")).to_have_text("Your score: 6 of 27")
    await expect(check.get_by_test_id("check-result")).to_have_attribute("data-band", "mild")
    tallies = people.server.runtime.between.insights.tallies
    rows = await tallies.weeks([iso_week(time.time())])
    assert rows[iso_week(time.time())].get("check:phq9:mild") == 1


async def test_chinese_self_check_and_library(people: People) -> None:
    seeker = await people.seeker(locale="zh-CN", viewport=PHONE)
    check = seeker.get_by_test_id("selfcheck")
    await check.get_by_test_id("check-gad7").click()
    await expect(check.get_by_test_id("check-item-1")).to_contain_text("感觉紧张")
    library = await people.page("/library", locale="zh-CN", viewport=PHONE)
    await expect(library.get_by_test_id("lib-items")).to_contain_text("考试扎堆的时候")
    await expect(library.get_by_test_id("lib-items")).not_to_contain_text("When exams pile up")


async def test_helper_sends_a_library_card_and_seeker_shares_mood(people: People) -> None:
    seeker = await people.seeker()
    diary = seeker.get_by_test_id("diary")
    await diary.get_by_test_id("diary-mood-3").check()
    await diary.get_by_test_id("diary-note").fill("a private note")
    await diary.get_by_test_id("diary-save").click()
    await expect(diary.get_by_test_id("diary-status")).to_have_text("Saved for today.")
    helper = await people.helper()
    await people.ask(seeker, topic="mood")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    await helper.get_by_test_id("session").first.click()
    await helper.get_by_test_id("share-library").click()
    await helper.get_by_test_id("share-q").fill("five steps")
    choice = helper.get_by_test_id("share-results").locator("li").filter(
        has_text="Five steps back to calm")
    await choice.get_by_test_id("share-send").click()
    await expect(seeker.get_by_test_id("card")).to_contain_text("Five steps back to calm")
    await expect(seeker.get_by_test_id("card-open")).to_have_attribute(
        "href", "/library#item=calm-course-en")
    await expect(helper.get_by_test_id("card")).to_have_count(1)

    await seeker.get_by_test_id("share-mood").click()
    card = helper.get_by_test_id("card").filter(has_text="Mood summary")
    await expect(card).to_contain_text("1 entries over 14 days, average 3.0")
    await expect(card).not_to_contain_text("private note")
