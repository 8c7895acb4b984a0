"""System tests of the agent's MQTT uplink (ThingsBoard device API) against a real broker.

Every test runs a real mosquitto on a free 127.0.0.1 port in its own folder, the real
tunnel-agent (and bms-sim, tunnel-relay, tunnel-connect where needed), and paho-mqtt as the
independent observer that sees only what the broker delivers, as a portal would. Where
ThingsBoard itself would answer (provisioning), a paho test double answers on the real broker,
as the ThingsBoard reference allows. Without mosquitto or paho the tests are skipped with the reason.
"""
import json
import stat
import subprocess
import time

import pytest

from peers import import_peer

from mqtt_fixtures import ATTRIBUTES, ROOT, SEQ, make_test_pki, read, sequence_problems, wait_for

SHIPPED_PARAMS = ROOT / "Sources" / "AgentConfig" / "Resources" / "params_config.json"
SIM_SERIAL = "SIM-UPLINK-7"


def start_uplink(system, broker, *, mqtt=None, client_id="agent-under-test", sim_args=(), tunnel_mode="always",
                 device="pack-1"):
    """The usual trio: the simulated BMS, a device bundle and the agent publishing to `broker`."""
    pty = system.start_sim("--serial-number", SIM_SERIAL, *sim_args)
    bundle = system.device(device)
    settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": client_id,
                                        **(mqtt or {})}, serial_device=pty, tunnel_mode=tunnel_mode)
    return system.agent(settings, system.folder / "state")


def wait_records(observer, what, predicate=lambda r: True, count=1, after=0.0, timeout=20.0):
    return wait_for(f"{count} telemetry record(s) with {what}",
                    lambda: (lambda found: found if len(found) >= count else None)(
                        [r for r in observer.records(after=after) if predicate(r)]),
                    timeout=timeout)


def max_seq(records):
    return max((r["values"][SEQ] for r in records), default=0)


# MARK: 1. Telemetry content

def test_telemetry_from_the_simulated_bms_has_the_keys_and_plausible_values_in_their_units(system):
    broker = system.broker()
    observer = system.observer(broker)
    started_ms = time.time() * 1000
    agent = start_uplink(system, broker, sim_args=["--cells", "16", "--soc", "80", "--current=-12.5"])

    def full_list(key):
        return lambda r: isinstance(r["values"].get(key), list) and len(r["values"][key]) == 16 \
            and None not in r["values"][key]

    cells = wait_records(observer, "all 16 cell voltages", full_list("cellVoltages"))[0]["values"]["cellVoltages"]
    temperatures = wait_records(observer, "all 16 module temperatures", full_list("moduleTemperatures"))[0]
    bv1 = wait_records(observer, "a BV1 summary", lambda r: "minCellVoltage" in r["values"])[0]["values"]
    cv1 = wait_records(observer, "a CV1 reading", lambda r: "current" in r["values"])[0]["values"]
    bc1 = wait_records(observer, "a BC1 reading", lambda r: "soc" in r["values"])[0]["values"]
    now_ms = time.time() * 1000

    # Every record: ThingsBoard's {"ts": ms, "values": {...}} with the sequence number.
    records = observer.records()
    for record in records:
        assert set(record) == {"ts", "values"}, record
        assert isinstance(record["ts"], int), f"ts is integer milliseconds: {record}"
        assert started_ms - 2000 <= record["ts"] <= now_ms + 2000, f"ts within seconds of now, in ms: {record}"
        assert isinstance(record["values"][SEQ], int)

    # Volts: each cell of a Li-ion pack, and the pack the sum of its 16 cells (0.01 V rounding each).
    assert all(2.5 <= v <= 4.3 for v in cells), cells
    assert 2.5 <= bv1["minCellVoltage"] <= bv1["avgCellVoltage"] <= bv1["maxCellVoltage"] <= 4.3, bv1
    assert abs(bv1["minCellVoltage"] - min(cells)) <= 0.02 and abs(bv1["maxCellVoltage"] - max(cells)) <= 0.02
    assert bv1["cellCount"] == 16
    assert abs(cv1["packVoltage"] - sum(cells)) <= 16 * 0.005 + 0.05, (cv1["packVoltage"], sum(cells), cells)
    assert abs(bv1["packVoltage"] - sum(cells)) <= 16 * 0.005 + 0.05, (bv1["packVoltage"], sum(cells))
    # Amperes (the simulator's load is -12.5 A), percent, °C.
    assert cv1["current"] == pytest.approx(-12.5, abs=0.2), cv1
    assert bc1["soc"] == pytest.approx(80, abs=1), bc1
    assert bc1["capacity"] == pytest.approx(100, abs=1), "Ah"
    assert all(-40 <= t <= 100 for t in temperatures["values"]["moduleTemperatures"]), temperatures
    # Client attributes: the agent's and the BMS's identity. The BMS's text (VR1) is sent as
    # attribute strings, never as telemetry, where ThingsBoard would cast a numeric-looking one.
    attributes = wait_for("client attributes with the BMS's serial number",
                          lambda: [a for a in observer.attributes() if a.get("serialNumber") == SIM_SERIAL])
    assert attributes[0]["agentVersion"] and len(attributes[0]["configHash"]) == 64, attributes[0]
    assert attributes[0]["hardwareType"] and attributes[0]["firmwareVersion"], attributes[0]
    assert not [r for r in records if "serialNumber" in r["values"]], "text is not telemetry"
    assert agent.alive()


