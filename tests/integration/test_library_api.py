"""The resource library over HTTP (PROTOCOL.md v1.1 "Between chats": Library), on a real server."""

from __future__ import annotations

from typing import Any

from tests.between import call
from tests.conftest import LiveServer

ARTICLE: dict[str, Any] = {
    "kind": "article", "lang": "en", "title": "Handling a breakup", "summary": "Gentle ideas.",
    "topics": ["relationships"], "tags": ["breakup"], "published": False,
    "body": "## First days\n\nIt is **normal** to feel lost.",
}


async def test_public_list_shows_published_defaults_and_searches(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/library"
    status, body = await call("GET", url)
    assert status == 200
    kinds = {item["kind"] for item in body["items"]}
    assert kinds == {"article", "course", "book", "hotline"}
    fields = {"id", "kind", "title", "summary", "topics", "lang"}
    assert all(fields <= set(i) for i in body["items"])
    status, body = await call("GET", url + "?q=awake&lang=en")
    assert status == 200 and [i["id"] for i in body["items"]] == ["sleep-en"]
    status, body = await call("GET", url + "?q=%E5%A4%B1%E7%9C%A0")  # 失眠
    assert [i["id"] for i in body["items"]] == ["sleep-zh"]
    status, body = await call("GET", url + "?topic=family&lang=zh")
    assert [i["id"] for i in body["items"]] == ["family-talk-zh", "hotline-12355"]
    status, body = await call("GET", url + "?topic=weather")
    assert status == 400 and "topic" in body["detail"]
    status, body = await call("GET", url + "?lang=fr")
    assert status == 400 and "lang" in body["detail"]


async def test_item_has_its_kinds_fields(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/library/"
    status, course = await call("GET", url + "calm-course-en")
    assert status == 200 and course["kind"] == "course"
    assert len(course["steps"]) == 5 and set(course["steps"][0]) == {"title", "body"}
    status, book = await call("GET", url + "book-meditations")
    assert book["author"] == "Marcus Aurelius" and book["quote"] and book["url"].startswith("https")
    status, article = await call("GET", url + "sleep-en")
    assert article["body"].startswith("Lying awake")
    status, body = await call("GET", url + "no-such-item")
    assert status == 404 and body["error"] == "not_found"


async def test_crud_by_role(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/library"
    counselor = await live_server.staff_token("oak", "counselor")
    helper = await live_server.staff_token("maple", "helper")

    assert (await call("POST", url, ARTICLE))[0] == 401
    assert (await call("POST", url, ARTICLE, token="not-a-token-at-all-xxxxxxxx"))[0] == 401
    status, body = await call("POST", url, ARTICLE, token=helper)
    assert status == 403 and body["error"] == "forbidden"
    status, body = await call("POST", url, ARTICLE, token=counselor)
    assert status == 201, body
    item_id = body["id"]

    # Unpublished: not for students, visible to any staff member.
    status, listing = await call("GET", url + "?q=breakup")
    assert status == 200 and listing["items"] == []
    assert (await call("GET", f"{url}/{item_id}"))[0] == 404
    status, listing = await call("GET", url + "?q=breakup", token=helper)
    assert [i["id"] for i in listing["items"]] == [item_id]
    assert listing["items"][0]["published"] is False

    # Publish and retitle: only the fields given change.
    assert (await call("PUT", f"{url}/{item_id}", {"published": True}, token=helper))[0] == 403
    status, body = await call("PUT", f"{url}/{item_id}",
                              {"published": True, "title": "After a breakup"}, token=counselor)
    assert status == 200, body
    status, item = await call("GET", f"{url}/{item_id}")
    assert status == 200
    assert item["title"] == "After a breakup" and item["body"] == ARTICLE["body"]
    assert item["published_at"] and item["tags"] == ["breakup"]
    status, listing = await call("GET", url + "?q=breakup")
    assert listing["items"][0]["new"] is True

    # Unpublish hides it again; delete removes it.
    await call("PUT", f"{url}/{item_id}", {"published": False}, token=counselor)
    assert (await call("GET", f"{url}/{item_id}"))[0] == 404
    assert (await call("DELETE", f"{url}/{item_id}", token=helper))[0] == 403
    status, _ = await call("DELETE", f"{url}/{item_id}", token=counselor)
    assert status == 204
    assert (await call("GET", f"{url}/{item_id}", token=counselor))[0] == 404
    assert (await call("DELETE", f"{url}/{item_id}", token=counselor))[0] == 404


async def test_bad_items_are_refused_with_the_field_named(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/library"
    token = await live_server.staff_token("oak", "counselor")
    cases = [
        ({**ARTICLE, "title": ""}, "title"),
        ({k: v for k, v in ARTICLE.items() if k != "kind"}, "kind"),
        ({**ARTICLE, "body": None}, "body"),
        ({**ARTICLE, "kind": "video"}, "kind"),
        ({**ARTICLE, "topics": ["weather"]}, "topics"),
        ({**ARTICLE, "kind": "book", "author": "A", "url": "javascript:alert(1)"}, "url"),
        ({**ARTICLE, "kind": "course", "steps": []}, "steps"),
        ({**ARTICLE, "kind": "course", "steps": [{"title": "x"}]}, "steps"),
        ({**ARTICLE, "kind": "hotline"}, "phone"),
        ({**ARTICLE, "colour": "red"}, "colour"),
        ({**ARTICLE, "body": "x" * 20_001}, "body"),
    ]
    for payload, field in cases:
        status, body = await call("POST", url, payload, token=token)
        assert status == 400, (payload, body)
        assert field in body["detail"], (field, body)
    status, body = await call("POST", url, raw=b"{not json", token=token)
    assert status == 400 and body["error"] == "bad_request"
    status, body = await call("POST", url, raw=b"[1, 2]", token=token)
    assert status == 400
    status, body = await call("POST", url, raw=b'"' + b"x" * 70_000 + b'"', token=token)
    assert status == 413
    status, body = await call("PUT", url + "/sleep-en", {"title": None}, token=token)
    assert status == 400 and "title" in body["detail"]
    # Nothing was stored by any of these.
    status, listing = await call("GET", url + "?q=breakup", token=token)
    assert listing["items"] == []


async def test_opens_are_counted_anonymously_with_the_floor(live_server: LiveServer) -> None:
    url = live_server.http_url
    token = await live_server.staff_token("oak", "counselor")
    for _ in range(5):
        assert (await call("GET", url + "/api/library/sleep-en"))[0] == 200
    for _ in range(2):
        await call("GET", url + "/api/library/sleep-zh")
    await call("GET", url + "/api/library/sleep-zh", token=token)  # staff opens do not count
    status, stats = await call("GET", url + "/api/between/stats?weeks=2", token=token)
    assert status == 200, stats
    opens = {row["id"]: row["opens"] for row in stats["library"]}
    assert opens["sleep-en"] == 5
    assert opens["sleep-zh"] is None  # 2: under the floor
    assert opens["book-seneca"] == 0
    assert stats["weeks"][0]["library_opens"] == 7
    helper = await live_server.staff_token("maple", "helper")
    assert (await call("GET", url + "/api/between/stats", token=helper))[0] == 403
    assert (await call("GET", url + "/api/between/stats"))[0] == 401
    assert (await call("GET", url + "/api/between/stats?weeks=x", token=token))[0] == 400


async def test_export_and_import_round_trip(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/library"
    token = await live_server.staff_token("oak", "counselor")
    status, exported = await call("GET", url + "/export", token=token)
    assert status == 200 and len(exported["items"]) >= 16
    for item in exported["items"]:
        await call("DELETE", f"{url}/{item['id']}", token=token)
    assert (await call("GET", url))[1]["items"] == []
    status, body = await call("POST", url + "/import", exported, token=token)
    assert status == 200 and body["imported"] == len(exported["items"])
    status, again = await call("GET", url + "/export", token=token)
    assert again["items"] == exported["items"]
    bad = {"items": [exported["items"][0], {**exported["items"][1], "kind": "poster"}]}
    status, body = await call("POST", url + "/import", bad, token=token)
    assert status == 400 and body["detail"].startswith("items[1].kind")
    helper = await live_server.staff_token("maple", "helper")
    assert (await call("GET", url + "/export", token=helper))[0] == 403


async def test_defaults_are_installed_once(server_factory: Any) -> None:
    async with server_factory() as server:
        token = await server.staff_token("oak", "counselor")
        await call("DELETE", server.http_url + "/api/library/sleep-en", token=token)
        again = await server.runtime.between.library.install_defaults()
        assert again == 0
        assert (await call("GET", server.http_url + "/api/library/sleep-en"))[0] == 404
