"""`tunnel-agent factory-reset` (the manual's chapter 5) on a working gateway: a live tunnel to a
real relay, a real broker gone so the queue fills, the simulated BMS. And a reset killed at
random moments leaves either the old gateway or one that the agent's next start finishes
resetting, never a mix."""
import json
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path


from mqtt_fixtures import read, wait_for

FACTORY_SETTINGS = {"serial": {"enabled": False}}
FACTORY_PARAMS_NOTE = "packaged"


def packaged_defaults(folder: Path, params_source: Path) -> Path:
    """What a package ships in /usr/share/tunnel-agent: settings without credentials, and the
    params_config.json the agent comes with."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.json").write_text(json.dumps(FACTORY_SETTINGS))
    (folder / "params_config.json").write_bytes(params_source.read_bytes())
    return folder


def queued(queue: Path) -> int:
    """Records waiting in the agent's queue (read beside the agent, as SQLite allows)."""
    if not queue.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{queue}?mode=ro", uri=True, timeout=2) as db:
            return db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    except sqlite3.Error:
        return 0


def factory_reset(system, settings: Path, state: Path, defaults: Path, *extra, timeout=60):
    # --params beside settings.json: the default is /etc/tunnel-agent's, which a test must not touch.
    return subprocess.run([str(system.bin / "tunnel-agent"), "factory-reset", "--yes", "--config", str(settings),
                           "--params", str(settings.parent / "params_config.json"), "--state-dir", str(state),
                           "--defaults", str(defaults), *extra],
                          capture_output=True, text=True, timeout=timeout)


def test_a_reset_with_a_full_queue_and_a_live_tunnel_stops_the_agent_and_leaves_a_factory_gateway(system, tmp_path):
    bundle = system.device("pack-1")
    system.start_relay()
    broker = system.broker()
    pty = system.start_sim()
    settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "reset-test"},
                               serial_device=pty)
    state = tmp_path / "state"
    agent = system.agent(settings, state)
    wait_for("the tunnel", lambda: "Connected to relay" in read(agent.log), detail=lambda: read(agent.log)[-3000:])
    broker.stop()
    queue = state / "telemetry-queue.sqlite"
    wait_for("records piling up in the queue while the broker is away",
             lambda: "MQTT connection lost" in read(agent.log) and queued(queue) >= 50,
             timeout=30, detail=lambda: f"{queued(queue)} queued\n" + read(agent.log)[-3000:])
    assert system.device_presence("pack-1").startswith("online")

    defaults = packaged_defaults(tmp_path / "defaults", Path(__file__).resolve().parents[2] / "deploy/agent/params_config.json")
    result = factory_reset(system, settings, state, defaults)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Stopping the running agent (process {agent.pid})" in result.stdout, result.stdout
    assert agent.process.wait(timeout=20) == 0, "the agent stopped on SIGTERM, cleanly"
    for removed in [bundle / "device.pem", bundle / "device-key.pem", queue, state / "mqtt-credentials.json"]:
        assert not removed.exists(), f"{removed} survived the reset"
    assert f"removed  {bundle / 'device-key.pem'}" in result.stdout and f"removed  {queue}" in result.stdout, result.stdout
    assert (bundle / "relay-ca.pem").exists(), "the relay's CA ships with the gateway and stays"
    assert sorted(p.name for p in state.iterdir()) == ["agent.lock"], list(state.iterdir())
    assert json.loads(settings.read_text()) == FACTORY_SETTINGS
    assert (bundle / "params_config.json").read_bytes() == (defaults / "params_config.json").read_bytes()
    wait_for("the relay to see the agent go", lambda: system.device_presence("pack-1").startswith("offline"))

    # The factory gateway starts, with no tunnel and no credentials, until it is registered again.
    again = system.agent(settings, state, name="agent-after-reset")
    wait_for("the agent on the factory settings", lambda: "Agent started" in read(again.log), detail=lambda: read(again.log))
    assert "No tunnel section" in read(again.log)
    time.sleep(1)
    assert again.alive(), read(again.log)