# MARK: 2. Nothing lost across a broker outage and an agent crash

def test_no_record_is_lost_across_a_broker_outage_and_an_agent_sigkill(system):
    broker = system.broker()
    # A persistent session at QoS 1: the broker keeps what arrives while the observer is away.
    observer = system.observer(broker, client_id="durable-observer", clean_session=False)
    agent = start_uplink(system, broker)
    wait_for("30 records before the outage", lambda: max_seq(observer.records()) >= 30)

    broker.stop()
    down_at = time.time()
    time.sleep(5)
    broker.start()  # same port, same persistence file
    up_at = time.time()
    wait_for("the observer back on the broker", observer.connected.is_set, timeout=15)
    # What the agent measured while the broker was down arrives afterwards, from its queue.
    during = wait_records(observer, "timestamps inside the broker outage",
                          lambda r: down_at + 0.5 <= r["ts"] / 1000 <= up_at - 0.5, count=20, timeout=30)
    assert agent.alive()
    assert "MQTT connection lost" in agent.log_text()
    before_kill = max_seq(observer.records())
    wait_for("records after the outage", lambda: max_seq(observer.records()) >= before_kill + 20)

    agent.kill()  # SIGKILL mid-stream: no chance to flush or to say goodbye
    killed_at = time.time()
    seen_at_kill = max_seq(observer.records())
    time.sleep(1)
    agent.start()  # same state folder, same queue
    restarted_at = time.time()
    after = wait_records(observer, "timestamps after the restart", lambda r: r["ts"] / 1000 >= restarted_at,
                         count=20, timeout=30)
    assert min(r["values"][SEQ] for r in after) > seen_at_kill, "the queue's numbering survives the crash"

    # At the end: every sequence number from 1 to the highest seen; copies identical.
    def settled():
        problems, _ = sequence_problems(observer.records())
        return not problems
    deadline = time.time() + 15
    while time.time() < deadline and not settled():
        time.sleep(0.2)
    problems, by_seq = sequence_problems(observer.records())
    assert not problems, "\n".join(problems)
    assert max(by_seq) >= seen_at_kill + 20
    assert any(down_at <= r["ts"] / 1000 <= up_at for r in during)
    assert not [r for r in observer.records() if killed_at + 0.1 < r["ts"] / 1000 < restarted_at - 0.1], \
        "nothing can have been measured while the agent was dead"


# MARK: 3. TLS with client certificates, passwords

