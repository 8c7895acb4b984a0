"""The relay behind a real HAProxy in `mode tcp` with `send-proxy-v2` (TLS passed through):
an agent, a client session and a gateway's registration through it are recorded at their
own address, not the balancer's, and each client (IPv4 or IPv6) has its own failure limit; a connection to a listener that expects the PROXY protocol
header and does not send one is refused with a log line that says why; a listener without
the option works as before; deploy/haproxy.cfg is a configuration HAProxy takes.

HAProxy connects to the relay from 127.0.0.9 (`source` on its server lines), while the
programs connect to HAProxy from 127.0.0.1, so the two addresses cannot be confused."""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import test_admin_api as admin
from mqtt_fixtures import ROOT, port_open, read, wait_for
from ports import free_port
from peers import missing_peer
from test_control_plane import start_agent

BALANCER = "127.0.0.9"  # where HAProxy connects to the relay from
SIGNATURE = bytes([0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A])
REFUSED = "Connection refused: no valid PROXY protocol header"


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if os.access(p, os.X_OK)), None)
    if not found:
        missing_peer("haproxy is not installed (Debian package haproxy; scripts/install-deps installs it)")
    return found


def haproxy_config(tunnel_front, tunnel_back, admin_front, admin_back) -> str:
    """TCP mode, TLS passed through, PROXY protocol v2 towards the relay, health checks."""
    return f"""
global
    log stdout format raw local0
    maxconn 2000

defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    timeout client 5m
    timeout server 5m
    timeout tunnel 1h

frontend tunnel
    bind 127.0.0.1:{tunnel_front}
    default_backend relay_tunnel

backend relay_tunnel
    server relay 127.0.0.1:{tunnel_back} send-proxy-v2 source {BALANCER} check inter 1s

frontend admin
    bind 127.0.0.1:{admin_front}
    bind ::1:{admin_front}
    default_backend relay_admin

backend relay_admin
    option httpchk GET /readyz
    http-check expect status 200
    server relay 127.0.0.1:{admin_back} send-proxy-v2 source {BALANCER} check check-ssl verify none inter 1s
"""


class Deployment:
    """A relay (admin_api's customers, devices and users) behind HAProxy. `relay.port` and
    `relay.admin_port` are HAProxy's fronts for the listeners behind it, so every helper of
    test_admin_api and test_control_plane goes through the balancer; `direct_*` are the
    relay's own ports."""

    def __init__(self, folder: Path, listeners: str):
        haproxy = haproxy_binary()
        self.relay = relay = admin.Relay(folder)
        self.direct_tunnel, self.direct_admin = relay.port, relay.admin_port
        self.front_tunnel, self.front_admin = free_port(), free_port()
        relay.processes.start(
            [relay.bin / "tunnel-relay", "serve", "--data-dir", relay.data, "--listen", f"127.0.0.1:{self.direct_tunnel}",
             "--public-address", f"127.0.0.1:{self.front_tunnel}", "--admin-listen", f"127.0.0.1:{self.direct_admin}",
             "--proxy-protocol", listeners, "--proxy-protocol-from", f"{BALANCER}/32"], relay.log)
        config = folder / "haproxy.cfg"
        config.write_text(haproxy_config(self.front_tunnel, self.direct_tunnel, self.front_admin, self.direct_admin))
        self.haproxy_log = folder / "haproxy.log"
        relay.processes.start([haproxy, "-db", "-f", config], self.haproxy_log)
        wait_for("HAProxy's fronts", lambda: port_open(self.front_tunnel) and port_open(self.front_admin), timeout=20,
                 detail=lambda: read(self.haproxy_log))
        if "tunnel" in listeners:
            relay.port = self.front_tunnel
        if "admin" in listeners:
            relay.admin_port = self.front_admin
        wait_for("the admin API", lambda: relay.request("GET", "/healthz")[0] == 200, timeout=30,
                 detail=lambda: read(relay.log) + read(self.haproxy_log))

    def refusals(self, listener: str) -> int:
        text = self.relay.request("GET", "/metrics")[1]
        line = next(line for line in text.splitlines() if line.startswith(f'relay_proxy_header_refusals_total{{listener="{listener}"}}'))
        return int(float(line.split()[-1]))

    def stop(self):
        self.relay.stop()


