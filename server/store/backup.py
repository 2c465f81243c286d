"""Back up and restore every Peerline key: ``peerline backup --out FILE`` / ``peerline restore``.

A backup is a gzip-compressed tar file with two members:

- ``manifest.json``: the schema version, the key prefix, when it was taken, the Redis version
  it came from, and counts (keys in all, and sessions, alerts, staff accounts, seekers);
- ``keys.msgpack``: one ``[key, ttl_ms, dump]`` after another, ``dump`` being Redis's own
  ``DUMP`` serialisation (every type, streams included) and ``ttl_ms`` the time left then
  (``-1``: no expiry).

**Consistent:** the keys are listed with ``SCAN``, then every ``DUMP`` and ``PTTL`` runs in one
``MULTI``/``EXEC`` transaction, which Redis executes with nothing in between: the backup is the
state at that instant (a key made after the listing is not in it; one deleted before is skipped).
A Redis Cluster refuses a transaction across slots; back a cluster up with Redis's own tools.

**Retention is honoured:** a restore subtracts the time since the backup from each key's TTL,
and a key whose time has run out is not restored. A transcript past its retention stays gone.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from ..core.errors import Conflict, PeerlineError
from .keys import SCHEMA_VERSION, Keys

MANIFEST = "manifest.json"
KEYS_MEMBER = "keys.msgpack"
FORMAT = "peerline-backup"


class BadBackup(PeerlineError):
    """The file is not a Peerline backup, or one of a schema this version cannot read."""

    code = "bad_request"


@dataclass
class Backup:
    manifest: dict[str, Any]
    entries: list[tuple[bytes, int, bytes]] = field(default_factory=list)
    """``(key, ttl_ms at backup time or -1, DUMP payload)``."""


def _kind(keys: Keys, key: str) -> str | None:
    """What a key holds, for the manifest's counts (only the things an operator counts)."""
    rest = key[len(keys.p) + 1:]
    if rest.startswith("s:{") and rest.endswith("}"):
        return "sessions"
    if rest.startswith("a:"):
        return "alerts"
    if rest.startswith("staff:") and rest.count(":") == 1:
        return "staff"
    if rest.startswith("seeker:") and rest.count(":") == 1:  # not seeker:<uid>:requests
        return "seekers"
    return None


async def snapshot(redis: aioredis.Redis, keys: Keys) -> Backup:
    """Every key under the prefix, as it was at one instant (see the module docstring)."""
    names = sorted({k async for k in redis.scan_iter(match=f"{keys.p}:*", count=1000)})
    replies: list[Any] = []
    if names:
        async with redis.pipeline(transaction=True) as pipe:
            for name in names:
                pipe.dump(name)
                pipe.pttl(name)
            replies = await pipe.execute()
    taken_at = int(time.time() * 1000)
    entries: list[tuple[bytes, int, bytes]] = []
    counts: Counter[str] = Counter()
    for i, name in enumerate(names):
        dump, ttl = replies[2 * i], replies[2 * i + 1]
        if dump is None or ttl == -2:  # deleted or expired between SCAN and EXEC
            continue
        entries.append((name, int(ttl), dump))
        kind = _kind(keys, name.decode())
        if kind:
            counts[kind] += 1
    info = await redis.info("server")
    manifest = {
        "format": FORMAT,
        "schema": SCHEMA_VERSION,
        "prefix": keys.p,
        "taken_at": taken_at,
        "redis_version": info.get("redis_version"),
        "keys": len(entries),
        "counts": {k: counts.get(k, 0) for k in ("sessions", "alerts", "staff", "seekers")},
    }
    return Backup(manifest, entries)


def write(backup: Backup, path: Path) -> None:
    """Write ``backup`` to ``path`` (tar + gzip), through a temporary file renamed at the end,
    so that a failed backup never leaves a truncated file under the wanted name."""
    packer = msgpack.Packer(use_bin_type=True)
    data = io.BytesIO()
    for entry in backup.entries:
        data.write(packer.pack(list(entry)))
    partial = path.with_name(path.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for name, payload in ((MANIFEST, json.dumps(backup.manifest, indent=2).encode()),
                              (KEYS_MEMBER, data.getvalue())):
            member = tarfile.TarInfo(name)
            member.size = len(payload)
            member.mtime = backup.manifest["taken_at"] // 1000
            member.mode = 0o600
            tar.addfile(member, io.BytesIO(payload))
    partial.chmod(0o600)  # it holds transcripts and password hashes
    partial.replace(path)


def read(path: Path) -> Backup:
    try:
        with tarfile.open(path, "r:gz") as tar:
            manifest = json.loads(_member(tar, MANIFEST))
            if manifest.get("format") != FORMAT:
                raise BadBackup(f"{path} is not a Peerline backup")
            if manifest.get("schema") != SCHEMA_VERSION:
                raise BadBackup(f"{path} has schema {manifest.get('schema')}; this Peerline "
                                f"reads schema {SCHEMA_VERSION}")
            packed = _member(tar, KEYS_MEMBER)
            entries = [(bytes(k), int(t), bytes(d)) for k, t, d in _unpack(packed)]
    except (tarfile.TarError, OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise BadBackup(f"{path} is not a readable Peerline backup ({exc.__class__.__name__})"
                        ) from None
    if len(entries) != manifest.get("keys"):
        raise BadBackup(f"{path} is incomplete: {len(entries)} keys, manifest says "
                        f"{manifest.get('keys')}")
    return Backup(manifest, entries)


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    f = tar.extractfile(name)
    if f is None:
        raise KeyError(name)
    return f.read()


def _unpack(data: bytes) -> Iterator[list[Any]]:
    yield from msgpack.Unpacker(io.BytesIO(data), raw=True, max_buffer_size=len(data) + 1)


@dataclass(frozen=True)
class Restored:
    restored: int
    expired: int
    """Keys whose retention ran out since the backup was taken: not restored."""


async def restore(redis: aioredis.Redis, backup: Backup, *, force: bool = False,
                  now_ms: int | None = None) -> Restored:
    """Put ``backup`` into ``redis``. Refuses (``Conflict``) when keys of the prefix exist,
    unless ``force``, which deletes them first so no old state mixes with the restored one."""
    prefix = backup.manifest["prefix"]
    existing = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    if existing and not force:
        raise Conflict(f"this Redis already holds {len(existing)} Peerline keys under "
                       f"{prefix!r}; restore into an empty one, or pass --force to replace them")
    for i in range(0, len(existing), 500):
        await redis.delete(*existing[i:i + 500])
    elapsed = (now_ms if now_ms is not None else int(time.time() * 1000)) - int(
        backup.manifest["taken_at"])
    restored = expired = 0
    async with redis.pipeline(transaction=False) as pipe:
        for key, ttl, dump in backup.entries:
            if ttl >= 0:
                left = ttl - max(elapsed, 0)
                if left <= 0:
                    expired += 1
                    continue
            else:
                left = 0  # RESTORE's "no expiry"
            pipe.restore(key, left, dump, replace=True)
            restored += 1
            if len(pipe) >= 500:
                await _execute(pipe)
        await _execute(pipe)
    return Restored(restored, expired)


async def _execute(pipe: Any) -> None:
    try:
        await pipe.execute()
    except ResponseError as exc:
        # e.g. "DUMP payload version or checksum are wrong": a backup from a newer Redis.
        raise BadBackup(f"Redis refused a key of the backup: {exc}") from None
