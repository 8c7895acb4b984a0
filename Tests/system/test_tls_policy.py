"""The relay's TLS policy seen by a real TLS client (openssl s_client)."""
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("openssl") is None,
                                reason="openssl is not installed (Debian package openssl); TLS policy not checked")


def bin_path() -> Path:
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
