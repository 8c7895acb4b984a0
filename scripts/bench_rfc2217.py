"""Round trip of a 16-byte-class G1 request over RFC 2217: ours versus ser2net (see scripts/bench-rfc2217).

Each run measures every path in turn (ours, ser2net with its default character delay, ser2net with it
off) on the same simulated BMS, so a burst of machine load hits them alike."""
import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import serial  # pyserial

REQUEST = b"CV1,?,78\r\n"
OURS = "ours: tunnel-connect → relay → agent (2× TLS)"
SER2NET_DEFAULT = "ser2net 4, default chardelay"
SER2NET_OFF = "ser2net 4, chardelay off"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bin", type=Path, help="folder with tunnel-relay, tunnel-agent, tunnel-connect and bms-sim")
    parser.add_argument("round_trips", type=int, nargs="?", default=2000, help="measured round trips per path and run")
    parser.add_argument("--runs", type=int, default=5, help="runs, interleaved across the paths")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (for tunnel-bench peers)")
    parsed = parser.parse_args()
    if parsed.round_trips <= 0 or parsed.runs <= 0:
        parser.error("round trips and runs must be > 0")
    return parsed


ARGS = arguments()
BIN = ARGS.bin.resolve()
ROUND_TRIPS = ARGS.round_trips
WARMUP = max(50, ROUND_TRIPS // 10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(path_or_port, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if isinstance(path_or_port, int):
            try:
                socket.create_connection(("127.0.0.1", path_or_port), timeout=0.2).close()
                return
            except OSError:
                pass
        elif Path(path_or_port).exists():
            return
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {path_or_port}")


def measure(url: str) -> list[float]:
    """Microseconds per request/answer, one outstanding."""
    port = serial.serial_for_url(url, baudrate=57600, timeout=2)
    try:
        times = []
        for index in range(WARMUP + ROUND_TRIPS):
            start = time.perf_counter_ns()
            port.write(REQUEST)
            answer = port.read_until(b"\n")
            elapsed = (time.perf_counter_ns() - start) / 1000
            if not answer.startswith(b"CV1,"):
                raise SystemExit(f"{url}: unexpected answer {answer!r}")
            if index >= WARMUP:
                times.append(elapsed)
        return times
    finally:
        port.close()


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[max(0, int(len(ordered) * fraction) - 1)]


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50": statistics.median(ordered), "p90": percentile(ordered, 0.90), "p99": percentile(ordered, 0.99),
            "max": ordered[-1]}


def stop(process: subprocess.Popen, grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds (ser2net can take longer than a run to end)."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def measure_ours(start, data: Path, relay_port: int) -> list[float]:
    """A session of its own per run, through tunnel-connect's RFC 2217 port."""
    ours_port = free_port()
    url = subprocess.run([BIN / "tunnel-relay", "session", "open", "--device", "pack", "--data-dir", data,
                          "--public-address", f"127.0.0.1:{relay_port}", "--url-only"],
                         check=True, capture_output=True, text=True).stdout.strip()
    connect = start(BIN / "tunnel-connect", url, "--ca", data / "tls" / "server-ca.pem", "--rfc2217", f"127.0.0.1:{ours_port}")
    try:
        wait_for(ours_port)
        time.sleep(0.5)
        return measure(f"rfc2217://127.0.0.1:{ours_port}?ign_set_control")
    finally:
        stop(connect)
        time.sleep(1.0)  # the agent releases the port


def measure_ser2net(start, work: Path, sim: Path, delay) -> list[float]:
    port = free_port()
    options = "      kickolduser: true\n" + ("      chardelay: false\n" if delay is False else "")
    config = work / "ser2net.yaml"
    config.write_text(
        "connection: &sim\n"
        f"    accepter: telnet(rfc2217),tcp,127.0.0.1,{port}\n"
        "    enable: on\n"
        "    options:\n" + options +
        f"    connector: serialdev,{sim},57600n81,local\n")
    ser2net = start("ser2net", "-n", "-d", "-c", config)
    try:
        wait_for(port)
        return measure(f"rfc2217://127.0.0.1:{port}?ign_set_control")
    finally:
        stop(ser2net)


def report(runs: dict[str, list[dict[str, float]]]) -> None:
    if ARGS.json:
        print(json.dumps({"request": REQUEST.decode().strip(), "round_trips": ROUND_TRIPS, "warmup": WARMUP,
                          "runs": ARGS.runs, "paths": runs}))
        return
    print(f"RFC 2217 round trip of {REQUEST!r} and its CV1 answer, pyserial client, "
          f"{ROUND_TRIPS} round trips after {WARMUP} warm-up, {ARGS.runs} runs interleaved (medians over runs)")
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}")
    print(f"{'path':52} {'p50 µs':>9} {'p99 µs':>9} {'max µs':>9}  runs' p50")
    medians = {}
    for label, summaries in runs.items():
        medians[label] = {key: statistics.median(s[key] for s in summaries) for key in ("p50", "p99", "max")}
        each = ", ".join(f"{s['p50']:.0f}" for s in summaries)
        print(f"{label:52} {medians[label]['p50']:9.0f} {medians[label]['p99']:9.0f} {medians[label]['max']:9.0f}  {each}")
    ours = medians[OURS]["p50"]
    print(f"ours p50 {ours:.0f} µs (target ≤ 280 µs: {'PASS' if ours <= 280 else 'MISS'})")
    ratio = ours / medians[SER2NET_OFF]["p50"]
    print(f"ours / {SER2NET_OFF}: {ratio:.2f}×  (target ≤ 1.0×: {'PASS' if ratio <= 1.0 else 'MISS'})")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-rfc2217-"))
    processes = []

    def start(*args, **kwargs):
        process = subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
        processes.append(process)
        return process

    try:
        sim = work / "sim.pty"
        start(BIN / "bms-sim", "--pty", sim, "--broadcast-period", "0", "--log-level", "error")
        wait_for(sim)
        relay_port = free_port()
        data = work / "relay"
        subprocess.run([BIN / "tunnel-relay", "init", "--data-dir", data], check=True, capture_output=True)
        subprocess.run([BIN / "tunnel-relay", "device", "add", "pack", "--data-dir", data, "--bundle", work / "agent"],
                       check=True, capture_output=True)
        (work / "agent" / "settings.json").write_text(
            '{"serial": {"device": "%s"}, "tunnel": {"relay": "127.0.0.1:%d", "cert": "device.pem", '
            '"key": "device-key.pem", "ca": "relay-ca.pem"}}' % (sim, relay_port))
        relay = start(BIN / "tunnel-relay", "serve", "--data-dir", data, "--listen", f"127.0.0.1:{relay_port}",
                      "--log-level", "error")
        wait_for(relay_port)
        start(BIN / "tunnel-agent", "run", "--config", work / "agent" / "settings.json",
              "--state-dir", work / "agent" / "state", "--log-level", "error")
        time.sleep(1.0)
        runs: dict[str, list[dict[str, float]]] = {OURS: [], SER2NET_DEFAULT: [], SER2NET_OFF: []}
        for run in range(1, ARGS.runs + 1):
            print(f"bench-rfc2217: run {run}/{ARGS.runs}", file=sys.stderr)
            runs[OURS].append(summary(measure_ours(start, data, relay_port)))
            for label, delay in [(SER2NET_DEFAULT, None), (SER2NET_OFF, False)]:
                runs[label].append(summary(measure_ser2net(start, work, sim, delay)))
        report(runs)
    finally:
        for process in reversed(processes):
            stop(process, grace=10.0)


if __name__ == "__main__":
    main()
