"""Client frames as pydantic models, validated in one place.

``parse_frame`` turns a decoded dict into one typed frame or raises the protocol error the client
must get (``bad_frame``, ``unknown_type``, ``too_long``). Unknown extra fields are ignored, as the
contract says. Server frames are built in ``frames.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ProtocolError, TooLong, UnknownType

Ref = Annotated[str, Field(max_length=64)]
SessionId = Annotated[str, Field(min_length=1, max_length=128)]
Topic = Literal["academic", "relationships", "family", "mood", "other"]
Lang = Literal["zh", "en"]
Outcome = Literal["safe", "referred", "emergency_services", "no_contact", "other"]

MAX_TEXT_CHARS = 2000


class Frame(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    ref: Ref | None = None


class Proof(BaseModel):
    """A new seeker's answer to a ``proof_required`` challenge (server/core/proof.py)."""

    challenge: str = Field(max_length=200)
    nonce: str = Field(min_length=1, max_length=64)


class Hello(Frame):
    type: Literal["hello"]
    role: Literal["seeker", "helper", "counselor", "admin"]
    lang: Lang | None = None
    resume: str | None = Field(None, max_length=256)
    token: str | None = Field(None, max_length=256)
    last_seen: dict[SessionId, Annotated[str, Field(max_length=64)]] | None = None
    proof: Proof | None = None


class Request(Frame):
    type: Literal["request"]
    topic: Topic = "other"
    lang: Lang | None = None
    note: str | None = Field(None, max_length=4000)
    mood: int | None = Field(None, ge=1, le=5)
    """How the seeker feels before the chat (1-5; optional): counted, never stored with them."""
    department: str | None = Field(None, max_length=32)
    """The seeker's department, if they chose one (PROTOCOL v1.1; unknown ids: bad_frame)."""


class Status(Frame):
    type: Literal["status"]
    available: bool | None = None
    capacity: int | None = Field(None, ge=0, le=100)
    topics: list[Topic] | None = Field(None, max_length=8)
    langs: list[Lang] | None = Field(None, max_length=4)
    on_call: bool | None = None
    skip_cooldown: bool = False


class Say(Frame):
    type: Literal["say"]
    session: SessionId
    text: str = Field(max_length=64 * 1024)
    resend: bool = False
    """Extension: the client re-sends a frame it may have sent before (same ref and text)."""


class Typing(Frame):
    type: Literal["typing"]
    session: SessionId


class Leave(Frame):
    type: Literal["leave"]
    session: SessionId


class Escalate(Frame):
    type: Literal["escalate"]
    session: SessionId
    reason: str = Field("", max_length=500)


class Claim(Frame):
    type: Literal["claim"]
    alert: str = Field(min_length=1, max_length=128)


class Join(Frame):
    type: Literal["join"]
    session: SessionId


class Takeover(Frame):
    type: Literal["takeover"]
    session: SessionId


class Resolve(Frame):
    type: Literal["resolve"]
    alert: str = Field(min_length=1, max_length=128)
    outcome: Outcome
    note: str = Field("", max_length=2000)


class PassUp(Frame):
    """A department counselor hands the alert they claimed up to the centre (issue 19)."""

    type: Literal["pass_up"]
    alert: str = Field(min_length=1, max_length=128)
    reason: str = Field("", max_length=2000)


class Monitor(Frame):
    """A supervisor opens a session read-only (the seeker is never told)."""

    type: Literal["monitor"]
    session: SessionId


class Unmonitor(Frame):
    type: Literal["unmonitor"]
    session: SessionId


class Whisper(Frame):
    """Staff-only words between a monitoring counselor and the session's helper."""

    type: Literal["whisper"]
    session: SessionId
    text: str = Field(max_length=64 * 1024)


class Note(Frame):
    """A staff-only note kept with the session."""

    type: Literal["note"]
    session: SessionId
    text: str = Field(max_length=64 * 1024)


