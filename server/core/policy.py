"""The rules of the service as plain functions: no I/O, no clock unless passed in.

Each rule here used to be written inline in the use case that applied it, and was tested only
end to end; here each is tested directly (tests/unit/test_policy.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import NotInSession, SessionEnded
from .participant import OVERSEER_ROLES, PEER_ROLES, STAFF_ROLES, SUPERVISOR_ROLES

# -- the queue ------------------------------------------------------------------------------

NORMAL_PRIORITY = 0
RAISED_PRIORITY = 1
"""A waiting seeker whose words put them on the watch list (severity 2)."""
REQUEUED_PRIORITY = 2
"""A seeker whose helper dropped: back to the front."""
CRISIS_PRIORITY = 3
"""A waiting seeker whose words page a counselor (severity 3)."""


def queue_priority(severity: int) -> int:
    """Where a seeker's words put them in the queue (``matching.Priority`` has the same values)."""
    if severity >= 3:
        return CRISIS_PRIORITY
    if severity == 2:
        return RAISED_PRIORITY
    return NORMAL_PRIORITY


def leave_reason(state: str | None) -> str:
    """Why a session ended when its seeker or helper left: still waiting means cancelled."""
    return "cancelled" if state == "queued" else "left"


# -- who may do what ------------------------------------------------------------------------


def role_in(members: dict[str, str], uid: str) -> str | None:
    """The role ``uid`` holds in a session whose members are ``{role: uid}``."""
    for role in PEER_ROLES:
        if uid and members.get(role) == uid:
            return role
    return None


def refusal(state: str | None, members: dict[str, str], former_helper: str,
            uid: str) -> NotInSession | SessionEnded:
    """The error for a frame naming a session its sender is not (or no longer) in.

    Someone who was in a session that has ended is told it ended; a helper whose session a
    counselor took over is told so; anyone else is simply not in it.
    """
    if state == "ended" and uid and (uid in members.values() or uid == former_helper):
        return SessionEnded("this session has ended")
    if state is not None and uid and former_helper == uid:
        return SessionEnded("a counselor took this session over")
    return NotInSession("you are not in this session")


def may_send(route_role: str, role: str) -> bool:
    """Whether a connection of ``role`` may send a frame routed to ``route_role``
    (``*`` anyone, ``staff`` helpers, counselors and admins, ``supervisor`` those who may watch
    over sessions, else exactly that role)."""
    return (route_role in ("*", role)
            or (route_role == "staff" and role in STAFF_ROLES)
            or (route_role == "supervisor" and role in SUPERVISOR_ROLES))


def oversees(role: str) -> bool:
    """Whether a connection of ``role`` gets every counselor frame (alerts at every level, the
    watch list, claims, warnings) whether or not it is on call: the admins."""
    return role in OVERSEER_ROLES


# -- grace periods --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Graces:
    """How long someone may be gone before what they were doing is handed on."""

    queued_seeker_s: float
    seeker_s: float
    helper_s: float
    counselor_s: float


def seeker_grace(state: str | None, graces: Graces) -> float | None:
    """How long a dropped seeker's session waits for them; None when there is nothing to keep."""
    if state is None or state == "ended":
        return None
    return graces.queued_seeker_s if state == "queued" else graces.seeker_s


def helper_grace(open_sessions: int, graces: Graces) -> float | None:
    """A dropped helper with seekers keeps them for a while; one without has nothing to keep."""
    return graces.helper_s if open_sessions else None


def counselor_grace(session_roles: Iterable[str], graces: Graces) -> float | None:
    """A dropped counselor keeps their claims for a while if they were in a session."""
    return graces.counselor_s if any(r == "counselor" for r in session_roles) else None


# -- escalation -----------------------------------------------------------------------------

ALL_TIERS = 99
"""An alert's tier once it has gone to every on-call counselor."""
EXCERPT_CHARS = 200
REASON_CHARS = 300
FLAG_MATCHES = 10
"""How many matched words a ``flag`` shows the helper."""


# -- levels: department counselors, then the centre (issue 19) ---------------------------------

DEPARTMENT = "department"
CENTRE = "centre"
EVERYONE = "all"
"""The stages of an alert's delivery, stored with it (``Alert.level``); '' = not delivered."""


@dataclass(frozen=True, slots=True)
class OnCallCounselor:
    """A counselor on call, as routing sees them: an old tiered account is ``centre``."""

    tier: int = 1
    level: str = CENTRE
    department: str = ""


