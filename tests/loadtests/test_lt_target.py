"""The generator refuses anything but this machine, and names staff per run."""

import pytest

from loadtests.target import TargetError, make_staff, parse_url


@pytest.mark.parametrize(
    "url",
    [
        "ws://127.0.0.1:8000/ws",
        "ws://localhost:8000/ws",
        "ws://[::1]:8000/ws",
        "ws://127.3.2.1:9/ws",
    ],
)
def test_loopback_urls_are_accepted(url: str) -> None:
    ep = parse_url(url)
    assert ep.path == "/ws" and ep.port in (8000, 9)


@pytest.mark.parametrize(
    "url",
    [
        "ws://10.0.0.1:8000/ws",
        "ws://192.168.1.5:8000/ws",
        "ws://example.org:80/ws",
        "wss://127.0.0.1:8000/ws",
        "ws://0.0.0.0:8000/ws",
        "ws://127.0.0.1/ws",
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(TargetError):
        parse_url(url)


def test_staff_names_are_unique_per_run_and_valid() -> None:
    a = make_staff("ltabc123", "helper", 3)
    b = make_staff("ltdef456", "counselor", 2, tier=2)
    names = [s.username for s in a + b]
    assert len(set(names)) == 5
    assert all(n.islower() and len(n) <= 32 for n in names)
    assert a[0].role == "helper" and b[0].tier == 2 and len(a[0].password) >= 8
