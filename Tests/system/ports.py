"""Loopback ports for the servers the system tests start (relays, brokers, PostgreSQL, proxies).

Asking the kernel for a free port (bind to port 0, close, hand the number on) is not enough
when test files run side by side: the kernel may hand the same number out twice in a row (a
cluster node once got one port for its node listener and its admin API, so the admin API never
started), and a port a test has just freed goes to the next asker, while that test's agents and
clients are still dialling it and land on another test's relay.

So every port comes from a range below the kernel's ephemeral range (which the kernel uses for
outgoing connections and for programs that bind port 0 themselves), split into one block per
pytest-xdist worker, and a worker walks its block in order: no port is handed out twice in a
run, and no two workers share one. A port something else already holds is skipped.
"""
import os
import socket
import threading

_FIRST = 10_000  # above the well-known and most registered services' ports


def _ephemeral_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _block() -> range:
    """This process's share of the ports below the ephemeral range."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1))
    ephemeral = _ephemeral_start()
    size = (ephemeral - _FIRST) // count
    if size < 200:
        raise RuntimeError(f"only {size} ports per test worker below the ephemeral range "
                           f"(/proc/sys/net/ipv4/ip_local_port_range starts at {ephemeral})")
    start = _FIRST + (index % count) * size
    return range(start, start + size)


_lock = threading.Lock()
_ports = _block()
_next = 0


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port() -> int:
    """A loopback port nobody holds now that this run has not handed out before."""
    global _next
    with _lock:
        for _ in range(len(_ports)):
            port = _ports[_next % len(_ports)]
            _next += 1
            if _bindable(port):
                return port
    raise RuntimeError(f"no free loopback port in {_ports.start}–{_ports.stop - 1}")
