"""Parsing ``--redis-url``: every form of PROTOCOL.md's "Storage URLs", and clear refusals."""

from __future__ import annotations

import ssl

import pytest

from server.core.errors import ConfigError
from server.store.topology import Tls, parse


def test_one_node_forms() -> None:
    t = parse("redis://127.0.0.1:6380/2")
    assert (t.kind, t.hosts, t.db, t.tls, t.password) == ("node", (("127.0.0.1", 6380),), 2,
                                                            None, None)
    t = parse("redis://localhost")
    assert t.hosts == (("localhost", 6379),) and t.db == 0
    t = parse("redis://:s%40cret@h:1/0")
    assert (t.username, t.password) == (None, "s@cret")
    t = parse("redis://alice:pw@h:1?db=3")
    assert (t.username, t.password, t.db) == ("alice", "pw", 3)
    t = parse("unix:///run/redis/redis.sock?db=4&password=pw")
    assert (t.kind, t.unix_path, t.db, t.password) == ("node", "/run/redis/redis.sock", 4, "pw")
    t = parse("redis://[::1]:7000")
    assert t.hosts == (("::1", 7000),)


def test_tls_options_are_redis_py_s() -> None:
    t = parse("rediss://h:6380/0?ssl_cert_reqs=none&ssl_check_hostname=false")
    assert t.tls == Tls(cert_reqs="none", check_hostname=False)
    assert t.tls.context().verify_mode == ssl.CERT_NONE
    assert t.auth_kwargs()["ssl"] is True and t.auth_kwargs()["ssl_cert_reqs"] == "none"
    t = parse("redis://h?ssl=true&ssl_ca_certs=/etc/ca.pem")
    assert t.tls is not None and t.tls.ca_certs == "/etc/ca.pem" and t.tls.cert_reqs == "required"
    assert parse("rediss+cluster://a:1,b:2").tls == Tls()


def test_sentinel_form() -> None:
    t = parse("redis+sentinel://:pw@s1:26379,s2,s3:26380/mymaster/2?sentinel_password=sp")
    assert t.kind == "sentinel" and t.service == "mymaster" and t.db == 2
    assert t.hosts == (("s1", 26379), ("s2", 26379), ("s3", 26380))
    assert t.password == "pw" and t.sentinel_password == "sp"
    assert t.auth_kwargs()["password"] == "pw" and t.sentinel_kwargs()["password"] == "sp"
    assert parse("redis+sentinel://s1/svc").db == 0


def test_cluster_form() -> None:
    t = parse("redis+cluster://h1:7000,h2:7001,h3")
    assert t.kind == "cluster" and t.hosts == (("h1", 7000), ("h2", 7001), ("h3", 6379))
    assert "db" not in t.auth_kwargs()


def test_a_password_is_never_in_the_repr_or_the_redacted_url() -> None:
    t = parse("redis+sentinel://user:hunter2@s1:26379/svc?sentinel_password=sentinel-pw")
    assert "hunter2" not in repr(t) and "sentinel-pw" not in repr(t)
    assert "hunter2" not in t.redacted and t.redacted == "redis+sentinel://s1:26379/svc"


@pytest.mark.parametrize(("url", "says"), [
    ("http://h:1", "unsupported Redis URL scheme"),
    ("h:6379", "unsupported Redis URL scheme"),
    ("redis://a:1,b:2", "names one node"),
    ("redis+sentinel://s1:26379", "service name"),
    ("redis+sentinel://s1:26379/", "service name"),
    ("redis+cluster://a:1/3", "only database 0"),
    ("redis://h:notaport", "bad port"),
    ("redis://h:70000", "bad port"),
    ("redis://h/x", "must be a number"),
    ("redis://h?sockettimeout=1", "unknown Redis URL option"),
    ("redis://h?ssl_ca_certs=/x", "needs TLS"),
    ("rediss://h?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
    ("redis+cluster://a:1,,b:2", "empty host"),
    ("redis+cluster://", "names no host"),
    ("unix://host/sock", "no host"),
])
def test_bad_urls_are_refused_saying_why(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse(url)


def test_the_cli_refuses_a_bad_url_without_echoing_its_password(
        capsys: pytest.CaptureFixture[str]) -> None:
    from server.cli import main

    assert main(["serve", "--redis-url", "redis+sentinel://u:hunter2@s1:26379"]) == 1
    err = capsys.readouterr().err
    assert "needs the service name" in err and "hunter2" not in err
