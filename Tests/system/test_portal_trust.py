"""System tests of the portal's trust boundary: what a shared-attribute push may change.

ThingsBoard is shared with customers: anyone who can write the device's shared attributes may
tune acquisition and the uplink, never take the gateway to another relay, weaken the broker's
TLS, make the poller send a sentence that changes the BMS, or cut the gateway off for good.
Each test runs a real mosquitto, the real agent, bms-sim and (where the tunnel matters) the
real relay; paho plays the portal. Without mosquitto or paho the tests are skipped with the reason.
"""
import json
import time


from mqtt_fixtures import ATTRIBUTES, ROOT, make_test_pki, read, wait_for
from ports import free_port

SHIPPED_PARAMS = ROOT / "Sources" / "AgentConfig" / "Resources" / "params_config.json"


def statuses(observer, file, accepted=None):
    """Every configStatus the agent reported for `file` (accepted True/False, or any)."""
    return [a["configStatus"] for a in observer.attributes()
            if isinstance(a.get("configStatus"), dict) and a["configStatus"].get("file") == file
            and (accepted is None or a["configStatus"].get("accepted") is accepted)]


def wait_status(observer, file, accepted, count=1, timeout=20.0):
    return wait_for(f"{count} configStatus of {file} with accepted={accepted}",
                    lambda: (lambda found: found if len(found) >= count else None)(statuses(observer, file, accepted)),
                    timeout=timeout)[count - 1]


def pushed_settings(local: dict, **changes) -> dict:
    """The local file without its tunnel section, with `changes` to its sections."""
    document = {key: value for key, value in local.items() if key != "tunnel"}
    for section, values in changes.items():
        document[section] = {**document.get(section, {}), **values}
    return document


# MARK: 1. The tunnel section is local-only

def test_a_pushed_tunnel_section_is_refused_and_a_file_without_one_keeps_the_local_tunnel(system):
    broker = system.broker()
    observer = system.observer(broker)
    pty = system.start_sim()
    bundle = system.device()
    system.start_relay()
    settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "agent-tunnel"},
                               serial_device=pty)
    local = json.loads(settings.read_text())
    agent = system.agent(settings, system.folder / "state")
    agent.wait_log("Connected to relay")
    wait_for("client attributes", observer.attributes)

    # Another TLS listener, trusted by the same CA file: the push would take the gateway there.
    elsewhere = json.loads(json.dumps(local))
    elsewhere["tunnel"]["relay"] = f"127.0.0.1:{broker.port}"
    observer.publish(ATTRIBUTES, {"settings.json": elsewhere})
    refused = wait_status(observer, "settings.json", False)
    assert any(p.startswith("$.tunnel") for p in refused["problems"]), refused
    assert any("local" in p for p in refused["problems"]), "the reason says the section is local-only"
    agent.wait_log("Configuration from the portal refused")
    time.sleep(2)
    assert "Agent services restarting" not in agent.log_text(), "the running configuration stays"
    assert not (system.folder / "state" / "settings.json").exists(), "a refused file is not stored"
    assert agent.log_text().count("Connected to relay") == 1
    assert system.device_presence("pack-1").startswith("online")

    # A file without a tunnel section: accepted, and the agent is back on its own relay.
    tuned = pushed_settings(local, mqtt={"attr_send_period": 3})
    observer.publish(ATTRIBUTES, {"settings.json": tuned})
    wait_status(observer, "settings.json", True)
    agent.wait_log("Agent services restarting")
    wait_for("the agent back on its relay after the restart",
             lambda: agent.log_text().count("Connected to relay") >= 2, detail=lambda: agent.log_text()[-3000:])
    assert agent.alive()


# MARK: 2. The broker may move, only over verified TLS

