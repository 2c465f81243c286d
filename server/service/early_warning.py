"""Early warning: checking the conditions, raising warnings, and their acknowledgement.

Every ``check_s`` one process (the winner of ``SET NX`` on that slot, ``StatsStore.elect``)
reads the statistics' hour buckets and the queue, and runs the pure rules of
``core/early_warning.py`` with the thresholds stored in Redis (so a change made through any
process applies at the next check). A finding whose condition was not warned of within its
repeat window becomes a warning: stored, and sent as a ``warning`` frame to the counselors on
call at the centre's level and to every admin online. A person acknowledges it
(``ack_warning`` or HTTP); everyone who got it then gets ``warning_acked``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from ..core import early_warning as rules
from ..core import frames
from ..core.errors import BadInput, Forbidden, NotFound
from ..core.ids import new_id
from ..core.participant import Participant
from ..core.policy import CENTRE
from ..core.stats import add_into, hour_of
from ..store.early_warning import StoredWarning, WarningStore
from ..store.health import unavailable
from ..store.stats import StatsStore
from .ports import Delivery, Reply

log = logging.getLogger("peerline.warnings")

ACK_ROLES = ("admin", "counselor")
Audit = Callable[..., Awaitable[None]]
"""Writes an audit record: ``audit(event, **fields)`` (who, what; the store adds when)."""


class EarlyWarning:
    def __init__(self, *, stats: StatsStore, store: WarningStore, delivery: Delivery,
                 audit: Audit, check_s: float, stopping: asyncio.Event) -> None:
        self.stats = stats
        self.store = store
        self.delivery = delivery
        self.audit = audit
        self.check_s = check_s
        self.stopping = stopping

    # -- thresholds --------------------------------------------------------------------------

    async def thresholds(self) -> rules.Thresholds:
        stored = await self.store.thresholds()
        if not stored:
            return rules.Thresholds()
        try:
            return rules.Thresholds.model_validate(stored)
        except ValidationError:  # written by an older version: the defaults, said once a check
            log.warning("stored warning thresholds are not valid; using the defaults")
            return rules.Thresholds()

    async def set_thresholds(self, by: str, values: Any) -> rules.Thresholds:
        """Replace the thresholds (fields not given keep their value); audited."""
        if not isinstance(values, dict):
            raise BadInput("send a JSON object of thresholds")
        current = await self.thresholds()
        try:
            updated = rules.Thresholds.model_validate({**current.model_dump(), **values})
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise BadInput(f"{where}: {first['msg']}") from None
        await self.store.set_thresholds(updated.model_dump())
        changed = {k: v for k, v in updated.model_dump().items()
                   if current.model_dump()[k] != v}
        await self.audit("warning_thresholds", by=by,
                         changed=",".join(f"{k}={v}" for k, v in sorted(changed.items())))
        return updated

    # -- checking ----------------------------------------------------------------------------

    async def check(self, now_s: float | None = None) -> list[StoredWarning]:
        """Evaluate every condition now and raise what is new. Returns the warnings raised."""
        now_s = time.time() if now_s is None else now_s
        thresholds = await self.thresholds()
        window_hours, baseline_hours = rules.periods(hour_of(now_s), thresholds)
        buckets = await self.stats.read(window_hours + baseline_hours)
        window: dict[str, int] = {}
        baseline: dict[str, int] = {}
        for hour in window_hours:
            add_into(window, buckets[hour])
        for hour in baseline_hours:
            add_into(baseline, buckets[hour])
        findings = rules.rising(window, baseline, len(baseline_hours), thresholds)
        queue_length, longest_ms = await self.stats.longest_wait_ms(int(now_s * 1000))
        helpers = await self.stats.helper_sample(int(now_s * 1000))
        findings += rules.demand(None if longest_ms is None else longest_ms / 1000,
                                 helpers.free, queue_length, thresholds)
        raised = []
        for finding in findings:
            if await self.store.first_time(finding.condition, rules.repeat_after_s(thresholds)):
                raised.append(await self._raise(finding, int(now_s * 1000)))
        return raised

    async def _raise(self, finding: rules.Finding, now_ms: int) -> StoredWarning:
        warning = StoredWarning(wid=new_id(), kind=finding.kind, topic=finding.topic,
                                department=finding.department, detail=finding.detail,
                                raised_at=now_ms, figures=finding.figures)
        await self.store.add(warning)
        log.info("early warning %s raised (%s)", warning.wid, warning.kind)
        await self.audit("warning_raised", by="server", warning=warning.wid,
                         kind=warning.kind, topic=warning.topic,
                         department=warning.department)
        await self.delivery.to_on_call(frame_of(warning), audience=rules.AUDIENCE)
        return warning

    async def run(self) -> None:
        """Background duty: a check per slot, by whichever process wins the slot."""
        quiet = False
        while not self.stopping.is_set():
            try:
                await asyncio.sleep(self.check_s - time.time() % self.check_s + 0.05)
                slot = int(time.time() // self.check_s)
                if await self.stats.elect("warn", slot, int(self.check_s * 2) + 1):
                    await self.check()
                quiet = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if unavailable(exc) is None:
                    log.exception("early-warning check failed")
                elif not quiet:
                    log.warning("early-warning check waits for redis")
                quiet = unavailable(exc) is not None

    # -- reading and acknowledging -----------------------------------------------------------

    async def listed(self, state: str) -> list[dict[str, Any]]:
        if state not in ("open", "all"):
            raise BadInput("state: open or all")
        found = await self.store.recent()
        return [item_of(w) for w in found if state == "all" or w.acked_by is None]

    async def acknowledge(self, by: str, wid: str,
                          exclude: str | None = None) -> StoredWarning:
        """Acknowledge a warning (the first person's name stays) and tell everyone who got it
        (but ``exclude``, who is answered directly). Acknowledging again changes nothing."""
        at = int(time.time() * 1000)
        warning = await self.store.ack(wid, by, at)
        if warning is None:
            raise NotFound("no such warning")
        assert warning.acked_by is not None and warning.acked_at is not None
        if warning.acked_by == by and warning.acked_at == at:
            await self.audit("warning_acked", warning=wid, by=by)
            await self.delivery.to_on_call(
                frames.warning_acked(wid, warning.acked_by, warning.acked_at), exclude=exclude,
                audience=rules.AUDIENCE)
        return warning

    async def ack_frame(self, who: Participant, reply: Reply, wid: str,
                        ref: str | None) -> None:
        """``ack_warning`` from an admin or counselor; anyone else is ``forbidden``."""
        if who.role not in ACK_ROLES:
            raise Forbidden(f"a {who.role} cannot acknowledge warnings")
        if who.role == "counselor" and who.level != CENTRE:
            raise Forbidden("warnings are acknowledged at the centre's level")
        warning = await self.acknowledge(staff_name(who), wid, exclude=who.uid)
        assert warning.acked_by is not None and warning.acked_at is not None
        reply.send(frames.warning_acked(wid, warning.acked_by, warning.acked_at, ref))


def staff_name(who: Participant) -> str:
    """A staff member's username (their uid is ``<role letter>.<username>``)."""
    return who.uid.split(".", 1)[1] if "." in who.uid else who.uid


def frame_of(warning: StoredWarning) -> dict[str, Any]:
    return frames.warning(warning.wid, warning.kind, warning.topic, warning.department,
                          warning.detail, warning.raised_at, figures=warning.figures)


def item_of(warning: StoredWarning) -> dict[str, Any]:
    """A warning as ``GET /api/admin/warnings`` lists it."""
    return {"warning": warning.wid, "kind": warning.kind,
            "scope": {"department": warning.department, "topic": warning.topic},
            "detail": warning.detail, "raised_at": warning.raised_at,
            "acked_by": warning.acked_by, "acked_at": warning.acked_at,
            "figures": warning.figures}
