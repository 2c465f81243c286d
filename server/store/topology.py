"""Where Redis is: one typed description parsed from ``--redis-url`` / ``PEERLINE_REDIS_URL``.

The forms (PROTOCOL.md, "Storage URLs and durability"):

    redis://[[user]:password@]host[:port][/db]        one node (``rediss://``: over TLS)
    unix:///path/to/redis.sock[?db=N&password=…]      one node on a Unix socket
    redis+sentinel://[[user]:password@]h1:26379,h2:26379/<service>[/db]
                                                      the master Sentinel names ``service``
    redis+cluster://[[user]:password@]h1:7000,h2:7001 a Redis Cluster (any seed nodes)

``rediss+sentinel://`` and ``rediss+cluster://`` (or ``?ssl=true``) speak TLS to the data
nodes. TLS options are redis-py's, as query parameters: ``ssl_cert_reqs`` (required, optional,
none), ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``, ``ssl_check_hostname``. A Sentinel
with its own password takes ``sentinel_password`` (and ``sentinel_username``); the password in
the URL's user part is the data nodes'.

Why one parser of our own: redis-py's ``from_url`` knows only the one-node forms, and the
hot path (``resp.py``), the pub/sub subscription and the redis-py clients must agree on exactly
the same nodes, credentials and TLS settings. Parsing is pure: nothing connects here.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, unquote

from ..core.errors import ConfigError

Kind = Literal["node", "sentinel", "cluster"]

DEFAULT_PORT = {"node": 6379, "sentinel": 26379, "cluster": 6379}

SCHEMES: dict[str, tuple[Kind, bool]] = {
    "redis": ("node", False), "rediss": ("node", True), "unix": ("node", False),
    "redis+sentinel": ("sentinel", False), "rediss+sentinel": ("sentinel", True),
    "redis+cluster": ("cluster", False), "rediss+cluster": ("cluster", True),
}
"""Each scheme: the kind of deployment, and whether the data nodes speak TLS."""

OPTIONS = {"db", "password", "username", "ssl", "ssl_cert_reqs", "ssl_ca_certs",
           "ssl_certfile", "ssl_keyfile", "ssl_check_hostname", "sentinel_password",
           "sentinel_username"}
"""The query parameters understood; any other is refused (a typo would otherwise be ignored)."""

CERT_REQS = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Tls:
    """TLS settings of the data nodes, in redis-py's terms."""

    cert_reqs: str = "required"
    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    check_hostname: bool = True

    def context(self) -> ssl.SSLContext:
        """An ``SSLContext`` for connections the hot path opens itself (``resp.py``)."""
        context = ssl.create_default_context(cafile=self.ca_certs)
        context.check_hostname = self.check_hostname and self.cert_reqs != "none"
        context.verify_mode = CERT_REQS[self.cert_reqs]
        if self.certfile:
            context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def redis_kwargs(self) -> dict[str, Any]:
        """The same settings as redis-py connection arguments."""
        return {"ssl": True, "ssl_cert_reqs": self.cert_reqs, "ssl_ca_certs": self.ca_certs,
                "ssl_certfile": self.certfile, "ssl_keyfile": self.keyfile,
                "ssl_check_hostname": self.check_hostname and self.cert_reqs != "none"}


@dataclass(frozen=True)
class Topology:
    """One Redis deployment: a node, a Sentinel-managed master, or a Cluster."""

    kind: Kind
    url: str = field(repr=False)
    """As given (it may hold a password: never log it; ``redacted`` is for logs)."""
    hosts: tuple[tuple[str, int], ...] = ()
    """The node (``node``), the Sentinels (``sentinel``) or the seed nodes (``cluster``)."""
    unix_path: str | None = None
    service: str | None = None
    """The Sentinel service name of the master."""
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_username: str | None = None
    sentinel_password: str | None = field(default=None, repr=False)
    tls: Tls | None = None

    @property
    def redacted(self) -> str:
        """The URL without credentials, for logs and error messages."""
        where = self.unix_path or ",".join(f"{h}:{p}" for h, p in self.hosts)
        scheme = self.url.split("://", 1)[0]
        tail = f"/{self.service}" if self.service else ""
        return f"{scheme}://{where}{tail}"

    def auth_kwargs(self) -> dict[str, Any]:
        """Credentials, database and TLS of the data nodes as redis-py connection arguments."""
        kwargs: dict[str, Any] = {"username": self.username, "password": self.password}
        if self.kind != "cluster":
            kwargs["db"] = self.db
        if self.tls is not None:
            kwargs.update(self.tls.redis_kwargs())
        return kwargs

    def sentinel_kwargs(self) -> dict[str, Any]:
        """How to talk to the Sentinels themselves (no TLS unless the data nodes use it)."""
        kwargs: dict[str, Any] = {"username": self.sentinel_username,
                                  "password": self.sentinel_password}
        if self.tls is not None:
            kwargs.update(self.tls.redis_kwargs())
        return kwargs


