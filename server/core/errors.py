"""The exception tree of the server. Each error that reaches a client carries its protocol code.

    PeerlineError
    ├── ProtocolError          bad_frame
    │   ├── UnknownType        unknown_type
    │   └── TooLong            too_long
    ├── Unauthorized           unauthorized
    │   ├── SecondFactorRequired otp_required           (password right; a TOTP code needed)
    │   ├── EnrolmentRequired    otp_enrolment_required (password right; enrol a factor first)
    │   └── EnrolmentExpired     enrolment_expired      (window closed or too many wrong codes)
    ├── NotInSession           not_in_session
    ├── SessionEnded           session_ended
    ├── RateLimited            rate_limited
    │   ├── SlowDown           rate_limited   (sign-in: try again after ``retry_after_s``)
    │   └── ProofRequired      proof_required (a new identity must answer a proof-of-work)
    ├── Busy                   busy           (a bounded resource is full: retry after a while)
    ├── Forbidden              forbidden      (a frame the connection's role may not send)
    │   └── NotStaff             not_staff      (a campus sign-in of no enabled staff account)
    ├── Conflict               conflict       (e.g. a request while already queued)
    ├── NotFound               not_found      (unknown alert, helper, template, library item, story)
    ├── Closed                 closed         (a request outside operating hours)
    ├── Blocked                blocked        (a seeker refused new requests for a while)
    ├── Unavailable            unavailable    (storage unreachable: nothing stored or sent)
    │   └── NotDurable         unavailable    (no replica / disk confirmed it in time)
    ├── BadInput               bad_request    (an HTTP body or header that is malformed)
    └── ConfigError            (start-up only; never sent to a client)
"""

from __future__ import annotations

from typing import Any


class PeerlineError(Exception):
    """Base of every error the server raises on purpose."""

    code = "server_error"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = extra
        """Extra fields of the error frame (e.g. the crisis ``resources`` with ``closed``)."""


class ProtocolError(PeerlineError):
    code = "bad_frame"


class UnknownType(ProtocolError):
    code = "unknown_type"


class TooLong(ProtocolError):
    code = "too_long"


class Unauthorized(PeerlineError):
    code = "unauthorized"


class SecondFactorRequired(Unauthorized):
    code = "otp_required"


class EnrolmentRequired(Unauthorized):
    """The account must enrol a second factor; ``ticket`` lets it do so (and only that)."""

    code = "otp_enrolment_required"

    def __init__(self, detail: str, ticket: str) -> None:
        super().__init__(detail)
        self.ticket = ticket


class EnrolmentExpired(Unauthorized):
    """The enrolment window closed, or too many wrong codes voided it: sign in again."""

    code = "enrolment_expired"


class NotInSession(PeerlineError):
    code = "not_in_session"


class SessionEnded(PeerlineError):
    code = "session_ended"


class RateLimited(PeerlineError):
    code = "rate_limited"


class SlowDown(RateLimited):
    """Too many attempts of one kind for now; ``retry_after_s`` says when the next may come."""

    def __init__(self, detail: str, retry_after_s: float) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class ProofRequired(RateLimited):
    """A new anonymous identity must answer a proof-of-work challenge first (service/admission).
    A ``RateLimited``: the connection stays open for the answer."""

    code = "proof_required"

    def __init__(self, detail: str, challenge: str, bits: int) -> None:
        super().__init__(detail)
        self.challenge = challenge
        self.bits = bits


class Busy(PeerlineError):
    """A per-process budget (e.g. password hashing) is used up: nothing was done; retry later."""

    code = "busy"

    def __init__(self, detail: str, retry_after_s: float = 1.0) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class Forbidden(PeerlineError):
    code = "forbidden"


class NotStaff(Forbidden):
    code = "not_staff"


class Conflict(PeerlineError):
    code = "conflict"


class NotFound(PeerlineError):
    code = "not_found"


class Unavailable(PeerlineError):
    """The server cannot reach its storage: nothing of the frame was stored or sent, and the
    client may send it again (a ``say`` marked ``resend``)."""

    code = "unavailable"


class NotDurable(Unavailable):
    """No replica (``PEERLINE_DURABILITY=replica``) or disk (``fsync``) confirmed a message in
    time: no ``ack``, nothing delivered. It may be stored on the primary; the client's re-send
    (marked ``resend``) is recognised by its ref and acked once confirmed."""


class ConfigError(PeerlineError):
    """A setting that stops start-up; the message names the variable."""


class Closed(PeerlineError):
    """Outside operating hours: the queue takes no requests (crisis resources stay shown)."""

    code = "closed"


class Blocked(PeerlineError):
    """A seeker blocked by helpers too often may not ask again for a while."""

    code = "blocked"


class BadInput(PeerlineError):
    """An HTTP body, query or header that is malformed or out of range (HTTP 400/422)."""

    code = "bad_request"
