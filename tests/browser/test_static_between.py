"""Colour checks for css/between.css (WCAG AA), as test_static.py does for app.css."""

from __future__ import annotations

import pytest

from .test_static import contrast, css_vars

pytestmark = pytest.mark.browser

# (foreground, background, minimum); hex values are the ones written in between.css.
PAIRS = [
    ("#ffffff", "#b42318", 4.5), ("#ffffff", "#c2410c", 4.5), ("#ffffff", "#6b7280", 4.5),
    ("#ffffff", "#1f5f8b", 4.5), ("#ffffff", "#176b3a", 4.5),  # mood dots, badge
    ("text", "#eef0f3", 4.5),  # codes
    ("text", "#fde2e1", 4.5), ("text", "#fdeedc", 4.5),  # chosen low moods
    ("primary-dark", "#fafbfc", 4.5), ("#8a939e", "surface", 3.0),  # chart box, input border
    ("#b42318", "#fafbfc", 3.0), ("#c2410c", "#fafbfc", 3.0), ("#6b7280", "#fafbfc", 3.0),
]


@pytest.mark.parametrize(("fg", "bg", "minimum"), PAIRS)
def test_between_colours_pass_wcag_aa(fg: str, bg: str, minimum: float) -> None:
    colours = css_vars()
    a = fg if fg.startswith("#") else colours[fg]
    b = bg if bg.startswith("#") else colours[bg]
    assert contrast(a, b) >= minimum, f"{fg} on {bg}: {contrast(a, b):.2f}"
