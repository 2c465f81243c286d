"""Intake: who may ask for help now (operating hours, seekers paused after repeated abuse).

Both refusals keep help in sight: the error carries the crisis resources (``resources``), and
``GET /api/hours`` tells the seeker page, before anyone writes, that the centre is closed.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from ..core.errors import Blocked, Closed
from ..core.participant import Participant
from ..store.blocks import BlockStore
from ..store.hours import HoursStore
from ..store.presence import Presence


class Intake:
    """The gate before the queue: ``check`` raises the refusal, ``status`` is ``GET /api/hours``.

    Not to be confused with ``service.admission`` (new anonymous identities' proof-of-work).
    """

    def __init__(self, *, hours: HoursStore, blocks: BlockStore, presence: Presence,
                 timezone: str | None, crisis_resources: list[dict[str, Any]]) -> None:
        self.hours = hours
        self.blocks = blocks
        self.presence = presence
        self.tz: tzinfo | None = ZoneInfo(timezone) if timezone else None
        self.crisis_resources = crisis_resources

    def now(self) -> datetime:
        """Now in the deployment's time zone (the machine's, unless ``PEERLINE_TIMEZONE``)."""
        return datetime.now(self.tz) if self.tz else datetime.now()

    async def status(self) -> dict[str, Any]:
        """``GET /api/hours``: open now, when it next opens (ms), the centre's message."""
        setting = await self.hours.get()
        now = self.now()
        is_open = setting.hours.is_open(now)
        if not is_open and setting.open_when_on_call and await self.presence.on_call():
            is_open = True
        next_open = None if is_open else setting.hours.next_open(now)
        return {"open": is_open,
                "next_open": int(next_open.timestamp() * 1000) if next_open else None,
                "message": {"zh": setting.message_zh, "en": setting.message_en},
                "spec": setting.hours.spec}

    async def check(self, who: Participant) -> None:
        """Raise ``Closed`` or ``Blocked`` when this seeker may not ask for help now."""
        paused = await self.blocks.paused_for_s(who.uid)
        if paused:
            raise Blocked("after repeated reports from helpers you cannot start a new chat "
                          f"for now (about {max(1, paused // 60)} min); if you are in danger, "
                          "call one of these numbers now", resources=self.crisis_resources,
                          retry_after_s=paused)
        status = await self.status()
        if not status["open"]:
            raise Closed("the centre is closed now; if you are in danger, call one of these "
                         "numbers now", resources=self.crisis_resources,
                         next_open=status["next_open"], message=status["message"])
