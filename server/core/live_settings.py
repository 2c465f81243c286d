"""The settings an admin may change while the service runs, validated (pure; no I/O).

``PUT /api/admin/settings`` sends a ``SettingsChange``: the fields given are changed, the others
kept. Operating hours are checked by ``core.hours.parse`` (the same rules as ``peerline hours
set``); crisis numbers and self-help items have the shapes ``GET /api/resources`` and
``GET /api/self-help`` serve, so the seeker page reads them unchanged.

Bounds are deliberately tight: a tier timeout of a second would page every level at once, one of
hours would leave a crisis unanswered; a list of crisis numbers may not be emptied, because a
seeker refused for being outside hours is shown these and nothing else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .hours import InvalidHours, parse

TIER_TIMEOUT_RANGE_S = (10.0, 3600.0)
"""From ten seconds (a counselor needs a moment to answer) to an hour."""
COOLDOWN_RANGE_S = (0.0, 7200.0)
"""A helper's pause after a crisis chat: none up to two hours."""
MAX_ITEMS = 30


def _no_blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _link(value: str | None) -> str | None:
    value = _no_blank(value)
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must start with https:// or http://")
    return value


class CrisisItem(BaseModel):
    """A number to call now (shown to every seeker refused or in a crisis)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+()\- ]*$")
    url: str | None = Field(None, max_length=500)
    lang: Literal["zh", "en"] | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if _no_blank(value) is None:
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _no_blank(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _link(value)


class SelfHelpItem(BaseModel):
    """Something to do while waiting (breathing, grounding)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=2000)
    url: str | None = Field(None, max_length=500)

    @field_validator("title", "text")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        if _no_blank(value) is None:
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _link(value)


class Resources(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    crisis: list[CrisisItem] = Field(min_length=1, max_length=MAX_ITEMS)
    self_help: list[SelfHelpItem] = Field(max_length=MAX_ITEMS)


class HoursMessage(BaseModel):
    """What the seeker page says while closed, in each language (optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str | None = Field(None, max_length=300)
    en: str | None = Field(None, max_length=300)

    @field_validator("zh", "en")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        return _no_blank(value)


class SettingsChange(BaseModel):
    """A ``PUT /api/admin/settings`` body: at least one field; the others stay as they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: str | None = Field(None, min_length=1, max_length=500)
    """An hours spec (``always``, ``closed``, ``mon-fri 08:00-22:00, sat 10:00-16:00``)."""
    hours_message: HoursMessage | None = None
    open_when_on_call: bool | None = None
    resources: Resources | None = None
    tier_timeout_s: float | None = Field(None, ge=TIER_TIMEOUT_RANGE_S[0],
                                         le=TIER_TIMEOUT_RANGE_S[1])
    cooldown_s: float | None = Field(None, ge=COOLDOWN_RANGE_S[0], le=COOLDOWN_RANGE_S[1])

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse(value).spec
        except InvalidHours as exc:
            raise ValueError(exc.detail) from None

    @model_validator(mode="after")
    def _something(self) -> SettingsChange:
        if not self.model_fields_set:
            raise ValueError("give at least one setting to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: null is not a setting (leave it out to keep it)")
        return self

    def changed(self) -> list[str]:
        """The names of the settings this change sets, in a stable order (for the audit)."""
        return [name for name in type(self).model_fields if name in self.model_fields_set]
