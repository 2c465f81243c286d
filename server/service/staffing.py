"""Running the school's network: staff accounts and departments, changed by an admin (or the
command line), every change written to the audit trail.

Why one use case for both the console and the CLI: the rules (a department counselor needs a
department that exists; a department in use cannot be removed; a disabled account loses its
sign-ins at once) must not differ with the tool used. The audit says who changed what and when,
never a password.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import Conflict, NotFound
from ..core.network import DepartmentIn, HelperRules, StaffIn, StaffPatch
from ..store.audit import AuditLog, AuditQuery
from ..store.departments import DepartmentStore
from ..store.signin import SignInStore
from ..store.staff import StaffAccount, StaffStore

CLI_ACTOR = "cli"
"""The actor of a change made on the command line (whoever can run it owns the server)."""


class Staffing:
    def __init__(self, *, staff: StaffStore, departments: DepartmentStore,
                 signin: SignInStore, audit: AuditLog) -> None:
        self.staff = staff
        self.departments = departments
        self.signin = signin
        self.audit_log = audit

    # -- staff -------------------------------------------------------------------------------

    async def item(self, account: StaffAccount) -> dict[str, Any]:
        """An account as the console lists it (no hash, no token, no second-factor secret)."""
        flags = await self.signin.flags(account.username)
        counselor = account.role == "counselor"
        return {"username": account.username, "role": account.role, "alias": account.alias,
                "level": account.level if counselor else None,
                "department": (account.department or None) if counselor else None,
                "languages": list(account.languages) or ["zh", "en"],
                "trained": account.trained, "disabled": flags.disabled,
                "second_factor": flags.second_factor, "tier": account.tier}

    async def items(self) -> list[dict[str, Any]]:
        return [await self.item(a) for a in await self.staff.list()]

    async def add(self, actor: str, body: StaffIn) -> dict[str, Any]:
        if body.department:
            await self.departments.require(body.department)
        account = await self.staff.add(
            body.username, body.role, body.password, alias=body.alias,
            level=body.level or "", department=body.department or "",
            # Only helpers wait for training; other roles are trained by what they are.
            trained=body.trained or body.role != "helper",
            languages=tuple(body.languages or ()))
        await self._audit("staff_added", actor, account.username, role=account.role,
                          level=account.level if account.role == "counselor" else None,
                          department=account.department or None,
                          trained=int(account.trained))
        return await self.item(account)

    async def change(self, actor: str, username: str, patch: StaffPatch) -> dict[str, Any]:
        if await self.staff.get(username) is None:
            raise NotFound(f"no staff account {username!r}")
        if patch.department:
            await self.departments.require(patch.department)
        changed = patch.model_dump(exclude_none=True)
        account = await self.staff.update(
            username, role=patch.role, level=patch.level, department=patch.department,
            trained=patch.trained,
            languages=tuple(patch.languages) if patch.languages is not None else None)
        if patch.disabled is not None:
            await self.signin.set_disabled(username, patch.disabled)
            if patch.disabled:
                await self.staff.revoke_all(username)
        await self._audit("staff_changed", actor, username,
                          fields=",".join(sorted(changed)),
                          **{k: _flat(v) for k, v in changed.items()})
        return await self.item(account)

    async def set_password(self, actor: str, username: str, password: str) -> None:
        await self.staff.set_password(username, password)  # revokes its tokens
        await self._audit("password_reset", actor, username)

    async def remove(self, actor: str, username: str) -> None:
        await self.staff.remove(username)
        await self._audit("staff_removed", actor, username)

    async def helper_rules(self, uid: str) -> HelperRules:
        """What the helper behind ``uid`` (``h.<name>``) may do: take chats once trained, in
        the languages recorded for it (read on each ``status``, so a change applies at once)."""
        account = await self.staff.get(uid.partition(".")[2])
        if account is None:
            return HelperRules(trained=False)
        return HelperRules(trained=account.trained, languages=account.languages)

    # -- departments -------------------------------------------------------------------------

    async def add_department(self, actor: str, body: DepartmentIn) -> dict[str, Any]:
        await self.departments.add(body.id, body.name.zh, body.name.en)
        await self._audit("department_added", actor, body.id, department=body.id)
        return {"id": body.id, "name": body.name.model_dump()}

    async def rename_department(self, actor: str, dept: str, zh: str,
                                en: str) -> dict[str, Any]:
        await self.departments.rename(dept, zh, en)
        await self._audit("department_renamed", actor, dept, department=dept)
        return {"id": dept, "name": {"zh": zh, "en": en}}

    async def remove_department(self, actor: str, dept: str) -> None:
        members = [a.username for a in await self.staff.list() if a.department == dept]
        if members:
            raise Conflict(f"department {dept!r} still has counselors: "
                           f"{', '.join(members[:5])}; move them first")
        await self.departments.remove(dept)
        await self._audit("department_removed", actor, dept, department=dept)

    # -- the audit ---------------------------------------------------------------------------

    async def audit(self, query: AuditQuery) -> list[dict[str, Any]]:
        return await self.audit_log.query(query)

    async def _audit(self, kind: str, actor: str, target: str, **fields: Any) -> None:
        await self.audit_log.write(kind, by=actor, target=target, **fields)


def _flat(value: Any) -> str | int:
    """A changed field as the audit stream keeps it (flat strings and numbers)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