def parse(url: str) -> Topology:
    """The ``Topology`` of ``url``; ``ConfigError`` saying what is wrong with a bad one."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise ConfigError(f"unsupported Redis URL scheme {scheme!r}: use redis://, rediss://, "
                          "unix://, redis+sentinel:// or redis+cluster://")
    scheme = scheme.lower()
    kind, tls_by_scheme = SCHEMES[scheme]
    rest = rest.partition("#")[0]
    rest, _, query_text = rest.partition("?")
    query = _query(query_text)
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostlist = netloc.rpartition("@")
    if not at:
        userinfo, hostlist = "", netloc
    username, password = _credentials(userinfo)
    username = query.pop("username", username)
    password = query.pop("password", password)
    tls = _tls(query, tls_by_scheme)
    common: dict[str, Any] = dict(
        url=url, username=username, password=password, tls=tls,
        sentinel_username=query.pop("sentinel_username", None),
        sentinel_password=query.pop("sentinel_password", None),
    )
    if scheme == "unix":
        if hostlist:
            raise ConfigError("a unix:// URL has no host: unix:///path/to/redis.sock")
        if not path:
            raise ConfigError("a unix:// URL needs the socket's path")
        return Topology(kind="node", unix_path="/" + unquote(path),
                        db=_db(query.pop("db", "0")), **common)
    hosts = _hosts(hostlist, DEFAULT_PORT[kind])
    if kind == "node":
        if len(hosts) != 1:
            raise ConfigError("a redis:// URL names one node; for several use redis+sentinel:// "
                              "or redis+cluster://")
        db = _db(query.pop("db", "") or path.strip("/") or "0")
        return Topology(kind="node", hosts=hosts, db=db, **common)
    if kind == "sentinel":
        service, _, db_text = path.strip("/").partition("/")
        if not service:
            raise ConfigError("a redis+sentinel:// URL needs the service name: "
                              "redis+sentinel://host1:26379,host2:26379/<service_name>[/db]")
        db = _db(query.pop("db", "") or db_text or "0")
        return Topology(kind="sentinel", hosts=hosts, service=unquote(service), db=db, **common)
    if path.strip("/") or query.pop("db", "0") not in ("0", ""):
        raise ConfigError("a Redis Cluster has only database 0: redis+cluster://h1:7000,h2:7001")
    return Topology(kind="cluster", hosts=hosts, **common)


def _query(text: str) -> dict[str, str]:
    values = parse_qs(text, keep_blank_values=True)
    unknown = sorted(set(values) - OPTIONS)
    if unknown:
        raise ConfigError(f"unknown Redis URL option(s) {', '.join(unknown)}; known: "
                          + ", ".join(sorted(OPTIONS)))
    return {name: items[-1] for name, items in values.items()}


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    if not userinfo:
        return None, None
    user, colon, password = userinfo.partition(":")
    if not colon:  # redis-py reads a lone user part as the password
        return None, unquote(user) or None
    return unquote(user) or None, unquote(password) or None


def _hosts(hostlist: str, default_port: int) -> tuple[tuple[str, int], ...]:
    if not hostlist:
        raise ConfigError("the Redis URL names no host")
    hosts = []
    for item in hostlist.split(","):
        item = item.strip()
        if item.startswith("["):  # [IPv6]:port
            host, _, port_text = item[1:].partition("]")
            port_text = port_text.removeprefix(":")
        else:
            host, _, port_text = item.rpartition(":") if ":" in item else (item, "", "")
        if not host:
            raise ConfigError(f"empty host in the Redis URL ({item!r})")
        try:
            port = int(port_text) if port_text else default_port
        except ValueError:
            raise ConfigError(f"bad port in the Redis URL ({item!r})") from None
        if not 0 < port < 65536:
            raise ConfigError(f"bad port in the Redis URL ({item!r})")
        hosts.append((host, port))
    return tuple(hosts)


def _db(text: str) -> int:
    try:
        db = int(text)
    except ValueError:
        raise ConfigError(f"the Redis database must be a number, not {text!r}") from None
    if db < 0:
        raise ConfigError("the Redis database must not be negative")
    return db


def _tls(query: dict[str, str], by_scheme: bool) -> Tls | None:
    wanted = by_scheme or _flag(query.pop("ssl", "false"), "ssl")
    names = [n for n in ("ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile",
                         "ssl_check_hostname") if n in query]
    if not wanted:
        if names:
            raise ConfigError(f"{names[0]} needs TLS: use rediss:// (or ssl=true)")
        return None
    cert_reqs = query.pop("ssl_cert_reqs", "required").lower()
    if cert_reqs not in CERT_REQS:
        raise ConfigError("ssl_cert_reqs is one of required, optional, none")
    return Tls(cert_reqs=cert_reqs, ca_certs=query.pop("ssl_ca_certs", None) or None,
               certfile=query.pop("ssl_certfile", None) or None,
               keyfile=query.pop("ssl_keyfile", None) or None,
               check_hostname=_flag(query.pop("ssl_check_hostname", "true"),
                                    "ssl_check_hostname"))


def _flag(text: str, name: str) -> bool:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise ConfigError(f"{name} is true or false, not {text!r}")
