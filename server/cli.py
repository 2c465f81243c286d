"""The ``peerline`` command: run the server, manage staff accounts, read the alert audit.

    peerline serve [--host H] [--port P] [--data-dir D] [--redis-url URL] [--workers N]
    peerline staff add USERNAME --role helper|counselor|admin --password-stdin [--tier N]
    peerline staff add USERNAME --role helper|counselor --sso-only   (campus sign-in only)
    peerline staff list | remove USERNAME | passwd USERNAME --password-stdin | import --file F
    peerline staff reset-2fa USERNAME | disable USERNAME | enable USERNAME
    peerline staff add USERNAME --role counselor --level department --department ID …
    peerline staff set USERNAME [--role R] [--level L] [--department ID] [--trained|--untrained]
    peerline departments add ID --name-zh N --name-en N | list | remove ID
    peerline alerts list [--limit N] | show ID
    peerline hours set SPEC [--message-zh T] [--message-en T] [--open-when-on-call] | show
    peerline canned list | import --file F.json
    peerline backup --out FILE | restore FILE [--force]
    peerline stats export --from YYYY-MM-DD --to YYYY-MM-DD --format csv|json [--by day]

Every command takes ``--data-dir``/``--redis-url`` like ``serve`` and works whether or not the
server is running (a second process attaches to the embedded Redis through its socket).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import cli_network, stats_cli
from .core.canned import CannedReply
from .core.errors import PeerlineError
from .settings import Settings
from .signals import exit_cleanly_on_sigterm
from .store import backup as backups
from .store.canned import CannedStore
from .store.client import connect
from .store.embedded import start_embedded
from .store.hours import HoursStore
from .store.keys import Keys
from .store.signin import SignInStore
from .store.staff import SSO_ONLY, StaffStore
from .transport.httpproto import HTTP_PROTOCOL
from .transport.wsproto import WS_PROTOCOL


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except PeerlineError as exc:
        print(f"peerline: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peerline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers()

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", type=Path, default=None,
                       help="where the embedded Redis keeps its data (default ./peerline-data)")
        p.add_argument("--redis-url", default=None,
                       help="use this Redis instead of the embedded one")

    serve = sub.add_parser("serve", help="run the server")
    common(serve)
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=None)
    serve.add_argument("--log-level", default=None)
    serve.set_defaults(func=_serve)

    staff = sub.add_parser("staff", help="manage staff accounts").add_subparsers()
    add = staff.add_parser("add", help="add a helper, counselor or admin")
    common(add)
    add.add_argument("username")
    add.add_argument("--role", choices=["helper", "counselor", "admin"], required=True)
    how = add.add_mutually_exclusive_group(required=True)
    how.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input")
    how.add_argument("--sso-only", action="store_true",
                     help="no password: signs in only with the campus account")
    add.add_argument("--tier", type=int, default=1, help="counselor tier (1 = first called)")
    add.add_argument("--alias", default=None, help="display name (default: a random one)")
    cli_network.add_staff_options(add)
    add.set_defaults(func=lambda a: _run_store(a, _staff_add))
    ls = staff.add_parser("list", help="list accounts")
    common(ls)
    ls.set_defaults(func=lambda a: _run_store(a, _staff_list))
    rm = staff.add_parser("remove", help="remove an account and revoke its tokens")
    common(rm)
    rm.add_argument("username")
    rm.set_defaults(func=lambda a: _run_store(a, _staff_remove))
    pw = staff.add_parser("passwd", help="set a new password (revokes tokens)")
    common(pw)
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", required=True)
    pw.set_defaults(func=lambda a: _run_store(a, _staff_passwd))
    reset = staff.add_parser("reset-2fa", help="remove the second factor (revokes tokens)")
    common(reset)
    reset.add_argument("username")
    reset.set_defaults(func=lambda a: _run_store(a, _staff_reset_2fa))
    for verb, what in (("disable", "refuse sign-ins and revoke tokens"),
                       ("enable", "allow sign-ins again")):
        p = staff.add_parser(verb, help=what)
        common(p)
        p.add_argument("username")
        p.set_defaults(func=lambda a, verb=verb: _run_store(a, lambda st, ar: _staff_able(
            st, ar, verb == "disable")))
    cli_network.register_staff_set(staff, common, _run_store)
    imp = staff.add_parser("import", help="add many: lines of 'username role password [tier]'")
    common(imp)
    imp.add_argument("--file", type=Path, required=True)
    imp.set_defaults(func=lambda a: _run_store(a, _staff_import))

    cli_network.register(sub, common, _run_store)

    backup = sub.add_parser("backup", help="write every Peerline key to a compressed file")
    common(backup)
    backup.add_argument("--out", type=Path, required=True, help="the backup file to write")
    backup.set_defaults(func=lambda a: _run_store(a, _backup))
    restore = sub.add_parser("restore", help="put a backup into an empty Redis")
    common(restore)
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true",
                         help="replace the Peerline keys this Redis already holds")
    restore.set_defaults(func=lambda a: _run_store(a, _restore))

    alerts = sub.add_parser("alerts", help="read alerts and their audit trail").add_subparsers()
    al = alerts.add_parser("list", help="recent alerts")
    common(al)
    al.add_argument("--limit", type=int, default=50)
    al.set_defaults(func=lambda a: _run_store(a, _alerts_list))
    show = alerts.add_parser("show", help="one alert with every audited step")
    common(show)
    show.add_argument("alert")
    show.set_defaults(func=lambda a: _run_store(a, _alerts_show))

    hours = sub.add_parser("hours", help="operating hours").add_subparsers()
    hs = hours.add_parser("set", help="set the hours (every server applies them within 2 s)")
    common(hs)
    hs.add_argument("spec", help="'always', 'closed', or e.g. 'mon-fri 08:00-22:00, "
                                 "sat 10:00-16:00, closed 2025-10-01'")
    hs.add_argument("--message-zh", default=None, help="shown to seekers while closed")
    hs.add_argument("--message-en", default=None, help="shown to seekers while closed")
    hs.add_argument("--open-when-on-call", action="store_true",
                    help="while closed, still take requests if a counselor is on call")
    hs.set_defaults(func=lambda a: _run_store(a, _hours_set))
    hshow = hours.add_parser("show", help="the hours now in force")
    common(hshow)
    hshow.set_defaults(func=lambda a: _run_store(a, _hours_show))

    canned = sub.add_parser("canned", help="canned replies for helpers").add_subparsers()
    cl = canned.add_parser("list", help="every template")
    common(cl)
    cl.set_defaults(func=lambda a: _run_store(a, _canned_list))
    ci = canned.add_parser("import", help="replace every template with a JSON file's list of "
                                          "{lang, category, title, text}")
    common(ci)
    ci.add_argument("--file", type=Path, required=True)
    ci.set_defaults(func=lambda a: _run_store(a, _canned_import))
    stats_cli.add_parser(sub, common, _run_store)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in ("host", "port", "data_dir", "redis_url", "workers", "log_level"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        # Which setting and why, without its value (a Redis URL may hold a password).
        raise PeerlineError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                      for e in exc.errors())) from None


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .web import logs

    settings = _settings(args)
    logs.configure(settings.log_level, settings.log_format)
    exit_cleanly_on_sigterm()  # so that the finally below stops the embedded Redis
    embedded = None
    if settings.redis_url is None:
        embedded = start_embedded(settings.resolved_data_dir())
        settings.redis_url = embedded.url
        os.environ["PEERLINE_REDIS_URL"] = embedded.url
    print(f"Peerline on http://{settings.host}:{settings.port}/  (Redis: "
          f"{'embedded, ' + str(embedded.path) if embedded else 'external'})", flush=True)
    try:
        config = dict(
            host=settings.host, port=settings.port, ws=WS_PROTOCOL, loop="uvloop",
            http=HTTP_PROTOCOL, ws_max_size=settings.max_frame_bytes, access_log=False,
            # No permessage-deflate: chat lines are short, Peerline's own frames go out
            # uncompressed anyway (server/transport/wsproto.py), decompressing clients' frames
            # costs CPU, and compressing secrets (tokens) with attacker-chosen text invites
            # CRIME-style leaks.
            ws_per_message_deflate=False,
            log_level=settings.log_level, lifespan="on", log_config=None,
            timeout_graceful_shutdown=10,
        )
        if settings.workers > 1:
            # Workers are separate processes; they find Redis through PEERLINE_REDIS_URL.
            os.environ["PEERLINE_LOG_LEVEL"] = settings.log_level
            uvicorn.run("server.web.app:app_factory", factory=True, workers=settings.workers,
                        **config)  # type: ignore[arg-type]
        else:
            from .web.app import create_app

            uvicorn.run(create_app(settings), **config)  # type: ignore[arg-type]
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def _run_store(args: argparse.Namespace, action: Callable[[StaffStore, argparse.Namespace],
                                                           Awaitable[int]]) -> int:
    settings = _settings(args)
    embedded = None
    url = settings.redis_url
    if url is None:
        embedded = start_embedded(settings.resolved_data_dir())
        url = embedded.url

    async def run() -> int:
        redis = connect(url, pool_size=4)
        try:
            return await action(StaffStore(redis, Keys(settings.key_prefix),
                                           settings.token_ttl_s), args)
        finally:
            await redis.aclose()

    try:
        return asyncio.run(run())
    finally:
        if embedded is not None:
            embedded.stop()


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise PeerlineError("no password on standard input")
    return password


async def _staff_add(store: StaffStore, args: argparse.Namespace) -> int:
    langs = cli_network.languages(args.languages)
    if args.department:
        await cli_network.staffing(store).departments.require(args.department)
    password = SSO_ONLY if args.sso_only else _read_password()
    # Made on the command line, an account is trained unless --untrained (deployments that
    # script their accounts keep working as before training status existed).
    account = await store.add(args.username, args.role, password, tier=args.tier,
                              alias=args.alias, level=args.level or "",
                              department=args.department or "", trained=not args.untrained,
                              languages=langs)
    where = (f", {account.level}" + (f" {account.department}" if account.department else "")
             if account.role == "counselor" else "")
    print(f"added {account.role} {account.username} (alias {account.alias!r}, tier "
          f"{account.tier}{where}{', untrained' if not account.trained else ''})")
    await cli_network.staffing(store).audit_log.write(
        "staff_added", by=cli_network.CLI_ACTOR, target=account.username, role=account.role,
        department=account.department or None, trained=int(account.trained))
    return 0


async def _staff_reset_2fa(store: StaffStore, args: argparse.Namespace) -> int:
    if await store.get(args.username) is None:
        raise PeerlineError(f"no staff account {args.username!r}")
    had = await SignInStore(store.redis, store.keys).reset_totp(args.username)
    await store.revoke_all(args.username)
    print(f"second factor of {args.username} {'removed' if had else 'was not set up'}; "
          f"it enrols again at its next sign-in; its tokens are revoked")
    return 0


async def _staff_able(store: StaffStore, args: argparse.Namespace, disable: bool) -> int:
    if await store.get(args.username) is None:
        raise PeerlineError(f"no staff account {args.username!r}")
    await SignInStore(store.redis, store.keys).set_disabled(args.username, disable)
    if disable:
        await store.revoke_all(args.username)
    print(f"{args.username} {'disabled; its tokens are revoked' if disable else 'enabled'}")
    return 0


async def _staff_list(store: StaffStore, args: argparse.Namespace) -> int:
    signin = SignInStore(store.redis, store.keys)
    for a in await store.list():
        created = time.strftime("%Y-%m-%d", time.gmtime(a.created))
        flags = await signin.flags(a.username)
        notes = ",".join(n for n, on in (("sso-only", flags.sso_only), ("2fa", flags.second_factor),
                                         ("disabled", flags.disabled)) if on) or "-"
        where = (a.level + (f":{a.department}" if a.department else "")
                 if a.role == "counselor" else ("trained" if a.trained else "untrained"))
        print(f"{a.username}\t{a.role}\ttier {a.tier}\t{where}\t{a.alias}\tsince {created}\t"
              f"{notes}")
    return 0


async def _staff_remove(store: StaffStore, args: argparse.Namespace) -> int:
    await store.remove(args.username)
    print(f"removed {args.username}; its tokens are revoked")
    return 0


async def _staff_passwd(store: StaffStore, args: argparse.Namespace) -> int:
    await store.set_password(args.username, _read_password())
    print(f"password of {args.username} changed; its tokens are revoked")
    return 0


async def _staff_import(store: StaffStore, args: argparse.Namespace) -> int:
    added = 0
    for number, line in enumerate(args.file.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) not in (3, 4):
            raise PeerlineError(f"{args.file}:{number}: want 'username role password [tier]'")
        tier = int(fields[3]) if len(fields) == 4 else 1
        await store.add(fields[0], fields[1], fields[2], tier=tier)
        added += 1
    print(f"imported {added} accounts")
    return 0


async def _backup(store: StaffStore, args: argparse.Namespace) -> int:
    taken = await backups.snapshot(store.redis, store.keys)
    await asyncio.to_thread(backups.write, taken, args.out)
    counts = ", ".join(f"{n} {kind}" for kind, n in taken.manifest["counts"].items())
    print(f"backed up {taken.manifest['keys']} keys ({counts}) to {args.out}")
    return 0


async def _restore(store: StaffStore, args: argparse.Namespace) -> int:
    backup = await asyncio.to_thread(backups.read, args.file)
    if backup.manifest["prefix"] != store.keys.p:
        print(f"note: the backup's key prefix is {backup.manifest['prefix']!r}; serve with "
              f"PEERLINE_KEY_PREFIX={backup.manifest['prefix']} to use it", file=sys.stderr)
    done = await backups.restore(store.redis, backup, force=args.force)
    print(f"restored {done.restored} keys from {_utc(backup.manifest['taken_at'])} UTC; "
          f"{done.expired} had passed their retention and were not restored")
    return 0


async def _alerts_list(store: StaffStore, args: argparse.Namespace) -> int:
    redis = store.redis
    ids = await redis.zrevrange(store.keys.alerts_all, 0, args.limit - 1)
    print("alert\traised (UTC)\tseverity\tstate\tseconds to claim\toutcome")
    for raw_id in ids:
        aid = raw_id.decode()
        raw = await redis.hgetall(store.keys.alert(aid))
        a = {k.decode(): v.decode() for k, v in raw.items()}
        if not a:
            continue
        raised = int(a.get("raised_at", 0))
        to_claim = (f"{(int(a['claimed_at']) - raised) / 1000:.1f}" if a.get("claimed_at")
                    else "-")
        print(f"{aid}\t{_utc(raised)}\t{a.get('severity')}\t{a.get('state')}\t{to_claim}\t"
              f"{a.get('outcome', '-')}")
    return 0


async def _alerts_show(store: StaffStore, args: argparse.Namespace) -> int:
    redis = store.redis
    raw = await redis.hgetall(store.keys.alert(args.alert))
    a = {k.decode(): v.decode() for k, v in raw.items()}
    if not a:
        raise PeerlineError(f"no alert {args.alert}")
    # The excerpt is a seeker's words: the audit view shows the facts, not the text.
    for field in ("session", "severity", "reason", "categories", "raised_by", "state", "tier",
                  "claimed_by", "outcome", "resolved_by", "note"):
        if a.get(field):
            print(f"{field}: {a[field]}")
    print(f"raised_at: {_utc(int(a['raised_at']))}")
    print("audit:")
    for _, entry in await redis.xrange(store.keys.audit, "-", "+"):
        e = {k.decode(): v.decode() for k, v in entry.items()}
        if e.get("alert") != args.alert:
            continue
        rest = " ".join(f"{k}={v}" for k, v in e.items() if k not in ("alert", "ts", "event"))
        print(f"  {_utc(int(e['ts']))}  {e['event']:<16} {rest}")
    return 0


async def _hours_set(store: StaffStore, args: argparse.Namespace) -> int:
    hours = await HoursStore(store.redis, store.keys).set(
        args.spec, args.message_zh, args.message_en, args.open_when_on_call)
    print(f"hours set: {hours.spec}")
    return 0


async def _hours_show(store: StaffStore, args: argparse.Namespace) -> int:
    setting = await HoursStore(store.redis, store.keys).get()
    print(f"hours: {setting.hours.spec}")
    if setting.open_when_on_call:
        print("open while a counselor is on call")
    for lang, message in (("zh", setting.message_zh), ("en", setting.message_en)):
        if message:
            print(f"message ({lang}): {message}")
    return 0


async def _canned_list(store: StaffStore, args: argparse.Namespace) -> int:
    for item in await CannedStore(store.redis, store.keys).items():
        print(f"{item['id']}\t{item['lang']}\t{item['category']}\t{item['title']}")
    return 0


async def _canned_import(store: StaffStore, args: argparse.Namespace) -> int:
    try:
        raw = json.loads(args.file.read_text(encoding="utf-8"))
        items = [CannedReply.model_validate(entry) for entry in raw]
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise PeerlineError(f"{args.file}: {str(exc)[:300]}") from None
    await CannedStore(store.redis, store.keys).replace_all(items)
    print(f"imported {len(items)} templates")
    return 0


def _utc(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000))


if __name__ == "__main__":
    sys.exit(main())
