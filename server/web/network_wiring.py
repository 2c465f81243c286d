"""The school's network (issue 19: departments, staff administration, the audit trail) wired
and routed, beside ``app.py`` so that the one place everything is wired stays short."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from ..service.staffing import Staffing
from ..store.audit import AuditLog
from ..store.departments import DepartmentStore
from ..store.keys import Keys
from ..store.signin import SignInStore
from ..store.staff import StaffStore
from . import admin_api


@dataclass(frozen=True)
class SchoolNetwork:
    departments: DepartmentStore
    staffing: Staffing


def build_network(redis: aioredis.Redis, keys: Keys, staff: StaffStore) -> SchoolNetwork:
    departments = DepartmentStore(redis, keys)
    staffing = Staffing(staff=staff, departments=departments, signin=SignInStore(redis, keys),
                        audit=AuditLog(redis, keys))
    return SchoolNetwork(departments=departments, staffing=staffing)


ROUTES = admin_api.ROUTES
