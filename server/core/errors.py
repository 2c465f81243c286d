"""The exception tree of the server. Each error that reaches a client carries its protocol code.

    PeerlineError
    ├── ProtocolError          bad_frame
    │   ├── UnknownType        unknown_type
    │   └── TooLong            too_long
    ├── Unauthorized           unauthorized
    ├── NotInSession           not_in_session
    ├── SessionEnded           session_ended
    ├── RateLimited            rate_limited
    ├── Forbidden              forbidden      (a frame the connection's role may not send)
    ├── Conflict               conflict       (e.g. a request while already queued)
    ├── NotFound               not_found      (unknown alert, library item, story)
    ├── Unavailable            unavailable    (storage unreachable: nothing stored or sent)
    ├── BadInput               bad_request    (an HTTP body or header that is malformed)
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


class NotInSession(PeerlineError):
    code = "not_in_session"


class SessionEnded(PeerlineError):
    code = "session_ended"


class RateLimited(PeerlineError):
    code = "rate_limited"


class Forbidden(PeerlineError):
    code = "forbidden"


class Conflict(PeerlineError):
    code = "conflict"


class NotFound(PeerlineError):
    code = "not_found"


class Unavailable(PeerlineError):
    """The server cannot reach its storage: nothing of the frame was stored or sent, and the
    client may send it again (a ``say`` marked ``resend``)."""

    code = "unavailable"


class ConfigError(PeerlineError):
    """A setting that stops start-up; the message names the variable."""


class BadInput(PeerlineError):
    """An HTTP body, query or header that is malformed or out of range (HTTP 400/422)."""

    code = "bad_request"