class Transfer(Frame):
    """The helper hands the session to another helper (by alias) or back to the queue (null)."""

    type: Literal["transfer"]
    session: SessionId
    to: str | None = Field(None, min_length=1, max_length=64)
    note: str = Field("", max_length=1000)


class Block(Frame):
    """End the session and never pair this seeker and this helper again."""

    type: Literal["block"]
    session: SessionId
    reason: str = Field("", max_length=500)


class Feedback(Frame):
    type: Literal["feedback"]
    session: SessionId
    rating: int | None = Field(None, ge=1, le=5)
    feeling: Literal["better", "same", "worse"] | None = None
    mood: int | None = Field(None, ge=1, le=5)
    """How the seeker feels after the chat (1-5; optional), as ``request`` asks before it."""


class Ping(Frame):
    type: Literal["ping"]


class MoodSummary(BaseModel):
    """What a seeker may share of their diary: figures the browser worked out, never notes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    days: int = Field(ge=1, le=366)
    entries: int = Field(ge=1, le=366)
    average: float = Field(ge=1, le=5)
    trend: Literal["falling", "rising", "steady"]
    moods: list[Annotated[int, Field(ge=1, le=5)]] = Field(max_length=60)


class Share(Frame):
    """A card in a chat: a library item (staff) or a mood diary summary (the seeker)."""

    type: Literal["share"]
    session: SessionId
    item: str | None = Field(None, min_length=1, max_length=64)
    mood: MoodSummary | None = None


class AckWarning(Frame):
    """An admin or centre counselor acknowledges an early warning (PROTOCOL.md v1.1)."""

    type: Literal["ack_warning"]
    warning: str = Field(min_length=1, max_length=128)


_MODELS: dict[str, type[Frame]] = {
    "hello": Hello, "request": Request, "status": Status, "say": Say, "typing": Typing,
    "leave": Leave, "escalate": Escalate, "claim": Claim, "join": Join, "takeover": Takeover,
    "resolve": Resolve, "feedback": Feedback, "ping": Ping,
    # Supervision and handover (PROTOCOL.md v1.1).
    "monitor": Monitor, "unmonitor": Unmonitor, "whisper": Whisper, "note": Note,
    "transfer": Transfer, "block": Block,
    "share": Share,
    "ack_warning": AckWarning,
    "pass_up": PassUp,  # the school's network (PROTOCOL.md v1.1)
}
FRAME_TYPES = frozenset(_MODELS)
# Each type's own validator, picked by ``type``: what the discriminated union does, without its
# dispatch (1.1 µs for a ``say`` instead of 2.6).
_VALIDATORS = {kind: model.__pydantic_validator__ for kind, model in _MODELS.items()}


def frame_ref(raw: dict[str, Any]) -> str | None:
    """The client's ``ref``, if it is one we may echo (a string of at most 64 characters)."""
    ref = raw.get("ref")
    return ref if isinstance(ref, str) and len(ref) <= 64 else None


def parse_frame(raw: dict[str, Any]) -> Any:
    """Validate one decoded client frame; raise the ``ProtocolError`` the client must get."""
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("every frame needs a string field 'type'")
    if kind not in FRAME_TYPES:
        raise UnknownType(f"unknown frame type {kind[:40]!r}")
    try:
        frame = _VALIDATORS[kind].validate_python(raw)
    except ValidationError as exc:
        raise ProtocolError(_describe(exc)) from None
    if isinstance(frame, (Say, Whisper, Note)):
        check_text(frame.text)
    return frame


def check_text(text: str) -> str:
    """The contract's text rule: 1 to 2000 code points after trimming."""
    stripped = text.strip()
    if not stripped:
        raise ProtocolError("text is empty")
    if len(stripped) > MAX_TEXT_CHARS:
        raise TooLong(f"text is longer than {MAX_TEXT_CHARS} characters")
    return stripped


def _describe(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "frame"
    return f"{where}: {first['msg']}"[:200]
