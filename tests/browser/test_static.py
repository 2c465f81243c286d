"""Checks on the web client's source that need no browser: no HTML from strings, colours that
pass WCAG AA, pages that declare their language and load only their own scripts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

WEB = Path(__file__).resolve().parents[2] / "web_client"
PAGES = ["seeker.html", "helper.html", "counselor.html", "library.html", "stories.html",
         "admin.html"]
# Links between the student pages (same origin, served by the app, not scripts or styles).
PAGE_LINKS = {"/", "/library", "/stories"}


def js_sources() -> list[Path]:
    return sorted((WEB / "js").glob("*.js"))


def test_no_script_parses_strings_as_html() -> None:
    sinks = re.compile(r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|"
                       r"createContextualFragment|DOMParser|\beval\(|new Function\(")
    offenders = [f"{p.name}:{n}: {line.strip()}"
                 for p in js_sources()
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if sinks.search(line) and not line.strip().startswith("//")]
    assert offenders == []


@pytest.mark.parametrize("page", PAGES)
def test_pages_are_static_and_declare_language_and_policy(page: str) -> None:
    html = (WEB / page).read_text()
    assert re.search(r'<html lang="[a-z-]+"', html, re.I)
    assert 'name="viewport"' in html
    assert "Content-Security-Policy" in html and "script-src 'self'" in html
    assert "<script>" not in html and "onclick=" not in html.lower()  # no inline code
    # Every script and stylesheet comes from /static/ (absolute, as the server serves them).
    for url in re.findall(r'(?:src|href)="([^"#][^"]*)"', html):
        assert url.startswith("/static/") or url.startswith("data:") or url in PAGE_LINKS, url


REQUIRED_TESTIDS = {
    "seeker.html": ["request-help", "topic", "composer", "send", "queue-status", "leave",
                    "quick-exit", "lang-switch"],
    "helper.html": ["login-username", "login-password", "login-submit", "available",
                    "composer", "send"],
    "counselor.html": ["login-username", "login-password", "login-submit", "on-call",
                       "composer", "send", "tab-library", "tab-stories"],
    "library.html": ["lib-q", "lib-topic", "lib-items", "quick-exit", "crisis-help",
                     "lang-switch"],
    "stories.html": ["stories", "story-title", "story-text", "story-submit", "receipt",
                     "quick-exit", "crisis-help"],
    "admin.html": ["login-username", "login-password", "login-submit", "lang-switch",
                   "tab-dashboard", "tab-staff", "tab-warnings", "tab-settings", "tab-audit"],
}
# Made by the scripts for each message list, session, alert.
REQUIRED_IN_JS = ["messages", "session", "escalate", "alert", "claim", "takeover", "resolve",
                  "rating-", "transfer", "block", "whisper", "staff-notes", "supervisor-badge",
                  "canned-item", "monitor", "join", "active-session", "canned-row"]


@pytest.mark.parametrize("page", PAGES)
def test_required_test_ids(page: str) -> None:
    html = (WEB / page).read_text()
    for testid in REQUIRED_TESTIDS[page]:
        assert f'data-testid="{testid}"' in html, testid


def test_required_test_ids_made_by_scripts() -> None:
    js = "\n".join(p.read_text() for p in js_sources())
    for testid in REQUIRED_IN_JS:
        assert re.search(rf"testid: [`']{re.escape(testid)}", js), testid


def test_every_form_field_has_a_label() -> None:
    for page in PAGES:
        html = (WEB / page).read_text()
        for field in re.finditer(r"<(input|select|textarea)\b[^>]*>", html):
            tag = field.group(0)
            m = re.search(r'id="([^"]+)"', tag)
            before = html[:field.start()]
            inside_label = before.rfind("<label") > before.rfind("</label>")
            assert inside_label or (m and f'for="{m.group(1)}"' in html), (page, tag)


# ---- contrast (WCAG 2.1 relative luminance) ---------------------------------------------------

def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def css_vars() -> dict[str, str]:
    css = (WEB / "css" / "app.css").read_text()
    root = css[css.index(":root"):css.index("}", css.index(":root"))]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root))


# (foreground, background, minimum): text pairs need 4.5, focus ring and borders 3.
PAIRS = [
    ("text", "bg", 4.5), ("text", "surface", 4.5), ("muted", "bg", 4.5),
    ("muted", "surface", 4.5), ("#ffffff", "primary", 4.5), ("#ffffff", "primary-dark", 4.5),
    ("#ffffff", "crisis", 4.5), ("#ffffff", "crisis-dark", 4.5),
    ("crisis-dark", "crisis-soft", 4.5), ("crisis-dark", "surface", 4.5),
    ("warn-text", "warn-soft", 4.5), ("note-text", "note-soft", 4.5),
    ("ok", "surface", 4.5), ("ok", "bg", 4.5), ("ok", "own", 4.5), ("primary-dark", "surface", 4.5),
    ("text", "own", 4.5), ("text", "counselor", 4.5), ("muted", "own", 4.5),
    ("muted", "counselor", 4.5), ("text", "primary-soft", 4.5), ("muted", "primary-soft", 4.5),
    ("muted", "crisis-soft", 4.5), ("muted", "warn-soft", 4.5), ("ok", "primary-soft", 4.5),
    ("primary-dark", "crisis-soft", 4.5),
    ("whisper-text", "whisper-soft", 4.5), ("text", "whisper-soft", 4.5),
    ("muted", "whisper-soft", 4.5), ("whisper-text", "surface", 4.5),
    ("#ffffff", "whisper-text", 4.5),
    ("whisper-line", "surface", 3.0),
    ("focus", "surface", 3.0), ("focus", "bg", 3.0), ("crisis", "surface", 3.0),
    ("primary", "surface", 3.0), ("#ffffff", "#374151", 4.5),
]


@pytest.mark.parametrize(("fg", "bg", "minimum"), PAIRS)
def test_colour_pairs_pass_wcag_aa(fg: str, bg: str, minimum: float) -> None:
    colours = css_vars()
    a = fg if fg.startswith("#") else colours[fg]
    b = bg if bg.startswith("#") else colours[bg]
    assert contrast(a, b) >= minimum, f"{fg} on {bg}: {contrast(a, b):.2f}"
