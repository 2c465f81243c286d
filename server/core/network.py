"""The school's network (issue 19): departments, counselor levels, and what an admin may set.

Three levels of people help: peer helpers, department counselors (院系 student-affairs staff,
paged first for their own department's students) and the counseling centre's counselors. An
``admin`` (the centre's coordinator) runs it all. These are the shapes and checks of that
network, with no I/O: the stores keep them, the HTTP layer validates bodies with them.

How the older numeric tiers fit: every counselor account made before levels is a ``centre``
counselor, and its tier still orders the centre's hand-off (tier 1 first, then 2, …). A
department counselor stands before all of them for its department's seekers
(``policy.next_route``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

LEVELS = ("department", "centre")
Level = Literal["department", "centre"]
DEFAULT_LEVEL = "centre"
DEPARTMENT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
DEPARTMENT_ID_RULE = "1-32 characters of a-z, 0-9, '_', '-' (starting with a letter or digit)"
LANGS = ("zh", "en")

DepartmentId = Annotated[str, StringConstraints(pattern=DEPARTMENT_ID_RE.pattern)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class DepartmentName(BaseModel):
    """A department's name in both languages the pages speak."""

    model_config = ConfigDict(extra="forbid")
    zh: Name
    en: Name


class DepartmentIn(BaseModel):
    """``POST /api/admin/departments``."""

    model_config = ConfigDict(extra="forbid")
    id: DepartmentId
    name: DepartmentName


class DepartmentPatch(BaseModel):
    """``PATCH /api/admin/departments/<id>``: the name is all there is to change."""

    model_config = ConfigDict(extra="forbid")
    name: DepartmentName


Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{1,31}$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]
Alias = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Langs = Annotated[list[Literal["zh", "en"]], Field(min_length=1, max_length=2)]


class StaffIn(BaseModel):
    """``POST /api/admin/staff``. A helper made here starts untrained unless ``trained`` is
    ticked: the console is where a new volunteer is registered before their training."""

    model_config = ConfigDict(extra="forbid")
    username: Username
    role: Literal["helper", "counselor", "admin"]
    password: Password
    level: Level | None = None
    department: DepartmentId | None = None
    languages: Langs | None = None
    alias: Alias | None = None
    trained: bool = False

    @field_validator("languages")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        return sorted(set(value)) if value is not None else None


class StaffPatch(BaseModel):
    """``PATCH /api/admin/staff/<username>``: the fields given are changed."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["helper", "counselor", "admin"] | None = None
    level: Level | None = None
    department: DepartmentId | None = None
    languages: Langs | None = None
    trained: bool | None = None
    disabled: bool | None = None

    @field_validator("languages")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        return sorted(set(value)) if value is not None else None


@dataclass(frozen=True, slots=True)
class HelperRules:
    """What a helper's account allows when it asks to take chats."""

    trained: bool = True
    languages: tuple[str, ...] = ()
    """The languages recorded for the account; empty: not recorded (any)."""


class PasswordIn(BaseModel):
    """``POST /api/admin/staff/<username>/password``."""

    model_config = ConfigDict(extra="forbid")
    password: Password


def placement(role: str, level: str | None, department: str | None) -> tuple[str, str]:
    """A staff member's (level, department) once checked: a counselor is ``centre`` unless
    said otherwise and has a department exactly when its level is ``department``; other roles
    have neither. Raises ``ValueError`` with the reason."""
    if role != "counselor":
        if level is not None or department:
            raise ValueError("only a counselor has a level and a department")
        return "", ""
    level = level or DEFAULT_LEVEL
    if level not in LEVELS:
        raise ValueError("level is department or centre")
    if level == "department" and not department:
        raise ValueError("a department counselor needs a department")
    if level == "centre" and department:
        raise ValueError("a centre counselor has no department")
    return level, department or ""
