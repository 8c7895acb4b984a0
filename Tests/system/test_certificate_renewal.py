"""Device certificate renewal over the tunnel, with real processes: the agent makes a new key,
the relay certifies it on the control connection, and nothing reconnects."""
import json
import os
import ssl
import stat
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from peers import import_peer, missing_peer

from mqtt_fixtures import System, build_binaries, read, wait_for
from ports import free_port

serial = import_peer("serial", "pyserial (Debian python3-serial) plays the Control Panel")


class RenewalSystem(System):
    """A relay with its admin API, a simulated BMS and agents for device pack-1."""

    def __init__(self, folder: Path):
        super().__init__(build_binaries(["tunnel-relay", "tunnel-agent", "bms-sim", "tunnel-connect"]), folder)
        self.admin_port = free_port()
        self.bundle = self.device("pack-1")
        self.relay_log = self.logs / "relay.log"

    def start_relay(self):
        self.relay = self.processes.start(
            [self.bin / "tunnel-relay", "serve", "--data-dir", self.relay_data, "--listen", f"127.0.0.1:{self.relay_port}",
             "--public-address", f"127.0.0.1:{self.relay_port}", "--admin-listen", f"127.0.0.1:{self.admin_port}"],
            self.relay_log)
        wait_for("the relay", lambda: "Relay listening" in read(self.relay_log), detail=lambda: read(self.relay_log))

    def tunnel_settings(self, renew_before_days: int, serial_device: Path) -> Path:
        document = {
            "serial": {"enabled": True, "type": "RS232", "speed": 57600, "protocol": "g1", "device": str(serial_device)},
            "tunnel": {"relay": f"127.0.0.1:{self.relay_port}", "cert": "device.pem", "key": "device-key.pem",
                       "ca": "relay-ca.pem", "reconnect_max": 2, "renew_before_days": renew_before_days},
        }
        path = self.bundle / "settings.json"
        path.write_text(json.dumps(document, indent=2))
        return path

    def audit_events(self, device="pack-1") -> list[str]:
        out = self.run("tunnel-relay", "audit", "--device", device, "--data-dir", self.relay_data)
        return [line.split("\t")[1] for line in out.splitlines() if line.count("\t") >= 2]

    def open_port(self, name="ControlPanel.port") -> Path:
        """A control session through tunnel-connect; the path of its virtual serial port."""
        url = self.run("tunnel-relay", "session", "open", "--device", "pack-1", "--data-dir", self.relay_data,
                       "--public-address", f"127.0.0.1:{self.relay_port}", "--user", "t", "--url-only").strip()
        link = self.folder / name
        self.connect_log = self.logs / f"{name}.log"
        self.processes.start([self.bin / "tunnel-connect", url, "--ca", self.relay_data / "tls" / "server-ca.pem",
                              "--pty", link], self.connect_log)
        wait_for("the Control Panel session", lambda: "Connected to device" in read(self.connect_log),
                 detail=lambda: read(self.connect_log))
        return link


def certificate_serial(pem_text: str) -> str:
    out = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem_text, capture_output=True, text=True,
                         check=True).stdout
    return out.strip().split("=", 1)[1].lower()


def ask_cv1(port) -> str:
    """One CV1 request and its answer, through the tunnel (the BMS also broadcasts; skip that)."""
    port.reset_input_buffer()
    port.write(b"CV1,?,78\r\n")
    for _ in range(30):
        line = port.readline().decode("ascii", "replace").strip()
        if line.startswith("CV1,") and not line.startswith("CV1,?"):
            return line
    pytest.fail("no CV1 answer through the tunnel")


@pytest.fixture
def system(tmp_path):
    if subprocess.run(["which", "openssl"], capture_output=True).returncode != 0:
        missing_peer("openssl is not installed (Debian package openssl); certificate serials not read")
    system = RenewalSystem(tmp_path)
    yield system
    system.close()


