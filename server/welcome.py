"""The opening: ``hello`` → ``welcome``, for new and returning seekers and for staff.

A returning person gets back every session they are in (and any that ended while they were
away), then, per session, every message after their ``last_seen`` id, in order, each once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from moderation import RiskContext

from . import protocol as p
from .connection import CLOSE_POLICY, CLOSE_REPLACED
from .errors import Unauthorized

if TYPE_CHECKING:
    from .connection import Connection
    from .services import Services

PEER_ROLES = ("seeker", "helper", "counselor")


class Welcome:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def hello(self, conn: Connection, frame: p.Hello) -> None:
        try:
            if frame.role == "seeker":
                await self._seeker(conn, frame)
            else:
                await self._staff(conn, frame)
        except Unauthorized as exc:
            conn.error(exc, frame.ref)
            conn.close(CLOSE_POLICY, "unauthorized")
            return
        svc = self.svc
        # From here until the transcript is replayed, live frames for this person are held back,
        # so that the welcome comes first and no message is delivered twice or out of order.
        conn.hold()
        old = svc.hub.add_user(conn)
        if old is not None:
            old.close(CLOSE_REPLACED, "replaced by a newer connection")
        svc.metrics.connections.labels(conn.role).inc()
        await svc.sessions.set_location(conn.uid or "")
        await svc.nodes.remember(conn.uid or "", conn.role or "")
        await svc.lifecycle.reconnected(conn)

        summaries: list[dict[str, Any]] = []
        replay: list[tuple[str, str | None]] = []
        last_seen = frame.last_seen or {}
        for sid in await svc.sessions.sessions_of(conn.uid or ""):
            session = await svc.sessions.get(sid)
            if session is None:
                await svc.sessions.forget_for(conn.uid or "", sid)
                continue
            role = _role_in(session, conn.uid or "")
            if role is None:
                await svc.sessions.forget_for(conn.uid or "", sid)
                continue
            summaries.append(await self.summary(sid, session, role))
            if session["state"] == "ended":
                await svc.sessions.forget_for(conn.uid or "", sid)
            else:
                svc.hub.join(conn, sid, role)
                if role == "seeker" and session.get("risk"):
                    conn.risk[sid] = RiskContext.from_dict(json.loads(session["risk"]))
                if session["state"] == "queued" and role == "seeker":
                    svc.matchmaker.watch_position(sid, conn)
            if conn.role == "seeker" or frame.last_seen is not None:
                # Staff get a replay only when they ask for one (a `last_seen`, even empty): a
                # console written to the contract expects no messages it did not ask for.
                replay.append((sid, last_seen.get(sid)))

        welcome: dict[str, Any] = {"type": "welcome", "role": conn.role, "alias": conn.alias,
                                   "sessions": summaries, "node": svc.node}
        if conn.role == "seeker":
            welcome["resume"] = conn.resume_token
        else:
            if conn.role == "counselor":
                await svc.oncall.restore_on_call(conn)
            welcome["presence"] = await svc.matchmaker.presence(conn)
        first: list[dict[str, Any]] = [p.with_ref(welcome, frame.ref)]
        replayed: dict[str, int] = {}
        for sid, after in replay:
            for message in await svc.sessions.messages(sid, after,
                                                       for_staff=conn.role != "seeker"):
                first.append(message)
                replayed[sid] = message["seq"]
        conn.release(first, replayed)
        if conn.role == "helper":
            await svc.matchmaker.helper_online(conn)
        elif conn.role == "counselor":
            await svc.oncall.counselor_online(conn)

    async def _seeker(self, conn: Connection, frame: p.Hello) -> None:
        store = self.svc.seekers
        seeker = await store.resume(frame.resume) if frame.resume else await store.create(
            frame.lang
        )
        conn.uid, conn.role, conn.alias = seeker.uid, "seeker", seeker.alias
        conn.resume_token = seeker.resume
        conn.lang = frame.lang or seeker.lang

    async def _staff(self, conn: Connection, frame: p.Hello) -> None:
        account = await self.svc.staff.authenticate(frame.token, frame.role)
        conn.uid, conn.role, conn.alias, conn.tier = (
            account.uid, account.role, account.alias, account.tier,
        )

    async def summary(self, sid: str, session: dict[str, str], role: str) -> dict[str, Any]:
        """A session as its participant ``role`` sees it."""
        peers = [
            {"role": other, "alias": session.get(f"{other}_alias", "")}
            for other in PEER_ROLES
            if other != role and session.get(other)
        ]
        position = None
        if session["state"] == "queued":
            (position,) = await self.svc.queue.positions([sid])
        out: dict[str, Any] = {"session": sid, "state": session["state"], "peers": peers,
                               "position": position}
        if role != "seeker":
            out.update(topic=session.get("topic"), lang=session.get("lang") or None,
                       note=session.get("note") or None)
            if session.get("alert"):
                out["alert"] = session["alert"]
        if session["state"] == "ended":
            out["ended_by"] = session.get("ended_by")
            out["reason"] = session.get("end_reason")
        return out


def _role_in(session: dict[str, str], uid: str) -> str | None:
    for role in PEER_ROLES:
        if session.get(role) == uid:
            return role
    return None
