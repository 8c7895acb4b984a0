"""Fifty agents and two hundred sessions on three real `tunnel-relay serve` nodes behind a real
HAProxy in round robin (one real PostgreSQL): every session is created through the admin API of
one node or another and connects through the balancer, so its client, its agent's control
connection and its agent's data connection land wherever HAProxy sends them, and every one
answers a G1 request with a whole, CRC-valid sentence and is recorded as ended once. Sessions
run fifty at a time, each device's four one after the other."""
import json
import time
from concurrent.futures import ThreadPoolExecutor

from mqtt_fixtures import wait_for
from test_cluster import postgres  # noqa: F401  (the fixture)
from test_cluster_pairing import ANSWER, VR1, BalancedCluster, metric, vr1_answer
from tunnel_client import TunnelSession

AGENTS = 50
SESSIONS_PER_AGENT = 4


def test_fifty_agents_and_two_hundred_sessions_answer_whatever_node_each_connection_lands_on(postgres, tmp_path):  # noqa: F811
    devices = [f"s{index:02d}" for index in range(AGENTS)]
    with BalancedCluster(postgres, tmp_path, extra_devices=devices) as cluster:
        nodes, front, node_a = cluster.nodes, cluster.front, cluster.nodes[0]

        for device in devices:  # a quiet simulator each (answers only), and its agent through the balancer
            pty = tmp_path / f"{device}.pty"
            node_a.processes.start([node_a.bin / "bms-sim", "--pty", pty, "--broadcast-period", "3600"], tmp_path / f"sim-{device}.log")
        for device in devices:
            wait_for("the simulated BMS", lambda: (tmp_path / f"{device}.pty").is_symlink(), timeout=30)
            settings = tmp_path / device / "settings.json"
            settings.write_text(json.dumps({"serial": {"device": str(tmp_path / f"{device}.pty")},
                                            "tunnel": {"relay": f"127.0.0.1:{front}", "cert": "device.pem",
                                                       "key": "device-key.pem", "ca": "relay-ca.pem"}}))
            node_a.processes.start([node_a.bin / "tunnel-agent", "run", "--config", settings, "--state-dir",
                                    tmp_path / f"state-{device}", "--log-level", "warning"], tmp_path / f"agent-{device}.log")
        wait_for(f"{AGENTS} agents online", lambda: sum(d["online"] for d in node_a.request("GET", "/v1/devices?limit=100", "admin")[1]
                                                        if d["id"] in devices) == AGENTS, timeout=120, interval=1)
        holders = {d["relayNode"] for d in node_a.request("GET", "/v1/devices?limit=100", "admin")[1] if d["id"] in devices}
        ca = str(node_a.data / "tls" / "server-ca.pem")

        def sessions_of(index: int) -> list[float]:
            device, times = devices[index], []
            for round in range(SESSIONS_PER_AGENT):
                api = nodes[(index + round) % 3]
                status, body, _ = api.request("POST", "/v1/sessions", "admin", {"deviceId": device, "mode": "control"})
                assert status == 201, body
                started = time.monotonic()
                session = TunnelSession("127.0.0.1", front, ca, body["token"])
                try:
                    session.send(VR1)
                    vr1_answer(session.read_until(lambda received: ANSWER.search(received)))
                finally:
                    session.close()
                times.append(time.monotonic() - started)
                # As on one node, the device is busy until both sides of its control session
                # have ended and the end is recorded: the next session starts after that.
                wait_for(f"session {body['id']} recorded as ended",
                         lambda: api.request("GET", f"/v1/sessions/{body['id']}", "admin")[1].get("state") == "ended",
                         timeout=10, interval=0.05)
            return times

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=AGENTS) as pool:
            durations = [t for times in pool.map(sessions_of, range(AGENTS)) for t in times]
        elapsed = time.monotonic() - started
        crossed = sum(metric(n, "relay_cross_node_sessions_total") for n in nodes)
        durations.sort()
        print(f"{len(durations)} sessions in {elapsed:.1f} s, {AGENTS} at a time; connect-to-answer p50 "
              f"{durations[len(durations) // 2] * 1000:.0f} ms, max {durations[-1] * 1000:.0f} ms; agents on {sorted(holders)}; "
              f"{crossed:.0f} carried across nodes")
        assert len(durations) == AGENTS * SESSIONS_PER_AGENT
        assert len(holders) == 3, f"round robin put the agents on every node: {holders}"
        assert crossed > 0
