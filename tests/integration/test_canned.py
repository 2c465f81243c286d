"""Canned replies over HTTP: staff read them, counselors approve the wording."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from tests.conftest import LiveServer
from tests.timing import MS


def call(url: str, method: str = "GET", token: str | None = None,
         body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10_000 * MS) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


async def test_canned_replies_are_read_by_staff_and_edited_by_counselors(
    live_server: LiveServer,
) -> None:
    url = live_server.http_url + "/api/canned"
    helper = await live_server.staff_token("maple", "helper")
    counselor = await live_server.staff_token("cedar", "counselor")

    assert (await asyncio.to_thread(call, url))[0] == 401
    status, body = await asyncio.to_thread(call, url + "?lang=zh", token=helper)
    assert status == 200 and body["items"]
    assert {i["lang"] for i in body["items"]} == {"zh"}
    assert {"greeting", "closing", "crisis", "counselor"} <= {i["category"] for i in body["items"]}

    new = {"lang": "en", "category": "closing", "title": "Check in later",
           "text": "Would it help to check in again tomorrow?"}
    assert (await asyncio.to_thread(call, url, "POST", helper, new))[0] == 403
    status, made = await asyncio.to_thread(call, url, "POST", counselor, new)
    assert status == 201
    status, bad = await asyncio.to_thread(call, url, "POST", counselor, {**new, "lang": "fr"})
    assert status == 422 and bad["detail"]
    assert (await asyncio.to_thread(call, url, "POST", counselor, {**new, "text": "  "}))[0] \
        == 422
    status, changed = await asyncio.to_thread(call, f"{url}/{made['id']}", "PUT", counselor,
                                              {"text": "Shall we talk again tomorrow?"})
    assert status == 200 and changed["text"] == "Shall we talk again tomorrow?"
    items = (await asyncio.to_thread(call, url + "?lang=en", token=helper))[1]["items"]
    assert any(i["id"] == made["id"] and i["title"] == "Check in later" for i in items)
    assert (await asyncio.to_thread(call, f"{url}/{made['id']}", "DELETE", counselor))[0] == 204
    assert (await asyncio.to_thread(call, f"{url}/{made['id']}", "DELETE", counselor))[0] == 404
    assert (await asyncio.to_thread(call, url + "?lang=xx", token=helper))[0] == 400
