"""Settings from ``PEERLINE_*`` environment variables (and CLI flags, which override them).

A bad value stops start-up with a message naming the variable (pydantic-settings does the naming).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .core.errors import ConfigError
from .store.topology import parse as parse_redis_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PEERLINE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("./peerline-data")
    redis_url: str | None = None
    """Use this Redis; without it an embedded redis-server is started under ``data_dir``."""
    key_prefix: str = "pl"
    workers: int = Field(1, ge=1, le=64)
    durability: Literal["local", "fsync", "replica"] = "local"
    """What an ``ack`` of a message promises (docs/operations.md, "Durability"): ``local`` in
    Redis's memory (AOF fsynced every second), ``fsync`` on the primary's disk, ``replica`` on
    a replica too (``WAIT``); without that confirmation the sender gets ``unavailable``."""
    durability_timeout_ms: int = Field(1000, ge=1, le=60_000)
    """How long a message's ack may wait for its replica (``WAIT``) or disk (``WAITAOF``)."""
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object a line (time, level, logger, event, request/connection id)."""

    # /metrics (PROTOCOL.md v1.1): on the public port only with a bearer token; without one it
    # is 404 there and may be served on a loopback-only port instead.
    metrics_token: SecretStr | None = None
    """``GET /metrics`` needs ``Authorization: Bearer <this>``; unset: 404 on the public port."""
    metrics_local_port: int | None = Field(None, ge=0, le=65535)
    """Also serve ``/metrics`` (no token) on 127.0.0.1 at this port; with several workers each
    process takes the first free port of ``port … port + workers - 1``."""

    # Limits of one connection.
    max_frame_bytes: int = 64 * 1024
    hello_timeout_s: float = 10.0
    # The contract promises a burst of 50 frames; the hello itself and a little slack on top.
    rate_burst: int = 60
    rate_per_s: float = 20.0
    rate_abuse_refusals: int = 100
    """This many refused frames within ``rate_abuse_window_s`` close the connection with 1008."""
    rate_abuse_window_s: float = 10.0
    outbound_queue: int = 2000
    replay_page: int = Field(200, ge=1)
    """Messages a resume's replay reads at a time, each page once the outbox has drained."""
    max_note_chars: int = 500

    # Staff sign-in (server/store/signin_gate.py, server/service/workbudget.py).
    signin_free_attempts: int = Field(5, ge=1, le=100)
    """Attempts per account name without delay; then each waits an exponential delay."""
    signin_first_delay_s: float = Field(1.0, gt=0, le=60)
    signin_max_delay_s: float = Field(30.0, gt=0, le=300)
    """The longest a name's next attempt is made to wait (there is no lockout)."""
    signin_window_s: int = Field(15 * 60, ge=1)
    """A name's attempts are forgotten this long after the last one."""
    signin_device_ttl_s: int = Field(30 * 24 * 3600, ge=60)
    signin_device_failures: int = Field(5, ge=1, le=100)
    signin_hash_slots: int = Field(1, ge=1, le=64)
    """Password checks (Argon2id, ~0.1-0.3 s of a core each) at once, per process."""
    signin_hash_queue: int = Field(16, ge=0, le=10_000)
    signin_hash_wait_s: float = Field(5.0, gt=0, le=60)
    # Limits of one process's sockets (server/transport/gate.py).
    request_timeout_s: float = Field(10.0, gt=0)
    """A TCP connection must complete its HTTP request (or WebSocket handshake) this soon after
    connecting or after its previous response, or it is closed."""
    max_pending_connections: int = Field(1000, ge=1)
    """Connections waiting for their request at once; one more closes the longest-waiting."""
    max_pre_hello: int = Field(1000, ge=1)
    """WebSockets not yet past ``hello``; a handshake beyond it is refused with HTTP 503."""
    max_websockets: int = Field(10_000, ge=1)
    """WebSockets in all; a handshake beyond it is refused with HTTP 503."""

    # Time and retention.
    token_ttl_s: int = Field(12 * 3600, ge=60)
    retention_s: int = Field(7 * 24 * 3600, ge=60)
    """How long an ended session's transcript is kept."""
    escalated_retention_s: int = Field(90 * 24 * 3600, ge=60)
    seeker_ttl_s: int = Field(7 * 24 * 3600, ge=60)
    """How long a resume token stays valid after the seeker's last activity."""
    seeker_idle_ttl_s: int = Field(3600, ge=60)
    """How long a new seeker identity that never asks for help is kept (after its last use)."""
    unmatched_retention_s: int = Field(600, ge=0)
    """How long a session that ended without ever being matched is kept (not escalated)."""
    requests_per_identity_hour: int = Field(20, ge=0)
    """Requests for help one seeker identity may make in an hour (0: no cap)."""
    new_identity_burst: int = Field(60, ge=0)
    """New seeker identities a process admits at once without a proof-of-work…"""
    new_identity_per_s: float = Field(10.0, ge=0)
    """…refilled at this rate; beyond it a new-seeker hello must carry ``proof``."""
    new_identity_pow_bits: int = Field(14, ge=0, le=24)
    """Difficulty of that proof (leading zero bits of SHA-256; 0 turns the budget off)."""
    new_identity_pow_extra_bits: int = Field(2, ge=0, le=8)
    """At most this many more bits as the flood grows (one per doubling over the budget)."""
    helper_grace_s: float = 30.0
    seeker_grace_s: float = 120.0
    queued_seeker_grace_s: float = 300.0
    counselor_grace_s: float = 60.0
    sweep_interval_s: float = 0.5
    heartbeat_s: float = 2.0
    node_timeout_s: float = 15.0
    """A process silent this long is taken for dead; its users' grace periods start."""
    queue_refresh_s: float = 0.5
    redis_timeout_s: float = Field(2.0, gt=0)
    """A Redis call slower than this fails: the client gets ``unavailable``, never silence."""
    readiness_probe_s: float = Field(0.5, gt=0)
    """How often each process checks that Redis answers (``/readyz``, and refusing frames)."""

    # Garbage collection (server/gcpolicy.py); 0 turns the policy off.
    gc_refreeze_s: float = 1.0
    gc_full_s: float = 600.0
    gc_young_threshold: int = 10_000
    """Net allocations between two young-generation passes (CPython's default is 700)."""

    # Escalation.
    tier_timeout_s: float = 60.0
    resources_fallback_s: float = 120.0
    cooldown_s: float = 600.0

    no_contact_after_s: float = Field(900.0, ge=0)
    """An alert nobody claimed is closed ``no_contact`` this long after its session ended."""

    # Blocking (service/blocking.py).
    block_s: int = Field(90 * 24 * 3600, ge=60)
    """How long a blocked seeker–helper pair is kept apart (longer than a resume token lives)."""
    abuse_blocks: int = Field(3, ge=1)
    abuse_window_s: int = Field(24 * 3600, ge=60)
    abuse_pause_s: int = Field(24 * 3600, ge=60)
    """A seeker blocked by helpers ``abuse_blocks`` times within the window may not ask again
    for this long."""

    # Operating hours (service/intake.py; the spec itself is in Redis: `peerline hours set`).
    timezone: str | None = None
    """The deployment's time zone for operating hours (IANA name); default: the machine's."""
    hours_cache_s: float = Field(1.0, ge=0, le=2.0)
    """How stale a process's copy of the hours may be (changes apply within this)."""

    # Between chats: library, stories, mood diary.
    diary_retention_s: int = Field(180 * 24 * 3600, ge=1)
    """How long a mood diary entry is kept (each entry expires on its own)."""
    diary_writes_per_hour: int = Field(30, ge=1)
    story_submissions_per_min: int = Field(20, ge=1)
    """Stories sent per minute by everyone together (no address is kept to limit one sender)."""
    library_defaults: bool = True
    """Install the shipped library items the first time a deployment starts."""

    # Anonymous statistics and early warning (issue 19; service/statistics.py, warnings.py).
    stats_retention_s: int = Field(2 * 366 * 24 * 3600, ge=24 * 3600)
    """How long each hour of anonymous counts is kept (every hour bucket expires on its own)."""
    stats_sample_s: float = Field(60.0, gt=0)
    """How often one process samples helpers online and their load into the statistics."""
    warning_check_s: float = Field(60.0, gt=0)
    """How often one process (elected through Redis) checks the early-warning conditions."""
    warning_retention_s: int = Field(90 * 24 * 3600, ge=24 * 3600)
    """How long a raised warning (and its acknowledgement) is kept."""

    # Moderation.
    moderation: bool = True
    student_id_pattern: str | None = None

    # Staff sign-in (server/service/signin.py, server/web/sso.py).
    local_login: bool = True
    """Offer the username/password form on the consoles (off: campus sign-in only)."""
    public_url: str | None = None
    """The address staff reach Peerline at (``https://peer.example.edu``), for SSO callbacks;
    without it the request's own scheme and host are used."""
    campus_name: str = "campus account"
    """Shown as "Sign in with <campus_name>", e.g. ``统一身份认证``."""
    oidc_issuer: str | None = None
    """The OpenID provider's issuer URL (its ``/.well-known/openid-configuration`` is read)."""
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_username_claim: str = "preferred_username"
    oidc_groups_claim: str = "groups"
    oidc_scopes: str = "openid profile"
    cas_url: str | None = None
    """The CAS server's base URL (``https://cas.example.edu/cas``): enables CAS sign-in."""
    cas_version: Literal[2, 3] = 3
    cas_username_attribute: str | None = None
    """Take the username from this CAS attribute instead of ``cas:user``."""
    cas_groups_attribute: str = "memberOf"
    sso_group_roles: dict[str, str] = {}
    """IdP group → Peerline role (JSON, e.g. ``{"counseling-centre":"counselor"}``). Empty (the
    default): any enabled account may sign in. Set: the person must be in a group mapped to
    their account's role."""
    totp_required_roles: str = ""
    """Comma-separated roles that must use a second factor, e.g. ``counselor``."""
    sso_http_timeout_s: float = 10.0

    def totp_roles(self) -> set[str]:
        return {r.strip() for r in self.totp_required_roles.split(",") if r.strip()}

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (use an IANA name such as "
                                 "Asia/Shanghai)") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _readable_redis_url(cls, value: str | None) -> str | None:
        """A bad ``--redis-url`` is refused at start-up, saying what is wrong with it."""
        if value:
            try:
                parse_redis_url(value)
            except ConfigError as exc:
                raise ValueError(exc.detail) from None
        return value

    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()