@pytest.fixture
def behind_haproxy(tmp_path):
    deployment = Deployment(tmp_path, "tunnel,admin")
    yield deployment
    deployment.stop()
    print(read(deployment.relay.log)[-4000:])
    print(read(deployment.haproxy_log)[-2000:])


def agent_local_ports(front_port: int) -> set[int]:
    """The local ports of tunnel-agent's connections to HAProxy's tunnel front, as the kernel has them."""
    out = subprocess.run(["ss", "-Htnp", "state", "established", "dport", "=", f":{front_port}"],
                         capture_output=True, text=True, check=True).stdout
    return {int(line.split()[2].rsplit(":", 1)[1]) for line in out.splitlines() if '"tunnel-agent"' in line}


def g1_crc(data: bytes) -> int:
    """CRC-8 Dallas/Maxim, reflected polynomial 0x8C, as G1 uses it."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8C if crc & 1 else crc >> 1
    return crc


def test_an_agent_a_session_and_a_registration_through_haproxy_are_recorded_at_their_own_address(behind_haproxy, tmp_path):
    relay = behind_haproxy.relay
    start_agent(relay, tmp_path)  # dials HAProxy's tunnel front, from 127.0.0.1
    device = relay.request("GET", "/v1/devices/p1", "admin")[1]
    ports = wait_for("the agent's socket", lambda: agent_local_ports(behind_haproxy.front_tunnel), timeout=5)
    remote = device["remoteAddress"]
    assert BALANCER not in remote, f"presence shows the balancer: {remote}"
    assert any(remote.endswith(f"127.0.0.1:{port}") for port in ports), \
        f"presence {remote} is not the agent's own socket (127.0.0.1, ports {ports})"

    # A gateway registering through the admin front: its audit entry names it, not HAProxy.
    secret = relay.cli("device", "secret", "--customer", "acme").strip()
    registered = admin.register(relay, "gw-px", secret, tmp_path / "gw-px")
    assert registered.returncode == 0, registered.stdout + registered.stderr
    audit = relay.request("GET", "/v1/audit?deviceId=gw-px", "admin")[1]
    sources = {entry.get("source") for entry in audit if entry["event"].startswith("device.regist")}
    assert sources == {"127.0.0.1"}, audit

    # A client session through both fronts answers a G1 request, every byte of it intact.
    port = free_port()
    connect_log = tmp_path / "connect.log"
    handle = open(connect_log, "wb")
    connect = subprocess.Popen(
        [str(a) for a in [relay.bin / "tunnel-connect", "--device", "p1", "--relay", f"127.0.0.1:{relay.port}",
                          "--admin-url", f"https://127.0.0.1:{relay.admin_port}",
                          "--ca", relay.data / "tls" / "server-ca.pem", "--tcp", f"127.0.0.1:{port}"]],
        env=dict(os.environ, TUNNEL_API_KEY=relay.keys["engineer"]), stdout=handle, stderr=subprocess.STDOUT,
        start_new_session=True)
    relay.processes.started.append(connect)
    wait_for("the session", lambda: "Connected to device" in read(connect_log), timeout=30, detail=lambda: read(connect_log))
    request = b"VR1,?,D7\r\n"
    # The simulated BMS also broadcasts its own sentences (ST1, CV1, …): the answer is the VR1 line.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        received, deadline = b"", time.time() + 5
        answers = []
        while not answers and time.time() < deadline:
            received += sock.recv(4096)
            answers = [l + b"\r\n" for l in received.split(b"\r\n")[:-1] if l.startswith(b"VR1,") and l + b"\r\n" != request]
    assert answers, received
    answer = answers[0]
    line = answer[:-2]
    body, crc = line[:line.rindex(b",") + 1], line[line.rindex(b",") + 1:]
    assert int(crc, 16) == g1_crc(body), f"the answer's CRC does not match its bytes: {answer!r}"
    session = next(s for s in relay.request("GET", "/v1/sessions?deviceId=p1", "admin")[1] if s["state"] == "running")
    assert session, "the session runs through HAProxy"
    assert behind_haproxy.refusals("tunnel") == 0 and behind_haproxy.refusals("admin") == 0, \
        "HAProxy's own connections (health checks with LOCAL headers) are never refused"


def test_each_client_behind_haproxy_has_its_own_failure_limit(behind_haproxy):
    """Every request reaches the relay from HAProxy's 127.0.0.9; the limit of 30 failed
    authentications a minute is kept per client the headers name, IPv4 or IPv6."""
    relay = behind_haproxy.relay
    context = ssl.create_default_context(cafile=str(relay.data / "tls" / "server-ca.pem"))
    context.check_hostname = False  # the certificate names 127.0.0.1, not ::1; the chain is still checked

    def me_with_a_wrong_key(source: str) -> int:
        host = "::1" if ":" in source else "127.0.0.1"
        connection = http.client.HTTPSConnection(host, behind_haproxy.front_admin, context=context, timeout=10,
                                                 source_address=(source, 0))
        try:
            connection.request("GET", "/v1/me", headers={"Authorization": "Bearer ak1.nobody.wrong"})
            return connection.getresponse().status
        finally:
            connection.close()

    statuses = [me_with_a_wrong_key("127.0.0.5") for _ in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429, statuses
    assert me_with_a_wrong_key("127.0.0.6") == 401, "another client through the same balancer is not locked out"
    assert me_with_a_wrong_key("::1") == 401, "nor is a client over IPv6 (a TCP over IPv6 header)"
    assert me_with_a_wrong_key("127.0.0.5") == 429


def test_a_connection_without_the_header_is_refused_and_says_why(behind_haproxy):
    relay = behind_haproxy.relay
    context = ssl.create_default_context(cafile=str(relay.data / "tls" / "server-ca.pem"))

    # From the balancer's own address, but TLS straight away: no header.
    with socket.create_connection(("127.0.0.1", behind_haproxy.direct_tunnel), timeout=5, source_address=(BALANCER, 0)) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.recv(1)
    wait_for("the refusal in the log", lambda: REFUSED in read(relay.log), timeout=5, detail=lambda: read(relay.log)[-3000:])
    line = next(line for line in read(relay.log).splitlines() if REFUSED in line)
    assert "listener=tunnel" in line and "does not start with a PROXY protocol v2 header: first bytes 16 03" in line, line

    # A valid header, but from an address that is not an allowed balancer (--proxy-protocol-from).
    with socket.create_connection(("127.0.0.1", behind_haproxy.direct_tunnel), timeout=5) as raw:
        raw.settimeout(5)
        try:  # the relay closes it as soon as it is accepted: the write may meet the reset
            raw.sendall(SIGNATURE + bytes([0x21, 0x11, 0x00, 0x0C, 203, 0, 113, 9, 127, 0, 0, 1, 0x30, 0x39, 0x1D, 0x13]))
            answer = raw.recv(1)
        except ConnectionResetError:
            answer = b""
        assert answer == b"", "closed without an answer"
    wait_for("the second refusal", lambda: "not an allowed balancer" in read(relay.log), timeout=5)

    # The admin listener expects the header too.
    with socket.create_connection(("127.0.0.1", behind_haproxy.direct_admin), timeout=5, source_address=(BALANCER, 0)) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                tls.recv(1)
    wait_for("the admin refusal", lambda: any(REFUSED in l and "listener=admin" in l for l in read(relay.log).splitlines()),
             timeout=5, detail=lambda: read(relay.log)[-3000:])
    assert behind_haproxy.refusals("tunnel") == 2 and behind_haproxy.refusals("admin") == 1
    assert relay.request("GET", "/healthz")[0] == 200, "the relay goes on through the balancer"


def test_a_listener_without_the_option_works_as_before(tmp_path):
    deployment = Deployment(tmp_path, "admin")
    relay = deployment.relay
    try:
        assert relay.port == deployment.direct_tunnel, "the tunnel port is reached directly"
        start_agent(relay, tmp_path)
        remote = relay.request("GET", "/v1/devices/p1", "admin")[1]["remoteAddress"]
        assert "127.0.0.1:" in remote and BALANCER not in remote, remote
        assert deployment.refusals("tunnel") == 0
    finally:
        deployment.stop()
        print(read(relay.log)[-3000:])


def test_the_deploy_example_is_a_configuration_haproxy_takes(tmp_path):
    haproxy = haproxy_binary()
    result = subprocess.run([haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    settings = [line.split("#")[0].split() for line in (ROOT / "deploy" / "haproxy.cfg").read_text().splitlines()]
    assert ["mode", "tcp"] in [words[:2] for words in settings], "TCP mode: TLS passed through"
    assert sum("send-proxy-v2" in words for words in settings) == 2, "both backends send the header"
