"""Real Redis topologies started by the tests: a 3-master, 3-replica Cluster, and a master with
a replica watched by three Sentinels. Every node is a ``valkey-server``/``redis-server`` ≥ 7
process (``tests/redis_binary.py``) on a free loopback port, with AOF on, in a temporary
directory; a test can SIGKILL any node and start it again on the same port.

Start each topology once per module (they take a few seconds) and give every test its own key
prefix, as ``tests/conftest.py`` already does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.redis_binary import cli_binary, server_binary
from tests.timing import FACTOR

NODE_TIMEOUT_MS = 1500
"""Cluster: how long a master may be silent before its replica takes over."""
DOWN_AFTER_MS = 1000
"""Sentinel: how long a master may be silent before the Sentinels agree it is down."""


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports, all held open while they are picked: ports picked one by
    one before any server binds them can repeat (a cluster node once got its neighbour's bus
    port and failed to start)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]


def ask(port: int, *args: str, timeout: float = 2.0) -> str:
    """One command by ``redis-cli`` (plain text answer), for set-up and checks."""
    out = subprocess.run([cli_binary(), "-p", str(port), *args], capture_output=True,
                         text=True, timeout=timeout * FACTOR)
    return out.stdout.strip()


class Node:
    """One server process on a fixed port; ``kill`` and ``start`` keep its port and data."""

    def __init__(self, directory: Path, args: list[str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.dir = directory / str(self.port)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.dir / "server.log", "ab") as log:
            self.proc = subprocess.Popen(
                [server_binary(), *self.args, "--port", str(self.port), "--bind", "127.0.0.1",
                 "--dir", str(self.dir)],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        self.wait_answering()

    def wait_answering(self) -> None:
        deadline = time.monotonic() + 20 * FACTOR
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(64).startswith(b"+PONG"):
                    return
            if self.proc is not None and self.proc.poll() is not None:
                tail = (self.dir / "server.log").read_text(errors="replace")[-1500:]
                raise RuntimeError(f"server on port {self.port} exited at start-up:\n{tail}")
            time.sleep(0.05)
        raise RuntimeError(f"server on port {self.port} did not start")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the node dies at once, as in a crash."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class ClusterProcesses:
    """Six nodes, three masters with one replica each, all 16384 slots assigned."""

    def __init__(self, directory: Path, masters: int = 3, replicas: int = 1) -> None:
        count = masters * (1 + replicas)
        ports = free_ports(2 * count)  # each node's port and its bus port, all distinct
        self.nodes = [
            # The bus port is given: the default (port + 10000) fails for a free port > 55535.
            Node(directory, ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                             "--cluster-port", str(ports[count + i]),
                             "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                             # A replica may take over however long it has been apart from
                             # its master (the tests kill masters of freshly made clusters).
                             "--cluster-replica-validity-factor", "0",
                             "--appendonly", "yes", "--save", "", "--maxclients", "10000"],
                 port=ports[i])
            for i in range(count)]
        self.replicas = replicas

    @property
    def url(self) -> str:
        """``redis+cluster://`` with every node as a seed."""
        return "redis+cluster://" + ",".join(n.address for n in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        out = subprocess.run(
            [cli_binary(), "--cluster", "create", *(n.address for n in self.nodes),
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            capture_output=True, text=True, timeout=60 * FACTOR)
        if out.returncode != 0:
            raise RuntimeError("cluster create failed: " + out.stdout[-2000:] + out.stderr)
        self.wait_ok()

    def wait_ok(self, timeout_s: float = 30.0) -> None:
        """Until every running node says ``cluster_state:ok`` and agrees on who holds slots,
        and every replica is in sync with its master."""
        deadline = time.monotonic() + timeout_s * FACTOR
        while time.monotonic() < deadline:
            running = [n for n in self.nodes if n.running]
            states = [ask(n.port, "CLUSTER", "INFO") for n in running]
            if all("cluster_state:ok" in s for s in states):
                views = {self._slot_owners(n.port) for n in running}
                links = [ask(n.port, "INFO", "replication") for n in running]
                if len(views) == 1 and all("role:master" in r or "master_link_status:up" in r
                                           for r in links):
                    return
            time.sleep(0.1)
        raise RuntimeError("cluster did not become ok")

    def _slot_owners(self, port: int) -> str:
        lines = ask(port, "CLUSTER", "NODES").splitlines()
        fields = [line.split() for line in lines]
        return "\n".join(sorted(" ".join(f[1:2] + f[8:]) for f in fields
                                if "master" in f[2] and "fail" not in f[2]))

    def masters(self) -> list[Node]:
        """The nodes that are masters now (after failovers too)."""
        result = []
        for node in self.nodes:
            if node.running and "role:master" in ask(node.port, "INFO", "replication"):
                result.append(node)
        return result

    def node_of_slot(self, slot: int) -> Node:
        """The master serving ``slot`` now."""
        for node in self.masters():
            for line in ask(node.port, "CLUSTER", "NODES").splitlines():
                fields = line.split()
                if "myself" in fields[2]:
                    for spec in fields[8:]:
                        if spec.startswith("["):
                            continue
                        lo, _, hi = spec.partition("-")
                        if int(lo) <= slot <= int(hi or lo):
                            return node
        raise LookupError(f"no master serves slot {slot}")

    def node_id(self, node: Node) -> str:
        return ask(node.port, "CLUSTER", "MYID")

    # -- resharding one slot, the way redis-cli --cluster reshard does ---------------------

    def begin_migration(self, slot: int, target: Node) -> Node:
        """Mark ``slot`` as moving from its master to ``target``; return the source."""
        source = self.node_of_slot(slot)
        assert source is not target
        assert ask(target.port, "CLUSTER", "SETSLOT", str(slot), "IMPORTING",
                   self.node_id(source)) == "OK"
        assert ask(source.port, "CLUSTER", "SETSLOT", str(slot), "MIGRATING",
                   self.node_id(target)) == "OK"
        return source

    def move_keys(self, slot: int, source: Node, target: Node, count: int = 100) -> int:
        """MIGRATE up to ``count`` of the slot's keys from ``source`` to ``target``."""
        names = ask(source.port, "CLUSTER", "GETKEYSINSLOT", str(slot), str(count)).split()
        if names:
            reply = ask(source.port, "MIGRATE", "127.0.0.1", str(target.port), "", "0",
                        "5000", "REPLACE", "KEYS", *names)
            assert reply in ("OK", "NOKEY"), reply
        return len(names)

    def end_migration(self, slot: int, target: Node) -> None:
        """Give ``slot`` to ``target`` on every master (the migration is over)."""
        target_id = self.node_id(target)
        for node in [target, *(m for m in self.masters() if m is not target)]:
            ask(node.port, "CLUSTER", "SETSLOT", str(slot), "NODE", target_id)

    def reshard(self, slot: int, target: Node) -> None:
        """Move ``slot`` with all its keys to ``target``."""
        self.reshard_rest(slot, self.begin_migration(slot, target), target)

    def reshard_rest(self, slot: int, source: Node, target: Node) -> None:
        """Finish a migration begun with ``begin_migration``."""
        while self.move_keys(slot, source, target):
            pass
        self.end_migration(slot, target)

    def close(self) -> None:
        for node in self.nodes:
            node.close()


class SentinelProcesses:
    """A master, one replica of it, and three Sentinels monitoring ``service``."""

    def __init__(self, directory: Path, service: str = "peerline") -> None:
        self.directory = directory
        self.service = service
        data = ["--appendonly", "yes", "--save", "", "--maxclients", "10000"]
        self.master = Node(directory, data)
        self.replica = Node(directory, [*data, "--replicaof", "127.0.0.1",
                                        str(self.master.port)])
        self.sentinels: list[Node] = []

    @property
    def data_nodes(self) -> list[Node]:
        return [self.master, self.replica]

    @property
    def url(self) -> str:
        return ("redis+sentinel://" + ",".join(s.address for s in self.sentinels)
                + f"/{self.service}")

    def start(self) -> None:
        self.master.start()
        self.replica.start()
        for _ in range(3):
            port = free_port()
            conf = self.directory / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\n"
                f"sentinel monitor {self.service} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel down-after-milliseconds {self.service} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {self.service} 5000\n"
                f"sentinel parallel-syncs {self.service} 1\n")
            sentinel = Node(self.directory, [str(conf), "--sentinel"], port=port)
            sentinel.start()
            self.sentinels.append(sentinel)
        self.wait_replicated()

    def wait_replicated(self, timeout_s: float = 30.0) -> None:
        """Until the replica is in sync and every Sentinel knows the master and the replica."""
        deadline = time.monotonic() + timeout_s * FACTOR
        while time.monotonic() < deadline:
            info = ask(self.replica.port, "INFO", "replication")
            known = [ask(s.port, "SENTINEL", "REPLICAS", self.service) for s in self.sentinels]
            if "master_link_status:up" in info and all(str(self.replica.port) in k
                                                       for k in known):
                return
            time.sleep(0.1)
        raise RuntimeError("sentinel set-up did not settle")

    def heal(self, timeout_s: float = 30.0) -> None:
        """Start every killed data node again (the Sentinels make it a replica of the current
        master) and wait until the master has its replica in sync."""
        for node in self.data_nodes:
            if not node.running:
                node.start()
        deadline = time.monotonic() + timeout_s * FACTOR
        while time.monotonic() < deadline:
            info = ask(self.master_port(), "INFO", "replication")
            if "connected_slaves:1" in info and "state=online" in info:
                return
            time.sleep(0.1)
        raise RuntimeError("the replica did not come back in sync")

    def master_port(self) -> int:
        """The port of the master as the Sentinels see it now."""
        reply = ask(self.sentinels[0].port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)
        return int(reply.split()[1])

    def close(self) -> None:
        for node in [*self.sentinels, self.master, self.replica]:
            node.close()


@contextlib.contextmanager
def redis_cluster() -> Iterator[ClusterProcesses]:
    with tempfile.TemporaryDirectory(prefix="peerline-cluster-") as tmp:
        cluster = ClusterProcesses(Path(tmp))
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.close()


@contextlib.contextmanager
def redis_sentinel() -> Iterator[SentinelProcesses]:
    with tempfile.TemporaryDirectory(prefix="peerline-sentinel-") as tmp:
        sentinel = SentinelProcesses(Path(tmp))
        try:
            sentinel.start()
            yield sentinel
        finally:
            sentinel.close()
