"""Real processes for the MQTT uplink system tests: a mosquitto broker, paho observers,
the simulated BMS, the relay and the agent, each on free loopback ports in the test's own
folder, all stopped when the test ends (also when it fails).

paho-mqtt (Debian python3-paho-mqtt 1.6) is the independent observer: it sees only what the
broker delivers, exactly as a portal would.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from ports import free_port
from programs import bin_path

from peers import missing_peer

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ["tunnel-agent", "tunnel-relay", "tunnel-connect", "bms-sim"]

TELEMETRY = "v1/devices/me/telemetry"
ATTRIBUTES = "v1/devices/me/attributes"
RPC_REQUEST = "v1/devices/me/rpc/request/"
RPC_RESPONSE = "v1/devices/me/rpc/response/"
SEQ = "seq"


def mosquitto_path():
    for candidate in [shutil.which("mosquitto"), "/usr/sbin/mosquitto"]:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_mqtt_tools():
    """Fails under CI, skips loudly elsewhere, when the broker or the observer is missing."""
    if mosquitto_path() is None:
        missing_peer("no mosquitto broker (Debian package mosquitto)")
    try:
        import paho.mqtt.client  # noqa: F401
    except ImportError:
        missing_peer("no paho-mqtt observer (Debian package python3-paho-mqtt)")


def wait_for(what, predicate, timeout=20.0, interval=0.05, detail=lambda: ""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    extra = detail()
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}" + (f"\n{extra}" if extra else ""))


def port_open(port) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def build_binaries(programs=PROGRAMS) -> Path:
    """The folder of `programs` (see programs.py: built by scripts/test, or here once)."""
    return bin_path(programs)


class Processes:
    """Every process a test starts; `stop_all` ends them by PID (SIGTERM, then SIGKILL)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, argv, log: Path, append=False) -> subprocess.Popen:
        handle = open(log, "ab" if append else "wb")
        try:
            process = subprocess.Popen([str(a) for a in argv], stdout=handle, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            handle.close()
        self.started.append(process)
        return process

    @staticmethod
    def stop(process: subprocess.Popen, sig=signal.SIGTERM, timeout=10.0):
        if process.poll() is not None:
            return
        try:
            process.send_signal(sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop_all(self):
        for process in reversed(self.started):
            self.stop(process, timeout=5)


def read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


# MARK: Broker

class Broker:
    """A real mosquitto on a free 127.0.0.1 port, in its own folder, with persistence."""

    def __init__(self, processes: Processes, folder: Path, *, tls=None, password_file=None, acl_file=None,
                 allow_anonymous=True, port=None, extra_conf=()):
        self.processes = processes
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.extra_conf = list(extra_conf)  # e.g. "max_packet_size 4096"
        self.tls = tls  # dict(ca=, cert=, key=) or None
        self.password_file = password_file
        self.acl_file = acl_file
        self.allow_anonymous = allow_anonymous
        self.log = folder / "mosquitto.log"
        self.conf = folder / "mosquitto.conf"
        self.process = None

    def write_conf(self):
        lines = [
            # Started as root, mosquitto would switch to user "mosquitto", who cannot write here.
            f"user {pwd.getpwuid(os.geteuid()).pw_name}",
            "per_listener_settings false",
            f"listener {self.port} 127.0.0.1",
            f"allow_anonymous {'true' if self.allow_anonymous else 'false'}",
            "persistence true",
            f"persistence_location {self.folder}/",
            "autosave_interval 1",
            "max_queued_messages 0",
            "max_inflight_messages 0",
            "log_dest stdout",
            "log_type all",
            "connection_messages true",
            # As ThingsBoard's transport (Netty) does: no Nagle delay on small packets.
            "set_tcp_nodelay true",
        ]
        if self.tls:
            lines += [f"cafile {self.tls['ca']}", f"certfile {self.tls['cert']}", f"keyfile {self.tls['key']}",
                      "require_certificate true", "tls_version tlsv1.2"]
        if self.password_file:
            lines.append(f"password_file {self.password_file}")
        if self.acl_file:
            lines.append(f"acl_file {self.acl_file}")
        lines += self.extra_conf
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self):
        self.write_conf()
        # Line-buffered: mosquitto's stdout to a file is otherwise flushed only when its buffer
        # fills, and a test that reads the log would see it late.
        line_buffered = ["stdbuf", "-oL"] if shutil.which("stdbuf") else []
        self.process = self.processes.start([*line_buffered, mosquitto_path(), "-c", self.conf], self.log, append=True)
        wait_for("mosquitto to listen", lambda: self.process.poll() is not None or port_open(self.port), timeout=10,
                 detail=lambda: read(self.log))
        assert self.process.poll() is None, f"mosquitto exited: {read(self.log)}"
        return self

    def stop(self):
        if self.process:
            Processes.stop(self.process)  # SIGTERM: mosquitto saves its persistence file
            self.process = None

    def log_text(self) -> str:
        return read(self.log)


# MARK: Observer

class Observer:
    """A paho MQTT 3.1.1 client that records everything the broker delivers to it."""

    def __init__(self, broker: Broker, topics=("v1/devices/me/#",), *, client_id=None, clean_session=True,
                 username=None, password=None, tls=None, on_message=None):
        import paho.mqtt.client as mqtt
        self.broker = broker
        self.topics = list(topics)
        self.lock = threading.Lock()
        self.messages: list[tuple[str, bytes, float]] = []
        self.connected = threading.Event()
        self.connects = 0
        self.extra_handler = on_message
        self.client = mqtt.Client(client_id=client_id or f"observer-{os.getpid()}-{id(self)}",
                                  clean_session=clean_session, protocol=mqtt.MQTTv311)
        if username:
            self.client.username_pw_set(username, password)
        if tls:
            context = ssl.create_default_context(cafile=tls["ca"])
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(tls["cert"], tls["key"])
            self.client.tls_set_context(context)
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(100)
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda client, userdata, rc: self.connected.clear()
        self.client.on_message = self._on_message

    def _on_connect(self, client, userdata, flags, rc):
        if rc != 0:
            return
        for topic in self.topics:
            client.subscribe(topic, qos=1)
        self.connects += 1
        self.connected.set()

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload), time.time()))
        if self.extra_handler:
            self.extra_handler(self, message.topic, bytes(message.payload))

    def start(self):
        self.client.connect("127.0.0.1", self.broker.port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(10):
            pytest.fail("the paho observer could not connect to mosquitto:\n" + self.broker.log_text()[-3000:])
        time.sleep(0.2)  # SUBACK
        return self

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()

    def snapshot(self, topic=None, prefix=None):
        with self.lock:
            return [(t, p, at) for (t, p, at) in self.messages
                    if (topic is None or t == topic) and (prefix is None or t.startswith(prefix))]

    def records(self, after=0.0):
        """Every telemetry record `{"ts", "values"}` received (after `after`, a time.time()), in
        arrival order."""
        out = []
        for _, payload, at in self.snapshot(topic=TELEMETRY):
            if at < after:
                continue
            body = json.loads(payload)
            for record in body if isinstance(body, list) else [body]:
                # The firmware reports (current_fw_*, fw_state) are flat telemetry, not records.
                if "values" in record:
                    out.append(record)
        return out

    def attributes(self):
        return [json.loads(p) for _, p, _ in self.snapshot(topic=ATTRIBUTES)]

    def publish(self, topic, payload, qos=1):
        text = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
        info = self.client.publish(topic, text, qos=qos)
        info.wait_for_publish(timeout=5)
        assert info.is_published(), f"the observer could not publish to {topic}"

    def rpc(self, method, params=None, request_id=None, timeout=10.0):
        """Sends a server-side RPC and returns the agent's answer (parsed)."""
        request_id = str(request_id or int(time.time() * 1000) % 10**9)
        before = len(self.snapshot(topic=RPC_RESPONSE + request_id))
        request = {"method": method}
        if params is not None:
            request["params"] = params
        self.publish(RPC_REQUEST + request_id, request)
        answers = wait_for(f"the answer to RPC {method} (id {request_id})",
                           lambda: self.snapshot(topic=RPC_RESPONSE + request_id)[before:], timeout=timeout)
        return json.loads(answers[0][1])


# MARK: ThingsBoard's rules

def parse_windows(text: str) -> list[tuple[int, int]]:
    """ThingsBoard's rate limit text, "200:1,6000:60", as (count, seconds) windows."""
    return [tuple(int(n) for n in part.split(":")) for part in text.split(",") if part]


class ThingsBoardDouble:
    """What a ThingsBoard server answers and enforces, as a paho client on the real broker.

    Answers the client-side RPC getSessionLimits with `limits` (None: stays silent, as a server
    older than 3.6), and records every message the device publishes with its arrival time, so
    that `violations()` lists every rate-limit window and payload limit the device's traffic
    broke, counted as ThingsBoard counts: every message, telemetry messages, and telemetry data
    points (the keys of every record of a message). Windows are checked strictly on arrival
    times, each as "at most count in any `seconds`"; mosquitto's max_packet_size enforces the
    payload size at the broker too."""

    DEVICE_TOPICS = ("v1/devices/me/telemetry", "v1/devices/me/attributes", "v1/devices/me/rpc/request/+",
                     "v1/devices/me/rpc/response/+", "v1/devices/me/attributes/request/+", "v2/fw/request/+/chunk/+")

    def __init__(self, broker: Broker, limits: dict | None):
        self.limits = limits
        self.lock = threading.Lock()
        self.sent: list[tuple[float, str, int, int]] = []  # (arrival, topic, payload bytes, data points)
        self.limit_requests: list[str] = []
        self.own_answers: set[str] = set()
        self.observer = Observer(broker, self.DEVICE_TOPICS, on_message=self._on_message)

    def start(self):
        self.observer.start()
        return self

    def stop(self):
        self.observer.stop()

    def _on_message(self, observer, topic, payload):
        now = time.time()
        if topic.startswith(RPC_RESPONSE) and topic in self.own_answers:
            return  # our own answer, delivered back to us
        points = 0
        if topic == TELEMETRY:
            body = json.loads(payload)
            points = sum(len(record.get("values", {})) for record in (body if isinstance(body, list) else [body]))
        with self.lock:
            self.sent.append((now, topic, len(payload), points))
        if topic.startswith(RPC_REQUEST):
            request = json.loads(payload)
            if request.get("method") == "getSessionLimits":
                request_id = topic[len(RPC_REQUEST):]
                self.limit_requests.append(request_id)
                if self.limits is not None:
                    self.own_answers.add(RPC_RESPONSE + request_id)
                    observer.client.publish(RPC_RESPONSE + request_id, json.dumps(self.limits), qos=1)

    def telemetry(self):
        with self.lock:
            return [entry for entry in self.sent if entry[1] == TELEMETRY]

    def violations(self) -> list[str]:
        if not self.limits:
            return []
        with self.lock:
            sent = list(self.sent)
        telemetry = [entry for entry in sent if entry[1] == TELEMETRY]
        found = []
        maximum = self.limits.get("maxPayloadSize")
        for at, topic, size, _ in sent:
            if maximum and size > maximum:
                found.append(f"{topic} payload of {size} bytes over maxPayloadSize {maximum}")
        rates = self.limits.get("rateLimits", {})
        checks = [("messages", sent, lambda e: 1), ("telemetryMessages", telemetry, lambda e: 1),
                  ("telemetryDataPoints", telemetry, lambda e: e[3])]
        for name, entries, weight in checks:
            for count, seconds in parse_windows(rates.get(name, "")):
                start, total = 0, 0
                for end, entry in enumerate(entries):
                    total += weight(entry)
                    while entries[start][0] <= entry[0] - seconds:
                        total -= weight(entries[start])
                        start += 1
                    if total > count:
                        found.append(f"{name} {count}:{seconds} exceeded: {total} within {seconds} s "
                                     f"ending {entry[0]:.3f}")
                        break
        return found


# MARK: Certificates

def openssl(*args, cwd):
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"openssl {' '.join(args)}: {result.stderr}"


def make_test_pki(folder: Path) -> dict:
    """A test CA, a broker certificate for 127.0.0.1 and a client certificate, with the openssl CLI."""
    folder.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=uplink test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    (folder / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, ext in [("server", "server.ext"), ("client", "client.ext")]:
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-key.pem", "-out", f"{name}.csr",
                "-subj", f"/CN={'127.0.0.1' if name == 'server' else 'uplink-test-device'}", cwd=folder)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", ext, cwd=folder)
    return {key: str(folder / file) for key, file in [
        ("ca", "ca.pem"), ("server_cert", "server.pem"), ("server_key", "server-key.pem"),
        ("client_cert", "client.pem"), ("client_key", "client-key.pem")]}


# MARK: The system under test

class System:
    """The test's folder, processes and helpers to start the product's programs."""

    def __init__(self, bin_dir: Path, folder: Path):
        self.bin = bin_dir
        self.folder = folder
        self.processes = Processes(folder)
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.relay_data = folder / "relay"
        self.relay_port = free_port()
        self.relay = None
        self.observers: list[Observer] = []
        self._relay_ready = False

    def run(self, program, *args, timeout=60):
        result = subprocess.run([str(self.bin / program), *map(str, args)], capture_output=True, text=True,
                                timeout=timeout)
        assert result.returncode == 0, f"{program} {' '.join(map(str, args))}: {result.stdout}{result.stderr}"
        return result.stdout

    # The relay's data directory and a device bundle (the agent needs tunnel.* in any mode).
    def device(self, name="pack-1") -> Path:
        if not self._relay_ready:
            self.run("tunnel-relay", "init", "--data-dir", self.relay_data, "--hostname", "127.0.0.1")
            self._relay_ready = True
        bundle = self.folder / name
        self.run("tunnel-relay", "device", "add", name, "--data-dir", self.relay_data, "--bundle", bundle)
        return bundle

    def start_relay(self):
        log = self.logs / "relay.log"
        self.relay = self.processes.start(
            [self.bin / "tunnel-relay", "serve", "--data-dir", self.relay_data, "--listen",
             f"127.0.0.1:{self.relay_port}", "--public-address", f"127.0.0.1:{self.relay_port}"], log)
        wait_for("the relay", lambda: "Relay listening" in read(log), detail=lambda: read(log))

    def device_presence(self, name) -> str:
        out = self.run("tunnel-relay", "device", "list", "--data-dir", self.relay_data)
        for line in out.splitlines():
            fields = line.split("\t")
            if fields and fields[0] == name:
                return fields[3]
        pytest.fail(f"device {name} not in `tunnel-relay device list`: {out}")

    def start_sim(self, *args, name="bms") -> Path:
        link = self.folder / f"{name}.pty"
        self.processes.start([self.bin / "bms-sim", "--pty", link, *args], self.logs / f"{name}-sim.log")
        wait_for("the simulated BMS's PTY", lambda: link.is_symlink() and Path(os.readlink(link)).exists(),
                 detail=lambda: read(self.logs / f"{name}-sim.log"))
        return link

    def broker(self, start=True, **kwargs) -> Broker:
        broker = Broker(self.processes, self.folder / f"broker-{free_port()}", **kwargs)
        return broker.start() if start else broker

    def observer(self, broker, *args, **kwargs) -> Observer:
        observer = Observer(broker, *args, **kwargs).start()
        self.observers.append(observer)
        return observer

    def settings(self, bundle: Path, mqtt: dict, serial_device=None, tunnel_mode="always",
                 file="settings.json") -> Path:
        document = {
            "serial": {"enabled": serial_device is not None, "type": "RS232", "speed": 57600, "protocol": "g1",
                       **({"device": str(serial_device)} if serial_device else {})},
            "mqtt": {"enabled": True, "attr_send_period": 2, "publish_rate": 0, "sequence_key": SEQ, **mqtt},
            "tunnel": {"relay": f"127.0.0.1:{self.relay_port}", "mode": tunnel_mode, "cert": "device.pem",
                       "key": "device-key.pem", "ca": "relay-ca.pem", "reconnect_max": 2},
        }
        path = bundle / file
        path.write_text(json.dumps(document, indent=2))
        return path

    def agent(self, settings: Path, state: Path, name="agent", extra_args=()) -> "Agent":
        return Agent(self, settings, state, self.logs / f"{name}.log", extra_args).start()

    def close(self):
        """Stops everything; prints the logs' ends (pytest shows them when the test failed)."""
        for observer in self.observers:
            try:
                observer.stop()
            except Exception:
                pass
        self.processes.stop_all()
        for log in sorted(self.folder.rglob("*.log")):
            print(f"===== {log.relative_to(self.folder)} (last 60 lines) =====")
            print("\n".join(read(log).splitlines()[-60:]))


class Agent:
    def __init__(self, system: System, settings: Path, state: Path, log: Path, extra_args=()):
        self.extra_args = list(extra_args)
        self.system = system
        self.settings = settings
        self.state = state
        self.log = log
        self.process = None

    def start(self):
        self.process = self.system.processes.start(
            [self.system.bin / "tunnel-agent", "run", "--config", self.settings, "--state-dir", self.state,
             "--log-level", "debug", *self.extra_args], self.log, append=True)
        return self

    @property
    def pid(self):
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        Processes.stop(self.process)

    def log_text(self) -> str:
        return read(self.log)

    def wait_log(self, text, timeout=20.0):
        return wait_for(f"'{text}' in the agent's log", lambda: text in self.log_text(), timeout=timeout,
                        detail=lambda: self.log_text()[-4000:])


def sequence_problems(records):
    """Missing sequence numbers from 1 to the highest seen, and duplicates that differ."""
    by_seq: dict[int, list] = {}
    for record in records:
        by_seq.setdefault(record["values"][SEQ], []).append(record)
    if not by_seq:
        return ["no records"], by_seq
    problems = []
    top = max(by_seq)
    missing = [n for n in range(1, top + 1) if n not in by_seq]
    if missing:
        problems.append(f"{len(missing)} sequence numbers missing of 1..{top}: {missing[:30]}")
    for seq, copies in by_seq.items():
        if any(json.dumps(c, sort_keys=True) != json.dumps(copies[0], sort_keys=True) for c in copies[1:]):
            problems.append(f"sequence {seq} sent again with different content: {copies}")
    return problems, by_seq


def start_live_agent(processes: Processes, bin_dir: Path, bundle: Path, relay_port: int, broker_port: int, work: Path,
                     settings_name="settings.json"):
    """A simulated BMS and the agent of `bundle` (device.pem, device-key.pem, relay-ca.pem) on it,
    publishing to the broker and sending live telemetry to the relay every second: (agent, sim)."""
    sim_link = work / "bms.pty"
    sim = processes.start([bin_dir / "bms-sim", "--pty", sim_link], work / "sim.log")
    wait_for("the simulated BMS", lambda: sim_link.is_symlink(), timeout=20)
    settings = bundle / settings_name
    settings.write_text(json.dumps({
        "serial": {"device": str(sim_link)}, "mqtt": {"uri": f"mqtt://127.0.0.1:{broker_port}"},
        "tunnel": {"relay": f"127.0.0.1:{relay_port}", "cert": "device.pem", "key": "device-key.pem",
                   "ca": "relay-ca.pem", "live_telemetry_period": 1}}))
    agent = processes.start([bin_dir / "tunnel-agent", "run", "--config", settings, "--state-dir", work / "state"],
                            work / "agent.log")
    return agent, sim
