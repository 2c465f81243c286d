"""Resource library items: what a valid item is, and how the public search matches one.

Four kinds share one shape (id, kind, lang, title, summary, topics, tags, published, order) and
each adds its own fields: an article has a markdown ``body``; a course has ordered ``steps``; a
book has ``author``, ``quote`` and an optional ``url``; a hotline has ``phone``, ``hours`` and
``url``. Validation is pydantic's, so every refusal names the field that was wrong.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .between import Lang, Topic
from .errors import BadInput

Kind = Literal["article", "course", "book", "hotline"]
KINDS: tuple[str, ...] = ("article", "course", "book", "hotline")
Tag = Annotated[str, Field(min_length=1, max_length=32)]

MAX_BODY_CHARS = 20_000
MAX_STEPS = 30
NEW_FOR_S = 7 * 24 * 3600
"""An item published this recently is "new this week"."""

# What every kind carries, what each kind adds, and what each kind needs.
COMMON_FIELDS = ("id", "kind", "lang", "title", "summary", "topics", "tags", "published",
                 "order", "created_at", "updated_at", "published_at")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "article": ("body",),
    "course": ("steps",),
    "book": ("author", "quote", "url"),
    "hotline": ("phone", "hours", "url"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "article": ("body",),
    "course": ("steps",),
    "book": ("author",),
    "hotline": (),
}


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=4000)


class ItemFields(BaseModel):
    """Fields a counselor may set (all optional here: ``PUT`` changes only those given)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: Kind | None = None
    lang: Lang | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    summary: str | None = Field(None, max_length=600)
    topics: list[Topic] | None = Field(None, max_length=5)
    tags: list[Tag] | None = Field(None, max_length=12)
    published: bool | None = None
    order: int | None = Field(None, ge=0, le=1_000_000)
    body: str | None = Field(None, max_length=MAX_BODY_CHARS)
    steps: list[Step] | None = Field(None, min_length=1, max_length=MAX_STEPS)
    author: str | None = Field(None, max_length=200)
    quote: str | None = Field(None, max_length=1000)
    url: str | None = Field(None, max_length=500)
    phone: str | None = Field(None, max_length=40)
    hours: str | None = Field(None, max_length=120)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value or None


def parse_fields(raw: Any, *, creating: bool) -> dict[str, Any]:
    """The fields given in a create or update body, validated; ``BadInput`` names what is wrong."""
    if not isinstance(raw, dict):
        raise BadInput("send a JSON object")
    raw = {k: v for k, v in raw.items() if k not in ("id", "created_at", "updated_at",
                                                      "published_at", "opens", "new",
                                                      "steps_count")}
    try:
        fields = ItemFields.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(describe(exc)) from None
    given = fields.model_dump(exclude_unset=True)
    if "steps" in given and given["steps"] is not None:
        given["steps"] = [dict(s) for s in given["steps"]]
    if creating:
        for name in ("kind", "lang", "title"):
            if given.get(name) is None:
                raise BadInput(f"{name}: required")
    return given


def check_complete(item: dict[str, Any]) -> None:
    """An item (after a create or an update) must carry what its kind needs."""
    for name in REQUIRED[item["kind"]]:
        if not item.get(name):
            raise BadInput(f"{name}: required for a {item['kind']}")
    if item["kind"] == "hotline" and not (item.get("phone") or item.get("url")):
        raise BadInput("phone: a hotline needs a phone number or a url")


def shape(item: dict[str, Any]) -> dict[str, Any]:
    """A stored item with only its kind's fields, defaults filled in."""
    out: dict[str, Any] = {name: item.get(name) for name in COMMON_FIELDS}
    out["summary"] = out["summary"] or ""
    out["topics"] = out["topics"] or []
    out["tags"] = out["tags"] or []
    out["published"] = bool(out["published"])
    out["order"] = int(out["order"] or 0)
    for name in KIND_FIELDS[item["kind"]]:
        out[name] = item.get(name)
    return out


def listing(item: dict[str, Any], now_s: float) -> dict[str, Any]:
    """An item as the list shows it: no body or steps, with whether it is new this week."""
    out = {name: item.get(name) for name in COMMON_FIELDS}
    published_at = item.get("published_at")
    out["new"] = bool(item.get("published") and published_at
                      and now_s * 1000 - published_at < NEW_FOR_S * 1000)
    if item["kind"] == "course":
        out["steps_count"] = len(item.get("steps") or [])
    if item["kind"] in ("book", "hotline"):
        for name in KIND_FIELDS[item["kind"]]:
            out[name] = item.get(name)
    return out


def matches(item: dict[str, Any], words: list[str], topic: str | None, lang: str | None) -> bool:
    """The public search: every word somewhere in the item's text, the topic, the language."""
    if topic and topic not in (item.get("topics") or []):
        return False
    if lang and item.get("lang") != lang:
        return False
    if not words:
        return True
    haystack = " ".join(_texts(item)).casefold()
    return all(word in haystack for word in words)


def search_words(q: str | None) -> list[str]:
    """The words of a query (Chinese has no spaces: a run of characters is one word)."""
    if not q:
        return []
    return [w for w in q.casefold().split() if w][:8]


def _texts(item: dict[str, Any]) -> list[str]:
    texts = [str(item.get(n) or "") for n in ("title", "summary", "body", "author", "quote",
                                               "hours")]
    texts += [str(t) for t in item.get("tags") or []]
    for step in item.get("steps") or []:
        texts += [str(step.get("title", "")), str(step.get("body", ""))]
    return texts


def describe(exc: ValidationError) -> str:
    """The first error of a pydantic validation, as ``field: message``."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {first['msg']}"[:300]
