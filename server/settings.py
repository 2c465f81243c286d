"""Settings from ``PEERLINE_*`` environment variables (and CLI flags, which override them).

A bad value stops start-up with a message naming the variable (pydantic-settings does the naming).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PEERLINE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("./peerline-data")
    redis_url: str | None = None
    """Use this Redis; without it an embedded redis-server is started under ``data_dir``."""
    key_prefix: str = "pl"
    workers: int = Field(1, ge=1, le=64)
    log_level: str = "info"

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
    max_note_chars: int = 500

    # Time and retention.
    token_ttl_s: int = Field(12 * 3600, ge=60)
    retention_s: int = Field(7 * 24 * 3600, ge=60)
    """How long an ended session's transcript is kept."""
    escalated_retention_s: int = Field(90 * 24 * 3600, ge=60)
    seeker_ttl_s: int = Field(7 * 24 * 3600, ge=60)
    """How long a resume token stays valid after the seeker's last activity."""
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

    # Between chats: library, stories, mood diary.
    diary_retention_s: int = Field(180 * 24 * 3600, ge=1)
    """How long a mood diary entry is kept (each entry expires on its own)."""
    diary_writes_per_hour: int = Field(30, ge=1)
    story_submissions_per_min: int = Field(20, ge=1)
    """Stories sent per minute by everyone together (no address is kept to limit one sender)."""
    library_defaults: bool = True
    """Install the shipped library items the first time a deployment starts."""

    # Moderation.
    moderation: bool = True
    student_id_pattern: str | None = None

    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()
