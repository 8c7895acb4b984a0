"""Sessions paired across relay nodes (real `tunnel-relay serve` processes on one real
PostgreSQL, linked over their node listeners with mutual TLS): a client on node A reaches an
agent whose connections are on node B, byte-exact, and a monitor on node C sees that control
session's traffic; the session is recorded once, on the client's node, and each node's
metrics count what crossed. Then the same through a real HAProxy in round robin in front of
three nodes, where every connection lands wherever the balancer sends it."""
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import console_http
from g1_round_trips import ANSWER, VR1
from mqtt_fixtures import port_open, read, wait_for
from ports import free_port
from test_cluster import ClusterNode, postgres  # noqa: F401  (the fixture)
from test_proxy_protocol import g1_crc, haproxy_binary


@contextmanager
def running_nodes(postgres, folder: Path, *others: str, serve_options=()):
    """node-a and `others` (by name) started on one store, each with `serve_options`; each is
    stopped afterwards, and the end of its log printed (shown when the test failed)."""
    node_a = ClusterNode(folder, postgres.url)
    nodes = (node_a, *(node_a.node(name) for name in others))
    try:
        for node in nodes:
            node.serve_options = list(serve_options)
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        for node in nodes:
            print(f"--- {node.name}", read(node.log)[-2000:])


def start_agent(node: ClusterNode, folder: Path, relay_port: int, device="p1", simulator=True):
    """`device`'s agent with its own simulated BMS (or a serial port that does not exist),
    dialling `relay_port`."""
    sim_link = folder / f"{device}.pty"
    if simulator:
        node.processes.start([node.bin / "bms-sim", "--pty", sim_link], folder / f"sim-{device}.log")
        wait_for("the simulated BMS", lambda: sim_link.is_symlink(), timeout=20)
    settings = node.folder / device / "settings.json"
    settings.write_text(json.dumps({"serial": {"device": str(sim_link)},
                                    "tunnel": {"relay": f"127.0.0.1:{relay_port}", "cert": "device.pem",
                                               "key": "device-key.pem", "ca": "relay-ca.pem"}}))
    log = folder / f"agent-{device}.log"
    node.processes.start([node.bin / "tunnel-agent", "run", "--config", settings, "--state-dir", folder / f"state-{device}"], log)
    wait_for(f"{device} online", lambda: node.device(device).get("online"), timeout=30, detail=lambda: read(log))
    return log


