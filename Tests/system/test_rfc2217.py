"""System test: pyserial's RFC 2217 client against `tunnel-connect --rfc2217`.

The real programs run as a user runs them (relay, agent, tunnel-connect). The BMS end of the
serial line is a PTY this test owns: the agent opens its slave like a real port, the test
reads the settings the agent applied with termios and answers G1 requests on the master.
"""
import os
import select
import socket
import shutil
import subprocess
import tempfile
import termios
import time
import tty
from pathlib import Path

import pytest
from ports import free_port
from programs import bin_path

from peers import import_peer

serial = import_peer("serial", "pyserial (Debian python3-serial) is the RFC 2217 client")

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ["tunnel-relay", "tunnel-agent", "tunnel-connect"]
VIRTUAL_LINE_LOG = "The serial port has no such line"


def wait_for(what, predicate, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class BMSLine:
    """The BMS's end of the serial line: a PTY whose slave the agent opens."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        # The agent opens a symlink of this test's own, not /dev/pts/N: the kernel gives a closed
        # PTY's number to the next PTY made, perhaps by a test beside this one, and an agent opening
        # /dev/pts/N after this test closed its PTY would open (and flush) that test's port.
        self.folder = tempfile.mkdtemp(prefix="bms-line-")
        self.path = os.path.join(self.folder, "bms.pty")
        os.symlink(os.ttyname(self.slave), self.path)

    def settings(self):
        """(speed, two stop bits, parity enabled) as the agent left them on the port."""
        iflag, oflag, cflag, lflag, ispeed, ospeed, cc = termios.tcgetattr(self.slave)
        return ospeed, bool(cflag & termios.CSTOPB), bool(cflag & termios.PARENB)

    def read(self, count, timeout=10.0):
        data = b""
        deadline = time.time() + timeout
        while len(data) < count and time.time() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                data += os.read(self.master, 4096)
        return data

    def write(self, data):
        os.write(self.master, data)

    def close(self):
        shutil.rmtree(self.folder, ignore_errors=True)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture(scope="module")
def binaries():
    return bin_path(PROGRAMS)


@pytest.fixture
def tunnel(binaries, tmp_path):
    """Relay, agent on a test-owned PTY, and tunnel-connect --rfc2217 on a free port."""
    yield from run_tunnel(binaries, tmp_path, "control")


@pytest.fixture
def monitor_tunnel(binaries, tmp_path):
    """The same with a monitor (read-only) session."""
    yield from run_tunnel(binaries, tmp_path, "monitor")


def run_tunnel(binaries, tmp_path, mode):
    bms = BMSLine()
    relay_port, rfc2217_port = free_port(), free_port()
    data, logs = tmp_path / "relay", tmp_path / "logs"
    logs.mkdir()
    run = lambda *args: subprocess.run([str(binaries / args[0]), *args[1:]], check=True, capture_output=True,
                                       text=True, timeout=60)
    run("tunnel-relay", "init", "--data-dir", str(data), "--hostname", "127.0.0.1")
    run("tunnel-relay", "device", "add", "rfc-pack", "--data-dir", str(data), "--bundle", str(tmp_path / "agent"))
    settings = tmp_path / "agent" / "settings.json"
    settings.write_text(f"""{{
      "serial": {{ "enabled": true, "type": "RS232", "speed": 57600, "protocol": "g1", "device": "{bms.path}" }},
      "tunnel": {{ "relay": "127.0.0.1:{relay_port}", "mode": "always",
                  "cert": "device.pem", "key": "device-key.pem", "ca": "relay-ca.pem" }}
    }}""")
    processes = []

    def start(name, *args):
        log = open(logs / f"{name}.log", "w")
        processes.append(subprocess.Popen([str(binaries / name), *args], stdout=log, stderr=subprocess.STDOUT))
        return logs / f"{name}.log"

    try:
        relay_log = start("tunnel-relay", "serve", "--data-dir", str(data), "--listen", f"127.0.0.1:{relay_port}",
                          "--public-address", f"127.0.0.1:{relay_port}")
        wait_for("the relay", lambda: "Relay listening" in relay_log.read_text())
        agent_log = start("tunnel-agent", "run", "--config", str(settings), "--state-dir", str(tmp_path / "agent" / "state"))
        wait_for("the agent", lambda: "Connected to relay" in agent_log.read_text())
        url = run("tunnel-relay", "session", "open", "--device", "rfc-pack", "--data-dir", str(data),
                  "--public-address", f"127.0.0.1:{relay_port}", "--user", "test", "--mode", mode,
                  "--url-only").stdout.strip()
        connect_log = start("tunnel-connect", url, "--ca", str(data / "tls" / "server-ca.pem"),
                            "--rfc2217", f"127.0.0.1:{rfc2217_port}", "--log-level", "notice")
        wait_for("the session", lambda: "Connected to device" in connect_log.read_text())
        yield bms, f"rfc2217://127.0.0.1:{rfc2217_port}", connect_log
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        bms.close()


def exchange_g1(port, bms):
    """The Control Panel's request reaches the BMS unchanged and the answer comes back."""
    port.reset_input_buffer()
    port.write(b"CV1,?,78\r\n")
    assert bms.read(10) == b"CV1,?,78\r\n"
    bms.write(b"CV1,0000187B,FF83,,,,,,,,,C4\r\n")
    assert port.readline() == b"CV1,0000187B,FF83,,,,,,,,,C4\r\n"


def test_pyserial_sets_the_far_port_and_exchanges_g1_sentences(tunnel):
    bms, url, connect_log = tunnel
    assert bms.settings() == (termios.B57600, False, False), "the agent opened the port at serial.speed"

    port = serial.serial_for_url(url, baudrate=9600, timeout=5)
    try:
        assert bms.settings()[0] == termios.B9600, "open() set the speed at the BMS end"
        exchange_g1(port, bms)

        port.baudrate = 19200
        assert bms.settings()[0] == termios.B19200
        port.stopbits = serial.STOPBITS_TWO
        assert bms.settings() == (termios.B19200, True, False)

        # A Linux PTY cannot take parity: the agent answers with the parity in effect (none),
        # tunnel-connect passes that on, and pyserial reports the refusal.
        with pytest.raises(ValueError, match="parity"):
            port.parity = serial.PARITY_EVEN
        assert bms.settings() == (termios.B19200, True, False), "nothing else changed"
        port.parity = serial.PARITY_NONE

        # DTR and RTS do not exist on a PTY; they are answered with the state asked for.
        port.dtr = False
        port.rts = False
        port.dtr = True
        port.rts = True
        port.reset_input_buffer()
        port.reset_output_buffer()
        assert port.cts is False and port.dsr is False, "modem state was reported (a PTY has no lines)"

        # 0xFF crosses both ways once, doubled only on the Telnet connection.
        port.write(b"\xff\x00\xffG")
        assert bms.read(4) == b"\xff\x00\xffG"
        bms.write(b"\x01\xff\xff\r\n")
        assert port.read(5) == b"\x01\xff\xff\r\n"

        exchange_g1(port, bms)
    finally:
        port.close()
    log = connect_log.read_text()
    assert log.count(VIRTUAL_LINE_LOG) == 1, "the virtual lines are logged once per connection:\n" + log


def test_session_survives_a_reconnect_and_asks_answer_the_value_in_effect(tunnel):
    bms, url, _ = tunnel
    port = serial.serial_for_url(url, baudrate=38400, timeout=5)
    exchange_g1(port, bms)
    port.close()
    assert bms.settings()[0] == termios.B38400

    # A raw Telnet client: asks (value 0) and a parity the port refuses are answered with
    # what is in effect, in order.
    host, number = url.removeprefix("rfc2217://").split(":")
    with socket.create_connection((host, int(number)), timeout=5) as raw:
        raw.sendall(bytes([255, 251, 44]))                       # IAC WILL COM-PORT-OPTION
        raw.sendall(bytes([255, 250, 44, 3, 3, 255, 240]))        # SET-PARITY even
        raw.sendall(bytes([255, 250, 44, 1, 0, 0, 0, 0, 255, 240]))  # SET-BAUDRATE ask
        raw.sendall(bytes([255, 250, 44, 4, 0, 255, 240]))        # SET-STOPSIZE ask
        received = b""
        expected = [bytes([255, 250, 44, 103, 1, 255, 240]),      # parity: none in effect
                    bytes([255, 250, 44, 101, 0, 0, 0x96, 0, 255, 240]),  # 38400
                    bytes([255, 250, 44, 104, 1, 255, 240])]      # one stop bit
        deadline = time.time() + 10
        while not all(e in received for e in expected) and time.time() < deadline:
            try:
                received += raw.recv(4096)
            except socket.timeout:
                break
        positions = [received.find(e) for e in expected]
        assert -1 not in positions, received.hex(" ")
        assert positions == sorted(positions), "answers come back in the order asked"
    assert bms.settings()[2] is False


def test_a_monitor_session_opens_reads_and_cannot_change_the_line(monitor_tunnel):
    """A viewer's Control Panel behind RFC 2217: it opens the port at the rate in effect and
    reads, but the relay refuses every change of the line, so the BMS end keeps its settings
    and sees no write sentence."""
    bms, url, _ = monitor_tunnel
    port = serial.serial_for_url(url, baudrate=57600, timeout=5)
    try:
        assert bms.settings() == (termios.B57600, False, False)
        exchange_g1(port, bms)  # a reading sentence passes

        port.write(b"FD1,2F\r\n")  # factory defaults, valid CRC: a write, dropped by the relay
        assert bms.read(1, timeout=1.5) == b"", "a monitor's write sentence reached the BMS"

        with pytest.raises(ValueError, match="baudrate"):
            port.baudrate = 9600
        port.baudrate = 57600  # pyserial sends every setting again: back to what is in effect
        with pytest.raises(ValueError, match="stopsize"):
            port.stopbits = serial.STOPBITS_TWO
        port.stopbits = serial.STOPBITS_ONE
        port.send_break(0.1)  # answered, never applied: nothing to see at the BMS end
        assert bms.settings() == (termios.B57600, False, False), "the monitor changed the line"
        assert port.cts is False, "the modem-state query still goes through"

        exchange_g1(port, bms)  # the session goes on after the refusals
    finally:
        port.close()
