"""System tests of the agent against ThingsBoard's rules as a real server runs them (issue #18):
TLS as the vendor's files mean it, unreadable client certificates, provisioning retried after
CONNACK 3, unique client identifiers, the session limits (getSessionLimits) and the pacing and
splitting of telemetry within them, RPC deduplication per broker session, text kept as strings.

A real mosquitto carries everything; `ThingsBoardDouble` (mqtt_fixtures.py) answers
getSessionLimits like ThingsBoard 3.6 and records every rate-limit window and payload limit the
agent's traffic broke, and mosquitto's max_packet_size enforces the payload size at the broker.
"""
import json
import socket
import sqlite3
import subprocess
import threading
import time

from mqtt_fixtures import (ATTRIBUTES, ROOT, SEQ, TELEMETRY, Observer, ThingsBoardDouble, make_test_pki,
                           parse_windows, port_open, read, sequence_problems, wait_for)
from test_portal_trust import wait_status

SHIPPED_PARAMS = ROOT / "Sources" / "AgentConfig" / "Resources" / "params_config.json"


def uplink_settings(system, broker, bundle, pty, **mqtt):
    return system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", **mqtt}, serial_device=pty)


def queued_records(state) -> int:
    """Records in the agent's durable queue, read beside the running agent."""
    path = state / "telemetry-queue.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):  # the file exists a moment before its table
            return 0
        raise


def max_seq(records):
    return max((r["values"][SEQ] for r in records), default=0)


# MARK: 1. TLS as the vendor's files mean it

def test_mqtt_uri_on_port_8883_with_a_client_certificate_speaks_tls(system):
    pki = make_test_pki(system.folder / "pki")
    # The vendor's form, mqtt://host:8883, on the real TLS port when it is free here.
    port = 8883 if not port_open(8883) else None
    broker = system.broker(tls={"ca": pki["ca"], "cert": pki["server_cert"], "key": pki["server_key"]}, port=port)
    observer = system.observer(broker, tls={"ca": pki["ca"], "cert": pki["client_cert"], "key": pki["client_key"]})
    pty = system.start_sim()
    bundle = system.device()
    settings = system.settings(bundle, {
        "uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "agent-vendor-tls",
        "ca": pki["ca"], "cli_cert": pki["client_cert"], "cli_key": pki["client_key"]}, serial_device=pty)
    agent = system.agent(settings, system.folder / "state")
    wait_for("telemetry over TLS", lambda: len(observer.records()) >= 5, timeout=30,
             detail=lambda: agent.log_text()[-3000:])
    started = next(l for l in agent.log_text().splitlines() if "MQTT uplink started" in l)
    assert "tls=true" in started, started
    assert "cleartext" not in agent.log_text()
    # mosquitto's TLS listener took it: a plaintext CONNECT there would be refused as garbage.
    assert "agent-vendor-tls" in broker.log_text()


def test_plain_mqtt_on_another_port_without_certificates_warns_at_start(system):
    broker = system.broker()
    observer = system.observer(broker)
    agent = system.agent(uplink_settings(system, broker, system.device(), system.start_sim(), client_id="agent-plain"),
                         system.folder / "state")
    wait_for("telemetry in cleartext", lambda: observer.records())
    agent.wait_log("MQTT uplink in cleartext")
    line = next(l for l in agent.log_text().splitlines() if "MQTT uplink in cleartext" in l)
    assert "warning" in line and f"127.0.0.1:{broker.port}" in line, line


# MARK: 2. A client certificate that cannot be read

