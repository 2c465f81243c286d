"""Screenshots of the operator console (/admin) at phone (390x844) and desktop (1280x800).

    python -m tests.browser.shots_console [--out docs/screenshots]

Starts a real server on the embedded Redis. Eight weeks of *synthetic* anonymous counts are
written to the statistics' hour buckets (a made-up evening-heavy pattern, so the charts have
something to draw; nothing here is real data); the live part is real: helpers and a counselor
connected, seekers waiting, an early warning raised by the server's own check, staff and
departments added through the console's HTTP API.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from server.core.stats import hour_of
from server.store.embedded import start_embedded
from tests.admin_http import acall
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD
from tests.conftest import LiveServer, run_server

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
EVENING = [1, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 4, 5, 6, 5, 3]
"""A made-up shape of demand over the day (requests per hour on a weekday)."""


async def synthetic_statistics(server: LiveServer, weeks: int = 8) -> None:
    rng = random.Random(19)
    store = server.runtime.insight.statistics.store
    now = hour_of(time.time())
    buckets = {}
    for hour in range(now - weeks * 7 * 24, now):
        local = time.localtime(hour * 3600)
        weekend = local.tm_wday >= 5
        base = EVENING[local.tm_hour] * (0.6 if weekend else 1.0) * (1 + (hour - now) / 4000)
        req = max(0, round(rng.gauss(base, 0.8)))
        if not req:
            buckets[hour] = {"hs_n": 1, "hs_online": max(1, EVENING[local.tm_hour] // 2),
                             "hs_active": 0, "hs_cap": 6}
            continue
        match = sum(rng.random() < 0.9 for _ in range(req))
        sev = [0, 0, 0, 0]
        for _ in range(match):
            sev[rng.choices([0, 1, 2, 3], [70, 18, 9, 3])[0]] += 1
        alerts = sev[3]
        fields = {"req": req, "match": match, "aband": req - match, "alert": alerts,
                  "claim": alerts, "hs_n": 1, "hs_online": 1 + EVENING[local.tm_hour] // 2,
                  "hs_active": min(match, 4), "hs_cap": 6}
        fields.update({f"sev{s}": n for s, n in enumerate(sev) if n})
        for _ in range(match):
            w = f"w{rng.choices(range(6), [30, 30, 20, 10, 6, 4])[0]}"
            fields[w] = fields.get(w, 0) + 1
            before = rng.choices([1, 2, 3, 4, 5], [15, 35, 30, 15, 5])[0]
            after = min(5, before + rng.choices([0, 1, 2], [40, 45, 15])[0])
            fields[f"mb{before}"] = fields.get(f"mb{before}", 0) + 1
            fields[f"ma{after}"] = fields.get(f"ma{after}", 0) + 1
        for _ in range(alerts):
            c = f"c{rng.choices(range(5), [20, 35, 30, 10, 5])[0]}"
            fields[c] = fields.get(c, 0) + 1
        buckets[hour] = fields
    await store.add_many(buckets)


async def live_scene(server: LiveServer, admin: str) -> None:
    url = server.http_url
    for dept, zh, en in (("cs", "计算机学院", "Computer Science"), ("law", "法学院", "Law")):
        await acall("POST", url + "/api/admin/departments", admin,
                    {"id": dept, "name": {"zh": zh, "en": en}})
    for body in (
        {"username": "willow", "role": "helper", "password": PASSWORD, "alias": "Willow",
         "languages": ["zh"], "trained": False},
        {"username": "hazel", "role": "counselor", "password": PASSWORD, "alias": "Hazel",
         "level": "department", "department": "cs"},
    ):
        await acall("POST", url + "/api/admin/staff", admin, body)
    await server.helper("maple", capacity=2, alias="Maple")
    await server.helper("aspen", capacity=3, alias="Aspen")
    await server.counselor("cedar")
    for topic in ("mood", "academic", "family", "mood", "relationships", "other", "mood"):
        seeker, _ = await server.seeker()
        await seeker.send({"type": "request", "topic": topic, "lang": "en"})
        await seeker.expect_any(("queued", "matched"))
    await acall("PUT", url + "/api/admin/warnings/thresholds", admin, {"queue_length": 1})
    await asyncio.sleep(1.0)
    await server.runtime.insight.early_warning.check()
    await acall("PUT", url + "/api/admin/settings", admin,
                {"hours": "mon-fri 08:00-23:00, sat-sun 10:00-22:00", "tier_timeout_s": 60})


async def shoot(page: Page, out: Path, name: str) -> None:
    await page.wait_for_timeout(600)
    await page.screenshot(path=str(out / f"{name}.png"))


async def play(server: LiveServer, out: Path) -> None:
    await server.add_staff("boss", "admin", PASSWORD, alias="Boss")
    _, body = await server.login("boss", PASSWORD)
    admin = body["token"]
    await synthetic_statistics(server)
    await live_scene(server, admin)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for locale, suffix in (("en-US", ""), ("zh-CN", "-zh")):
            for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
                ctx = await browser.new_context(locale=locale, viewport=size)
                page = await ctx.new_page()
                await page.goto(server.http_url + "/admin")
                if suffix == "" and label == "phone":
                    await shoot(page, out, f"admin-signin-{label}")
                await page.get_by_test_id("login-username").fill("boss")
                await page.get_by_test_id("login-password").fill(PASSWORD)
                await page.get_by_test_id("login-submit").click()
                await expect(page.get_by_test_id("chart-heatmap").locator("rect[data-key]")
                             ).to_have_count(168)
                await shoot(page, out, f"admin-dashboard{suffix}-{label}")
                await page.get_by_test_id("dash-period").evaluate(
                    "n => scrollTo(0, n.getBoundingClientRect().top + scrollY - 140)")
                await shoot(page, out, f"admin-charts{suffix}-{label}")
                if suffix:
                    await ctx.close()
                    continue
                for tab in ("staff", "warnings", "settings", "audit"):
                    await page.get_by_test_id(f"tab-{tab}").click()
                    await page.evaluate("scrollTo(0, 0)")
                    await shoot(page, out, f"admin-{tab}-{label}")
                await ctx.close()
        await browser.close()


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    redis = start_embedded(Path(tempfile.mkdtemp(prefix="peerline-shots-")))
    try:
        async with run_server(redis.url, cooldown_s=600.0, tier_timeout_s=60.0) as server:
            await play(server, out)
    finally:
        redis.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    asyncio.run(main(parser.parse_args().out))
