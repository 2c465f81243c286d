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
    ├── Forbidden              forbidden      (a frame the connection's role may not send)
    │   └── NotStaff             not_staff      (a campus sign-in of no enabled staff account)
    ├── Conflict               conflict       (e.g. a request while already queued)
    └── ConfigError            (start-up only; never sent to a client)
"""

from __future__ import annotations


class PeerlineError(Exception):
    """Base of every error the server raises on purpose."""

    code = "server_error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


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


class Forbidden(PeerlineError):
    code = "forbidden"


class NotStaff(Forbidden):
    code = "not_staff"


class Conflict(PeerlineError):
    code = "conflict"


class NotFound(PeerlineError):
    code = "not_found"


class ConfigError(PeerlineError):
    """A setting that stops start-up; the message names the variable."""
