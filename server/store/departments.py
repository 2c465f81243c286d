"""Departments (院系) in Redis: one hash, id → name in zh and en (JSON).

A handful of entries that an operator defines; kept until removed (they are configuration).
Read on every seeker ``request`` that names one, so the check is one ``HEXISTS``.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from ..core.errors import Conflict, NotFound, UnknownDepartment
from ..core.network import DEPARTMENT_ID_RE, DEPARTMENT_ID_RULE
from .keys import Keys


class DepartmentStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def add(self, dept: str, name_zh: str, name_en: str) -> None:
        if not DEPARTMENT_ID_RE.match(dept):
            raise UnknownDepartment(f"department id: {DEPARTMENT_ID_RULE}")
        name = json.dumps({"zh": name_zh, "en": name_en}, ensure_ascii=False)
        if not await self.redis.hsetnx(self.keys.departments, dept, name):
            raise Conflict(f"department {dept!r} exists")

    async def rename(self, dept: str, name_zh: str, name_en: str) -> None:
        if not await self.exists(dept):
            raise NotFound(f"no department {dept!r}")
        await self.redis.hset(self.keys.departments, dept,
                              json.dumps({"zh": name_zh, "en": name_en}, ensure_ascii=False))

    async def remove(self, dept: str) -> None:
        if not await self.redis.hdel(self.keys.departments, dept):
            raise NotFound(f"no department {dept!r}")

    async def exists(self, dept: str) -> bool:
        return bool(await self.redis.hexists(self.keys.departments, dept))

    async def require(self, dept: str) -> None:
        """``UnknownDepartment`` unless ``dept`` is defined."""
        if not DEPARTMENT_ID_RE.match(dept) or not await self.exists(dept):
            raise UnknownDepartment(f"no department {dept!r} (see GET /api/departments)")

    async def items(self) -> list[dict[str, Any]]:
        """Every department, by id: ``{"id", "name": {"zh", "en"}}``."""
        raw = await self.redis.hgetall(self.keys.departments)
        return [{"id": k.decode(), "name": json.loads(v)}
                for k, v in sorted(raw.items())]
