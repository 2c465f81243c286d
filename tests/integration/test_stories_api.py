"""Student stories over HTTP (PROTOCOL.md v1.1 "Between chats": Stories), on a real server."""

from __future__ import annotations

from typing import Any

from tests.between import call
from tests.conftest import LiveServer

STORY = {"title": "How I got through my first term",
         "text": "I felt lost for weeks. Call me on 13812345678 if you want to talk. "
                 "Then I joined a club and things slowly got better.",
         "topic": "academic", "lang": "en"}
CRISIS = {"title": "Tonight", "lang": "en", "topic": "mood",
          "text": "I have the pills ready and I'm going to take them all tonight. "
                  "I want to kill myself."}


async def submit(server: LiveServer, story: dict[str, Any]) -> dict[str, Any]:
    status, body = await call("POST", server.http_url + "/api/stories", story)
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def test_submit_review_publish_read_react(live_server: LiveServer) -> None:
    url = live_server.http_url
    token = await live_server.staff_token("oak", "counselor")
    sent = await submit(live_server, STORY)
    assert sent["status"] == "pending" and "resources" not in sent
    assert len(sent["receipt"]) >= 22
    status, seen = await call("GET", f"{url}/api/stories/receipt/{sent['receipt']}")
    assert status == 200 and seen["status"] == "pending" and seen["reason"] is None

    status, queue = await call("GET", url + "/api/stories/review", token=token)
    assert status == 200 and len(queue["items"]) == 1
    pending = queue["items"][0]
    assert pending["severity"] < 3  # "I felt lost" may be a note (1), never a crisis
    assert "13812345678" not in pending["text"] and "[phone]" in pending["text"]
    assert (await call("GET", url + "/api/stories"))[1]["items"] == []

    status, body = await call("POST", f"{url}/api/stories/{pending['id']}/decision",
                              {"decision": "approve"}, token=token)
    assert status == 200 and body["status"] == "published"
    status, seen = await call("GET", f"{url}/api/stories/receipt/{sent['receipt']}")
    assert seen["status"] == "published"
    status, public = await call("GET", url + "/api/stories")
    assert status == 200 and len(public["items"]) == 1
    story = public["items"][0]
    assert {"id", "title", "text", "topic", "lang", "published_at", "reads"} <= set(story)
    assert story["reads"] == 0 and "[phone]" in story["text"]
    assert (await call("GET", url + "/api/stories/review", token=token))[1]["items"] == []

    assert (await call("POST", f"{url}/api/stories/{story['id']}/read"))[1]["reads"] == 1
    status, body = await call("POST", f"{url}/api/stories/{story['id']}/react",
                              {"reaction": "hug"})
    assert status == 200 and body["reactions"]["hug"] == 1
    status, body = await call("POST", f"{url}/api/stories/{story['id']}/react",
                              {"reaction": "angry"})
    assert status == 400 and "reaction" in body["detail"]
    assert (await call("GET", url + "/api/stories"))[1]["items"][0]["reads"] == 1
    # A second decision on a decided story is refused.
    status, body = await call("POST", f"{url}/api/stories/{story['id']}/decision",
                              {"decision": "reject", "reason": "x"}, token=token)
    assert status == 409

    # A published story can be taken down.
    assert (await call("DELETE", f"{url}/api/stories/{story['id']}", token=token))[0] == 204
    assert (await call("GET", url + "/api/stories"))[1]["items"] == []
    assert (await call("POST", f"{url}/api/stories/{story['id']}/read"))[0] == 404


async def test_crisis_story_answers_with_resources_and_tops_the_queue(
        live_server: LiveServer) -> None:
    url = live_server.http_url
    token = await live_server.staff_token("oak", "counselor")
    await submit(live_server, STORY)
    sent = await submit(live_server, CRISIS)
    assert sent["status"] == "pending"
    assert sent["resources"] and all("title" in r and "phone" in r for r in sent["resources"])
    status, queue = await call("GET", url + "/api/stories/review", token=token)
    severities = [s["severity"] for s in queue["items"]]
    assert severities[0] == 3 and severities[1] < 3
    assert queue["items"][0]["categories"]