def test_mqtts_with_a_client_certificate_publishes_telemetry(system):
    pki = make_test_pki(system.folder / "pki")
    broker = system.broker(tls={"ca": pki["ca"], "cert": pki["server_cert"], "key": pki["server_key"]})
    observer = system.observer(broker, tls={"ca": pki["ca"], "cert": pki["client_cert"], "key": pki["client_key"]})
    pty = system.start_sim()
    bundle = system.device()
    settings = system.settings(bundle, {
        "uri": f"mqtts://127.0.0.1:{broker.port}", "client_id": "agent-tls",
        "ca": pki["ca"], "cli_cert": pki["client_cert"], "cli_key": pki["client_key"]}, serial_device=pty)
    agent = system.agent(settings, system.folder / "state")
    wait_records(observer, "a pack voltage, over TLS", lambda r: "packVoltage" in r["values"], count=5)
    assert agent.alive()
    assert "New client connected" in broker.log_text() and "agent-tls" in broker.log_text()

    # An agent that does not trust the broker's certificate says why and keeps running.
    distrust = system.settings(bundle, {
        "uri": f"mqtts://127.0.0.1:{broker.port}", "client_id": "agent-distrust", "ca": str(bundle / "relay-ca.pem"),
        "cli_cert": pki["client_cert"], "cli_key": pki["client_key"]}, file="settings-distrust.json")
    other = system.agent(distrust, system.folder / "state-distrust", name="agent-distrust")
    other.wait_log("certificate verify failed")
    time.sleep(2)
    assert other.alive() and agent.alive()
    assert "agent-distrust" not in broker.log_text(), "no MQTT session without a trusted broker certificate"


def test_password_login_works_and_a_wrong_password_is_reported_without_a_crash(system):
    password_file = system.folder / "passwords"
    for user, password in [("agent-user", "right-Pa55"), ("observer", "observer-pw")]:
        flag = ["-c"] if not password_file.exists() else []
        subprocess.run(["mosquitto_passwd", "-b", *flag, str(password_file), user, password], check=True,
                       capture_output=True, timeout=30)
    broker = system.broker(password_file=password_file, allow_anonymous=False)
    observer = system.observer(broker, username="observer", password="observer-pw")

    good = start_uplink(system, broker, client_id="agent-good",
                        mqtt={"username": "agent-user", "password": "right-Pa55"})
    wait_records(observer, "telemetry from the logged-in agent", count=5)

    bundle = system.folder / "pack-1"
    bad_settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "agent-bad",
                                            "username": "agent-user", "password": "wrong"},
                                   file="settings-bad.json")
    bad = system.agent(bad_settings, system.folder / "state-bad", name="agent-bad")
    bad.wait_log("MQTT broker refused the credentials; uplink stopped until the configuration is fixed")
    line = next(l for l in bad.log_text().splitlines() if "refused the credentials" in l)
    assert "connack=5" in line and "error" in line, line
    time.sleep(3)
    assert bad.alive(), "a wrong password stops the uplink, not the agent"
    assert good.alive()
    # mosquitto logs a refused client as <unknown>; agent-bad is the only one refused here.
    refusals = broker.log_text().count("disconnected, not authorised")
    assert refusals == 1, f"the agent does not hammer the broker with a refused password ({refusals} attempts)"
    assert "wrong" not in bad.log_text(), "the password never appears in the log"
    bad.stop()
    assert bad.process.returncode == 0, "SIGTERM still ends the agent cleanly"


# MARK: 4. Portal configuration through shared attributes

