"""The relay's TLS policy seen by a real TLS client (openssl s_client)."""
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from ports import free_port
from programs import bin_path

from peers import missing_peer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def openssl_client():
    """openssl s_client is the real TLS client these tests speak with."""
    if shutil.which("openssl") is None:
        missing_peer("openssl is not installed (Debian package openssl); TLS policy not checked")


@pytest.fixture(params=["rsa", "ecdsa"])
def relay(request, tmp_path):
    data = tmp_path / "relay"
    subprocess.run([str(bin_path() / "tunnel-relay"), "init", "--data-dir", str(data), "--key-type", request.param],
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    process = subprocess.Popen([str(bin_path() / "tunnel-relay"), "serve", "--data-dir", str(data),
                                "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield request.param, port, data / "tls" / "server-ca.pem"
    process.terminate()
    process.wait(timeout=20)


def handshake(port: int, ca: Path, *options: str) -> str:
    result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(ca), *options],
                            input="", capture_output=True, text=True, timeout=20)
    return result.stdout + result.stderr


def test_tls_1_0_and_1_1_are_refused(relay):
    _, port, ca = relay
    for version in ["-tls1", "-tls1_1"]:
        out = handshake(port, ca, version, "-cipher", "DEFAULT@SECLEVEL=0")
        assert "Cipher is (NONE)" in out and "protocol version" in out, out


def test_tls_1_3_is_accepted_and_verified(relay):
    _, port, ca = relay
    out = handshake(port, ca, "-tls1_3")
    assert "TLSv1.3" in out and "Verify return code: 0 (ok)" in out, out


def test_tls_1_2_prefers_aead_and_offers_the_vendor_suite_with_an_rsa_certificate(relay):
    key_type, port, ca = relay
    out = handshake(port, ca, "-tls1_2")
    assert "Protocol  : TLSv1.2" in out and "GCM" in out, out
    vendor = handshake(port, ca, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-SHA")
    if key_type == "rsa":
        assert "Cipher is ECDHE-RSA-AES256-SHA" in vendor and "Verify return code: 0 (ok)" in vendor, vendor
    else:
        assert "Cipher is (NONE)" in vendor, "an ECDSA certificate cannot serve an RSA suite: " + vendor


def test_a_renewed_server_certificate_is_taken_on_sighup_without_dropping_agents(tmp_path):
    """Rotation without downtime: the relay's new certificate (same CA) serves new connections
    to the tunnel port and the admin API after SIGHUP while the connected agent stays connected."""
    import json
    import re
    import signal
    from mqtt_fixtures import Processes, read, wait_for

    bin_dir = bin_path()
    data, port, admin_port = tmp_path / "relay", free_port(), free_port()
    def relay_cli(*args):
        result = subprocess.run([str(bin_dir / "tunnel-relay"), *map(str, args), "--data-dir", str(data)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout
    relay_cli("init", "--hostname", "127.0.0.1")
    relay_cli("device", "add", "pack-1", "--bundle", tmp_path / "bundle")
    processes = Processes(tmp_path)
    try:
        relay = processes.start([bin_dir / "tunnel-relay", "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}",
                                 "--admin-listen", f"127.0.0.1:{admin_port}"], tmp_path / "relay.log")
        wait_for("the relay", lambda: "Relay listening" in read(tmp_path / "relay.log"))
        settings = tmp_path / "bundle" / "settings.json"
        settings.write_text(json.dumps({"serial": {"device": str(tmp_path / "none")},
                                        "tunnel": {"relay": f"127.0.0.1:{port}", "cert": "device.pem",
                                                   "key": "device-key.pem", "ca": "relay-ca.pem"}}))
        agent_log = tmp_path / "agent.log"
        processes.start([bin_dir / "tunnel-agent", "run", "--config", settings, "--state-dir", tmp_path / "state"], agent_log)
        wait_for("the agent", lambda: "Connected to relay" in read(agent_log), timeout=20)

        def served_serial(port=port):
            result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile",
                                     str(data / "tls" / "server-ca.pem"), "-verify_return_error", "-showcerts"],
                                    input="", capture_output=True, text=True, timeout=20)
            assert "Verify return code: 0 (ok)" in result.stdout, result.stdout[-2000:]
            pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", result.stdout, re.S).group(0)
            return subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem, capture_output=True, text=True).stdout

        before = served_serial()
        wait_for("the admin API", lambda: "Server started" in read(tmp_path / "relay.log"))
        assert served_serial(admin_port) == before
        relay_cli("init", "--renew-server-certificate", "--hostname", "127.0.0.1")
        assert served_serial() == before, "nothing changes before the reload"
        relay.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: "TLS credentials reloaded" in read(tmp_path / "relay.log")
                 and "Admin API certificate reloaded" in read(tmp_path / "relay.log"))
        renewed = served_serial()
        assert renewed != before, "new connections get the renewed certificate, still trusted by the same CA"
        assert served_serial(admin_port) == renewed, "the admin API presents the renewed certificate too"
        assert read(agent_log).count("Connected to relay") == 1, "the agent's connection was never dropped"
        assert relay.poll() is None
    finally:
        processes.stop_all()
