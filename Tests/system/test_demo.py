"""System tests: the real programs as a user runs them, through the README's run command."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from ports import free_port
from programs import bin_path

ROOT = Path(__file__).resolve().parents[2]


def demo_processes() -> list[str]:
    out = subprocess.run(["pgrep", "-af", str(ROOT / "run" / "demo")], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if "pgrep" not in line]


def test_demo_check_gets_a_cv1_answer_through_the_tunnel():
    env = dict(os.environ, DEMO_RELAY_PORT=str(free_port()))
    result = subprocess.run(["scripts/demo", "--check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    answer = [line for line in result.stdout.splitlines() if line.startswith("demo check:")]
    assert answer and "got CV1," in answer[0], result.stdout
    assert not demo_processes(), "the demo stops every process it started"


def test_demo_runs_until_ctrl_c_then_stops_everything():
    env = dict(os.environ, DEMO_RELAY_PORT=str(free_port()))
    demo = subprocess.Popen(["scripts/demo"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = []
        deadline = time.time() + 600
        while time.time() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        assert any("Virtual serial port for the Control Panel" in l for l in lines), "".join(lines)
        port = ROOT / "run" / "demo" / "ControlPanel.port"
        assert port.is_symlink() and Path(os.readlink(port)).exists()

        import serial  # pyserial, installed by scripts/install-deps
        with serial.Serial(str(port), 57600, timeout=3) as s:
            s.write(b"VR1,?,D7\r\n")
            for _ in range(10):
                line = s.readline().decode("ascii", "replace").strip()
                if line.startswith("VR1,") and line != "VR1,?,D7":
                    break
            else:
                pytest.fail("no VR1 answer through the tunnel")

        os.killpg(demo.pid, signal.SIGINT)
        status = demo.wait(timeout=30)
        assert status == 0, "".join(lines) + demo.stdout.read()
    finally:
        if demo.poll() is None:  # the test failed before Ctrl-C: stop what the demo started
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=30)
    time.sleep(0.5)
    assert not demo_processes(), "Ctrl-C stops every process the demo started"
    assert not port.exists(), "tunnel-connect removed its virtual port link"


@pytest.mark.parametrize("program,words", [
    ("tunnel-relay", ["init", "serve", "device", "session"]),
    ("tunnel-agent", ["run"]),
    ("tunnel-connect", ["--pty", "--tcp", "token"]),
    ("bms-sim", ["--pty", "--tcp", "broadcast"]),
])
def test_every_program_explains_itself(program, words):
    result = subprocess.run([str(bin_path() / program), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for word in words:
        assert word in result.stdout, f"{program} --help mentions {word}"


def test_bad_input_gets_a_clear_error():
    bin_dir = bin_path()
    result = subprocess.run([str(bin_dir / "tunnel-connect"), "not-a-token"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--relay" in result.stdout + result.stderr

    result = subprocess.run([str(bin_dir / "tunnel-connect"), "st1.aa.bb", "--relay", "nonsense"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "host:port" in result.stdout + result.stderr


def test_agent_reports_a_bad_settings_file(tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text('{"serial": {"speed": "fast"}, "tunnel": {"relay": "x:1", "cert": "c", "key": "k", "ca": "a"}}')
    state = tmp_path / "state"
    result = subprocess.run([str(bin_path() / "tunnel-agent"), "run", "--config", str(settings), "--state-dir", str(state)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "$.serial.speed" in result.stdout + result.stderr
    assert not state.exists(), "a settings file that cannot be used is reported before the agent writes anything"


def test_benchmark_smoke_run_prints_its_figures():
    """A tiny run of the benchmark so the command cannot rot; its figures are not judged here."""
    result = subprocess.run([str(bin_path() / "tunnel-bench"), "--quick"], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for heading in ["Round-trip latency", "tunnel (client→relay→agent→PTY)", "Bulk throughput", "direct TCP"]:
        assert heading in result.stdout, f"the report has '{heading}'"


def test_codec_benchmark_smoke_run_prints_its_figures():
    result = subprocess.run([str(bin_path() / "tunnel-bench"), "codec", "--quick"], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for heading in ["checked sentences", "typed readings", "CAN frames → telemetry"]:
        assert heading in result.stdout, f"the report has '{heading}'"


def test_uplink_benchmark_smoke_run_prints_its_figures():
    """Through a real mosquitto; every record must arrive, whatever the speed."""
    result = subprocess.run([str(bin_path() / "tunnel-bench"), "uplink", "--records", "2000", "--backlog", "2000"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for heading in ["decoded → PUBACK", "backlog of 2000 flushed", "none lost: yes", "every record delivered: yes"]:
        assert heading in result.stdout, f"the report has '{heading}'"
