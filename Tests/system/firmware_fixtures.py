"""ThingsBoard's side of firmware over the air, played on the real mosquitto broker: the fw_*
shared attributes (pushed as an update, and answered when the agent asks at connect) and the
image's chunks on v2/fw/response/{request}/chunk/{n}, exactly as ThingsBoard's transport
serves them (the chunk size is the request's payload, an empty chunk past the end). It can
serve a truncated image, hold chunks back, and records every request and every fw_state."""
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
import zlib
from pathlib import Path

from mqtt_fixtures import ATTRIBUTES, TELEMETRY, ThingsBoardDouble, wait_for

# What ThingsBoard 3.6 answers to getSessionLimits on its default tenant profile: no rate limits.
DEFAULT_LIMITS = {"maxPayloadSize": 65536, "maxInflightMessages": 100, "rateLimits": {}}

FW_KEYS = ("fw_title", "fw_version", "fw_size", "fw_checksum", "fw_checksum_algorithm")


def checksum(image: bytes, algorithm: str) -> str:
    """ThingsBoard's checksum text for `algorithm` (its ChecksumUtil: hex digests, CRC-32 in hex)."""
    if algorithm == "CRC32":
        return format(zlib.crc32(image), "x")
    return hashlib.new({"SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512", "MD5": "md5"}[algorithm], image).hexdigest()


def agent_image(bin_dir: Path, folder: Path) -> bytes:
    """A new version of the agent to install: the program under test without its symbols
    (a different image, the same code), so the update is real and not too large to send."""
    out = folder / "tunnel-agent-new"
    subprocess.run(["strip", "-o", str(out), str(bin_dir / "tunnel-agent")], check=True, timeout=120)
    return out.read_bytes()


def sign(image: bytes, folder: Path) -> tuple[bytes, Path]:
    """The image signed as the agent expects (Ed25519 signature, then TUNNEL-AGENT-SIG), with
    a key made by the openssl CLI; returns the signed image and the public key's PEM file."""
    key, public, unsigned, signature = (folder / n for n in ("ota-key.pem", "ota-public.pem", "unsigned.bin", "image.sig"))
    if not key.exists():
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", public], check=True, capture_output=True)
    unsigned.write_bytes(image)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", unsigned, "-out", signature],
                   check=True, capture_output=True)
    return image + signature.read_bytes() + b"TUNNEL-AGENT-SIG", public


class FirmwarePortal:
    def __init__(self, system, broker, image: bytes, *, title="tunnel-agent", version="9.9.9-test",
                 algorithm="SHA256", checksum_text=None, serve_bytes=None, size=None, limits=DEFAULT_LIMITS):
        self.image = image
        # The server's side of the session limits (None: silent, as a server before 3.6), and
        # the record of every message the device sent against them.
        self.server = ThingsBoardDouble(broker, limits).start()
        system.observers.append(self.server.observer)
        self.serve_bytes = len(image) if serve_bytes is None else serve_bytes
        self.attributes = {"fw_title": title, "fw_version": version, "fw_size": len(image) if size is None else size,
                           "fw_checksum": checksum_text or checksum(image, algorithm), "fw_checksum_algorithm": algorithm}
        self.assigned = False
        self.lock = threading.Lock()
        self.requests: list[tuple[int, int, int, float]] = []  # (request id, chunk, chunk size, time)
        self.hold = threading.Event()
        self.hold.set()
        # A persistent session: what the agent reports while the portal's client reconnects
        # (after a broker restart) is kept for it, as ThingsBoard keeps every report.
        self.observer = system.observer(broker, topics=("v1/devices/me/#", "v2/fw/request/+/chunk/+"),
                                        on_message=self._on_message, client_id=f"portal-{os.getpid()}-{id(self)}",
                                        clean_session=False)

    def _on_message(self, observer, topic, payload):
        if topic.startswith("v1/devices/me/attributes/request/") and self.assigned:
            request_id = topic.rsplit("/", 1)[1]
            observer.client.publish(f"v1/devices/me/attributes/response/{request_id}",
                                    json.dumps({"shared": self.attributes}), qos=1)
        elif topic.startswith("v2/fw/request/"):
            parts = topic.split("/")
            request_id, chunk, size = int(parts[3]), int(parts[5]), int(payload)
            with self.lock:
                self.requests.append((request_id, chunk, size, time.time()))
            threading.Thread(target=self._serve, args=(observer, request_id, chunk, size), daemon=True).start()

    def _serve(self, observer, request_id, chunk, size):
        self.hold.wait()
        start = chunk * size
        data = self.image[start:min(start + size, self.serve_bytes)] if start < self.serve_bytes else b""
        observer.client.publish(f"v2/fw/response/{request_id}/chunk/{chunk}", data, qos=1)

    def assign(self):
        """The operator assigns the package: ThingsBoard pushes the fw_* shared attributes."""
        self.assigned = True
        self.observer.publish(ATTRIBUTES, self.attributes)

    def chunk_requests(self):
        with self.lock:
            return list(self.requests)

    def reports(self):
        """Every firmware telemetry message of the agent, in order."""
        out = []
        for _, payload, at in self.observer.snapshot(topic=TELEMETRY):
            body = json.loads(payload)
            if isinstance(body, dict) and any(k.startswith(("fw_", "current_fw_")) for k in body):
                out.append(body)
        return out

    def states(self):
        return [r["fw_state"] for r in self.reports() if "fw_state" in r]

    def wait_state(self, state, timeout=120.0, agent=None):
        def found():
            return [r for r in self.reports() if r.get("fw_state") == state]
        return wait_for(f"fw_state {state}", found, timeout=timeout,
                        detail=lambda: f"states so far: {self.states()}\n" + (agent.log_text()[-4000:] if agent else ""))[-1]

    def telemetry_records(self, after=0.0):
        """The BMS telemetry records that arrived after `after`."""
        return self.observer.records(after=after)


def ota_settings(settings_path: Path, **ota):
    """Adds an ota section (`enabled` true unless given) to a settings.json the fixtures wrote."""
    document = json.loads(settings_path.read_text())
    document["ota"] = {"enabled": True, **ota}
    settings_path.write_text(json.dumps(document, indent=2))
    return settings_path


def slot_processes(state: Path):
    """PIDs of processes running an executable from the agent's firmware slots."""
    images = str((state / "firmware" / "images").resolve())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{entry}/exe")
        except OSError:
            continue
        if exe.startswith(images) and "/.incoming/" not in exe:
            found.append(int(entry))
    return found


def copy_of(program: str, folder: Path) -> bytes:
    path = shutil.which(program)
    assert path, f"{program} is needed as a test image"
    return Path(path).read_bytes()
