"""System test: a Control Panel that closes its connection to `tunnel-connect --tcp` or
`--rfc2217` and connects again at once is served every time, and a second client while one is
connected is told why it is turned away instead of being closed on silently.

Real programs (relay, agent, simulated BMS on a PTY, tunnel-connect); the RFC 2217 client is
pyserial's `rfc2217://`, the raw TCP client a plain socket. The simulated BMS broadcasts
nothing, so the only CV1 line a client reads is the answer to its own request.
"""
import socket
import time
from pathlib import Path

import pytest

from peers import import_peer

from mqtt_fixtures import System, build_binaries, read, wait_for
from ports import free_port

serial = import_peer("serial", "pyserial (Debian python3-serial) is the RFC 2217 client")

REQUEST = b"CV1,?,78\r\n"
RECONNECTS = 40
ANSWER_TIMEOUT = 5.0
BUSY_TEXT = b"tunnel-connect: this session already has a client"


@pytest.fixture(scope="module")
def bin_dir() -> Path:
    return build_binaries(["tunnel-relay", "tunnel-agent", "bms-sim", "tunnel-connect"])


class Endpoint:
    """A session through tunnel-connect exposed as `kind` (tcp or rfc2217) on a loopback port."""

    def __init__(self, system: System, kind: str):
        self.system = system
        self.kind = kind
        bundle = system.device("pack-1")
        system.relay = system.processes.start(
            [system.bin / "tunnel-relay", "serve", "--data-dir", system.relay_data, "--listen",
             f"127.0.0.1:{system.relay_port}", "--public-address", f"127.0.0.1:{system.relay_port}",
             "--admin-listen", "off"], system.logs / "relay.log")
        wait_for("the relay", lambda: "Relay listening" in read(system.logs / "relay.log"))
        sim = system.start_sim("--broadcast-period", "0")
        settings = system.settings(bundle, {"enabled": False}, serial_device=sim)
        agent = system.agent(settings, bundle / "state")
        agent.wait_log("Connected to relay")
        url = system.run("tunnel-relay", "session", "open", "--device", "pack-1", "--data-dir", system.relay_data,
                         "--public-address", f"127.0.0.1:{system.relay_port}", "--user", "t", "--url-only").strip()
        self.port = free_port()
        self.log = system.logs / "tunnel-connect.log"
        system.processes.start([system.bin / "tunnel-connect", url, "--ca", system.relay_data / "tls" / "server-ca.pem",
                                f"--{kind}", f"127.0.0.1:{self.port}", "--log-level", "notice"], self.log)
        wait_for("the session", lambda: "Connected to device" in read(self.log), detail=lambda: read(self.log))

    @property
    def url(self) -> str:
        return f"rfc2217://127.0.0.1:{self.port}"


@pytest.fixture(params=["tcp", "rfc2217"])
def endpoint(request, bin_dir, tmp_path):
    system = System(bin_dir, tmp_path)
    try:
        yield Endpoint(system, request.param)
    finally:
        system.close()


def socket_exchange(port: int, greeting: bytes = b"") -> bytes:
    """Connects, sends `greeting` and a CV1 request, returns the answer line, closes at once.
    On a close or a timeout first: what was read then."""
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT) as client:
        client.sendall(greeting + REQUEST)
        received = b""
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while time.monotonic() < deadline:
            start = received.find(b"CV1,0000")
            if start >= 0 and received.find(b"\r\n", start) > 0:
                return received[start:received.find(b"\r\n", start)]
            try:
                chunk = client.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                return b"closed after " + repr(received).encode()
            received += chunk
        return b"no answer within the timeout after " + repr(received).encode()


# A minimal RFC 2217 client: IAC WILL COM-PORT-OPTION, IAC DO COM-PORT-OPTION, then data.
TELNET_GREETING = bytes([255, 251, 44, 255, 253, 44])


def read_until(client: socket.socket, marker: bytes) -> bytes:
    """What `client` received up to and with `marker`; fails on a close or the timeout."""
    received = b""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while marker not in received:
        assert time.monotonic() < deadline, f"no {marker!r} within {ANSWER_TIMEOUT} s: {received!r}"
        chunk = client.recv(4096)
        assert chunk, f"closed before {marker!r}: {received!r}"
        received += chunk
    return received


def rfc2217_exchange(url: str) -> bytes:
    """Opens the port with pyserial, asks CV1, closes; returns the answer line."""
    port = serial.serial_for_url(url, baudrate=57600, timeout=ANSWER_TIMEOUT)
    try:
        port.reset_input_buffer()
        port.write(REQUEST)
        return port.readline().strip()
    finally:
        port.close()


def test_a_client_that_reconnects_at_once_is_served_every_time(endpoint):
    """Raw TCP: a socket each time. RFC 2217: pyserial (whose close() waits 0.3 s), then a
    minimal Telnet client that closes and lets the next pyserial open() connect at once."""
    if endpoint.kind == "tcp":
        clients = [("socket", lambda: socket_exchange(endpoint.port))]
    else:
        clients = [("pyserial", lambda: rfc2217_exchange(endpoint.url)),
                   ("telnet", lambda: socket_exchange(endpoint.port, TELNET_GREETING))]
    for attempt in range(1, RECONNECTS + 1):
        for name, exchange in clients:
            try:
                answer = exchange()
            except (OSError, serial.SerialException) as error:
                answer = f"{type(error).__name__}: {error}".encode()
            assert answer.startswith(b"CV1,0000"), (
                f"connection {attempt} of {RECONNECTS} ({name}) to --{endpoint.kind} got {answer!r}\n"
                + read(endpoint.log)[-3000:])


def test_a_second_client_is_told_why_it_is_turned_away(endpoint):
    """One client at a time: the second gets a line saying so, then the close; the first goes on."""
    first = socket.create_connection(("127.0.0.1", endpoint.port), timeout=ANSWER_TIMEOUT)
    try:
        if endpoint.kind == "tcp":
            first.sendall(REQUEST)
            read_until(first, b"CV1,0000")
        with socket.create_connection(("127.0.0.1", endpoint.port), timeout=ANSWER_TIMEOUT) as second:
            received = b""
            while chunk := second.recv(4096):
                received += chunk
        assert BUSY_TEXT in received and received.endswith(b"\r\n"), received
        assert received.count(b"\r\n") == 1, f"one line, then the close: {received!r}"
        assert "Turned a second client away" in read(endpoint.log)
        if endpoint.kind == "tcp":
            first.sendall(REQUEST)
            read_until(first, b"CV1,0000")
    finally:
        first.close()
