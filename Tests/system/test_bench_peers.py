"""A smoke run of `tunnel-bench peers` (scripts/bench-peers) with tiny sizes, so the command that
writes BENCHMARKS.md cannot rot. Its figures are never judged here; what is checked is that every
peer was really set up and measured, the report has its sections, and nothing is left running."""
import shutil
import subprocess
from pathlib import Path

import pytest

from peers import missing_peer

from test_demo import ROOT, bin_path

# The peers' programs and the Debian packages that provide them (scripts/install-deps).
PEERS = {"socat": "socat", "stunnel4": "stunnel4", "sshd": "openssh-server", "ssh": "openssh-client",
         "ssh-keygen": "openssh-client"}


def missing_peers() -> list[str]:
    search = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    return [f"{program} (Debian package {package})" for program, package in PEERS.items()
            if shutil.which(program, path=search) is None]


def leftover_processes() -> list[str]:
    out = subprocess.run(["pgrep", "-af", "tunnel-bench-peers-"], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if "pgrep" not in line]


def test_peer_benchmark_smoke_run_measures_every_peer_and_writes_its_report(tmp_path: Path):
    missing = missing_peers()
    if missing:
        missing_peer("peer programs missing, the peer benchmark cannot run: " + ", ".join(missing))
    report = tmp_path / "BENCHMARKS.md"
    result = subprocess.run([str(bin_path() / "tunnel-bench"), "peers", "--quick", "--output", str(report)],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    text = report.read_text()
    assert text == result.stdout, "the report on standard output is the one written to --output"
    for heading in ["## Headline: ratios against the peers", "## Round trip, 16-byte request and answer",
                    "## Session setup", "## Throughput", "## Cost growth: sessions open",
                    "## Capacity and cost growth: idle agents", "## Exact commands", "| CPUs (nproc) |"]:
        assert heading in text, f"the report has '{heading}'"
    for path in ["direct TCP (loopback)", "socat relay, 2 hops", "stunnel chain, 2 TLS legs", "ssh -R reverse tunnel",
                 "ours: client → tunnel-relay → agent → PTY"]:
        rows = [line for line in text.splitlines() if line.startswith(f"| {path}")]
        assert len(rows) == 3, f"'{path}' has a round-trip, a setup and a throughput row: {rows}"
        assert not any("failed" in row for row in rows), rows
    assert "RTT p50 vs stunnel chain" in text and "RTT p50 vs socat 2-hop relay" in text
    # The quick run steps to 20 idle agents; every one must have connected.
    assert "| Idle agents held by one relay | 20 |" in text, text
    assert "Nothing: every peer was measured." in text, text
    assert not leftover_processes(), "the benchmark stops every peer it started"