def test_params_config_from_shared_attributes_is_applied_live_and_a_bad_one_is_refused(system):
    broker = system.broker()
    observer = system.observer(broker)
    agent = start_uplink(system, broker)
    pid = agent.pid
    wait_records(observer, "CV1's packVoltage", lambda r: "current" in r["values"] and "packVoltage" in r["values"])
    first_hash = wait_for("client attributes", observer.attributes)[0]["configHash"]
    asked = [json.loads(p) for _, p, _ in observer.snapshot(prefix="v1/devices/me/attributes/request/")]
    assert [a for a in asked if {"settings.json", "params_config.json"} <= set(a.get("sharedKeys", "").split(","))], \
        f"the agent asks for its files at connect: {asked}"

    renamed = json.loads(SHIPPED_PARAMS.read_text())
    cv1 = renamed["protocols"]["g1"]["packets"]["CV1"]["params"]["totalVoltage"]
    assert cv1["route_to_mqtt"] == "packVoltage"
    cv1["route_to_mqtt"] = "packVoltageRenamed"
    sent_at = time.time()
    observer.publish(ATTRIBUTES, {"params_config.json": renamed})

    def status(accepted):
        return lambda: [a["configStatus"] for a in observer.attributes()
                        if isinstance(a.get("configStatus"), dict) and a["configStatus"].get("accepted") is accepted]
    accepted = wait_for("configStatus accepted", status(True))[0]
    assert accepted["file"] == "params_config.json" and len(accepted["configHash"]) == 64
    assert accepted["configHash"] != first_hash
    new = wait_records(observer, "the renamed key", lambda r: "packVoltageRenamed" in r["values"], after=sent_at)
    assert "current" in new[0]["values"] and "packVoltage" not in new[0]["values"], new[0]
    assert 40 < new[0]["values"]["packVoltageRenamed"] < 70
    wait_for("client attributes carrying the new configHash",
             lambda: any(a.get("configHash") == accepted["configHash"] for a in observer.attributes()))
    assert agent.alive() and agent.pid == pid, "applied without restarting the agent"
    assert "Agent services restarting" not in agent.log_text()
    stored = system.folder / "state" / "params_config.json"
    assert json.loads(stored.read_text()) == renamed, "kept in the state folder for the next start"

    # A bad file, sent as a JSON string this time: refused with its problems, nothing changes.
    bad = {"protocols": {"g1": {"request_period": 0}}}
    refused_at = time.time()
    observer.publish(ATTRIBUTES, {"params_config.json": json.dumps(bad)})
    refused = wait_for("configStatus refused", status(False))[0]
    assert refused["file"] == "params_config.json"
    assert refused["problems"] and all(isinstance(p, str) and p for p in refused["problems"]), refused
    assert any("request_period" in p for p in refused["problems"]), refused["problems"]
    still = wait_records(observer, "CV1 after the refusal", lambda r: "current" in r["values"], count=3,
                         after=refused_at + 0.5)
    assert all("packVoltageRenamed" in r["values"] and "packVoltage" not in r["values"] for r in still), still
    assert json.loads(stored.read_text()) == renamed
    assert agent.alive() and agent.pid == pid


def test_params_config_set_while_offline_is_fetched_and_applied_at_connect(system):
    """ThingsBoard does not replay shared-attribute updates: the agent asks at connect, and a
    double answers the request the way ThingsBoard does, on attributes/response/<id>."""
    renamed = json.loads(SHIPPED_PARAMS.read_text())
    renamed["protocols"]["g1"]["packets"]["CV1"]["params"]["totalVoltage"]["route_to_mqtt"] = "packVoltageRenamed"

    def answer(observer, topic, payload):
        if topic.startswith("v1/devices/me/attributes/request/"):
            request_id = topic.rsplit("/", 1)[1]
            observer.client.publish(f"v1/devices/me/attributes/response/{request_id}",
                                    json.dumps({"shared": {"params_config.json": json.dumps(renamed)}}), qos=1)

    broker = system.broker()
    observer = system.observer(broker, on_message=answer)
    agent = start_uplink(system, broker)
    wait_for("configStatus accepted", lambda: [a for a in observer.attributes()
                                               if a.get("configStatus", {}).get("accepted") is True])
    wait_records(observer, "the renamed key", lambda r: "packVoltageRenamed" in r["values"], count=3)
    assert json.loads((system.folder / "state" / "params_config.json").read_text()) == renamed
    assert agent.alive()


# MARK: 5. RPC and the on-demand tunnel

