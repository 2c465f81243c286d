"""Blocking: either side of a chat can end it and never be paired with the other again.

- A helper ends a chat as abusive: the pair is barred (``MatchQueue.block``, honoured inside
  ``match.lua`` and ``transfer.lua``) for ``block_s``, and the block is counted against the
  seeker; ``limit`` blocks within the window pause the seeker's requests (``store.blocks``,
  refused with ``blocked`` and the crisis resources).
- A seeker blocks a helper: the same bar, not counted against anyone.
- The audit records who blocked, the session and until when, never the reason's text.
"""

from __future__ import annotations

import time

from matching import MatchQueue

from ..core.errors import Conflict, Forbidden, NotInSession, SessionEnded
from ..core.participant import Participant
from ..core.protocol import Block
from ..store.blocks import BlockStore
from ..store.sessions import SessionStore
from .ending import Ending
from .escalation import Escalation
from .ports import Reply
from .refusals import refusal_for


class Blocking:
    def __init__(self, *, sessions: SessionStore, queue: MatchQueue, blocks: BlockStore,
                 ending: Ending, escalation: Escalation, block_s: int) -> None:
        self.sessions = sessions
        self.queue = queue
        self.blocks = blocks
        self.ending = ending
        self.escalation = escalation
        self.block_s = block_s

    async def block(self, who: Participant, reply: Reply, frame: Block) -> None:
        sid = frame.session
        role = who.role_in(sid)
        if role is None:
            raise await refusal_for(self.sessions, who, sid)
        if role not in ("seeker", "helper"):
            raise Forbidden("only the seeker or the helper of a chat can block")
        session = await self.sessions.get(sid)
        if session is None or session.ended:
            raise SessionEnded("this session has ended")
        if session.members.get(role) != who.uid:
            raise NotInSession("you are not in this session")
        if not session.helper:
            raise Conflict("there is nobody to block yet: this chat is still waiting")
        await self.queue.block(session.seeker, session.helper, self.block_s)
        until = int(time.time()) + self.block_s
        await self.escalation.audit("blocked", session.alert, session=sid, by=role,
                                    helper=session.helper, until=until)
        if role == "helper" and await self.blocks.blocked_by_helper(session.seeker):
            await self.escalation.audit("requests_paused", session.alert, session=sid,
                                        seconds=self.blocks.ban_s)
        if not await self.ending.end(sid, by=role, reason="blocked", leaver=reply,
                                     ref=frame.ref):
            raise SessionEnded("this session has ended")