@dataclass(frozen=True, slots=True)
class Route:
    """Where an alert goes next: to ``stage`` (department, centre or everyone), at centre
    ``tier`` (0 at the department stage, ``ALL_TIERS`` for everyone), for ``department``."""

    stage: str
    tier: int
    department: str = ""
    tiers: tuple[int, ...] = ()
    """The centre tiers reached (every tier up to ``tier``) at a centre stage."""

    @property
    def final(self) -> bool:
        return self.stage == EVERYONE

    @property
    def shown_level(self) -> str | None:
        """The ``level`` field of the ``alert`` frame: department, centre, or null (all)."""
        return None if self.stage == EVERYONE else self.stage

    def audience(self) -> dict[str, Any] | None:
        """Who gets the alert, as ``reaches`` reads it (None: everyone on call)."""
        if self.stage == DEPARTMENT:
            return {"levels": [], "departments": [self.department]}
        if self.stage == CENTRE:
            return {"levels": [CENTRE], "departments": [], "tiers": list(self.tiers)}
        return None


def next_route(stage: str, tier: int, on_call: Iterable[OnCallCounselor], department: str,
               first: bool) -> Route | None:
    """The levels' hand-off. An alert for a seeker who named a department goes first to that
    department's on-call counselors; each tier timeout widens it: to the centre (its lowest
    tier on call, then the next tier up, as before levels), then to everyone on call. With no
    department, or nobody of it on call, it starts at the centre; with no centre counselor on
    call, it goes to everyone at once. None: nobody is on call, or it has gone to everyone.

    ``stage``/``tier`` say how far it has gone ('' / 0: not yet); ``first`` delivers from the
    start whatever they are (a new or re-opened alert).
    """
    counselors = list(on_call)
    if not counselors:
        return None
    stages: list[Route] = []
    if department and any(c.level == DEPARTMENT and c.department == department
                          for c in counselors):
        stages.append(Route(DEPARTMENT, 0, department))
    centre = sorted({c.tier for c in counselors if c.level != DEPARTMENT})
    stages += [Route(CENTRE, t, department, tuple(x for x in centre if x <= t)) for t in centre]
    stages.append(Route(EVERYONE, ALL_TIERS, department))
    if first or not stage:
        return stages[0]
    if stage == EVERYONE:
        return None
    if stage == DEPARTMENT:
        return next(r for r in stages if r.stage != DEPARTMENT)
    return next(r for r in stages if r.stage == EVERYONE or (r.stage == CENTRE and r.tier > tier))


def reaches(audience: dict[str, Any] | None, role: str, tier: int, level: str,
            department: str) -> bool:
    """Whether an on-call frame for ``audience`` (``Route.audience``, ``watch_audience``;
    None: everyone) is for this connection. Admins get every one."""
    if audience is None or oversees(role):
        return True
    if level == DEPARTMENT:
        return department in audience.get("departments", ())
    tiers = audience.get("tiers")
    return CENTRE in audience.get("levels", ()) and (tiers is None or tier in tiers)


def watch_audience(department: str) -> dict[str, Any]:
    """The watch list (severity 2) is seen by the seeker's department and the centre; with no
    department, by the centre."""
    return {"levels": [CENTRE], "departments": [department] if department else []}


def shown_tier(level: int) -> int | None:
    """The ``tier`` field of an ``alert`` frame: the tier it is at, or null (new, or everyone)."""
    return None if level in (0, ALL_TIERS) else level


def escalation_severity(max_severity: int) -> int:
    """A helper's ``escalate`` (or a counselor looking in) raises an alert of at least 2."""
    return max(2, max_severity)


def crisis_reason(categories: Sequence[str]) -> str:
    return "crisis language: " + ", ".join(categories[:4])


def should_watch(listed_severity: int, severity: int) -> bool:
    """A session goes on the watch list again only for a higher severity than listed."""
    return severity > listed_severity


def flag_matches(matches: Iterable[Any]) -> list[dict[str, Any]]:
    """The matched words a helper is shown: personal data is never one of them."""
    shown = [{"term": m.term, "category": m.category, "severity": m.severity}
             for m in matches if m.category != "pii"]
    return shown[:FLAG_MATCHES]


def cooldown_until(now_ms: int, cooldown_s: float) -> int:
    return now_ms + int(cooldown_s * 1000)


def pages(severity: int) -> bool:
    """Severity 3 pages an on-call counselor."""
    return severity >= 3


def watches(severity: int) -> bool:
    """Severity 2 puts the session on the watch list, without a page."""
    return severity == 2
