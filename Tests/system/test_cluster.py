"""Two real `tunnel-relay serve` nodes on one real PostgreSQL (a throwaway server of the
test's own): an agent on node A shows online on node B, owned by A; after A is killed with
SIGKILL (no clean stop, no last write) B shows the device offline once A's lease (15 s) has
run out, and not before (while A lives, its heartbeats keep the device online past one
lease); the agent reconnecting to B claims the device with a higher epoch.
B's /metrics and GET /v1/nodes give A's heartbeat age and lease, and `tunnel-relay device list`
agrees with the API."""
import json
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import test_admin_api as admin
from mqtt_fixtures import Processes, read, wait_for
from ports import free_port
from throwaway_postgres import ThrowawayPostgres

LEASE = 15  # NodeLease.standard.duration; docs/CLUSTER.md
HEARTBEAT = 3  # NodeLease.standard.heartbeatInterval


class ClusterNode(admin.Relay):
    """admin_api's relay (customers, devices p1–p3, one user per role) with its store in
    PostgreSQL; `node(name)` is another node on a copy of its data folder (the same TLS
    material) and the same store."""

    def __init__(self, folder: Path, database_url: str):
        self.database_url = database_url
        super().__init__(folder)
        self.name = "node-a"
        self.node_port = free_port()

    def cli(self, *args):
        return super().cli(*args, "--database-url", self.database_url)

    def node(self, name: str) -> "ClusterNode":
        other = ClusterNode.__new__(ClusterNode)
        other.__dict__.update(self.__dict__)
        other.name = name
        other.data = self.folder / f"relay-{name}"
        shutil.copytree(self.data, other.data)
        other.port, other.admin_port, other.log = free_port(), free_port(), self.folder / f"{name}.log"
        other.node_port = free_port()
        return other

    def start(self):
        self.process = self.processes.start(
            [self.bin / "tunnel-relay", "serve", "--data-dir", self.data, "--database-url", self.database_url,
             "--listen", f"127.0.0.1:{self.port}", "--public-address", f"127.0.0.1:{self.port}",
             "--admin-listen", f"127.0.0.1:{self.admin_port}", "--node-name", self.name,
             "--node-listen", f"127.0.0.1:{self.node_port}", "--node-address", f"127.0.0.1:{self.node_port}",
             *getattr(self, "serve_options", [])], self.log)
        wait_for(f"{self.name}'s admin API", lambda: self.request("GET", "/healthz")[0] == 200, timeout=30,
                 detail=lambda: read(self.log))
        return self

    def device(self, device="p1") -> dict:
        status, body, _ = self.request("GET", f"/v1/devices/{device}", "admin")
        assert status == 200, body
        return body

    def listed(self, device: str) -> str:
        """`device`'s line in `tunnel-relay device list` on this node's store."""
        return next(line for line in self.cli("device", "list").splitlines() if line.split() and line.split()[0] == device)

    def nodes(self) -> list:
        """GET /v1/nodes as an administrator."""
        status, body, _ = self.request("GET", "/v1/nodes", "admin")
        assert status == 200, body
        return body

    def heartbeat_age(self, of: str):
        """`relay_node_heartbeat_age_seconds{node=of}` from this node's /metrics, or None."""
        text = self.request("GET", "/metrics")[1]
        found = re.search(r'^relay_node_heartbeat_age_seconds\{node="' + re.escape(of) + r'"\} (\S+)$', text, re.M)
        return float(found.group(1)) if found else None


def start_agent(node: ClusterNode, folder: Path, log: Path):
    """p1's agent (with a simulated BMS) pointed at `node`'s tunnel port."""
    sim_link = folder / "bms.pty"
    if not sim_link.is_symlink():
        node.processes.start([node.bin / "bms-sim", "--pty", sim_link], folder / "sim.log")
        wait_for("the simulated BMS", lambda: sim_link.is_symlink(), timeout=20)
    settings = node.folder / "p1" / "settings.json"
    settings.write_text(json.dumps({"serial": {"device": str(sim_link)},
                                    "tunnel": {"relay": f"127.0.0.1:{node.port}", "cert": "device.pem",
                                               "key": "device-key.pem", "ca": "relay-ca.pem"}}))
    return node.processes.start([node.bin / "tunnel-agent", "run", "--config", settings, "--state-dir", folder / "state"], log)


@pytest.fixture
def postgres():
    server = ThrowawayPostgres().start()
    yield server
    server.stop()