def test_a_push_that_weakens_the_brokers_tls_is_refused_with_its_path(system):
    pki = make_test_pki(system.folder / "pki")
    broker = system.broker(tls={"ca": pki["ca"], "cert": pki["server_cert"], "key": pki["server_key"]})
    observer = system.observer(broker, tls={"ca": pki["ca"], "cert": pki["client_cert"], "key": pki["client_key"]})
    plain = system.broker()
    plain_observer = system.observer(plain)
    pty = system.start_sim()
    bundle = system.device()
    settings = system.settings(bundle, {
        "uri": f"mqtts://127.0.0.1:{broker.port}", "client_id": "agent-tls-trust",
        "ca": pki["ca"], "cli_cert": pki["client_cert"], "cli_key": pki["client_key"]}, serial_device=pty)
    local = json.loads(settings.read_text())
    agent = system.agent(settings, system.folder / "state")
    wait_for("client attributes over TLS", observer.attributes)

    # Cleartext: mqtt:// on a port other than 8883 and no client certificate (with one, the
    # agent would speak TLS, verified with its own CA, as for mqtts://).
    observer.publish(ATTRIBUTES, {"settings.json": pushed_settings(
        local, mqtt={"uri": f"mqtt://127.0.0.1:{plain.port}", "cli_cert": "", "cli_key": ""})})
    downgrade = wait_status(observer, "settings.json", False)
    assert any(p.startswith("$.mqtt.uri") for p in downgrade["problems"]), downgrade

    other_ca = str(bundle / "relay-ca.pem")
    observer.publish(ATTRIBUTES, {"settings.json": pushed_settings(local, mqtt={"ca": other_ca})})
    changed_ca = wait_status(observer, "settings.json", False, count=2)
    assert any(p.startswith("$.mqtt.ca") for p in changed_ca["problems"]), changed_ca

    without_ca = pushed_settings(local)
    del without_ca["mqtt"]["ca"]  # the system's trust store instead of the gateway's own CA
    observer.publish(ATTRIBUTES, {"settings.json": without_ca})
    dropped_ca = wait_status(observer, "settings.json", False, count=3)
    assert any(p.startswith("$.mqtt.ca") for p in dropped_ca["problems"]), dropped_ca

    time.sleep(2)
    assert "Agent services restarting" not in agent.log_text()
    assert "agent-tls-trust" not in plain.log_text(), "no cleartext CONNECT to the other broker"
    assert not plain_observer.snapshot(prefix="v1/devices/me/telemetry")
    assert agent.alive()


# MARK: 3. The poller sends only sentences that read state

def test_a_params_config_polling_sentences_that_change_the_bms_is_refused_and_none_is_sent(system):
    broker = system.broker()
    observer = system.observer(broker)
    journal = system.folder / "bms-journal.jsonl"
    pty = system.start_sim("--journal", journal)
    bundle = system.device()
    settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "agent-poll"},
                               serial_device=pty)
    agent = system.agent(settings, system.folder / "state")
    wait_for("telemetry", lambda: observer.records())

    # Otherwise a valid file (one packet per sentence): only the polling rule refuses it, by key and by id.
    hostile = json.loads(SHIPPED_PARAMS.read_text())
    packets = hostile["protocols"]["g1"]["packets"]
    for name in ["FD1", "RS1"]:
        packets[name] = {"request_period": 0.5, "params": {}}
    packets["zero"] = {"id": "RC1", "request_period": 0.5}
    observer.publish(ATTRIBUTES, {"params_config.json": hostile})
    refused = wait_status(observer, "params_config.json", False)
    for path in ["$.protocols.g1.packets.FD1", "$.protocols.g1.packets.RS1", "$.protocols.g1.packets.zero.id"]:
        assert any(p.startswith(path + ":") for p in refused["problems"]), (path, refused["problems"])
    assert len(refused["problems"]) == 3, refused["problems"]
    time.sleep(4)
    lines = [json.loads(line)["line"] for line in read(journal).splitlines() if line.strip()]
    assert any(line.startswith("CV1,?") for line in lines), "the journal sees the agent's polling"
    sent = [line for line in lines if line[:3] in ("FD1", "RS1", "RC1")]
    assert not sent, f"the BMS received sentences that change it: {sent[:5]}"
    assert not (system.folder / "state" / "params_config.json").exists()
    assert agent.alive()


# MARK: 4. Last known good

