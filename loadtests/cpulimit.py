"""A CPU budget per server process, through a control group of its own (Linux, root).

Why: on a small machine the load generator, Redis and the servers share the same cores, so
"two server processes move more than one" measures the cores, not the server: one process
already takes the core the second one would need. Giving each server process a fixed CPU budget
(the CFS quota of its own cgroup: ``0.4`` = 4 ms of CPU in every 10 ms) makes each one a small
machine of its own; adding a second process then adds a second budget, as adding a core or a
machine does in production, and the generator and Redis keep the cores that are left.

The budget covers the process and everything it starts (uvicorn workers): the command is
wrapped in ``sh -c`` that enters the group and then ``exec``s it, so nothing runs outside it
even for a moment. cgroup v2 (``cpu.max``) is used where its cpu controller is available,
else v1 (``cpu.cfs_quota_us``). Groups are removed when their process has exited.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PERIOD_US = 10_000
"""A short period: a process over its budget waits at most 10 ms, so the budget behaves like a
slower core rather than a core that stops for most of every tenth of a second."""
V2_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
V1_ROOT = Path("/sys/fs/cgroup/cpu")
GROUP_PREFIX = "peerline-loadtest-"


class CpuLimitUnavailable(RuntimeError):
    """No writable cgroup with a CPU controller here (not Linux, not root, or none mounted)."""


def _v2_root() -> Path | None:
    for root in V2_ROOTS:
        controllers = root / "cgroup.controllers"
        try:
            if "cpu" in controllers.read_text().split() and os.access(root, os.W_OK):
                return root
        except OSError:
            continue
    return None


@dataclass
class CpuGroup:
    """One control group with a CPU quota; ``wrap`` a command to run it inside."""

    path: Path

    @classmethod
    def create(cls, name: str, cpus: float) -> CpuGroup:
        """A new group ``GROUP_PREFIX + name`` limited to ``cpus`` cores (e.g. ``0.4``)."""
        if not 0.1 <= cpus <= 64:  # the kernel's least quota is 1 ms of a period
            raise ValueError(f"a CPU budget must be 0.1 to 64 cores, not {cpus}")
        quota = int(cpus * PERIOD_US)
        v2 = _v2_root()
        try:
            if v2 is not None:
                if "cpu" not in (v2 / "cgroup.subtree_control").read_text().split():
                    (v2 / "cgroup.subtree_control").write_text("+cpu")
                path = v2 / f"{GROUP_PREFIX}{name}"
                path.mkdir(exist_ok=True)
                (path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            else:
                if not (V1_ROOT / "cpu.cfs_quota_us").exists():
                    raise CpuLimitUnavailable("no cgroup with a cpu controller is mounted")
                path = V1_ROOT / f"{GROUP_PREFIX}{name}"
                path.mkdir(exist_ok=True)
                (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (path / "cpu.cfs_quota_us").write_text(str(quota))
        except PermissionError as exc:
            raise CpuLimitUnavailable(f"cannot create a cgroup (run as root): {exc}") from exc
        except OSError as exc:
            raise CpuLimitUnavailable(f"cannot set a CPU quota: {exc}") from exc
        return cls(path)

    def wrap(self, cmd: Sequence[str]) -> list[str]:
        """``cmd``, entering this group before it starts (all its children inherit it)."""
        procs = self.path / "cgroup.procs"
        return ["sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "sh", *cmd]

    def throttled(self) -> tuple[int, float]:
        """Periods in which the group hit its quota, and the time it then waited (s)."""
        fields = dict(
            line.split(" ", 1) for line in (self.path / "cpu.stat").read_text().splitlines()
        )
        periods = int(fields.get("nr_throttled", 0))
        if "throttled_usec" in fields:
            return periods, int(fields["throttled_usec"]) / 1e6
        return periods, int(fields.get("throttled_time", 0)) / 1e9

    def remove(self) -> None:
        """Delete the group (its processes must have exited); quietly leaves a busy one."""
        with contextlib.suppress(OSError):
            self.path.rmdir()
