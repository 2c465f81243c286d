"""``peerline departments …`` and ``peerline staff set …``: the school's network on the
command line (issue 19), through the same use case as the console (``service.staffing``), so
the rules and the audit trail do not depend on the tool.

    peerline departments add ID --name-zh 计算机学院 --name-en "Computer Science"
    peerline departments list | remove ID
    peerline staff set USERNAME [--role R] [--level department|centre] [--department ID]
                                [--trained | --untrained] [--languages zh,en]
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from .core.errors import PeerlineError
from .core.network import DepartmentIn, StaffPatch
from .service.staffing import CLI_ACTOR, Staffing
from .store.audit import AuditLog
from .store.departments import DepartmentStore
from .store.signin import SignInStore
from .store.staff import StaffStore

Common = Callable[[argparse.ArgumentParser], None]
RunStore = Callable[[argparse.Namespace, Callable[[StaffStore, argparse.Namespace],
                                                  Awaitable[int]]], int]


def staffing(store: StaffStore) -> Staffing:
    """The use case over the CLI's Redis connection (audited as ``cli``)."""
    redis, keys = store.redis, store.keys
    return Staffing(staff=store, departments=DepartmentStore(redis, keys),
                    signin=SignInStore(redis, keys), audit=AuditLog(redis, keys))


def add_staff_options(add: argparse.ArgumentParser) -> None:
    """The level, department, training and languages of ``peerline staff add``."""
    add.add_argument("--level", choices=["department", "centre"], default=None,
                     help="a counselor's level (default centre)")
    add.add_argument("--department", default=None,
                     help="a department counselor's department id (peerline departments list)")
    add.add_argument("--untrained", action="store_true",
                     help="a helper who may not take chats until marked trained")
    add.add_argument("--languages", default=None, help="e.g. zh,en (default both)")


def languages(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    langs = tuple(sorted({x.strip() for x in raw.split(",") if x.strip()}))
    if not langs or any(x not in ("zh", "en") for x in langs):
        raise PeerlineError("--languages: zh, en or zh,en")
    return langs


def register(sub: Any, common: Common, run_store: RunStore) -> None:
    departments = sub.add_parser("departments", help="the school's departments (院系)"
                                 ).add_subparsers()
    add = departments.add_parser("add", help="define a department")
    common(add)
    add.add_argument("id", help="a short id: a-z, 0-9, '_', '-' (e.g. cs)")
    add.add_argument("--name-zh", required=True)
    add.add_argument("--name-en", required=True)
    add.set_defaults(func=lambda a: run_store(a, _department_add))
    ls = departments.add_parser("list", help="every department")
    common(ls)
    ls.set_defaults(func=lambda a: run_store(a, _department_list))
    rm = departments.add_parser("remove", help="remove a department nobody belongs to")
    common(rm)
    rm.add_argument("id")
    rm.set_defaults(func=lambda a: run_store(a, _department_remove))


def register_staff_set(staff: Any, common: Common, run_store: RunStore) -> None:
    p = staff.add_parser("set", help="change role, level, department, training, languages")
    common(p)
    p.add_argument("username")
    p.add_argument("--role", choices=["helper", "counselor", "admin"], default=None)
    p.add_argument("--level", choices=["department", "centre"], default=None)
    p.add_argument("--department", default=None)
    trained = p.add_mutually_exclusive_group()
    trained.add_argument("--trained", dest="trained", action="store_true", default=None)
    trained.add_argument("--untrained", dest="trained", action="store_false")
    p.add_argument("--languages", default=None, help="zh, en or zh,en")
    p.set_defaults(func=lambda a: run_store(a, _staff_set))


def _checked(model: Any, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(x) for x in first["loc"])
        raise PeerlineError(f"{where}: {first['msg']}") from None


async def _department_add(store: StaffStore, args: argparse.Namespace) -> int:
    body = _checked(DepartmentIn, {"id": args.id, "name": {"zh": args.name_zh,
                                                          "en": args.name_en}})
    await staffing(store).add_department(CLI_ACTOR, body)
    print(f"added department {args.id} ({args.name_zh} / {args.name_en})")
    return 0


async def _department_list(store: StaffStore, args: argparse.Namespace) -> int:
    for item in await DepartmentStore(store.redis, store.keys).items():
        print(f"{item['id']}\t{item['name']['zh']}\t{item['name']['en']}")
    return 0


async def _department_remove(store: StaffStore, args: argparse.Namespace) -> int:
    await staffing(store).remove_department(CLI_ACTOR, args.id)
    print(f"removed department {args.id}")
    return 0


async def _staff_set(store: StaffStore, args: argparse.Namespace) -> int:
    data = {k: v for k, v in (("role", args.role), ("level", args.level),
                              ("department", args.department), ("trained", args.trained))
            if v is not None}
    if args.languages is not None:
        data["languages"] = list(languages(args.languages))
    item = await staffing(store).change(CLI_ACTOR, args.username, _checked(StaffPatch, data))
    print(describe(item))
    return 0


def describe(item: dict[str, Any]) -> str:
    where = (f"{item['level']}" + (f" ({item['department']})" if item["department"] else "")
             if item["role"] == "counselor" else "-")
    return (f"{item['username']}\t{item['role']}\t{where}\t"
            f"{'trained' if item['trained'] else 'untrained'}\t{','.join(item['languages'])}")
