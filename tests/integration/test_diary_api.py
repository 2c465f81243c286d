"""The mood diary and self-check bands over HTTP (PROTOCOL.md v1.1 "Between chats")."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from server.core.between import secret_digest
from server.core.diary import days_back
from tests.between import call, diary_key
from tests.conftest import LiveServer
from tests.timing import MS


def key_header(key: str) -> dict[str, str]:
    return {"X-Diary-Key": key}


async def test_add_list_replace_delete(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/diary"
    key = diary_key()
    status, body = await call("GET", url, headers=key_header(key))
    assert status == 200 and body["entries"] == []
    status, body = await call("POST", url, {"mood": 2, "tags": ["sleep", "study"],
                                            "note": "Tired. Text me on 13812345678"},
                              headers=key_header(key))
    assert status == 201, body
    assert "resources" not in body
    status, body = await call("GET", url, headers=key_header(key))
    [entry] = body["entries"]
    assert entry["mood"] == 2 and entry["tags"] == ["sleep", "study"]
    assert "[phone]" in entry["note"] and "13812345678" not in entry["note"]
    assert entry["day"]
    # The same day again replaces the entry.
    status, _ = await call("POST", url, {"mood": 4, "tags": ["friends"]}, headers=key_header(key))
    assert status == 201
    status, body = await call("GET", url, headers=key_header(key))
    assert [(e["mood"], e["tags"]) for e in body["entries"]] == [(4, ["friends"])]
    # Another key sees nothing of it.
    assert (await call("GET", url, headers=key_header(diary_key())))[1]["entries"] == []
    status, _ = await call("DELETE", url, headers=key_header(key))
    assert status == 204
    assert (await call("GET", url, headers=key_header(key)))[1]["entries"] == []


async def test_stored_under_a_digest_with_a_ttl(live_server: LiveServer) -> None:
    key = diary_key()
    await call("POST", live_server.http_url + "/api/diary", {"mood": 3},
               headers=key_header(key))
    redis = live_server.runtime.redis
    prefix = live_server.settings.key_prefix
    found = [k async for k in redis.scan_iter(match=f"{prefix}:diary:*")]
    assert len(found) == 1 and key.encode() not in found[0]
    ttl = await redis.ttl(found[0])
    assert 179 * 86400 < ttl <= 180 * 86400


async def test_entries_expire(server_factory: Any) -> None:
    async with server_factory(diary_retention_s=1) as server:
        key = diary_key()
        url = server.http_url + "/api/diary"
        await call("POST", url, {"mood": 3}, headers=key_header(key))
        assert len((await call("GET", url, headers=key_header(key)))[1]["entries"]) == 1
        await asyncio.sleep(1_500 * MS)
        assert (await call("GET", url, headers=key_header(key)))[1]["entries"] == []


async def test_crisis_note_answers_with_resources_and_pages_nobody(
        live_server: LiveServer) -> None:
    counselor = await live_server.counselor()
    status, body = await call(
        "POST", live_server.http_url + "/api/diary",
        {"mood": 1, "note": "I have the pills ready and I'm going to take them all tonight."},
        headers=key_header(diary_key()))
    assert status == 201
    assert body["resources"] and body["resources"][0]["title"]
    await counselor.no_frame(500 * MS, of="alert")


async def test_falling_trend(live_server: LiveServer) -> None:
    key = diary_key()
    url = live_server.http_url + "/api/diary"
    status, body = await call("POST", url, {"mood": 1}, headers=key_header(key))
    assert body["falling"] is False  # one low day is not a trend
    # Days are the server's (UTC) today; three low days in a row come from three days' keys.
    diary = live_server.runtime.between.diary
    digest = secret_digest(key)
    for day in days_back(time.time(), 4)[2:4]:
        await diary.store.put(digest, day, {"mood": 2, "tags": [], "note": "", "ts": 0})
    status, body = await call("GET", url, headers=key_header(key))
    assert len(body["entries"]) == 3 and body["falling"] is True


async def test_bad_keys_and_entries(live_server: LiveServer) -> None:
    url = live_server.http_url + "/api/diary"
    for headers in ({}, key_header("short"), key_header("x" * 21),
                    key_header("not base64 at all!!!!!!!!!!"), key_header("a" * 129)):
        for method, payload in (("GET", None), ("POST", {"mood": 3}), ("DELETE", None)):
            status, body = await call(method, url, payload, headers=headers)
            assert status == 400 and "X-Diary-Key" in body["detail"], (headers, method)
    key = key_header(diary_key())
    for payload, field in [
        ({"mood": 0}, "mood"), ({"mood": 6}, "mood"), ({"mood": "3"}, "mood"), ({}, "mood"),
        ({"mood": 3, "tags": ["weather"]}, "tags"), ({"mood": 3, "note": "x" * 501}, "note"),
        ({"mood": 3, "day": "2001-01-01"}, "day"), ({"mood": 3, "day": "yesterday"}, "day"),
    ]:
        status, body = await call("POST", url, payload, headers=key)
        assert status == 400 and field in body["detail"], (payload, body)
    assert (await call("POST", url, raw=b"{", headers=key))[0] == 400
    assert (await call("GET", url, headers=key))[1]["entries"] == []


async def test_writes_are_rate_limited_per_diary(server_factory: Any) -> None:
    async with server_factory(diary_writes_per_hour=3) as server:
        key = key_header(diary_key())
        url = server.http_url + "/api/diary"
        for mood in (1, 2, 3):
            assert (await call("POST", url, {"mood": mood}, headers=key))[0] == 201
        status, body = await call("POST", url, {"mood": 4}, headers=key)
        assert status == 429 and body["error"] == "rate_limited"
        assert (await call("POST", url, {"mood": 4}, headers=key_header(diary_key())))[0] == 201


async def test_mood_and_band_statistics_keep_the_floor(live_server: LiveServer) -> None:
    url = live_server.http_url
    for _ in range(5):
        await call("POST", url + "/api/diary", {"mood": 4}, headers=key_header(diary_key()))
    await call("POST", url + "/api/diary", {"mood": 2}, headers=key_header(diary_key()))
    # A diary that changes its mood the same day counts once, at its last value.
    key = key_header(diary_key())
    await call("POST", url + "/api/diary", {"mood": 5}, headers=key)
    await call("POST", url + "/api/diary", {"mood": 4}, headers=key)
    for _ in range(5):
        status, _ = await call("POST", url + "/api/self-check",
                               {"check": "phq9", "band": "moderate"})
        assert status == 204
    await call("POST", url + "/api/self-check", {"check": "gad7", "band": "mild"})
    status, body = await call("POST", url + "/api/self-check",
                              {"check": "gad7", "band": "moderately_severe"})
    assert status == 400 and "band" in body["detail"]
    assert (await call("POST", url + "/api/self-check", {"check": "bdi", "band": "mild"}))[0] \
        == 400
    token = await live_server.staff_token("oak", "counselor")
    status, stats = await call("GET", url + "/api/between/stats?weeks=1", token=token)
    assert status == 200
    [week] = stats["weeks"]
    assert week["moods"] == {"1": 0, "2": None, "3": 0, "4": 6, "5": 0}
    assert week["checks"]["phq9"]["moderate"] == 5
    assert week["checks"]["gad7"]["mild"] is None and week["checks"]["gad7"]["severe"] == 0


@pytest.mark.parametrize("level", [logging.DEBUG])
async def test_nothing_personal_is_logged(live_server: LiveServer, caplog: Any,
                                          level: int) -> None:
    caplog.set_level(level)
    key = diary_key()
    secret_note = "my-secret-note-zebra"
    url = live_server.http_url
    await call("POST", url + "/api/diary", {"mood": 3, "note": secret_note},
               headers=key_header(key))
    await call("GET", url + "/api/diary", headers=key_header(key))
    status, sent = await call("POST", url + "/api/stories",
                              {"title": "zebra title", "text": secret_note * 3})
    await call("GET", url + "/api/stories/receipt/" + sent["receipt"])
    text = caplog.text
    for secret in (key, secret_note, sent["receipt"], "zebra title"):
        assert secret not in text
