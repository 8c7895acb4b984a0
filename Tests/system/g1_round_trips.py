"""G1 round trips timed through a session's local TCP port: the VR1 request, and the time until
its answer (not the echoed request) is among what the BMS sends. For the benchmark scripts and
the cluster tests."""
import re
import socket
import time

VR1 = b"VR1,?,D7\r\n"
ANSWER = re.compile(rb"VR1,[^?][^\r]*\r\n")  # an answer, not the request


def round_trips(port: int, count: int | None = None, seconds: float | None = None) -> list[float]:
    """Microseconds from sending VR1 to reading its answer, on one socket: `count` times, or
    for `seconds`."""
    times = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        deadline = time.time() + seconds if seconds is not None else None
        while (len(times) < count) if count is not None else (time.time() < deadline):
            received = b""
            start = time.perf_counter()
            sock.sendall(VR1)
            while not ANSWER.search(received):
                received += sock.recv(4096)
            times.append((time.perf_counter() - start) * 1e6)
    return times
