"""The deployment files: systemd units that systemd accepts, with the hardening the brief asks for."""
import shutil
import subprocess
from pathlib import Path

import pytest

from peers import missing_peer

ROOT = Path(__file__).resolve().parents[2]


def test_units_pass_systemd_analyze_verify():
    if shutil.which("systemd-analyze") is None:
        missing_peer("systemd-analyze is not installed (Debian package systemd); units not verified")
    result = subprocess.run(["scripts/verify-deploy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok") == 2, result.stdout


@pytest.mark.parametrize("unit", ["deploy/agent/tunnel-agent.service", "deploy/relay/tunnel-relay.service"])
def test_units_are_hardened(unit):
    text = (ROOT / unit).read_text()
    for directive in ["NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=", "ProtectHome=yes",
                      "SystemCallFilter=@system-service", "RestrictAddressFamilies="]:
        assert directive in text, f"{unit} sets {directive}"
    if "agent" in unit:
        assert "DevicePolicy=closed" in text and "DeviceAllow=char-ttyUSB rw" in text, "only serial devices"
