"""Self-checks (PHQ-9, GAD-7): the score bands whose anonymous counts a browser may report.

Scoring happens in the browser; the server receives only a check name and a band, opt-in, and
counts them by week. The band edges are the instruments' published ones.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

BANDS: dict[str, tuple[str, ...]] = {
    "phq9": ("minimal", "mild", "moderate", "moderately_severe", "severe"),
    "gad7": ("minimal", "mild", "moderate", "severe"),
}
EDGES: dict[str, tuple[int, ...]] = {
    # lower bound of each band (PHQ-9: 0-4, 5-9, 10-14, 15-19, 20-27; GAD-7: 0-4, 5-9, 10-14, 15-21)
    "phq9": (0, 5, 10, 15, 20),
    "gad7": (0, 5, 10, 15),
}
MAX_SCORE = {"phq9": 27, "gad7": 21}


class BandReport(BaseModel):
    model_config = ConfigDict(extra="ignore")
    check: Literal["phq9", "gad7"]
    band: Literal["minimal", "mild", "moderate", "moderately_severe", "severe"]


def band_of(check: str, score: int) -> str:
    """The band a score falls in (the browser does the same; this is the reference)."""
    if not 0 <= score <= MAX_SCORE[check]:
        raise ValueError(f"{check} score out of range: {score}")
    band = BANDS[check][0]
    for edge, name in zip(EDGES[check], BANDS[check], strict=True):
        if score >= edge:
            band = name
    return band


def valid_band(check: str, band: str) -> bool:
    return band in BANDS.get(check, ())
