"""`tunnel-agent diagnose`: one archive with what support needs, and not one secret. The
gateway here has secrets in every place the agent keeps them: settings.json, what the portal
pushed, the provisioned token; the archive is searched for each of them."""
import hashlib
import io
import json
import ssl
import subprocess
import tarfile
import urllib.error
import urllib.request

from mqtt_fixtures import read, wait_for
from ports import free_port


SECRETS = {
    "password": "pw-SECRET-one", "access_token": "tok-SECRET-two", "provision_key": "prov-SECRET-three",
    "provision_secret": "prov-SECRET-four", "passkey": "pass-SECRET-five", "stored_token": "stored-SECRET-six",
    "pushed_password": "pushed-SECRET-seven",
}


def test_the_bundle_holds_the_gateways_view_and_no_secret(system, tmp_path):
    pty = system.start_sim()
    etc, state = tmp_path / "etc", tmp_path / "state"
    etc.mkdir()
    state.mkdir()
    settings = etc / "settings.json"
    settings.write_text(json.dumps({
        "serial": {"enabled": True, "type": "RS232", "speed": 57600, "protocol": "g1", "device": str(pty)},
        "mqtt": {"enabled": True, "uri": "mqtt://127.0.0.1:1", "password": SECRETS["password"],
                 "access_token": SECRETS["access_token"],
                 "provision": {"device_name": "pack-7", "key": SECRETS["provision_key"],
                               "secret": SECRETS["provision_secret"]}},
        "wifi": {"admin_page": {"enabled": False, "passkey": SECRETS["passkey"]}},
    }))
    (state / "mqtt-credentials.json").write_text(json.dumps({"accessToken": SECRETS["stored_token"]}))
    (state / "settings.json").write_text(json.dumps({"mqtt": {"enabled": True, "uri": "mqtt://127.0.0.1:1",
                                                                "password": SECRETS["pushed_password"]}}))
    archive = tmp_path / "bundle.tar.gz"
    result = subprocess.run([str(system.bin / "tunnel-agent"), "diagnose", "--config", str(settings),
                             "--params", str(etc / "params_config.json"), "--state-dir", str(state),
                             "--output", str(archive)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Diagnostic bundle written: {archive}" in result.stdout

    with tarfile.open(archive) as bundle:
        contents = {member.name.split("/", 1)[1]: bundle.extractfile(member).read()
                    for member in bundle.getmembers() if member.isfile()}
    for name in ["versions.txt", "settings.json", "portal-settings.json", "mqtt-credentials.json", "check-config.txt",
                 "queue.txt", "log-last-hour.txt", "g1-probe.txt"]:
        assert name in contents, f"{name} missing from {sorted(contents)}"
    everything = b"".join(contents.values())
    for what, secret in SECRETS.items():
        assert secret.encode() not in everything, f"the {what} ({secret}) is in the bundle"
    assert json.loads(contents["settings.json"])["mqtt"]["password"] == "***"
    assert json.loads(contents["settings.json"])["mqtt"]["provision"]["device_name"] == "pack-7", "what is not secret stays"
    probe = contents["g1-probe.txt"].decode()
    assert "> VR1,?," in probe and "< VR1," in probe.replace("< VR1,?", ""), probe
    assert b"tunnel-agent " in contents["versions.txt"]
    assert b"no telemetry queue" in contents["queue.txt"]


def test_an_administrator_gets_the_bundle_through_the_relay_and_no_one_else_may(system, tmp_path):
    """Asked through the admin API, made inside the running agent, uploaded over its tunnel,
    kept with the device's audit; the archive holds the running agent's view and no secret."""
    admin_port = free_port()
    bundle = system.device("pack-1")
    relay_log = system.logs / "relay-admin.log"
    system.processes.start(
        [system.bin / "tunnel-relay", "serve", "--data-dir", system.relay_data, "--listen",
         f"127.0.0.1:{system.relay_port}", "--public-address", f"127.0.0.1:{system.relay_port}",
         "--admin-listen", f"127.0.0.1:{admin_port}"], relay_log)
    wait_for("the relay", lambda: "Relay listening" in read(relay_log), detail=lambda: read(relay_log))
    keys = {}
    for user, role in [("boss", "admin"), ("eve", "engineer"), ("vic", "viewer")]:
        scope = [] if role == "admin" else ["--customer", "default"]
        system.run("tunnel-relay", "user", "add", user, "--role", role, *scope, "--data-dir", system.relay_data)
        keys[role] = next(word for word in system.run("tunnel-relay", "key", "create", "--user", user, "--data-dir",
                                                      system.relay_data).split() if word.startswith("ak1."))
    tls = ssl.create_default_context(cafile=str(system.relay_data / "tls" / "server-ca.pem"))

    def call(method, path, role="admin"):
        request = urllib.request.Request(f"https://127.0.0.1:{admin_port}{path}", method=method,
                                         headers={"Authorization": f"Bearer {keys[role]}"})
        try:
            with urllib.request.urlopen(request, context=tls, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    # The agent is not connected yet: nothing to ask.
    status, body = call("POST", "/v1/devices/pack-1/diagnostics")
    assert status == 409 and b"agentOffline" in body, body

    settings = system.settings(bundle, {"uri": "mqtt://127.0.0.1:1", "password": SECRETS["password"],
                                        "access_token": SECRETS["access_token"]},
                               serial_device=system.start_sim())
    document = json.loads(settings.read_text())
    document["wifi"] = {"admin_page": {"enabled": False, "passkey": SECRETS["passkey"]}}
    settings.write_text(json.dumps(document))
    agent = system.agent(settings, tmp_path / "agent-state")
    agent.wait_log("Connected to relay")

    for role in ["viewer", "engineer"]:
        status, body = call("POST", "/v1/devices/pack-1/diagnostics", role)
        assert status == 403 and b"needs admin" in body, (role, status, body)
        status, _ = call("GET", "/v1/devices/pack-1/diagnostics", role)
        assert status == 403, role

    status, body = call("POST", "/v1/devices/pack-1/diagnostics")
    assert status == 202, body
    requested = json.loads(body)
    assert requested["status"] == "requested" and requested["requestedBy"] == "boss"
    status, body = call("POST", "/v1/devices/pack-1/diagnostics")
    assert status in (409, 202), body  # a second request while the first is on its way is refused
    if status == 409:
        assert b"diagnosticsPending" in body

    def received():
        listed = json.loads(call("GET", "/v1/devices/pack-1/diagnostics")[1])
        mine = next(item for item in listed if item["id"] == requested["id"])
        assert mine["status"] != "failed", mine
        return mine if mine["status"] == "received" else None

    wait_for("the bundle to arrive", received, timeout=60, detail=lambda: read(relay_log)[-3000:])
    record = received()
    status, archive = call("GET", f"/v1/devices/pack-1/diagnostics/{requested['id']}")
    assert status == 200 and len(archive) == record["size"]
    assert hashlib.sha256(archive).hexdigest() == record["sha256"]
    assert call("GET", f"/v1/devices/pack-1/diagnostics/{requested['id']}", "viewer")[0] == 403
    assert call("GET", "/v1/devices/pack-1/diagnostics/dg-nothing")[0] == 404

    with tarfile.open(fileobj=io.BytesIO(archive)) as bundle_file:
        contents = {member.name.split("/", 1)[1]: bundle_file.extractfile(member).read()
                    for member in bundle_file.getmembers() if member.isfile()}
    for name in ["versions.txt", "settings.json", "check-config.txt", "queue.txt", "agent-status.txt"]:
        assert name in contents, f"{name} missing from {sorted(contents)}"
    assert "g1-probe.txt" not in contents, "the running agent holds the serial port: no probe"
    everything = b"".join(contents.values())
    for what in ["password", "access_token", "passkey"]:
        assert SECRETS[what].encode() not in everything, f"the {what} is in the bundle"
    assert b"relay connected: true" in contents["agent-status.txt"], contents["agent-status.txt"]
    assert b"records waiting:" in contents["queue.txt"], contents["queue.txt"]
    assert b"BMS sentences since the line opened:" in contents["agent-status.txt"]

    audit = system.run("tunnel-relay", "audit", "--device", "pack-1", "--data-dir", system.relay_data)
    assert "device.diagnostics_requested" in audit and "device.diagnostics_received" in audit, audit
    assert "Connected to relay" in agent.log_text() and agent.log_text().count("Connected to relay") == 1