def test_an_unreadable_client_certificate_is_named_and_stops_only_the_uplink(system):
    pki = make_test_pki(system.folder / "pki")
    broker = system.broker(tls={"ca": pki["ca"], "cert": pki["server_cert"], "key": pki["server_key"]})
    pty = system.start_sim()
    bundle = system.device()
    missing = system.folder / "no-such-cert.pem"
    settings = system.settings(bundle, {
        "uri": f"mqtts://127.0.0.1:{broker.port}", "client_id": "agent-missing-cert",
        "ca": pki["ca"], "cli_cert": str(missing), "cli_key": pki["client_key"]}, serial_device=pty)

    check = subprocess.run([str(system.bin / "tunnel-agent"), "check-config", "--settings", str(settings),
                            "--params", str(SHIPPED_PARAMS)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"problem: $.mqtt.cli_cert: found no readable file at {missing}" in check.stdout, check.stdout

    state = system.folder / "state"
    agent = system.agent(settings, state)
    agent.wait_log("MQTT uplink stopped: a configured client certificate file cannot be used")
    line = next(l for l in agent.log_text().splitlines() if "client certificate file cannot be used" in l)
    assert "error" in line and str(missing) in line and "$.mqtt.cli_cert" in line, line
    # Acquisition goes on into the durable queue; the tunnel stays up; nothing reaches the broker.
    first = wait_for("records in the queue", lambda: queued_records(state))
    wait_for("more records in the queue", lambda: queued_records(state) > first + 5)
    time.sleep(2)
    assert agent.alive()
    assert "agent-missing-cert" not in broker.log_text(), "never a connection without the configured certificate"
    assert "MQTT uplink started" not in agent.log_text()
    agent.stop()
    assert agent.process.returncode == 0


# MARK: 3. Provisioning retried after CONNACK 3

class RefusingServer:
    """A TCP listener that answers every MQTT CONNECT with CONNACK 3 (server unavailable), as a
    ThingsBoard that is starting answers; mosquitto itself never sends 3."""

    def __init__(self, port):
        self.connects = 0
        self.server = socket.create_server(("127.0.0.1", port))
        self.server.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(5)
                try:
                    header = connection.recv(1)
                    if header and header[0] >> 4 == 1:  # CONNECT
                        self.connects += 1
                        connection.sendall(bytes([0x20, 0x02, 0x00, 0x03]))
                        time.sleep(0.2)
                except OSError:
                    pass

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        self.server.close()


def test_provisioning_is_retried_after_connack_3_and_succeeds_when_the_server_is_up(system):
    token = "TOKEN-after-retry"
    acl = system.folder / "acl"
    acl.write_text(f"user observer\ntopic readwrite #\n\nuser provision\ntopic readwrite /provision/#\n\n"
                   f"user {token}\ntopic readwrite v1/devices/me/#\n")
    broker = system.broker(start=False, acl_file=acl)
    refusing = RefusingServer(broker.port)
    try:
        pty = system.start_sim()
        settings = system.settings(system.device(), {
            "uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "agent-prov-retry",
            "provision": {"device_name": "pack-0042", "key": "fleet-key", "secret": "fleet-secret"}}, serial_device=pty)
        agent = system.agent(settings, system.folder / "state")
        agent.wait_log("Provisioning failed; trying again")
        wait_for("a second CONNACK 3", lambda: refusing.connects >= 2, timeout=30)
        line = next(l for l in agent.log_text().splitlines() if "Provisioning failed; trying again" in l)
        assert "CONNACK 3" in line, line
        assert "provisioning needs an operator" not in agent.log_text()
    finally:
        refusing.stop()
    broker.start()
    requests = []

    def respond(observer, topic, payload):
        if topic == "/provision/request":
            requests.append(json.loads(payload))
            observer.client.publish("/provision/response", json.dumps(
                {"status": "SUCCESS", "credentialsType": "ACCESS_TOKEN", "credentialsValue": token}), qos=1)

    observer = Observer(broker, ["/provision/request", "v1/devices/me/#"], username="observer", on_message=respond).start()
    system.observers.append(observer)
    wait_for("telemetry under the issued token", lambda: len(observer.records()) >= 3, timeout=60,
             detail=lambda: agent.log_text()[-3000:])
    assert len(requests) == 1
    assert agent.alive()


# MARK: 4. Client identifiers unique per gateway

def test_two_gateways_with_the_same_host_name_and_default_client_ids_both_stay_connected(system):
    broker = system.broker()
    observer = system.observer(broker)
    agents = []
    for name in ["gw-a", "gw-b"]:
        pty = system.start_sim(name=name)
        settings = system.settings(system.device(name), {"uri": f"mqtt://127.0.0.1:{broker.port}"}, serial_device=pty)
        agents.append(system.agent(settings, system.folder / f"state-{name}", name=name))
    identifiers = [wait_for("the client id in the state folder",
                            lambda a=a: (a.state / "mqtt-client-id").exists() and (a.state / "mqtt-client-id").read_text().strip())
                   for a in agents]
    hostname = socket.gethostname()
    assert identifiers[0] != identifiers[1], identifiers
    assert all(i.startswith(f"tunnel-agent-{hostname}-") for i in identifiers), identifiers
    wait_for("telemetry from both", lambda: all(f"Received PUBLISH from {i}" in broker.log_text() for i in identifiers),
             timeout=30)
    time.sleep(8)  # long enough for a takeover to show: each would reconnect within seconds
    log = broker.log_text()
    assert "already connected" not in log, "no gateway takes the other's session"
    for agent, identifier in zip(agents, identifiers):
        assert log.count(f"New client connected from 127.0.0.1") >= 2
        assert log.count(f" as {identifier} ") == 1, f"{identifier} connected once"
        assert "MQTT connection lost" not in agent.log_text()
    # Stable: the same identifier after a restart.
    agents[0].stop()
    agents[0].start()
    wait_for("the restarted gateway back", lambda: read(broker.log).count(f" as {identifiers[0]} ") == 2, timeout=30)
    assert (agents[0].state / "mqtt-client-id").read_text().strip() == identifiers[0]


# MARK: 5. Session limits: pacing and splitting

TIGHT = {"maxPayloadSize": 4096, "maxInflightMessages": 8,
         "rateLimits": {"messages": "14:1,330:30", "telemetryMessages": "10:1,240:30",
                        "telemetryDataPoints": "300:1,6000:30"}}


def busiest_share(double) -> float:
    """The fullest any telemetry rate-limit window got, as a share of its count."""
    telemetry = double.telemetry()
    shares = []
    for name, weight in [("telemetryMessages", lambda e: 1), ("telemetryDataPoints", lambda e: e[3])]:
        for count, seconds in parse_windows(TIGHT["rateLimits"][name]):
            most = max(sum(weight(e) for e in telemetry if start[0] <= e[0] < start[0] + seconds) for start in telemetry)
            shares.append(most / count)
    return max(shares)


def test_a_backlog_drains_under_tight_limits_without_a_violation_or_a_lost_record(system):
    broker = system.broker(start=False, extra_conf=[f"max_packet_size {TIGHT['maxPayloadSize']}"])
    pty = system.start_sim("--cells", "16")
    state = system.folder / "state"
    agent = system.agent(uplink_settings(system, broker, system.device(), pty, client_id="agent-backlog"), state)
    first_record = wait_for("a first record", lambda: queued_records(state) and time.time(), timeout=60)
    wait_for("a backlog of 300 records", lambda: queued_records(state) >= 300, timeout=90)
    production = queued_records(state) / (time.time() - first_record)
    broker.start()
    double = ThingsBoardDouble(broker, TIGHT).start()
    system.observers.append(double.observer)
    observer = system.observer(broker)
    backlog = queued_records(state)
    agent.wait_log("Session limits from the server", timeout=60)
    connected_at = time.time()

    def caught_up():
        records = observer.records()
        return records and max(r["ts"] for r in records) / 1000 > time.time() - 3 and not sequence_problems(records)[0]
    wait_for("the backlog drained", caught_up, timeout=180,
             detail=lambda: f"{len(observer.records())} records; {double.violations()}")
    drained = time.time() - connected_at
    records = observer.records()
    problems, by_seq = sequence_problems(records)
    assert not problems, problems
    assert double.violations() == [], double.violations()
    telemetry = double.telemetry()
    span = telemetry[-1][0] - telemetry[0][0]
    print(f"production {production:.1f} records/s; "
          f"backlog of {backlog} records drained in {drained:.1f} s: {len(telemetry)} messages, "
          f"{sum(e[3] for e in telemetry)} data points, {len(by_seq)} records in {span:.1f} s; "
          f"largest payload {max(e[2] for e in telemetry)} bytes")
    assert max(e[2] for e in telemetry) <= TIGHT["maxPayloadSize"]
    since_connect = agent.log_text().split("MQTT connected", 1)[1]
    assert "MQTT connection lost" not in since_connect, "the broker never cut the agent off (max_packet_size)"
    assert "Client agent-backlog disconnected" not in broker.log_text(), "nor did mosquitto"
    # Pacing is not idling: while the backlog drained, some window was nearly full.
    assert busiest_share(double) >= 0.8, f"the fullest window reached {busiest_share(double):.0%} of its count"


def test_a_record_too_big_for_one_message_is_sent_in_parts_with_the_same_ts(system):
    limits = {"maxPayloadSize": 65536, "maxInflightMessages": 20,
              "rateLimits": {"messages": "100:1", "telemetryMessages": "50:1", "telemetryDataPoints": "6:1,300:60"}}
    broker = system.broker()
    double = ThingsBoardDouble(broker, limits).start()
    system.observers.append(double.observer)
    observer = system.observer(broker)
    agent = system.agent(uplink_settings(system, broker, system.device(), system.start_sim("--cells", "16"),
                                         client_id="agent-split"), system.folder / "state")
    agent.wait_log("Telemetry record too big for one message; sent in parts", timeout=60)
    time.sleep(3)
    # Telemetry messages that carry records: the firmware report (current_fw_*) is one flat object.
    messages = [m for m in (json.loads(p) for _, p, _ in observer.snapshot(topic=TELEMETRY)) if isinstance(m, list)]
    assert all(sum(len(r["values"]) for r in m) <= 6 for m in messages), "no message over 6 data points"
    parts: dict[tuple[int, int], list[dict]] = {}
    for message in messages:
        for record in message:
            parts.setdefault((record["ts"], record["values"][SEQ]), []).append(record["values"])
    divided = {key: values for key, values in parts.items() if len(values) > 1}
    assert divided, "some record arrived in parts"
    for (ts, seq), values in divided.items():
        keys = [k for v in values for k in v if k != SEQ]
        assert len(keys) == len(set(keys)), f"record {seq}: each key in one part only"
        assert len(keys) + 1 > 6, f"record {seq} ({len(keys)} keys) was too big for one message"
    assert double.violations() == [], double.violations()
    assert agent.alive()


def test_without_an_answer_the_conservative_limits_apply(system):
    broker = system.broker()
    double = ThingsBoardDouble(broker, None).start()  # a server older than 3.6
    system.observers.append(double.observer)
    observer = system.observer(broker)
    agent = system.agent(uplink_settings(system, broker, system.device(), system.start_sim(), client_id="agent-old-tb"),
                         system.folder / "state")
    agent.wait_log("No session limits from the server; conservative limits apply", timeout=30)
    wait_for("telemetry", lambda: len(observer.records()) >= 5)
    assert double.limit_requests, "the agent asked"
    conservative = ThingsBoardDouble(broker, {"maxPayloadSize": 65536, "rateLimits": {
        "messages": "20:1,600:60", "telemetryMessages": "20:1,600:60", "telemetryDataPoints": "200:1,6000:60"}})
    conservative.sent = double.sent
    assert conservative.violations() == []


# MARK: 6. RPC deduplication per broker session

def test_an_rpc_id_seen_again_after_a_broker_restart_gets_a_fresh_answer(system):
    broker = system.broker()
    observer = system.observer(broker)
    agent = system.agent(uplink_settings(system, broker, system.device(), system.start_sim(), client_id="agent-rpc"),
                         system.folder / "state")
    wait_for("telemetry", lambda: observer.records())
    first = observer.rpc("agent.status", request_id=7)
    time.sleep(2.2)
    again = observer.rpc("agent.status", request_id=7)
    assert again == first, "the same id on one connection: the first answer, not run again"

    broker.stop()
    time.sleep(1)
    broker.start()
    wait_for("the observer back", observer.connected.is_set, timeout=15)
    agent.wait_log("MQTT connected")
    wait_for("the agent back on the broker", lambda: agent.log_text().count("MQTT connected") >= 2, timeout=40)
    fresh = observer.rpc("agent.status", request_id=7)
    assert fresh["uptimeSeconds"] > first["uptimeSeconds"], (first, fresh)


# MARK: 7. Types keep their type

def test_text_goes_as_attribute_strings_and_decimal_keys_always_as_doubles(system):
    broker = system.broker()
    observer = system.observer(broker)
    agent = system.agent(uplink_settings(system, broker, system.device(),
                                         system.start_sim("--serial-number", "00012345"), client_id="agent-types"),
                         system.folder / "state")
    wait_for("the serial number as a client attribute",
             lambda: [a for a in observer.attributes() if a.get("serialNumber") == "00012345"], timeout=30)
    wait_for("telemetry", lambda: len(observer.records()) >= 20)
    raw = [p.decode() for _, p, _ in observer.snapshot(topic=TELEMETRY)]
    assert not any("serialNumber" in text for text in raw), "text is not telemetry (ThingsBoard would cast it)"
    # packVoltage has factor 0.01: every value is written with a decimal point or exponent.
    for record in observer.records():
        value = record["values"].get("packVoltage")
        if value is not None:
            assert isinstance(value, float), record
    assert agent.alive()


# MARK: 8. A deleted shared attribute gives the local file back, then the default

def test_a_deleted_params_attribute_gives_the_local_params_file_back(system):
    """The agent follows two shared keys, settings.json and params_config.json. For both,
    test_portal_trust.py checks that deleting the attribute brings the local file back, with
    params_config.json there being the shipped default (no --params file). Here the gateway
    has its own params_config.json: deleting the portal's copy brings that one back, not the
    default."""
    broker = system.broker()
    observer = system.observer(broker)
    local = json.loads(SHIPPED_PARAMS.read_text())
    local["protocols"]["g1"]["packets"]["CV1"]["params"]["totalVoltage"]["route_to_mqtt"] = "packVoltageLocal"
    local_path = system.folder / "local-params.json"
    local_path.write_text(json.dumps(local))
    agent = system.agent(uplink_settings(system, broker, system.device(), system.start_sim(), client_id="agent-params"),
                         system.folder / "state", extra_args=["--params", local_path])
    wait_for("the local file's key", lambda: [r for r in observer.records() if "packVoltageLocal" in r["values"]])

    portal = json.loads(SHIPPED_PARAMS.read_text())
    portal["protocols"]["g1"]["packets"]["CV1"]["params"]["totalVoltage"]["route_to_mqtt"] = "packVoltagePortal"
    observer.publish(ATTRIBUTES, {"params_config.json": portal})
    wait_status(observer, "params_config.json", True)
    wait_for("the portal's key", lambda: [r for r in observer.records() if "packVoltagePortal" in r["values"]])

    observer.publish(ATTRIBUTES, {"deleted": ["params_config.json"]})
    withdrawn = wait_status(observer, "params_config.json", True, count=2)
    assert withdrawn.get("withdrawn") is True, withdrawn
    since = time.time() + 0.5
    back = wait_for("the local file's key again",
                    lambda: [r for r in observer.records(after=since) if "packVoltageLocal" in r["values"]])
    assert back
    # CV1 (with "current") names the pack voltage after the local file again; BV1 has its own packVoltage.
    cv1 = [r["values"] for r in observer.records(after=since + 1) if "current" in r["values"]]
    assert cv1 and all("packVoltageLocal" in v and "packVoltagePortal" not in v and "packVoltage" not in v for v in cv1), cv1
    assert agent.alive()
