"""Cross-node against same-node sessions on one relay cluster, in one run: two real
`tunnel-relay serve` nodes on a throwaway PostgreSQL, one agent with a simulated BMS on node
B, and G1 round trips (VR1 request to VR1 answer, through tunnel-connect's TCP port) over a
session whose client is on node B (same node) and one whose client is on node A (its agent's
data connection carried A to B over the node link). Sessions alternate in rounds so that
both see the same machine. Also: session setup for each kind, from the admin API's answer
with the token to SESSION_STATUS connected (TLS, HELLO, the claim, OPEN_SESSION to the agent,
its data connection, the pairing), measured with the tests' own protocol client.

    /usr/bin/python3 scripts/bench_cluster.py <folder with the programs> [round trips per round] [rounds]
"""
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))

import os  # noqa: E402

os.environ["TUNNEL_BIN_DIR"] = str(Path(sys.argv[1]).resolve())

from test_cluster import ClusterNode  # noqa: E402
from g1_round_trips import round_trips  # noqa: E402
from test_cluster_pairing import connect, start_agent  # noqa: E402
from throwaway_postgres import ThrowawayPostgres  # noqa: E402
from tunnel_client import TunnelSession  # noqa: E402


def setup_times(node: ClusterNode, count: int) -> list[float]:
    """Milliseconds from a created session's token to SESSION_STATUS connected, `count` times."""
    times = []
    for _ in range(count):
        status, body, _ = node.request("POST", "/v1/sessions", "admin", {"deviceId": "p1", "mode": "monitor"})
        assert status == 201, body
        started = time.perf_counter()
        session = TunnelSession("127.0.0.1", node.port, str(node.data / "tls" / "server-ca.pem"), body["token"])
        times.append((time.perf_counter() - started) * 1e3)
        session.close()
        time.sleep(0.05)
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster."))
    postgres = ThrowawayPostgres().start()
    node_a = ClusterNode(folder, postgres.url)
    node_b = node_a.node("node-b")
    results = {"same node": [], "cross node": []}
    setups = {"same node": [], "cross node": []}
    try:
        node_a.start()
        node_b.start()
        start_agent(node_b, folder, node_b.port)
        for round in range(rounds):
            for kind, node in (("same node", node_b), ("cross node", node_a)):
                setups[kind] += setup_times(node, 10)
                process, port = connect(node, "p1", node.port, node.admin_port, folder / f"connect-{round}-{kind[0]}.log")
                round_trips(port, 20)  # warm-up
                results[kind] += round_trips(port, count)
                process.send_signal(signal.SIGINT)
                process.wait(timeout=10)
                time.sleep(0.5)
    finally:
        node_a.stop()
        node_b.stop()
        postgres.stop()
    print(f"G1 round trip VR1 → answer, {rounds} rounds × {count} per kind, µs")
    print(f"{'kind':<12}{'p50':>10}{'p90':>10}{'p99':>10}{'mean':>10}{'setup p50 ms':>15}{'setup p90 ms':>15}")
    for kind, values in results.items():
        print(f"{kind:<12}{percentile(values, 50):>10.0f}{percentile(values, 90):>10.0f}{percentile(values, 99):>10.0f}"
              f"{statistics.mean(values):>10.0f}{percentile(setups[kind], 50):>15.1f}{percentile(setups[kind], 90):>15.1f}")
    added = percentile(results["cross node"], 50) - percentile(results["same node"], 50)
    print(f"cross node adds {added:.0f} µs at p50 (target ≤ 60 µs on loopback)")


if __name__ == "__main__":
    main()