def test_a_killed_nodes_agent_shows_offline_after_the_lease_and_online_again_on_the_node_it_reconnects_to(postgres, tmp_path):
    node_a = ClusterNode(tmp_path, postgres.url)
    node_b = node_a.node("node-b")
    try:
        node_a.start()
        a_started = time.monotonic()
        node_b.start()
        agent_log = tmp_path / "agent-a.log"
        agent = start_agent(node_a, tmp_path, agent_log)
        wait_for("p1 online on node B", lambda: node_b.device().get("online"), timeout=20, detail=lambda: read(agent_log))
        first = node_b.device()
        assert first["relayNode"] == "node-a", first
        assert first["presenceEpoch"] >= 1, first
        assert node_a.device() == first, "both nodes read one store"
        age = wait_for("node A's heartbeat age on node B", lambda: node_b.heartbeat_age("node-a"), timeout=10)
        assert 0 <= age <= HEARTBEAT + 1, age
        assert node_b.heartbeat_age("node-b") is None, "a node gives the others' ages, not its own"
        listed = node_b.listed("p1")
        assert "\tonline (" in listed and "on node-a)" in listed, listed
        nodes = node_b.nodes()
        assert [(n["name"], n["live"], n["agents"], n["answering"]) for n in nodes] == \
            [("node-a", True, 1, False), ("node-b", True, 0, True)], nodes
        assert nodes[0]["address"] == f"127.0.0.1:{node_a.node_port}" and nodes[0]["heartbeatAgeSeconds"] <= HEARTBEAT + 1, nodes
        from_a = node_a.nodes()
        assert from_a == [dict(n, answering=not n["answering"], heartbeatAgeSeconds=m["heartbeatAgeSeconds"])
                          for n, m in zip(nodes, from_a)], "both nodes list the same"
        listed_nodes = [line.split("\t") for line in node_b.cli("node", "list").splitlines()]
        assert [(n[0], n[1], n[2], n[3]) for n in listed_nodes] == \
            [("node-a", f"127.0.0.1:{node_a.node_port}", "live", "1 agents"), ("node-b", f"127.0.0.1:{node_b.node_port}", "live", "0 agents")], \
            listed_nodes
        status, body, _ = node_b.request("GET", "/v1/nodes", "engineer")
        assert status == 403, (status, body)

        # Past one lease since A registered, A's heartbeats (not its registration) keep p1 online.
        time.sleep(max(0.0, LEASE + 2 - (time.monotonic() - a_started)))
        assert node_b.device()["online"], "node A's heartbeats did not keep its agent online"
        assert node_b.heartbeat_age("node-a") <= HEARTBEAT + 1

        node_a.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        node_a.process.wait(timeout=10)
        # While A's lease holds, B still shows the device online: A may only be slow.
        assert node_b.device()["online"], "offline before the lease ran out"
        wait_for("p1 offline on node B", lambda: not node_b.device()["online"], timeout=LEASE + HEARTBEAT + 5,
                 interval=0.2, detail=lambda: read(node_b.log)[-3000:])
        offline_after = time.monotonic() - killed
        print(f"p1 showed offline on node B {offline_after:.1f} s after node A's SIGKILL")
        # A's last heartbeat was at most one interval before the kill; the lease runs from it.
        assert LEASE - HEARTBEAT - 1 <= offline_after <= LEASE + 2, offline_after
        gone = node_b.device()
        assert gone["relayNode"] == "node-a" and gone["presenceEpoch"] == first["presenceEpoch"], gone
        assert node_b.heartbeat_age("node-a") > LEASE
        dead = node_b.nodes()[0]
        assert dead["name"] == "node-a" and not dead["live"] and dead["agents"] == 0, dead
        assert dead["heartbeatAgeSeconds"] > LEASE, dead
        assert node_b.cli("node", "list").splitlines()[0].split("\t")[2] == "gone"
        listed = node_b.listed("p1")
        assert "\toffline, last seen" in listed and "on node-a)" in listed, listed

        # The agent is still trying dead node A; it comes back through node B.
        Processes.stop(agent)
        agent_log_b = tmp_path / "agent-b.log"
        start_agent(node_b, tmp_path, agent_log_b)
        wait_for("p1 online on node B, held by node B", lambda: node_b.device().get("relayNode") == "node-b"
                 and node_b.device()["online"], timeout=20, detail=lambda: read(agent_log_b))
        moved = node_b.device()
        assert moved["presenceEpoch"] > first["presenceEpoch"], moved
        metrics = node_b.request("GET", "/metrics")[1]
        assert re.search(r"^relay_agents_connected 1(\.0)?$", metrics, re.M), metrics
    finally:
        node_a.stop()
        print(read(node_a.log)[-3000:])
        print(read(node_b.log)[-3000:])


def test_presence_benchmark_smoke_run_prints_its_figures(postgres, tmp_path):
    """`tunnel-bench presence` on a small fleet: every figure line is there (a smoke run of the
    benchmark, not a measurement)."""
    from programs import bin_path
    result = subprocess.run([str(bin_path(["tunnel-bench"]) / "tunnel-bench"), "presence", "--database-url", postgres.url,
                             "--agents", "200", "--writers", "8"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for figure in ["claims (agents online)", "offline writes", "heartbeats", "device list with leases (200 devices)"]:
        line = next((l for l in result.stdout.splitlines() if figure in l), None)
        assert line and re.search(r"\d+\.\d /s\s+p50\s+\d+\.\d\d ms\s+p99\s+\d+\.\d\d ms", line), result.stdout