def test_rpc_answers_once_per_id_and_opens_and_closes_an_on_demand_tunnel(system):
    broker = system.broker()
    observer = system.observer(broker)
    agent = start_uplink(system, broker, tunnel_mode="on_demand", device="ondemand-pack")
    system.start_relay()
    wait_records(observer, "telemetry (serial open)", count=3)

    status = observer.rpc("agent.status", request_id="101")
    assert status["agentVersion"] and status["serialOpen"] is True, status
    assert status["tunnelMode"] == "on_demand" and status["relayConnected"] is False, status
    assert set(status["queue"]) >= {"records", "bytes", "dropped"}, status
    assert all(isinstance(v, int) for v in status["queue"].values()), status
    assert status["certificate"]["serial"] and status["certificate"]["notAfter"] > "2030", status

    unknown = observer.rpc("no.such.method", request_id="102")
    assert unknown["error"]["code"] == "unknownMethod", unknown
    assert "agent.status" in unknown["error"]["message"]

    # The same id again (ThingsBoard may deliver twice): the first answer, not a second run.
    time.sleep(1.5)
    again = observer.rpc("agent.status", request_id="101")
    assert again == status, "a repeated request id gets the first answer again"
    fresh = observer.rpc("agent.status", request_id="103")
    assert fresh["uptimeSeconds"] > status["uptimeSeconds"], "a new id runs again (so the repeat was not re-run)"

    # On demand: no relay connection until tunnel.open.
    assert not system.device_presence("ondemand-pack").startswith("online")
    assert "Connected to relay" not in agent.log_text()
    opened = observer.rpc("tunnel.open", {"minutes": 5}, request_id="104")
    assert opened == {"tunnel": "opening", "minutes": 5}, opened
    agent.wait_log("Connected to relay")
    wait_for("the relay to list the device online",
             lambda: system.device_presence("ondemand-pack").startswith("online"))
    assert observer.rpc("agent.status", request_id="105")["relayConnected"] is True

    closed = observer.rpc("tunnel.close", request_id="106")
    assert closed == {"tunnel": "closed"}, closed
    wait_for("the relay to list the device offline",
             lambda: system.device_presence("ondemand-pack").startswith("offline"),
             detail=lambda: system.device_presence("ondemand-pack"))
    time.sleep(2)
    assert agent.log_text().count("Connected to relay") == 1, "closed stays closed"
    assert observer.rpc("agent.status", request_id="107")["relayConnected"] is False


# MARK: 6. Telemetry during a Control Panel session

def test_telemetry_keeps_flowing_during_a_control_panel_session(system):
    serial = import_peer("serial", "pyserial (Debian python3-serial) plays the Control Panel")
    broker = system.broker()
    observer = system.observer(broker)
    agent = start_uplink(system, broker, device="session-pack")
    system.start_relay()
    agent.wait_log("Connected to relay")
    wait_records(observer, "telemetry before the session", count=10)

    url = system.run("tunnel-relay", "session", "open", "--device", "session-pack", "--data-dir", system.relay_data,
                     "--public-address", f"127.0.0.1:{system.relay_port}", "--user", "t", "--url-only").strip()
    link = system.folder / "ControlPanel.port"
    connect_log = system.logs / "connect.log"
    system.processes.start([system.bin / "tunnel-connect", url, "--ca", system.relay_data / "tls" / "server-ca.pem",
                            "--pty", link], connect_log)
    wait_for("the Control Panel session", lambda: "Connected to device" in read(connect_log),
             detail=lambda: read(connect_log))
    session_start = time.time()
    seq_at_start = max_seq(observer.records())

    answers = []
    with serial.Serial(str(link), 57600, timeout=3) as port:
        port.reset_input_buffer()
        for request in [b"VR1,?,D7\r\n", b"CV1,?,78\r\n", b"VR1,?,D7\r\n"]:
            port.write(request)
            name = request[:3].decode()
            for _ in range(30):  # the BMS also broadcasts; find the answer
                line = port.readline().decode("ascii", "replace").strip()
                if line.startswith(name + ",") and not line.startswith(name + ",?"):
                    answers.append(line)
                    break
            else:
                pytest.fail(f"no {name} answer through the tunnel")
            time.sleep(1)
        during = wait_records(observer, "records during the session",
                              lambda r: r["ts"] / 1000 >= session_start and r["values"][SEQ] > seq_at_start, count=15)
        session_end = time.time()
    assert [a[:3] for a in answers] == ["VR1", "CV1", "VR1"]
    assert SIM_SERIAL in answers[0]
    seqs = [r["values"][SEQ] for r in during]
    assert seqs == sorted(seqs) and len(set(seqs)) >= 15, "sequence numbers keep increasing"
    # The BMS's identity (text, from VR1) stays a client attribute string during the session.
    wait_for("the serial number as an attribute after the session",
             lambda: [a for _, p, at in observer.snapshot(topic=ATTRIBUTES) if at >= session_end
                      for a in [json.loads(p)] if a.get("serialNumber") == SIM_SERIAL])
    assert agent.alive()
    problems, _ = sequence_problems(observer.records())
    assert not problems, problems


