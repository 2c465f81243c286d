"""Student stories: a valid submission, a reviewer's decision, the reactions a reader may give.

A story is text only: it is stored with personal data masked and is always rendered as text.
Readers react with a small fixed set of supportive reactions; there are no comments, so nothing
published needs live moderation.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .between import Lang, Topic
from .errors import BadInput
from .library import describe

MAX_TITLE_CHARS = 120
MAX_TEXT_CHARS = 5000
MIN_TEXT_CHARS = 20
REACTIONS: tuple[str, ...] = ("hug", "strength", "relate", "thanks")
Status = Literal["pending", "published", "rejected", "revise"]
Decision = Literal["approve", "reject", "revise"]
STATUS_AFTER: dict[str, str] = {"approve": "published", "reject": "rejected",
                                "revise": "revise"}


class Submission(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    text: str = Field(min_length=MIN_TEXT_CHARS, max_length=MAX_TEXT_CHARS)
    topic: Topic = "other"
    lang: Lang = "en"


class Revision(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    text: str = Field(min_length=MIN_TEXT_CHARS, max_length=MAX_TEXT_CHARS)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    decision: Decision
    reason: str = Field("", max_length=1000)


class Reaction(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reaction: Literal["hug", "strength", "relate", "thanks"]


def parse(model: type[BaseModel], raw: Any) -> Any:
    """``raw`` validated as ``model``; ``BadInput`` names the field that was wrong."""
    if not isinstance(raw, dict):
        raise BadInput("send a JSON object")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(describe(exc)) from None


def needs_reason(decision: str, reason: str) -> bool:
    """A student told "no" or "please change it" is owed a reason; an approval is not."""
    return decision in ("reject", "revise") and not reason.strip()


def review_order(severity: int, submitted_at_ms: int) -> float:
    """Sort key of the review queue: the most severe first, then the oldest."""
    return -severity * 10**14 + submitted_at_ms
