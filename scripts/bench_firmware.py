"""Download time of a firmware image at the agent's default chunking and pacing, and the
telemetry rate meanwhile (see scripts/bench-firmware)."""
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "system"))

from firmware_fixtures import DEFAULT_LIMITS, FirmwarePortal, ota_settings  # noqa: E402
from mqtt_fixtures import System, wait_for  # noqa: E402

BIN = Path(sys.argv[1]).resolve()
MEGABYTES = float(sys.argv[2])


def rate(portal, start, end):
    records = [r for r in portal.telemetry_records() if start * 1000 <= r["ts"] <= end * 1000]
    return len(records) / max(end - start, 1e-9)


def main():
    print(f"server: ThingsBoard 3.6 on its default tenant profile (getSessionLimits: no rate limits)")
    run(DEFAULT_LIMITS)
    print(f"server: before 3.6 (getSessionLimits unanswered: the agent's conservative limits, messages 20:1,600:60)")
    run(None)


def run(limits):
    with tempfile.TemporaryDirectory(prefix="bench-firmware-") as folder:
        system = System(BIN, Path(folder))
        try:
            broker = system.broker()
            # Not an executable: the agent downloads and verifies it, then refuses to install it,
            # which is where this benchmark stops.
            image = os.urandom(int(MEGABYTES * 1024 * 1024))
            portal = FirmwarePortal(system, broker, image, version="bench", limits=limits)
            pty = system.start_sim("--serial-number", "BENCH-FW")
            bundle = system.device("bench-pack")
            settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "bench-agent"},
                                       serial_device=pty)
            ota_settings(settings)  # the defaults: 16 KiB chunks, 20 ms apart
            agent = system.agent(settings, Path(folder) / "state")
            agent.wait_log("Session limits" if limits else "conservative", timeout=60)
            wait_for("telemetry", lambda: len(portal.telemetry_records()) >= 5, timeout=60)
            time.sleep(10)
            before_end = time.time()
            portal.assign()
            portal.wait_state("DOWNLOADING", timeout=60)
            started = time.time()
            portal.wait_state("DOWNLOADED", timeout=3600)
            downloaded = time.time()
            portal.wait_state("VERIFIED", timeout=600)
            verified = time.time()
            failed = portal.wait_state("FAILED", timeout=60)
            time.sleep(2)
            seconds = downloaded - started
            chunks = len(portal.chunk_requests())
            print(f"image                 {len(image) / 1e6:.1f} MB ({len(image)} bytes), {chunks} chunks of 16384 bytes, 20 ms apart")
            print(f"download              {seconds:.1f} s ({len(image) / seconds / 1e6:.2f} MB/s, {seconds / chunks * 1000:.1f} ms a chunk)")
            print(f"checksum (SHA-256)    {verified - downloaded:.2f} s after the last chunk")
            print(f"telemetry before      {rate(portal, before_end - 10, before_end):.1f} records/s")
            print(f"telemetry during      {rate(portal, started, downloaded):.1f} records/s")
            print(f"ended                 FAILED as expected for a non-executable: {failed['fw_error']}")
            print(f"server's limits       {'broken: ' + '; '.join(portal.server.violations()) if portal.server.violations() else 'never exceeded'}")
            assert agent.alive()
        finally:
            system.processes.stop_all()


main()
