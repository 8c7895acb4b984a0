"""Round trip of a 16-byte-class G1 request over RFC 2217: ours versus ser2net (see scripts/bench-rfc2217)."""
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

BIN = Path(sys.argv[1]).resolve()
ROUND_TRIPS = int(sys.argv[2])
WARMUP = max(50, ROUND_TRIPS // 10)
REQUEST = b"CV1,?,78\r\n"


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


def summary(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    return (statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1], ordered[-1])


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
        relay_port, ours_port = free_port(), free_port()
        data = work / "relay"
        subprocess.run([BIN / "tunnel-relay", "init", "--data-dir", data], check=True, capture_output=True)
        subprocess.run([BIN / "tunnel-relay", "device", "add", "pack", "--data-dir", data, "--bundle", work / "agent"],
                       check=True, capture_output=True)
        (work / "agent" / "settings.json").write_text(
            '{"serial": {"device": "%s"}, "tunnel": {"relay": "127.0.0.1:%d", "cert": "device.pem", '
            '"key": "device-key.pem", "ca": "relay-ca.pem"}}' % (sim, relay_port))
        relay = start(BIN / "tunnel-relay", "serve", "--data-dir", data, "--listen", f"127.0.0.1:{relay_port}",
                      "--threads", "1", "--log-level", "error")
        wait_for(relay_port)
        start(BIN / "tunnel-agent", "run", "--config", work / "agent" / "settings.json", "--log-level", "error")
        time.sleep(1.0)
        url = subprocess.run([BIN / "tunnel-relay", "session", "open", "--device", "pack", "--data-dir", data,
                              "--public-address", f"127.0.0.1:{relay_port}", "--url-only"],
                             check=True, capture_output=True, text=True).stdout.strip()
        connect = start(BIN / "tunnel-connect", url, "--ca", data / "tls" / "server-ca.pem",
                        "--rfc2217", f"127.0.0.1:{ours_port}")
        wait_for(ours_port)
        time.sleep(1.0)
        results = {"ours: tunnel-connect → relay → agent (2× TLS)": measure(f"rfc2217://127.0.0.1:{ours_port}?ign_set_control")}
        connect.terminate()
        connect.wait(timeout=20)
        time.sleep(1.0)  # the agent releases the port

        for label, delay in [("ser2net 4, default chardelay", None), ("ser2net 4, chardelay off", False)]:
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
            wait_for(port)
            results[label] = measure(f"rfc2217://127.0.0.1:{port}?ign_set_control")
            ser2net.terminate()
            ser2net.wait(timeout=20)

        print(f"RFC 2217 round trip of {REQUEST!r} and its CV1 answer, pyserial client, "
              f"{ROUND_TRIPS} round trips after {WARMUP} warm-up")
        print(f"machine: {os.cpu_count()} cores, {platform.platform()}")
        print(f"{'path':52} {'p50 µs':>9} {'p99 µs':>9} {'max µs':>9}")
        for label, times in results.items():
            p50, p99, worst = summary(times)
            print(f"{label:52} {p50:9.0f} {p99:9.0f} {worst:9.0f}")
        ours = summary(results["ours: tunnel-connect → relay → agent (2× TLS)"])[0]
        for label in ["ser2net 4, default chardelay", "ser2net 4, chardelay off"]:
            ratio = ours / summary(results[label])[0]
            verdict = "PASS" if ratio <= 1.5 else "MISS"
            print(f"ours / {label}: {ratio:.2f}×  (target ≤ 1.5×: {verdict})")
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