def test_an_agent_near_expiry_renews_its_certificate_without_reconnecting(system):
    system.start_relay()
    settings = system.tunnel_settings(renew_before_days=3650, serial_device=system.start_sim())  # 5-year certificate: renew now
    state = system.folder / "state"
    agent = system.agent(settings, state)
    agent.wait_log("Device certificate renewed")
    wait_for("the relay to retire the old certificate",
             lambda: "device.credential_changed" in system.audit_events(), detail=lambda: read(system.relay_log)[-3000:])
    assert system.audit_events().count("device.certificate_issued") == 1

    renewed = state / "device-credential.pem"
    assert stat.S_IMODE(renewed.stat().st_mode) == 0o600, "the new private key is readable by the agent only"
    text = renewed.read_text()
    assert "PRIVATE KEY" in text and "CERTIFICATE" in text
    original = certificate_serial((system.bundle / "device.pem").read_text())
    assert certificate_serial(text) != original
    assert agent.log_text().count("Connected to relay") == 1, "the control connection was never dropped"

    # A session after the renewal: its data connection is dialled with the new certificate.
    with serial.Serial(str(system.open_port()), 57600, timeout=3) as port:
        assert ask_cv1(port).startswith("CV1,")

    # The old certificate is refused from now on.
    old = system.agent(settings, system.folder / "state-old", name="old-agent")
    wait_for("the relay to refuse the old certificate", lambda: "is not its current one" in read(system.relay_log),
             detail=lambda: read(system.relay_log)[-3000:])
    old.stop()
    assert "agentRefused" not in agent.log_text()

    # After a restart the agent uses the renewed pair from its state folder.
    agent.stop()
    agent.start()
    wait_for("the restarted agent", lambda: agent.log_text().count("Connected to relay") == 2,
             detail=lambda: agent.log_text()[-3000:])
    started = [line for line in agent.log_text().splitlines() if line.endswith("[TunnelAgent] Device certificate")]
    assert len(started) == 2 and str(renewed) in started[-1], started


def test_a_renewal_the_operator_asks_for_keeps_the_running_session(system):
    system.start_relay()
    system.run("tunnel-relay", "user", "add", "boss", "--role", "admin", "--data-dir", system.relay_data)
    key = next(word for word in system.run("tunnel-relay", "key", "create", "--user", "boss", "--data-dir",
                                           system.relay_data).split() if word.startswith("ak1."))
    settings = system.tunnel_settings(renew_before_days=0, serial_device=system.start_sim())  # only when asked
    agent = system.agent(settings, system.folder / "state")
    agent.wait_log("Connected to relay")
    context = ssl.create_default_context(cafile=str(system.relay_data / "tls" / "server-ca.pem"))

    def renew(device):
        request = urllib.request.Request(f"https://127.0.0.1:{system.admin_port}/v1/devices/{device}/certificate/renew",
                                         method="POST", headers={"Authorization": f"Bearer {key}"})
        try:
            with urllib.request.urlopen(request, context=context, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    with serial.Serial(str(system.open_port()), 57600, timeout=3) as port:
        assert ask_cv1(port).startswith("CV1,")
        time.sleep(1)
        assert "Renewing the device certificate" not in agent.log_text(), "renew_before_days 0: not by itself"

        status, device = renew("pack-1")
        assert status == 202 and device["id"] == "pack-1", device
        agent.wait_log("Device certificate renewed")
        wait_for("the relay to retire the old certificate", lambda: "device.credential_changed" in system.audit_events())
        # The session running over the old certificate's connection carries on.
        assert ask_cv1(port).startswith("CV1,")
    assert agent.log_text().count("Connected to relay") == 1, "the control connection was never dropped"
    assert "Session ended" not in read(system.connect_log)

    system.run("tunnel-relay", "device", "add", "pack-2", "--data-dir", system.relay_data,
               "--bundle", system.folder / "pack-2")
    status, reply = renew("pack-2")
    assert status == 409 and reply["error"]["code"] == "agentOffline", reply
    assert os.path.exists(system.folder / "state" / "device-credential.pem")