def test_a_push_that_cuts_the_gateway_off_its_broker_is_rolled_back_across_a_restart(system):
    pki = make_test_pki(system.folder / "pki")
    broker = system.broker(tls={"ca": pki["ca"], "cert": pki["server_cert"], "key": pki["server_key"]})
    observer = system.observer(broker, tls={"ca": pki["ca"], "cert": pki["client_cert"], "key": pki["client_key"]})
    pty = system.start_sim()
    bundle = system.device()
    settings = system.settings(bundle, {
        "uri": f"mqtts://127.0.0.1:{broker.port}", "client_id": "agent-rollback",
        "ca": pki["ca"], "cli_cert": pki["client_cert"], "cli_key": pki["client_key"]}, serial_device=pty)
    local = json.loads(settings.read_text())
    local["portal"] = {"rollback_grace": 5}
    settings.write_text(json.dumps(local, indent=2))
    agent = system.agent(settings, system.folder / "state")
    wait_for("telemetry over TLS", lambda: observer.records())

    # Verified TLS with the gateway's own CA, but a port nobody listens on: accepted, then rolled back.
    wrong_port = pushed_settings(local, mqtt={"uri": f"mqtts://127.0.0.1:{free_port()}"})
    wrong_port.pop("portal")
    observer.publish(ATTRIBUTES, {"settings.json": wrong_port})
    wait_status(observer, "settings.json", True)
    agent.wait_log("Agent services restarting")
    assert (system.folder / "state" / "config-probation.json").exists(), "the probation is kept on disk"
    # The agent dies while on probation: the probation survives the restart.
    agent.kill()
    agent.start()
    rolled = wait_status(observer, "settings.json", False, timeout=40)
    assert rolled.get("rolledBack") is True, rolled
    assert "MQTT" in rolled["reason"] or "broker" in rolled["reason"], rolled
    assert "Configuration from the portal rolled back" in agent.log_text()
    assert not (system.folder / "state" / "settings.json").exists(), "the last working configuration is back"
    since = time.time()
    wait_for("telemetry after the rollback", lambda: observer.records(after=since))

    # The same file again (ThingsBoard still holds it): refused at once, no second probation.
    observer.publish(ATTRIBUTES, {"settings.json": wrong_port})
    again = wait_status(observer, "settings.json", False, count=2)
    assert any("rolled back" in p for p in again["problems"]), again

    # No uplink at all: the portal cannot switch the broker off either.
    disabled = pushed_settings(local, mqtt={"enabled": False})
    disabled.pop("portal")
    observer.publish(ATTRIBUTES, {"settings.json": disabled})
    wait_status(observer, "settings.json", True, count=2)
    rolled_again = wait_status(observer, "settings.json", False, count=3, timeout=40)
    assert rolled_again.get("rolledBack") is True, rolled_again
    assert agent.alive()


# MARK: 5. Undo

def test_a_deleted_attribute_gives_the_local_files_back(system):
    broker = system.broker()
    observer = system.observer(broker)
    pty = system.start_sim()
    bundle = system.device()
    settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "agent-local"},
                               serial_device=pty)
    local = json.loads(settings.read_text())
    agent = system.agent(settings, system.folder / "state")
    wait_for("telemetry", lambda: observer.records())

    renamed = json.loads(SHIPPED_PARAMS.read_text())
    renamed["protocols"]["g1"]["packets"]["CV1"]["params"]["totalVoltage"]["route_to_mqtt"] = "packVoltageRenamed"
    observer.publish(ATTRIBUTES, {"params_config.json": renamed})
    wait_status(observer, "params_config.json", True)
    wait_for("the renamed key", lambda: [r for r in observer.records() if "packVoltageRenamed" in r["values"]])
    observer.publish(ATTRIBUTES, {"deleted": ["params_config.json"]})
    withdrawn = wait_status(observer, "params_config.json", True, count=2)
    assert withdrawn.get("withdrawn") is True, withdrawn
    since = time.time()
    wait_for("the local key again", lambda: [r for r in observer.records(after=since) if "packVoltage" in r["values"]])
    assert not (system.folder / "state" / "params_config.json").exists()
    assert "Agent services restarting" not in agent.log_text(), "params come back without a restart"

    observer.publish(ATTRIBUTES, {"settings.json": pushed_settings(local, mqtt={"client_id": "agent-pushed"})})
    wait_status(observer, "settings.json", True)
    wait_for("the pushed client id at the broker", lambda: "agent-pushed" in broker.log_text())
    observer.publish(ATTRIBUTES, {"deleted": ["settings.json"]})
    wait_for("the local client id at the broker again", lambda: broker.log_text().count("agent-local") >= 2
             and broker.log_text().rfind("agent-local") > broker.log_text().rfind("agent-pushed"),
             detail=lambda: broker.log_text()[-2000:])
    assert not (system.folder / "state" / "settings.json").exists()
    assert agent.alive()
