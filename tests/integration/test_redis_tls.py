"""``rediss://``: the hot path's own connections (``resp.py``), the pub/sub subscription and the
redis-py client all speak TLS with the URL's options, through a whole server.

The Valkey binary the tests use is built without TLS, so the TLS end is a small terminating
proxy here (a real TLS handshake with a certificate of a CA made for the test, then the bytes
to and from the embedded Redis), as a TLS-terminating sidecar would be in a deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.store.client import connect
from server.store.embedded import EmbeddedRedis
from server.store.resp import RespConnection, Subscription
from tests.conftest import run_server
from tests.timing import WAIT


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for ``localhost`` and 127.0.0.1: (ca, cert, key)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peerline test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@contextlib.asynccontextmanager
async def tls_proxy(socket_file: Path, cert: Path, key: Path) -> AsyncIterator[int]:
    """TLS on a loopback port, plaintext to the Redis on ``socket_file``; yields the port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tasks: set[asyncio.Task[None]] = set()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_unix_connection(str(socket_file))
        for task in (asyncio.create_task(pipe(reader, up_writer)),
                     asyncio.create_task(pipe(up_reader, writer))):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_every_connection_speaks_tls_with_the_urls_options(
        embedded_redis: EmbeddedRedis, tmp_path: Path) -> None:
    ca, cert, key = _certificates(tmp_path)
    async with tls_proxy(embedded_redis.socket_file, cert, key) as port:
        url = f"rediss://localhost:{port}/0?ssl_ca_certs={ca}"
        hot = RespConnection(url)
        try:
            assert await hot.batch([("SET", "tls:k", "v"), ("GET", "tls:k")]) == [b"OK", b"v"]
        finally:
            hot.close()
        got: list[bytes] = []
        subscribed = asyncio.Event()
        listening = asyncio.create_task(
            Subscription(url, ["tls:chan"], got.append, idle_s=WAIT).run(subscribed.set))
        client = connect(url, pool_size=2, timeout_s=WAIT)
        try:
            await asyncio.wait_for(subscribed.wait(), WAIT)
            assert await client.get("tls:k") == b"v"
            await client.publish("tls:chan", "over tls")
            for _ in range(100):
                if got:
                    break
                await asyncio.sleep(0.02)
            assert got == [b"over tls"]
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
            await client.aclose()


async def test_a_certificate_of_another_ca_is_refused(
        embedded_redis: EmbeddedRedis, tmp_path: Path) -> None:
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    _ca, cert, key = _certificates(tmp_path / "ours")
    other_ca, _cert, _key = _certificates(tmp_path / "theirs")
    async with tls_proxy(embedded_redis.socket_file, cert, key) as port:
        hot = RespConnection(f"rediss://localhost:{port}/0?ssl_ca_certs={other_ca}")
        with pytest.raises(ssl.SSLCertVerificationError):
            await hot.batch([("PING",)])
        hot.close()


async def test_a_whole_server_on_rediss(embedded_redis: EmbeddedRedis, tmp_path: Path) -> None:
    ca, cert, key = _certificates(tmp_path)
    async with tls_proxy(embedded_redis.socket_file, cert, key) as port, run_server(
            f"rediss://localhost:{port}/0?ssl_ca_certs={ca}") as live:
        helper = await live.helper()
        seeker, _ = await live.seeker()
        await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q"})
        sid = (await seeker.expect("matched"))["session"]
        await helper.expect("matched")
        ack = await seeker.say(sid, "hello over TLS")
        message = await helper.expect("message")
        assert message["text"] == "hello over TLS" and message["seq"] == ack["seq"]
