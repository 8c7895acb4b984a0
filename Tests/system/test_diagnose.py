"""`tunnel-agent diagnose`: one archive with what support needs, and not one secret. The
gateway here has secrets in every place the agent keeps them: settings.json, what the portal
pushed, the provisioned token; the archive is searched for each of them."""
import json
import subprocess
import tarfile


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