def connect(node: ClusterNode, device: str, relay_port: int, admin_port: int, log: Path, mode="control", role=None,
            extra=(), wait=True):
    """tunnel-connect creating a `mode` session through `admin_port`, on a local TCP port;
    waits until it is connected unless `wait` is false."""
    port = free_port()
    handle = open(log, "wb")
    process = subprocess.Popen(
        [str(a) for a in [node.bin / "tunnel-connect", "--device", device, "--mode", mode,
                          "--relay", f"127.0.0.1:{relay_port}", "--admin-url", f"https://127.0.0.1:{admin_port}",
                          "--ca", node.data / "tls" / "server-ca.pem", "--tcp", f"127.0.0.1:{port}", *extra]],
        env=dict(os.environ, TUNNEL_API_KEY=node.keys[role or ("admin" if mode == "control" else "viewer")]),
        stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    node.processes.started.append(process)
    if wait:
        wait_for("the session", lambda: "Connected to device" in read(log), timeout=30, detail=lambda: read(log))
    return process, port


def ask_vr1(port: int) -> bytes:
    """Sends VR1 through the session's local port and reads until its answer is among the
    simulator's broadcasts (or 5 s pass)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(VR1)
        received, deadline = b"", time.time() + 5
        while not ANSWER.search(received) and time.time() < deadline:
            received += sock.recv(4096)
    return received


def vr1_answer(received: bytes) -> bytes:
    """The VR1 answer among the simulator's broadcasts, its CRC checked."""
    answers = [line for line in received.split(b"\r\n") if line.startswith(b"VR1,") and line + b"\r\n" != VR1]
    assert answers, received
    line = answers[0]
    body, crc = line[:line.rindex(b",") + 1], line[line.rindex(b",") + 1:]
    assert int(crc, 16) == g1_crc(body), f"the answer's CRC does not match its bytes: {line!r}"
    return line


def ended_sessions(node: ClusterNode, count: int) -> list:
    """The ended sessions node reads from the store, once there are `count`."""
    def ended():
        found = [s for s in node.request("GET", "/v1/sessions?limit=100", "admin")[1] if s["state"] == "ended"]
        return found if len(found) >= count else None
    return wait_for(f"{count} ended sessions", ended, timeout=10)


def metric(node: ClusterNode, name: str) -> float:
    text = node.request("GET", "/metrics")[1]
    found = re.findall(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(found[0]) if found else 0.0


def test_a_client_on_one_node_reaches_an_agent_on_another_and_a_monitor_on_a_third_sees_it(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b", "node-c") as (node_a, node_b, node_c):
        agent_log = start_agent(node_b, tmp_path, node_b.port)
        assert node_a.device()["relayNode"] == "node-b"

        control, control_port = connect(node_a, "p1", node_a.port, node_a.admin_port, tmp_path / "control.log")
        monitor, monitor_port = connect(node_c, "p1", node_c.port, node_c.admin_port, tmp_path / "monitor.log", "monitor")
        watch = socket.create_connection(("127.0.0.1", monitor_port), timeout=5)
        vr1_answer(ask_vr1(control_port))
        # The monitor on node C gets the control session's answer from the agent's serial line.
        seen, deadline = b"", time.time() + 5
        while not ANSWER.search(seen) and time.time() < deadline:
            seen += watch.recv(4096)
        watch.close()
        vr1_answer(seen)

        sessions = [s for s in node_b.request("GET", "/v1/sessions?deviceId=p1", "admin")[1] if s["state"] == "running"]
        assert len(sessions) == 2, sessions
        assert metric(node_a, "relay_cross_node_sessions_total") == 1
        assert metric(node_c, "relay_cross_node_sessions_total") == 1
        assert metric(node_b, "relay_cross_node_sessions_total") == 0

        for process in (control, monitor):
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
        ended = ended_sessions(node_c, 2)
        control_record = next(s for s in ended if s["mode"] == "control")
        assert control_record["bytesToDevice"] == len(VR1), control_record
        assert control_record["bytesFromDevice"] > 0, control_record
        audit = node_a.request("GET", "/v1/audit?deviceId=p1", "admin")[1]
        ends = [e for e in audit if e["event"] == "session.ended" and e.get("sessionId") == control_record["id"]]
        assert len(ends) == 1, f"one record of the session's end: {ends}"
        assert metric(node_b, 'relay_node_forwarded_bytes_total{direction="to_device"}') >= len(VR1)
        assert metric(node_b, 'relay_node_forwarded_bytes_total{direction="from_device"}') > 0


def test_one_control_session_per_device_across_nodes_and_an_administrator_takes_it_over_from_another(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b", "node-c") as (node_a, node_b, node_c):
        start_agent(node_b, tmp_path, node_b.port)
        held, held_port = connect(node_a, "p1", node_a.port, node_a.admin_port, tmp_path / "held.log", role="engineer")
        vr1_answer(ask_vr1(held_port))

        refused_log = tmp_path / "refused.log"
        refused, _ = connect(node_c, "p1", node_c.port, node_c.admin_port, refused_log, role="engineer", wait=False)
        assert refused.wait(timeout=30) != 0, read(refused_log)
        assert "device p1 has a control session by eng since" in read(refused_log), read(refused_log)
        assert "on relay node node-a" in read(refused_log), read(refused_log)
        assert held.poll() is None, "the session holding the device goes on"
        vr1_answer(ask_vr1(held_port))

        started = time.monotonic()
        taking, taking_port = connect(node_c, "p1", node_c.port, node_c.admin_port, tmp_path / "take-over.log",
                                      role="admin", extra=["--take-over"])
        wait_for("the held session ended by node A", lambda: held.poll() is not None, timeout=5, interval=0.05,
                 detail=lambda: read(tmp_path / "held.log") + read(node_a.log)[-2000:])
        elapsed = time.monotonic() - started
        print(f"the session on node A ended {elapsed:.2f} s after the take-over through node C began")
        # Whichever tells it first: the agent (the take-over's OPEN_SESSION) or node A (the store's request).
        ended = read(tmp_path / "held.log").splitlines()[-1]
        assert re.fullmatch(r"Session ended: (the agent's connection ended: an administrator took the session over"
                            r"|boss \(administrator\) took over the control session)", ended), ended
        vr1_answer(ask_vr1(taking_port))
        taking.send_signal(signal.SIGINT)
        taking.wait(timeout=10)


def test_an_agent_refusing_a_session_of_another_node_is_told_to_that_nodes_client(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b") as (node_a, node_b):
        start_agent(node_b, tmp_path, node_b.port, simulator=False)  # its serial port does not exist
        log = tmp_path / "connect.log"
        started = time.monotonic()
        process, _ = connect(node_a, "p1", node_a.port, node_a.admin_port, log, role="engineer", wait=False)
        assert process.wait(timeout=20) != 0, read(log)
        elapsed = time.monotonic() - started
        print(f"the client on node A heard the agent's refusal on node B after {elapsed:.2f} s")
        assert "the agent refused the session: " in read(log), read(log)
        assert elapsed < 10, "told, not left to wait for the 30 s setup timeout"
        ended = ended_sessions(node_a, 1)[0]
        assert ended["endReason"].startswith("the agent refused the session: "), ended


def haproxy_round_robin(folder: Path, nodes, front: int) -> str:
    servers = "\n".join(f"    server {n.name} 127.0.0.1:{n.port} check inter 500ms fall 2 rise 2" for n in nodes)
    return f"""
global
    log stdout format raw local0
    maxconn 2000

defaults
    mode tcp
    log global
    option redispatch
    retries 3
    timeout connect 1s
    timeout client 5m
    timeout server 5m

frontend tunnel
    bind 127.0.0.1:{front}
    default_backend relays

backend relays
    balance roundrobin
{servers}
"""


class BalancedCluster:
    """`count` nodes (node-a, node-b, …) on the test's PostgreSQL, with `extra_devices` added
    for customer acme, behind a real HAProxy in round robin at `front`; stopped on leaving."""

    def __init__(self, postgres, folder: Path, count=3, extra_devices=()):
        self.haproxy = haproxy_binary()
        first = ClusterNode(folder, postgres.url)
        for device in extra_devices:
            first.cli("device", "add", device, "--customer", "acme", "--bundle", folder / device)
        self.nodes = [first] + [first.node(f"node-{chr(ord('b') + index)}") for index in range(count - 1)]
        self.folder, self.front = folder, free_port()

    def __enter__(self) -> "BalancedCluster":
        try:
            for node in self.nodes:
                node.start()
            config = self.folder / "haproxy.cfg"
            config.write_text(haproxy_round_robin(self.folder, self.nodes, self.front))
            log = self.folder / "haproxy.log"
            self.nodes[0].processes.start([self.haproxy, "-db", "-f", config], log)
            wait_for("HAProxy's front", lambda: port_open(self.front), timeout=20, detail=lambda: read(log))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *failure):
        for node in self.nodes:
            node.stop()
        print(*(read(n.log)[-1500:] for n in self.nodes))


def test_sessions_through_a_round_robin_balancer_answer_whatever_node_each_connection_lands_on(postgres, tmp_path):  # noqa: F811
    with BalancedCluster(postgres, tmp_path) as cluster:
        nodes, front, node_a = cluster.nodes, cluster.front, cluster.nodes[0]
        for device in ("p1", "p3"):  # two agents, of two customers (acme, beta)
            start_agent(node_a, tmp_path, front, device)
        holders = {node_a.device(d)["relayNode"] for d in ("p1", "p3")}
        rounds = 9
        for round in range(rounds):
            device = ("p1", "p3")[round % 2]
            admin_node = nodes[round % 3]
            log = tmp_path / f"connect-{round}.log"
            process, port = connect(node_a, device, front, admin_node.admin_port, log)
            vr1_answer(ask_vr1(port))
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
        crossed = sum(metric(n, "relay_cross_node_sessions_total") for n in nodes)
        print(f"{rounds} sessions, agents held by {sorted(holders)}, {crossed:.0f} carried across nodes")
        assert crossed > 0, "round robin put no session's two connections on different nodes"
        ended = ended_sessions(node_a, rounds)
        assert all(s["bytesToDevice"] == len(VR1) and s["bytesFromDevice"] > 0 for s in ended), ended


def data_node(nodes, session_id: str, client_node: ClusterNode) -> ClusterNode:
    """Where the session's agent data connection landed: the node that logged carrying it, or
    the client's node when none did."""
    for node in nodes:
        if any("carried to the client's node" in line and f"session.id={session_id}" in line for line in read(node.log).splitlines()):
            return node
    return client_node


def test_a_node_killed_under_load_loses_only_what_ran_through_it_and_its_agents_come_back_elsewhere(postgres, tmp_path):  # noqa: F811
    devices = ["p1", "p2", "p3", "p4", "p5", "p6"]
    with BalancedCluster(postgres, tmp_path, extra_devices=devices[3:]) as cluster:
        nodes, front, node_a = cluster.nodes, cluster.front, cluster.nodes[0]
        for device in devices:
            start_agent(node_a, tmp_path, front, device)
        sessions = []  # (device, process, port, session id, client node)
        for index, device in enumerate(devices):
            client = nodes[index % 3]
            log = tmp_path / f"connect-{device}.log"
            process, port = connect(client, device, client.port, client.admin_port, log)
            vr1_answer(ask_vr1(port))
            session_id = re.search(r"Session (\w+) opened", read(log)).group(1)
            sessions.append((device, process, port, session_id, client))

        holders = {d: node_a.device(d)["relayNode"] for d in devices}
        victim = max(nodes, key=lambda n: list(holders.values()).count(n.name))
        moved = [d for d, holder in holders.items() if holder == victim.name]
        survivors = [s for s in sessions if s[4] is not victim and data_node(nodes, s[3], s[4]) is not victim]
        others = [n for n in nodes if n is not victim]
        victim.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        victim.process.wait(timeout=10)

        def back_elsewhere():
            return all(others[0].device(d).get("online") and others[0].device(d)["relayNode"] != victim.name for d in moved)
        wait_for(f"{moved} online again on another node", back_elsewhere, timeout=15, interval=0.1,
                 detail=lambda: read(others[0].log)[-2000:])
        back_after = time.monotonic() - killed
        print(f"killed {victim.name} holding {moved}: back on other nodes after {back_after:.1f} s; "
              f"{len(survivors)} of {len(sessions)} sessions ran through other nodes only")
        assert back_after <= 10, back_after
        for device, process, port, session_id, client in survivors:
            assert process.poll() is None, f"{device}'s session through {client.name} was disturbed"
            vr1_answer(ask_vr1(port))


def test_with_the_store_away_sessions_go_on_new_ones_are_refused_clearly_and_all_recovers(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b") as (node_a, node_b):
        start_agent(node_b, tmp_path, node_b.port)
        running, port = connect(node_a, "p1", node_a.port, node_a.admin_port, tmp_path / "running.log", role="engineer")
        vr1_answer(ask_vr1(port))

        postgres.pause()
        away = time.monotonic()
        refused_log = tmp_path / "refused.log"
        refused, _ = connect(node_b, "p1", node_b.port, node_b.admin_port, refused_log, mode="monitor", wait=False)
        assert refused.wait(timeout=30) != 0, read(refused_log)
        print("a new session while the store is away:", read(refused_log).strip().splitlines()[-1])
        assert "store" in read(refused_log).lower(), read(refused_log)
        while time.monotonic() - away < 6:  # the session through both nodes goes on meanwhile
            vr1_answer(ask_vr1(port))
        assert running.poll() is None
        running.send_signal(signal.SIGINT)  # its end is written once the store is back
        running.wait(timeout=10)

        postgres.resume()
        back = time.monotonic()

        def new_session_works():
            log = tmp_path / f"after-{time.monotonic():.0f}.log"
            process, monitor_port = connect(node_b, "p1", node_b.port, node_b.admin_port, log, mode="monitor", wait=False)
            try:
                wait_for("the session", lambda: "Connected to device" in read(log) or process.poll() is not None, timeout=30)
                return process.poll() is None
            finally:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=10)
        wait_for("a new session once the store is back", new_session_works, timeout=60, interval=1)
        print(f"new sessions worked again {time.monotonic() - back:.1f} s after the store came back")
        ended = ended_sessions(node_a, 2)
        mine = [s for s in ended if s["id"] in read(tmp_path / "running.log")]
        assert mine and mine[0]["bytesToDevice"] >= len(VR1) and mine[0]["endReason"] == "the engineer closed tunnel-connect", ended


def test_a_node_told_to_stop_sends_its_agents_elsewhere_at_once_and_tells_its_sessions_why(postgres, tmp_path):  # noqa: F811
    devices = ["p1", "p2", "p3", "p4"]
    with BalancedCluster(postgres, tmp_path, count=2, extra_devices=["p4"]) as cluster:
        nodes, front, node_a = cluster.nodes, cluster.front, cluster.nodes[0]
        for device in devices:
            start_agent(node_a, tmp_path, front, device)
        holders = {d: node_a.device(d)["relayNode"] for d in devices}
        victim = max(nodes, key=lambda n: list(holders.values()).count(n.name))
        other = next(n for n in nodes if n is not victim)
        moved = [d for d, holder in holders.items() if holder == victim.name]
        log = tmp_path / "on-victim.log"
        session, port = connect(victim, moved[0], victim.port, victim.admin_port, log)
        vr1_answer(ask_vr1(port))

        victim.process.send_signal(signal.SIGTERM)
        told = time.monotonic()
        wait_for(f"{moved} online on {other.name}", lambda: all(
            other.device(d).get("online") and other.device(d)["relayNode"] == other.name for d in moved), timeout=10, interval=0.1)
        back_after = time.monotonic() - told
        vr1_answer(ask_vr1(port))  # the session runs on within the grace period
        session.wait(timeout=20)
        ended_after = time.monotonic() - told
        print(f"SIGTERM to {victim.name}: its agents {moved} online on {other.name} after {back_after:.2f} s; "
              f"its session ended after {ended_after:.1f} s: {read(log).strip().splitlines()[-1]}")
        assert back_after <= 3, back_after
        assert "the relay is shutting down" in read(log).strip().splitlines()[-1], read(log)
        assert victim.process.wait(timeout=20) == 0
        assert "Relay node removed" in read(victim.log)


def test_any_node_answers_the_live_telemetry_of_an_agent_held_by_another(postgres, tmp_path):  # noqa: F811
    import urllib.request
    from mqtt_fixtures import Broker, mosquitto_path, start_live_agent
    from peers import missing_peer
    if mosquitto_path() is None:
        missing_peer("no mosquitto broker (Debian package mosquitto)")
    with running_nodes(postgres, tmp_path, "node-b") as (node_a, node_b):
        broker = Broker(node_a.processes, tmp_path / "broker").start()
        start_live_agent(node_a.processes, node_a.bin, node_a.folder / "p1", node_b.port, broker.port, tmp_path)
        wait_for("p1 held by node B", lambda: node_a.device().get("online") and node_a.device()["relayNode"] == "node-b", timeout=30)

        def latest(node):
            values = node.request("GET", "/v1/devices/p1/telemetry", "engineer")[1].get("values", {})
            return values if "packVoltage" in values else None
        on_b = wait_for("live telemetry on node B", lambda: latest(node_b), timeout=30, detail=lambda: read(tmp_path / "agent.log")[-2000:])
        on_a = latest(node_a)
        assert on_a and 40 < on_a["packVoltage"]["value"] < 70, on_a
        assert on_a["packVoltage"]["ts"] >= on_b["packVoltage"]["ts"] - 5000, (on_a, on_b)

        request = urllib.request.Request(f"https://127.0.0.1:{node_a.admin_port}/v1/devices/p1/telemetry/stream")
        request.add_header("Authorization", f"Bearer {node_a.keys['viewer']}")
        with urllib.request.urlopen(request, context=node_a.context, timeout=10) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            line = stream.readline().decode()
            while not line.startswith("data: "):
                line = stream.readline().decode()
        record = json.loads(line[len("data: "):])
        assert record["ts"] > 0 and record["values"], record


def test_a_session_waiting_on_one_node_starts_when_its_agent_connects_to_another(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b") as (node_a, node_b):
        log = tmp_path / "waiting.log"
        waiting, port = connect(node_a, "p1", node_a.port, node_a.admin_port, log, role="engineer", wait=False)
        wait_for("the session waiting for its agent", lambda: "Waiting for the agent" in read(log), timeout=30, detail=lambda: read(log))
        start_agent(node_b, tmp_path, node_b.port)
        started = time.monotonic()
        wait_for("the session connected", lambda: "Connected to device" in read(log), timeout=10, interval=0.1,
                 detail=lambda: read(log) + read(node_a.log)[-2000:])
        print(f"the session waiting on node A connected {time.monotonic() - started:.2f} s after p1's agent was online on node B")
        vr1_answer(ask_vr1(port))
        waiting.send_signal(signal.SIGINT)
        waiting.wait(timeout=10)


def test_revoking_a_device_on_one_node_cuts_its_session_and_agent_on_the_others_within_2_s(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b", "node-c") as (node_a, node_b, node_c):
        agent_log = start_agent(node_b, tmp_path, node_b.port)
        held, port = connect(node_a, "p1", node_a.port, node_a.admin_port, tmp_path / "held.log", role="engineer")
        vr1_answer(ask_vr1(port))
        started = time.monotonic()
        status, body, _ = node_c.request("POST", "/v1/devices/p1/revoke", "admin")
        assert status == 200, body
        held.wait(timeout=5)
        cut_after = time.monotonic() - started
        wait_for("p1's agent cut by node B", lambda: "revoked" in read(agent_log), timeout=5, interval=0.05)
        agent_after = time.monotonic() - started
        print(f"revoked through node C: the session on node A ended after {cut_after:.2f} s, the agent on node B was cut after {agent_after:.2f} s")
        assert cut_after <= 2.0 and agent_after <= 2.0, (cut_after, agent_after)
        assert "revoked" in read(tmp_path / "held.log").strip().splitlines()[-1], read(tmp_path / "held.log")


def test_a_diagnostic_bundle_asked_of_one_node_comes_from_the_agent_on_another(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b") as (node_a, node_b):
        start_agent(node_b, tmp_path, node_b.port)
        started = time.monotonic()
        status, body, _ = node_a.request("POST", "/v1/devices/p1/diagnostics", "admin")
        assert status == 202 and body["status"] == "requested" and body["requestedBy"] == "boss", (status, body)
        bundle = body["id"]
        status, body, _ = node_a.request("POST", "/v1/devices/p1/diagnostics", "admin")
        assert status == 409 and body["error"]["code"] == "diagnosticsPending", (status, body)

        def arrived():
            listed = node_a.request("GET", "/v1/devices/p1/diagnostics", "admin")[1]
            mine = next(item for item in listed if item["id"] == bundle)
            assert mine["status"] != "failed", mine
            return mine if mine["status"] == "received" else None
        wait_for("the bundle to arrive", arrived, timeout=60, interval=0.05, detail=lambda: read(node_b.log)[-3000:])
        print(f"a bundle asked through node A came from p1's agent on node B {time.monotonic() - started:.2f} s later")
        record = arrived()
        request = urllib.request.Request(f"https://127.0.0.1:{node_a.admin_port}/v1/devices/p1/diagnostics/{bundle}",
                                         headers={"Authorization": f"Bearer {node_a.keys['admin']}"})
        with urllib.request.urlopen(request, context=node_a.context, timeout=10) as response:
            archive = response.read()
        assert len(archive) == record["size"] and hashlib.sha256(archive).hexdigest() == record["sha256"], record
        events = [e["event"] for e in node_a.request("GET", "/v1/audit?deviceId=p1", "admin")[1]]
        assert {"device.diagnostics_requested", "device.diagnostics_forwarded", "device.diagnostics_received"} <= set(events), events
        # No node holds p2's agent: refused, and nothing is written for another node to act on.
        status, body, _ = node_a.request("POST", "/v1/devices/p2/diagnostics", "admin")
        assert status == 409 and body["error"]["code"] == "agentOffline", (status, body)
        assert node_a.request("GET", "/v1/devices/p2/diagnostics", "admin")[1] == []


def test_a_certificate_renewal_asked_of_one_node_reaches_the_agent_on_another(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b") as (node_a, node_b):
        agent_log = start_agent(node_b, tmp_path, node_b.port)
        started = time.monotonic()
        status, body, _ = node_a.request("POST", "/v1/devices/p1/certificate/renew", "admin")
        assert status == 202 and body["id"] == "p1", (status, body)
        wait_for("p1's certificate renewed", lambda: "Device certificate renewed" in read(agent_log), timeout=10,
                 detail=lambda: read(agent_log)[-2000:] + read(node_b.log)[-2000:])
        print(f"a renewal asked through node A was done by p1's agent on node B {time.monotonic() - started:.2f} s later")
        def events():
            return node_a.request("GET", "/v1/audit?deviceId=p1", "admin")[1]
        wait_for("the old certificate retired", lambda: "device.credential_changed" in [e["event"] for e in events()],
                 timeout=10, detail=lambda: events())
        assert [e["actor"] for e in events() if e["event"] == "device.renewal_requested"] == ["boss"], events()
        # No node holds p2's agent: refused, and nothing is written for another node to act on.
        status, body, _ = node_a.request("POST", "/v1/devices/p2/certificate/renew", "admin")
        assert status == 409 and body["error"]["code"] == "agentOffline", (status, body)


def get_from(node, path, cookies=None, headers=None):
    """(status, headers, text) of a GET to `node`'s admin port (console pages and the admin API)."""
    return console_http.call(node.admin_port, node.context, "GET", path, cookies=cookies, headers=headers)


def test_a_session_whose_client_is_on_one_node_is_watched_from_the_console_of_another(postgres, tmp_path):  # noqa: F811
    import http.client
    with running_nodes(postgres, tmp_path, "node-b") as (node_a, node_b):
        start_agent(node_b, tmp_path, node_b.port)
        log = tmp_path / "control.log"
        control, port = connect(node_a, "p1", node_a.port, node_a.admin_port, log)
        session = next(s for s in node_a.request("GET", "/v1/sessions?deviceId=p1", "admin")[1] if s["state"] == "running")

        # The viewer vic, signed in to node B's console, watches the session node A holds.
        cookies = console_http.sign_in(node_b.admin_port, node_b.context, api_key=node_b.keys["viewer"])
        status, _, page = get_from(node_b, f"/console/sessions/{session['id']}", cookies=cookies)
        assert status == 200 and 'id="watch-link"' in page, page[-2000:]
        status, _, page = get_from(node_b, f"/console/sessions/{session['id']}/watch", cookies=cookies)
        assert f'data-watch="/console/sessions/{session["id"]}/watch/events"' in page, page[-2000:]
        stream = http.client.HTTPSConnection("127.0.0.1", node_b.admin_port, context=node_b.context, timeout=10)
        stream.request("GET", f"/console/sessions/{session['id']}/watch/events",
                       headers={"Cookie": f"tunnel_console={cookies['tunnel_console']}"})
        response = stream.getresponse()
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream"), response.status

        def next_event():
            event, data = None, []
            while True:
                line = response.fp.readline().decode()
                assert line, "the stream ended"
                line = line.rstrip("\n")
                if line.startswith("event: "):
                    event = line[len("event: "):]
                elif line.startswith("data: "):
                    data.append(line[len("data: "):])
                elif line == "" and event:
                    return event, "\n".join(data)

        def until(wanted, limit=200):
            for _ in range(limit):
                event, data = next_event()
                if wanted(event, data):
                    return event, data
            raise AssertionError("not among the events")

        until(lambda event, data: event == "watchers" and "vic" in json.loads(data))
        wait_for("tunnel-connect to say vic watches", lambda: "Watching this session in the browser: vic" in read(log),
                 timeout=10, detail=lambda: read(log))
        vr1_answer(ask_vr1(port))
        _, request = until(lambda event, data: event == "sentence" and json.loads(data)["name"] == "VR1")
        request = json.loads(request)
        assert request["direction"] == "to_device" and request["line"] == "VR1,?,D7" and "VR1 request" in request["meaning"]
        _, answer = until(lambda event, data: event == "sentence" and json.loads(data)["name"] == "VR1")
        answer = json.loads(answer)
        assert answer["direction"] == "from_device" and "firmware" in answer["meaning"], answer

        # The session ends on node A: node B's watcher is told.
        control.send_signal(signal.SIGINT)
        control.wait(timeout=10)
        until(lambda event, data: event == "ended")
        stream.close()


def test_a_capture_recorded_on_one_node_is_replayed_and_downloaded_through_another(postgres, tmp_path):  # noqa: F811
    with running_nodes(postgres, tmp_path, "node-b", serve_options=["--capture"]) as (node_a, node_b):
        start_agent(node_b, tmp_path, node_b.port)
        control, port = connect(node_a, "p1", node_a.port, node_a.admin_port, tmp_path / "control.log")
        session = next(s for s in node_a.request("GET", "/v1/sessions?deviceId=p1", "admin")[1] if s["state"] == "running")
        vr1_answer(ask_vr1(port))
        control.send_signal(signal.SIGINT)
        control.wait(timeout=10)
        wait_for("the session's end", lambda: node_a.request("GET", f"/v1/sessions/{session['id']}", "admin")[1].get("endedAt"),
                 timeout=10)
        recorded = node_a.data / "captures" / f"{session['id']}.jsonl"
        wait_for("node A's capture file", lambda: recorded.is_file() and b"VR1,?,D7" in recorded.read_bytes(), timeout=10)
        assert not (node_b.data / "captures" / f"{session['id']}.jsonl").exists()

        # Node B's console, asked by the administrator who created it, reads it from node A.
        cookies = console_http.sign_in(node_b.admin_port, node_b.context, api_key=node_b.keys["admin"])
        status, _, page = get_from(node_b, f"/console/sessions/{session['id']}", cookies=cookies)
        assert status == 200 and 'id="replay-link"' in page, page[-2000:]
        status, _, text = get_from(node_b, f"/console/sessions/{session['id']}/capture.json", cookies=cookies)
        assert status == 200, text[-1000:]
        replay = json.loads(text)
        request = next(s for s in replay["sentences"] if s["line"] == "VR1,?,D7")
        assert request["direction"] == "to_device" and "VR1 request" in request["meaning"], request
        assert any(s["name"] == "VR1" and s["direction"] == "from_device" for s in replay["sentences"]), replay["sentences"][:5]
        assert replay["bytesToDevice"] == len(VR1) and not replay["truncated"] and replay["unreadable"] == 0, replay
        status, headers, text = get_from(node_b, f"/console/sessions/{session['id']}/capture.jsonl", cookies=cookies)
        assert status == 200 and "attachment" in headers["Content-Disposition"], (status, headers)
        assert text.encode() == recorded.read_bytes(), "the download is node A's file, byte for byte"
        admin = {"Authorization": f"Bearer {node_b.keys['admin']}"}
        status, _, text = get_from(node_b, f"/v1/sessions/{session['id']}/capture", headers=admin)
        assert status == 200 and text.encode() == recorded.read_bytes(), "the admin API reads it from node A too"

        # A session no node recorded is a clear 404 on either node.
        _, other_port = connect(node_a, "p1", node_a.port, node_a.admin_port, tmp_path / "second.log")
        second = next(s for s in node_a.request("GET", "/v1/sessions?deviceId=p1", "admin")[1] if s["state"] == "running")
        (node_a.data / "captures" / f"{second['id']}.jsonl").unlink()
        status, _, text = get_from(node_b, f"/console/sessions/{second['id']}/capture.json", cookies=cookies)
        assert status == 404 and "has no capture" in text, (status, text[-500:])
        status, _, text = get_from(node_b, f"/v1/sessions/{second['id']}/capture", headers=admin)
        assert status == 404 and "has no capture" in text, (status, text[-500:])