async def test_revise_and_reject_with_reasons(live_server: LiveServer) -> None:
    url = live_server.http_url
    token = await live_server.staff_token("oak", "counselor")
    sent = await submit(live_server, STORY)
    receipt = sent["receipt"]
    story_id = (await call("GET", url + "/api/stories/review", token=token))[1]["items"][0]["id"]
    decision = f"{url}/api/stories/{story_id}/decision"
    status, body = await call("POST", decision, {"decision": "revise"}, token=token)
    assert status == 400 and "reason" in body["detail"]
    status, body = await call("POST", decision, {"decision": "later"}, token=token)
    assert status == 400 and "decision" in body["detail"]
    status, _ = await call("POST", decision,
                           {"decision": "revise", "reason": "Please leave out the club's name"},
                           token=token)
    assert status == 200
    status, seen = await call("GET", f"{url}/api/stories/receipt/{receipt}")
    assert seen["status"] == "revise" and seen["reason"] == "Please leave out the club's name"
    assert "[phone]" in seen["text"]

    edited = {"title": "My first term", "text": "I felt lost for weeks, then found friends."}
    status, body = await call("PUT", f"{url}/api/stories/receipt/{receipt}", edited)
    assert status == 200 and body["status"] == "pending"
    assert (await call("PUT", f"{url}/api/stories/receipt/{receipt}", edited))[0] == 409
    status, queue = await call("GET", url + "/api/stories/review", token=token)
    assert queue["items"][0]["title"] == "My first term" and queue["items"][0]["revisions"] == 1

    status, _ = await call("POST", decision, {"decision": "reject", "reason": "Too short"},
                           token=token)
    assert status == 200
    status, seen = await call("GET", f"{url}/api/stories/receipt/{receipt}")
    assert seen["status"] == "rejected" and seen["reason"] == "Too short"
    assert "text" not in seen
    assert (await call("GET", url + "/api/stories"))[1]["items"] == []


async def test_bad_submissions_and_receipts(live_server: LiveServer) -> None:
    url = live_server.http_url
    for payload, field in [
        ({**STORY, "text": "too short"}, "text"),
        ({**STORY, "text": "x" * 5001}, "text"),
        ({**STORY, "title": ""}, "title"),
        ({**STORY, "topic": "weather"}, "topic"),
        ({**STORY, "lang": "fr"}, "lang"),
        ({"title": "only a title"}, "text"),
    ]:
        status, body = await call("POST", url + "/api/stories", payload)
        assert status == 400 and field in body["detail"], (payload, body)
    assert (await call("POST", url + "/api/stories", raw=b"nope"))[0] == 400
    status, body = await call("GET", url + "/api/stories/receipt/short")
    assert status == 400 and "receipt" in body["detail"]
    status, body = await call("GET", url + "/api/stories/receipt/" + "A" * 43)
    assert status == 404
    helper = await live_server.staff_token("maple", "helper")
    assert (await call("GET", url + "/api/stories/review"))[0] == 401
    assert (await call("GET", url + "/api/stories/review", token=helper))[0] == 403
    assert (await call("POST", url + "/api/stories/x/decision", {"decision": "approve"},
                       token=helper))[0] == 403
    counselor = await live_server.staff_token("oak", "counselor")
    assert (await call("POST", url + "/api/stories/nope/decision", {"decision": "approve"},
                       token=counselor))[0] == 404
    assert (await call("GET", url + "/api/stories/review", token=counselor))[1]["items"] == []


async def test_submissions_are_rate_limited(server_factory: Any) -> None:
    async with server_factory(story_submissions_per_min=3) as server:
        for _ in range(3):
            await submit(server, STORY)
        status, body = await call("POST", server.http_url + "/api/stories", STORY)
        assert status == 429 and body["error"] == "rate_limited"
