"""The relay's admin API over real HTTPS against a real `tunnel-relay serve`: every route
against the OpenAPI document (responses validated against its schemas with jsonschema),
every role against every endpoint, hostile bodies, revocation of a live agent, the audit
query, metrics, and the authentication-failure limit."""
import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from peers import missing_peer

from mqtt_fixtures import ROOT, Processes, build_binaries, read, wait_for
from ports import free_port

DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text())


def bin_dir() -> Path:
    return build_binaries(["tunnel-relay", "tunnel-agent", "bms-sim", "tunnel-connect"])


class Relay:
    """A relay with customers acme and beta, devices p1 (acme), p2 and p3 (beta), and one user per role."""

    def __init__(self, folder: Path):
        self.bin = bin_dir()
        self.folder = folder
        self.data = folder / "relay"
        self.processes = Processes(folder)
        self.port = free_port()
        self.admin_port = free_port()
        self.log = folder / "relay.log"
        self.cli("init", "--hostname", "127.0.0.1")
        for device, customer in [("p1", "acme"), ("p2", "beta"), ("p3", "beta")]:
            self.cli("device", "add", device, "--customer", customer, "--bundle", folder / device)
        self.keys = {}
        for user, role, customers in [("boss", "admin", []), ("eng", "engineer", ["acme"]), ("vic", "viewer", ["acme"])]:
            self.cli("user", "add", user, "--role", role, *sum([["--customer", c] for c in customers], []))
            out = self.cli("key", "create", "--user", user)
            self.keys[role] = next(word for word in out.split() if word.startswith("ak1."))
        self.context = ssl.create_default_context(cafile=str(self.data / "tls" / "server-ca.pem"))

    def cli(self, *args):
        result = subprocess.run([str(self.bin / "tunnel-relay"), *map(str, args), "--data-dir", str(self.data)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start(self):
        self.processes.start([self.bin / "tunnel-relay", "serve", "--data-dir", self.data, "--listen",
                              f"127.0.0.1:{self.port}", "--public-address", f"127.0.0.1:{self.port}",
                              "--admin-listen", f"127.0.0.1:{self.admin_port}"], self.log)
        wait_for("the admin API", lambda: self.request("GET", "/healthz")[0] == 200, timeout=30,
                 detail=lambda: read(self.log))
        return self

    def request(self, method, path, role=None, body=None, raw=None, headers=None):
        """(status, parsed JSON or text, headers); never raises for an HTTP status."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(f"https://127.0.0.1:{self.admin_port}{path}", data=data, method=method)
        if role:
            request.add_header("Authorization", f"Bearer {self.keys.get(role, role)}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
                status, text, reply_headers = response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            status, text, reply_headers = error.code, error.read().decode(), error.headers
        except (urllib.error.URLError, ConnectionError):
            return 0, None, {}
        try:
            return status, json.loads(text), reply_headers
        except json.JSONDecodeError:
            return status, text, reply_headers

    def stop(self):
        self.processes.stop_all()


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    relay = Relay(tmp_path_factory.mktemp("admin")).start()
    yield relay
    relay.stop()
    print(read(relay.log)[-4000:])


def schema_for(path, method, status):
    """The documented JSON schema of a response, or None when the document has no JSON body for it."""
    responses = DOCUMENT["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, which the document does not list"
    response = responses[str(status)]
    if "$ref" in response:
        response = DOCUMENT["components"]["responses"][response["$ref"].split("/")[-1]]
    content = response.get("content", {}).get("application/json")
    return content and content["schema"]


def check_against_document(path, method, status, body):
    schema = schema_for(path, method, status)
    if schema is None:
        return
    resolver = jsonschema.RefResolver(base_uri="", referrer=DOCUMENT)
    jsonschema.validate(body, schema, resolver=resolver, cls=jsonschema.Draft202012Validator)


def test_every_documented_route_answers_as_the_document_says(relay):
    opened = relay.request("POST", "/v1/sessions", "admin", {"deviceId": "p1", "mode": "monitor"})[1]
    for path, operations in DOCUMENT["paths"].items():
        if path.endswith("/stream"):
            continue  # an event stream does not end; test_live_telemetry_… reads it
        for method in operations:
            target = path
            if "{id}" in path:
                target = path.replace("{id}", opened["id"] if "sessions" in path else "p3")  # p3 is revoked and reset here
            body = {"post /v1/sessions": {"deviceId": "p1", "mode": "monitor"},
                    "post /v1/devices/{id}/move": {"customer": "beta"}}.get(f"{method} {path}")
            status, reply, _ = relay.request(method.upper(), target, "admin", body)
            assert status not in (0, 405), f"{method.upper()} {target}: {status}"
            if not (path in ("/v1/sessions/{id}/capture", "/v1/devices/{id}/diagnostics/{bundle}") and status == 404):
                # /v1/register without a body is a 400; its success is test_a_gateway_registers_….
                # p3's agent is not connected, so asking it to renew is a 409 (agentOffline); its
                # success is test_certificate_renewal.py; so is asking it for a diagnostic bundle,
                # whose success is test_diagnose.py.
                offline = ("/v1/devices/{id}/certificate/renew", "/v1/devices/{id}/diagnostics")
                assert status < 400 or path in ("/readyz", "/v1/register") or (status == 409 and path in offline), \
                    f"{method.upper()} {target}: {status} {reply}"
            if isinstance(reply, (dict, list)):
                check_against_document(path, method, status, reply)


# (method, path, body) → expected status per role: None (no key), viewer, engineer, admin.
MATRIX = [
    ("GET", "/healthz", None, (200, 200, 200, 200)),
    ("GET", "/metrics", None, (200, 200, 200, 200)),
    ("GET", "/v1/me", None, (401, 200, 200, 200)),
    ("GET", "/v1/devices", None, (401, 200, 200, 200)),
    ("GET", "/v1/devices/p1", None, (401, 200, 200, 200)),
    ("GET", "/v1/devices/p2", None, (401, 404, 404, 200)),
    ("POST", "/v1/sessions", {"deviceId": "p1", "mode": "monitor"}, (401, 201, 201, 201)),
    ("POST", "/v1/sessions", {"deviceId": "p1", "mode": "control", "ttl": 5}, (401, 403, 201, 201)),
    ("POST", "/v1/sessions", {"deviceId": "p2", "mode": "monitor"}, (401, 404, 404, 201)),
    ("POST", "/v1/sessions", {"deviceId": "p1", "mode": "control", "takeOver": True}, (401, 403, 403, 201)),
    ("GET", "/v1/sessions", None, (401, 200, 200, 200)),
    ("GET", "/v1/audit", None, (401, 403, 403, 200)),
    ("GET", "/v1/nodes", None, (401, 403, 403, 200)),
    ("POST", "/v1/devices/nope/revoke", None, (401, 403, 403, 404)),
    ("POST", "/v1/devices/nope/reset", None, (401, 403, 403, 404)),
    ("POST", "/v1/devices/nope/certificate/renew", None, (401, 403, 403, 404)),
    ("POST", "/v1/devices/nope/move", {"customer": "beta"}, (401, 403, 403, 404)),
    ("POST", "/v1/devices/nope/diagnostics", None, (401, 403, 403, 404)),
    ("GET", "/v1/devices/p1/diagnostics", None, (401, 403, 403, 200)),
    ("GET", "/v1/devices/p1/diagnostics/dg-none", None, (401, 403, 403, 404)),
]


@pytest.mark.parametrize("method,path,body,expected", MATRIX, ids=[f"{m} {p} {b}" for m, p, b, _ in MATRIX])
def test_every_role_against_every_endpoint(relay, method, path, body, expected):
    for role, status in zip([None, "viewer", "engineer", "admin"], expected):
        got, reply, _ = relay.request(method, path, role, body)
        assert got == status, f"{role or 'no key'}: {method} {path} {body} → {got} {reply}, expected {status}"
        if got >= 400:
            assert set(reply["error"]) == {"code", "message"} and reply["error"]["message"], reply


def test_a_single_relay_lists_itself_as_the_one_live_node(relay):
    status, nodes, _ = relay.request("GET", "/v1/nodes", "admin")
    assert status == 200 and len(nodes) == 1, nodes
    assert nodes[0]["live"] and nodes[0]["answering"] and nodes[0]["heartbeatAgeSeconds"] <= 4, nodes


def test_viewers_and_engineers_see_only_their_customers(relay):
    for role in ["viewer", "engineer"]:
        devices = relay.request("GET", "/v1/devices", role)[1]
        assert [d["id"] for d in devices] == ["p1"]
        sessions = relay.request("GET", "/v1/sessions", role)[1]
        assert {s["deviceId"] for s in sessions} <= {"p1"}
    assert {d["id"] for d in relay.request("GET", "/v1/devices", "admin")[1]} == {"p1", "p2", "p3"}


def test_sessions_and_the_second_control_request(relay):
    status, opened, _ = relay.request("POST", "/v1/sessions", "engineer", {"deviceId": "p1", "mode": "control", "ttl": 60})
    assert status == 201 and opened["url"] == f"bmstunnel://127.0.0.1:{relay.port}/{opened['token']}"
    assert opened["token"].startswith("st1." + opened["id"] + ".")
    session = relay.request("GET", f"/v1/sessions/{opened['id']}", "engineer")[1]
    assert session["state"] == "waiting" and session["createdBy"] == "eng"
    assert relay.request("DELETE", f"/v1/sessions/{opened['id']}", "viewer")[0] == 403
    status, ended, _ = relay.request("DELETE", f"/v1/sessions/{opened['id']}", "engineer")
    assert status == 200 and ended["state"] == "ended" and "ended by eng" in ended["endReason"]


@pytest.mark.parametrize("raw,code", [
    (b"{not json", "malformedJSON"),
    (b"[1, 2]", "badRequest"),
    (b'{"deviceId": "p1", "ttl": "soon"}', "invalidField"),
    (b'{"deviceId": 5}', "invalidField"),
    (b'{"mode": "monitor"}', "invalidField"),
    (b'{"deviceId": "p1", "mode": "sideways"}', "invalidField"),
    (b'{"deviceId": "p1", "ttl": 0}', "invalidField"),
    (b'{"deviceId": "p1", "colour": "red"}', "unknownField"),
])
def test_bad_bodies_get_clear_400s(relay, raw, code):
    status, reply, _ = relay.request("POST", "/v1/sessions", "admin", raw=raw)
    assert status == 400 and reply["error"]["code"] == code, reply
    check_against_document("/v1/sessions", "post", status, reply)


def test_silent_and_slow_connections_to_the_admin_port_are_closed_and_others_are_served(relay):
    """The admin port bounds idle time (15 s, AdminAPI.idleTimeout): a connection that never
    starts TLS, one that stops in the middle of its handshake and one that stops in the middle of
    a request are all closed, while requests keep being answered."""
    silent = socket.create_connection(("127.0.0.1", relay.admin_port))
    half_handshake = socket.create_connection(("127.0.0.1", relay.admin_port))
    half_handshake.sendall(b"\x16\x03\x01\x00")  # the start of a TLS record, then nothing
    slow_request = relay.context.wrap_socket(socket.create_connection(("127.0.0.1", relay.admin_port)),
                                             server_hostname="127.0.0.1")
    slow_request.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never end
    started = time.monotonic()
    assert relay.request("GET", "/healthz")[0] == 200

    def closed_after(connection) -> float:
        connection.settimeout(30)
        try:
            while connection.recv(4096):
                pass
        except (ConnectionResetError, ssl.SSLError):
            pass
        return time.monotonic() - started

    waited = [closed_after(c) for c in (silent, half_handshake, slow_request)]
    assert all(10 <= w <= 22 for w in waited), waited
    assert relay.request("GET", "/healthz")[0] == 200
    for connection in (silent, half_handshake, slow_request):
        connection.close()


def test_a_huge_body_is_refused_and_the_api_keeps_working(relay):
    status, reply, _ = relay.request("POST", "/v1/sessions", "admin", raw=b'{"deviceId": "' + b"x" * 200_000 + b'"}')
    assert status == 413 or status == 0, reply  # the server may also close the connection mid-upload
    if status == 413:
        assert reply["error"]["code"] == "bodyTooLarge"
    assert relay.request("GET", "/v1/me", "admin")[0] == 200


def test_session_tokens_from_concurrent_requests_are_all_distinct(relay):
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: relay.request("POST", "/v1/sessions", "admin", {"deviceId": "p1", "mode": "monitor"}), range(16)))
    assert all(status == 201 for status, _, _ in replies)
    assert len({reply["token"] for _, reply, _ in replies}) == 16


def test_audit_query_by_device_user_and_time(relay):
    relay.request("POST", "/v1/sessions", "viewer", {"deviceId": "p1", "mode": "control"})  # refused, audited
    entries = relay.request("GET", "/v1/audit?userId=vic", "admin")[1]
    assert any(e["event"] == "session.refused" and e["userId"] == "vic" for e in entries), entries
    by_device = relay.request("GET", "/v1/audit?deviceId=p2", "admin")[1]
    assert by_device and all(e["deviceId"] == "p2" for e in by_device)
    assert relay.request("GET", "/v1/audit?since=2999-01-01T00:00:00Z", "admin")[1] == []
    status, reply, _ = relay.request("GET", "/v1/audit?since=yesterday", "admin")
    assert status == 400 and "since" in reply["error"]["message"]


def test_metrics_count_requests_and_failures(relay):
    relay.request("GET", "/v1/me", "ak1.nobody.wrong")
    text = relay.request("GET", "/metrics")[1]
    for name in ["relay_agents_connected", "relay_sessions_active", "tunnel_session_bytes_total",
                 "relay_handshakes_total", 'relay_auth_failures_total{listener="admin"}', "relay_admin_requests_total",
                 "relay_store_operation_seconds_bucket", 'relay_proxy_header_refusals_total{listener="tunnel"} 0']:
        assert name in text, name


def test_revoking_a_device_cuts_its_live_agent(relay, tmp_path):
    bundle = relay.folder / "p1"
    settings = bundle / "settings.json"
    settings.write_text(json.dumps({"serial": {"device": str(tmp_path / "none")},
                                    "tunnel": {"relay": f"127.0.0.1:{relay.port}", "cert": "device.pem",
                                               "key": "device-key.pem", "ca": "relay-ca.pem", "reconnect_max": 1}}))
    log = tmp_path / "agent.log"
    agent = relay.processes.start([relay.bin / "tunnel-agent", "run", "--config", settings, "--state-dir", tmp_path / "state"], log)
    wait_for("p1 online", lambda: relay.request("GET", "/v1/devices/p1", "admin")[1].get("online"), timeout=20,
             detail=lambda: read(log))
    status, device, _ = relay.request("POST", "/v1/devices/p1/revoke", "admin")
    assert status == 200 and device["state"] == "revoked"
    started = time.time()
    wait_for("the agent cut", lambda: "Relay connection closed" in read(log), timeout=5, detail=lambda: read(log))
    assert time.time() - started < 3
    wait_for("p1 offline", lambda: not relay.request("GET", "/v1/devices/p1", "admin")[1]["online"], timeout=10)
    assert relay.request("POST", "/v1/sessions", "admin", {"deviceId": "p1"})[0] == 409
    # The revoked gateway keeps knocking and each refusal counts against 127.0.0.1; after 30 in
    # a minute the relay would refuse every new connection from this address (the limit doing
    # its job), so it stops here, before the next test's agents dial from the same address.
    Processes.stop(agent)


def test_failed_authentications_are_limited_per_source(tmp_path):
    relay = Relay(tmp_path).start()
    try:
        statuses = [relay.request("GET", "/v1/me", "ak1.guess.wrong")[0] for _ in range(31)]
        assert statuses[:30] == [401] * 30 and statuses[30] == 429, statuses
        status, reply, headers = relay.request("GET", "/v1/me", "admin")
        assert status == 429 and reply["error"]["code"] == "tooManyFailures" and headers.get("Retry-After")
        assert relay.request("GET", "/healthz")[0] == 200, "health stays reachable"
    finally:
        relay.stop()


def test_tunnel_connect_opens_its_session_through_the_api_with_an_api_key(tmp_path):
    """The engineer names the device; no token is copied by hand."""
    import os
    import socket
    relay = Relay(tmp_path).start()
    try:
        sim_link = tmp_path / "bms.pty"
        relay.processes.start([relay.bin / "bms-sim", "--pty", sim_link], tmp_path / "sim.log")
        wait_for("the simulated BMS", lambda: sim_link.is_symlink(), timeout=20)
        bundle = relay.folder / "p1"
        settings = bundle / "settings.json"
        settings.write_text(json.dumps({"serial": {"device": str(sim_link)},
                                        "tunnel": {"relay": f"127.0.0.1:{relay.port}", "cert": "device.pem",
                                                   "key": "device-key.pem", "ca": "relay-ca.pem"}}))
        relay.processes.start([relay.bin / "tunnel-agent", "run", "--config", settings, "--state-dir", tmp_path / "state"],
                              tmp_path / "agent.log")
        wait_for("p1 online", lambda: relay.request("GET", "/v1/devices/p1", "admin")[1].get("online"), timeout=20)
        base = [relay.bin / "tunnel-connect", "--device", "p1", "--relay", f"127.0.0.1:{relay.port}",
                "--admin-url", f"https://127.0.0.1:{relay.admin_port}", "--ca", relay.data / "tls" / "server-ca.pem"]

        # A viewer may not open a control session: a clear refusal, exit status 2.
        env = dict(os.environ, TUNNEL_API_KEY=relay.keys["viewer"])
        refused = subprocess.run([str(a) for a in base], env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and "may not open control sessions" in refused.stdout, refused.stdout + refused.stderr

        port = free_port()
        env = dict(os.environ, TUNNEL_API_KEY=relay.keys["engineer"])
        connect_log = tmp_path / "connect.log"
        handle = open(connect_log, "wb")
        connect = subprocess.Popen([str(a) for a in base + ["--tcp", f"127.0.0.1:{port}"]], env=env, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        relay.processes.started.append(connect)
        wait_for("the session", lambda: "Connected to device" in read(connect_log), timeout=30, detail=lambda: read(connect_log))
        assert "opened for device p1 (control) through the admin API" in read(connect_log)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"VR1,?,D7\r\n")
            received = b""
            deadline = time.time() + 5
            while b"VR1,G1" not in received and b"VR1," not in received.replace(b"VR1,?", b"") and time.time() < deadline:
                received += sock.recv(4096)
        assert b"VR1," in received.replace(b"VR1,?", b""), received
        sessions = relay.request("GET", "/v1/sessions?deviceId=p1", "engineer")[1]
        assert any(s["createdBy"] == "eng" and s["state"] == "running" for s in sessions), sessions
    finally:
        relay.stop()


def register(relay, device, secret, out, timeout=60):
    import os
    env = dict(os.environ, TUNNEL_PROVISIONING_SECRET=secret)
    return subprocess.run([str(relay.bin / "tunnel-agent"), "register", "--admin-url", f"https://127.0.0.1:{relay.admin_port}",
                           "--ca", str(relay.data / "tls" / "server-ca.pem"), "--device-id", device, "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=timeout)


def test_a_gateway_registers_once_with_its_own_key(relay, tmp_path):
    fleet = relay.cli("device", "secret", "--customer", "acme").strip()
    assert fleet.startswith("ps1.acme.*.")
    first = register(relay, "gw-1", fleet, tmp_path / "gw-1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert (tmp_path / "gw-1" / "device-key.pem").stat().st_mode & 0o777 == 0o600
    device = relay.request("GET", "/v1/devices/gw-1", "admin")[1]
    assert device["customer"] == "acme" and device["state"] == "registered"

    # The registered certificate works: the agent connects with the bundle it wrote.
    settings = tmp_path / "gw-1" / "settings.json"
    settings.write_text(json.dumps({"serial": {"device": str(tmp_path / "none")},
                                    "tunnel": {"relay": f"127.0.0.1:{relay.port}", "cert": "device.pem",
                                               "key": "device-key.pem", "ca": "relay-ca.pem"}}))
    relay.processes.start([relay.bin / "tunnel-agent", "run", "--config", settings, "--state-dir", tmp_path / "state"],
                          tmp_path / "agent.log")
    wait_for("gw-1 online", lambda: relay.request("GET", "/v1/devices/gw-1", "admin")[1].get("online"), timeout=20,
             detail=lambda: read(tmp_path / "agent.log"))

    again = register(relay, "gw-1", fleet, tmp_path / "again")
    assert again.returncode == 2 and "registered already" in again.stdout, again.stdout + again.stderr
    assert not (tmp_path / "again" / "device-key.pem").exists(), "a refused registration writes no key"
    refusals = relay.request("GET", "/v1/audit?deviceId=gw-1", "admin")[1]
    assert any(e["event"] == "device.registration_refused" for e in refusals), refusals

    assert relay.request("POST", "/v1/devices/gw-1/reset", "admin")[0] == 200
    after_reset = register(relay, "gw-1", fleet, tmp_path / "after-reset")
    assert after_reset.returncode == 0, after_reset.stdout + after_reset.stderr


def test_two_concurrent_registrations_of_one_id_exactly_one_wins(relay, tmp_path):
    secret = relay.cli("device", "secret", "--customer", "beta", "--device", "gw-race").strip()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: register(relay, "gw-race", secret, tmp_path / f"r{n}"), range(4)))
    assert sorted(r.returncode for r in results) == [0, 2, 2, 2], [r.stdout + r.stderr for r in results]


@pytest.mark.parametrize("secret_for,device,message", [
    ("gw-a", "gw-b", "is for device gw-a"),
    (None, "gw-c", "not valid for this relay"),
])
def test_wrong_provisioning_secrets_are_refused(relay, tmp_path, secret_for, device, message):
    secret = relay.cli("device", "secret", "--customer", "acme", *(["--device", secret_for] if secret_for else [])).strip()
    if secret_for is None:
        secret = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")  # tampered signature
    result = register(relay, device, secret, tmp_path / "out")
    assert result.returncode == 2 and message in result.stdout, result.stdout + result.stderr
    assert relay.request("GET", f"/v1/devices/{device}", "admin")[0] == 404


def test_live_telemetry_of_a_device_latest_values_and_a_server_sent_event_stream(tmp_path):
    from mqtt_fixtures import Broker, mosquitto_path, start_live_agent
    if mosquitto_path() is None:
        missing_peer("no mosquitto broker (Debian package mosquitto)")
    relay = Relay(tmp_path).start()
    try:
        broker = Broker(relay.processes, tmp_path / "broker").start()
        start_live_agent(relay.processes, relay.bin, relay.folder / "p1", relay.port, broker.port, tmp_path)
        latest = wait_for("live telemetry at the relay",
                          lambda: (lambda r: r if "packVoltage" in r.get("values", {}) else None)(
                              relay.request("GET", "/v1/devices/p1/telemetry", "engineer")[1]),
                          timeout=30, detail=lambda: read(tmp_path / "agent.log")[-3000:])
        check_against_document("/v1/devices/{id}/telemetry", "get", 200, latest)
        assert 40 < latest["values"]["packVoltage"]["value"] < 70 and latest["values"]["packVoltage"]["ts"] > 0
        assert relay.request("GET", "/v1/devices/p2/telemetry", "engineer")[0] == 404

        request = urllib.request.Request(f"https://127.0.0.1:{relay.admin_port}/v1/devices/p1/telemetry/stream")
        request.add_header("Authorization", f"Bearer {relay.keys['viewer']}")
        with urllib.request.urlopen(request, context=relay.context, timeout=10) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            line = stream.readline().decode()
            while not line.startswith("data: "):
                line = stream.readline().decode()
        record = json.loads(line[len("data: "):])
        assert record["ts"] > 0 and record["values"], record
    finally:
        relay.stop()