# MARK: 7. Provisioning

TOKEN = "TOKEN-issued-by-test"


def provisioning_broker(system):
    """mosquitto where only `provision` may use /provision/# and only TOKEN may use the device topics."""
    acl = system.folder / "acl"
    acl.write_text(f"user observer\ntopic readwrite #\n\nuser provision\ntopic readwrite /provision/#\n\n"
                   f"user {TOKEN}\ntopic readwrite v1/devices/me/#\n")
    return system.broker(acl_file=acl)


def provisioning_double(system, broker, answer):
    """ThingsBoard's side of provisioning: answers every /provision/request with `answer`."""
    requests = []

    def respond(observer, topic, payload):
        if topic == "/provision/request":
            requests.append(json.loads(payload))
            observer.client.publish("/provision/response", json.dumps(answer), qos=1)

    observer = system.observer(broker, ["/provision/request", "v1/devices/me/#"], username="observer",
                               on_message=respond)
    return observer, requests


def provisioned_agent(system, broker, client_id):
    pty = system.start_sim()
    bundle = system.device()
    settings = system.settings(bundle, {
        "uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": client_id,
        "provision": {"device_name": "pack-0042", "key": "fleet-key", "secret": "fleet-secret"}}, serial_device=pty)
    return system.agent(settings, system.folder / "state")


def test_provisioning_stores_the_token_uses_it_and_happens_only_once(system):
    broker = provisioning_broker(system)
    observer, requests = provisioning_double(
        system, broker, {"status": "SUCCESS", "credentialsType": "ACCESS_TOKEN", "credentialsValue": TOKEN})
    agent = provisioned_agent(system, broker, "agent-prov")

    wait_records(observer, "telemetry under the issued token", count=5)
    assert requests == [{"deviceName": "pack-0042", "provisionDeviceKey": "fleet-key",
                         "provisionDeviceSecret": "fleet-secret"}]
    log = broker.log_text()
    assert "u'provision'" in log and f"u'{TOKEN}'" in log, "first as provision, then with the token"
    credentials = system.folder / "state" / "mqtt-credentials.json"
    assert json.loads(credentials.read_text()) == {"credentialsType": "ACCESS_TOKEN", "credentialsValue": TOKEN}
    assert stat.S_IMODE(credentials.stat().st_mode) & 0o077 == 0, "the token is readable by its owner only"

    agent.stop()
    assert agent.process.returncode == 0
    restarted_at = time.time()
    agent.start()
    wait_records(observer, "telemetry after the restart", count=5, after=restarted_at)
    assert len(requests) == 1, "a provisioned device does not provision again"
    assert agent.log_text().count("credentials=provisioned") == 2, agent.log_text()[-3000:]


def test_provisioning_failure_asks_for_an_operator_and_does_not_retry(system):
    broker = provisioning_broker(system)
    observer, requests = provisioning_double(
        system, broker, {"status": "FAILURE", "errorMsg": "Device with name pack-0042 already exists"})
    agent = provisioned_agent(system, broker, "agent-prov-fail")

    agent.wait_log("provisioning needs an operator")
    text = next(l for l in agent.log_text().splitlines() if "provisioning needs an operator" in l)
    assert "error" in text and "already exists" in text, text
    time.sleep(8)
    assert len(requests) == 1, f"FAILURE needs an operator, not a retry loop ({len(requests)} requests)"
    assert agent.alive()
    assert not (system.folder / "state" / "mqtt-credentials.json").exists()
    assert not observer.records(), "no telemetry without credentials"
    agent.stop()
    assert agent.process.returncode == 0, "SIGTERM still ends the agent cleanly"