def test_a_second_agent_on_the_same_state_folder_is_refused(system, tmp_path):
    state = tmp_path / "state"
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(FACTORY_SETTINGS))
    first = system.agent(settings, state, name="first")
    wait_for("the first agent", lambda: "Agent started" in read(first.log), detail=lambda: read(first.log))
    second = subprocess.run([str(system.bin / "tunnel-agent"), "run", "--config", str(settings), "--state-dir", str(state)],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode != 0
    assert f"another tunnel-agent (process {first.pid}) runs on this state folder" in second.stdout + second.stderr
    assert first.alive()


def gateway(folder: Path) -> tuple[Path, Path, Path]:
    """A gateway's files: settings with credentials, and a state folder with a queue, pushed
    configuration and a few hundred more files so that a reset takes a while. The settings do
    not pass their checks (on_demand without mqtt): a broken gateway is one that gets reset."""
    etc, state = folder / "etc", folder / "state"
    etc.mkdir(parents=True)
    state.mkdir()
    settings = etc / "settings.json"
    settings.write_text(json.dumps({"serial": {"enabled": False},
                                    "tunnel": {"relay": "127.0.0.1:9", "mode": "on_demand", "cert": "device.pem",
                                               "key": "device-key.pem", "ca": "relay-ca.pem"}}))
    for name in ["device.pem", "device-key.pem", "relay-ca.pem"]:
        (etc / name).write_text("PEM\n")
    for index in range(3000):
        (state / f"stale-{index:03}.json").write_text("{}")
    (state / "telemetry-queue.sqlite").write_bytes(b"x" * 65536)
    return settings, state, etc


def test_a_reset_killed_at_any_moment_leaves_the_old_gateway_or_finishes_at_the_next_start(system, tmp_path):
    defaults = packaged_defaults(tmp_path / "defaults", Path(__file__).resolve().parents[2] / "deploy/agent/params_config.json")
    # How long a whole reset takes here; the kills fall anywhere inside that time.
    settings, state, etc = gateway(tmp_path / "timed")
    started = time.monotonic()
    assert factory_reset(system, settings, state, defaults).returncode == 0
    whole = time.monotonic() - started
    random.seed(2217)
    outcomes = {"old": 0, "finished at start": 0, "done": 0}
    for attempt in range(20):
        settings, state, etc = gateway(tmp_path / f"gw-{attempt}")
        old_settings = settings.read_text()
        reset = subprocess.Popen([str(system.bin / "tunnel-agent"), "factory-reset", "--yes", "--config", str(settings),
                                  "--params", str(etc / "params_config.json"), "--state-dir", str(state),
                                  "--defaults", str(defaults)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.0, whole))
        reset.send_signal(signal.SIGKILL)
        reset.wait(timeout=10)
        pending = (state / "factory-reset.pending").exists()
        if not pending and (etc / "device.pem").exists():
            # Killed before the marker: nothing may have changed.
            assert settings.read_text() == old_settings and (etc / "device-key.pem").exists()
            assert len(list(state.glob("stale-*"))) == 3000 and (state / "telemetry-queue.sqlite").exists()
            outcomes["old"] += 1
            continue
        if pending:
            # The agent's start finishes it, before it reads a file (systemd runs the same with
            # `factory-reset --if-requested` as ExecStartPre).
            log = tmp_path / f"agent-{attempt}.log"
            agent = system.processes.start([system.bin / "tunnel-agent", "run", "--config", settings,
                                            "--params", etc / "params_config.json", "--state-dir", state,
                                            "--defaults", defaults], log)
            wait_for("the agent finishing the reset", lambda: "Factory reset completed" in read(log), timeout=20,
                     detail=lambda: read(log))
            system.processes.stop(agent)
            outcomes["finished at start"] += 1
        else:
            outcomes["done"] += 1
        assert not (etc / "device.pem").exists() and not (etc / "device-key.pem").exists()
        assert (etc / "relay-ca.pem").exists()
        assert json.loads(settings.read_text()) == FACTORY_SETTINGS
        assert (etc / "params_config.json").read_bytes() == (defaults / "params_config.json").read_bytes()
        assert [p.name for p in state.iterdir() if p.name != "agent.lock"] == []
    print(f"outcomes of the killed resets (a whole reset: {whole * 1000:.0f} ms):", outcomes)
    assert outcomes["finished at start"] > 0, "some kills fell inside the reset (else the test shows nothing)"
