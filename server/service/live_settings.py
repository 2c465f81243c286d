"""Live settings: the admin's changes applied on every process without a restart.

What it owns, on each process:

- ``crisis`` and ``self_help``: the lists handed at wiring time to every use case that shows
  resources (escalation, intake, the between-chats pages, ``GET /api/resources``). A change
  replaces their contents *in place* (slice assignment, one step of the event loop), so every
  holder reads the current numbers without being told; nobody may keep a copy.
- ``times``: the escalation timings, read at each use (``LiveTimes``): the tier timeout of the
  next alert step, the cooldown of the next crisis chat's helper.
- operating hours stay in ``store.hours`` (written here and by ``peerline hours set``); intake
  reads them through its own one-second cache.

``run`` polls the stored version every ``refresh_s`` (1 s): a change made on any process, or
while this one was cut off from Redis, reaches it within 2 s. Every change is audited (who and
which settings, never their old or new text).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..core.live_settings import SettingsChange
from ..store.hours import HoursStore
from ..store.live_settings import LiveSettings, LiveSettingsStore

log = logging.getLogger("peerline.settings")

Audit = Callable[..., Awaitable[None]]
"""``audit(event, by=…, **fields)``: writes one record of the audit trail (``AuditLog.write``)."""


@dataclass(frozen=True, slots=True)
class Defaults:
    """The start-up values (``PEERLINE_*`` settings, the resources file): used until changed."""

    crisis: list[dict[str, Any]]
    self_help: list[dict[str, Any]]
    tier_timeout_s: float
    cooldown_s: float


class LiveTimes:
    """The escalation timings as ``Escalation`` reads them (``EscalationTimes``' fields), with
    the tier timeout and cooldown taken from the live settings at each read."""

    def __init__(self, live: LiveConfig, resources_fallback_s: float,
                 no_contact_s: float) -> None:
        self._live = live
        self.resources_fallback_s = resources_fallback_s
        self.no_contact_s = no_contact_s

    @property
    def tier_timeout_s(self) -> float:
        return self._live.tier_timeout_s

    @property
    def cooldown_s(self) -> float:
        return self._live.cooldown_s


class LiveConfig:
    def __init__(self, *, store: LiveSettingsStore, hours: HoursStore, defaults: Defaults,
                 crisis: list[dict[str, Any]], self_help: list[dict[str, Any]],
                 audit: Audit, refresh_s: float = 1.0) -> None:
        self.store = store
        self.hours = hours
        self.defaults = defaults
        self.crisis = crisis
        self.self_help = self_help
        self.audit = audit
        self.refresh_s = refresh_s
        self.tier_timeout_s = defaults.tier_timeout_s
        self.cooldown_s = defaults.cooldown_s
        self.version = 0

    def times(self, resources_fallback_s: float, no_contact_s: float) -> LiveTimes:
        return LiveTimes(self, resources_fallback_s, no_contact_s)

    # -- keeping this process current ------------------------------------------------------

    async def refresh(self) -> bool:
        """Apply the stored settings if they changed since the last look; True if they did."""
        version = await self.store.version()
        if version == self.version:
            return False
        self.apply(await self.store.read())
        return True

    def apply(self, stored: LiveSettings) -> None:
        self.crisis[:] = stored.crisis if stored.crisis is not None else self.defaults.crisis
        self.self_help[:] = (stored.self_help if stored.self_help is not None
                             else self.defaults.self_help)
        self.tier_timeout_s = (stored.tier_timeout_s if stored.tier_timeout_s is not None
                               else self.defaults.tier_timeout_s)
        self.cooldown_s = (stored.cooldown_s if stored.cooldown_s is not None
                           else self.defaults.cooldown_s)
        self.version = stored.version

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until the process stops; a Redis fault only delays the next look."""
        while not stopping.is_set():
            try:
                await self.refresh()
            except Exception as exc:  # Redis down or slow: keep the values in force
                log.warning("live settings not refreshed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.refresh_s)

    # -- the admin's view and changes ------------------------------------------------------

    async def current(self) -> dict[str, Any]:
        """``GET /api/admin/settings``: every live setting as it is in force now."""
        await self.refresh()
        hours = await self.hours.get()
        return {
            "hours": hours.hours.spec,
            "hours_message": {"zh": hours.message_zh, "en": hours.message_en},
            "open_when_on_call": hours.open_when_on_call,
            "resources": {"crisis": list(self.crisis), "self_help": list(self.self_help)},
            "tier_timeout_s": self.tier_timeout_s,
            "cooldown_s": self.cooldown_s,
            "version": self.version,
        }

    async def change(self, change: SettingsChange, actor: str) -> dict[str, Any]:
        """Store a validated change, apply it here at once, audit it; answer ``current``."""
        fields = change.changed()
        if {"hours", "hours_message", "open_when_on_call"} & set(fields):
            await self._change_hours(change)
        resources = None
        if change.resources is not None:
            resources = change.resources.model_dump(mode="json")
        await self.store.write(resources=resources, tier_timeout_s=change.tier_timeout_s,
                               cooldown_s=change.cooldown_s)
        await self.refresh()
        await self.audit("settings_changed", by=actor, settings=",".join(fields))
        log.info("settings changed: %s", ",".join(fields))
        return await self.current()

    async def _change_hours(self, change: SettingsChange) -> None:
        now = await self.hours.get()
        message = change.hours_message
        # The spec was parsed by SettingsChange; the store parses it again (InvalidHours).
        await self.hours.set(
            change.hours if change.hours is not None else now.hours.spec,
            message.zh if message is not None else now.message_zh,
            message.en if message is not None else now.message_en,
            (change.open_when_on_call if change.open_when_on_call is not None
             else now.open_when_on_call))
