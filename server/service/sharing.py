"""Cards in a chat (``share``): a helper sends a library item, a seeker a mood summary.

A card is a live frame to the session's participants, not a line of the transcript: it is not
stored, numbered or replayed (a reconnecting seeker can open the library again). A seeker's
mood summary is figures the browser computed from its own diary; the diary itself is never
linked to a chat, and notes are never part of a summary.
"""

from __future__ import annotations

import time
from typing import Any

from ..core import frames
from ..core.errors import Forbidden, NotFound, ProtocolError
from ..core.participant import MONITOR
from ..core.protocol import Share
from ..store.sessions import SessionStore
from .library import Library
from .ports import Delivery, Reply
from .refusals import refusal_for

CARD_FIELDS = ("id", "kind", "lang", "title", "summary", "author", "quote", "phone", "hours",
               "url")


class Sharing:
    def __init__(self, *, library: Library, sessions: SessionStore, delivery: Delivery) -> None:
        self.library = library
        self.sessions = sessions
        self.delivery = delivery

    async def share(self, reply: Reply, frame: Share) -> None:
        who = reply.who
        role = who.sessions.get(frame.session)
        if role is None:
            raise await refusal_for(self.sessions, who, frame.session)
        if role == MONITOR:
            # A supervisor watches unseen: a card from them would tell the seeker they are there.
            raise Forbidden("a supervisor watching a chat cannot share into it; join it first")
        if (frame.item is None) == (frame.mood is None):
            raise ProtocolError("share needs either item or mood")
        card: dict[str, Any]
        if frame.item is not None:
            if role == "seeker":
                raise Forbidden("a seeker shares a mood summary, not library items")
            item = await self.library.store.get(frame.item)
            if item is None or not item.get("published"):
                raise NotFound("no published library item with this id")
            card = {k: item.get(k) for k in CARD_FIELDS if item.get(k) is not None}
            card["item_kind"] = item["kind"]
            card["kind"] = "library"
        else:
            if role != "seeker":
                raise Forbidden("only the seeker shares their mood summary")
            assert frame.mood is not None
            card = {"kind": "mood", **frame.mood.model_dump()}
        out = frames.card(frame.session, role, who.alias, card, int(time.time() * 1000))
        await self.delivery.to_session(frame.session, out, exclude=who.uid)
        reply.send(frames.with_ref(dict(out), frame.ref))
