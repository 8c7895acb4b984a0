"""System tests of firmware over the air (ThingsBoard's firmware protocol) for the agent's own
executable: from the fw_* shared attributes to the new version reporting UPDATED, and every
failure leaving a gateway that still runs a good version and still publishes telemetry.

Each test runs a real mosquitto, the real agent (started as systemd starts it: the packaged
executable, which is the launcher) and bms-sim; `FirmwarePortal` (paho, on the real broker)
serves the attributes and the chunks as ThingsBoard does. The new version is the agent under
test without its symbols; an image that starts and stops at once is a copy of /bin/true.
"""
import json
import os
import signal
import subprocess
import time

import pytest

from firmware_fixtures import FirmwarePortal, agent_image, copy_of, ota_settings, sign, slot_processes
from mqtt_fixtures import read, wait_for
from peers import missing_peer

NEW_VERSION = "9.9.9-test"
FAST = {"chunk_size": 60000, "chunk_interval_ms": 0}


def start_gateway(system, broker, *, ota=None, device="pack-1", state=None, wrap=None):
    pty = system.start_sim("--serial-number", "SIM-FW-1")
    bundle = system.device(device)
    settings = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": f"agent-{device}"},
                               serial_device=pty)
    if ota is not None:
        ota_settings(settings, **ota)
    state = state or system.folder / "state"
    return settings, state, run_agent(system, settings, state, wrap=wrap)


def run_agent(system, settings, state, wrap=None):
    agent = system.agent(settings, state) if wrap is None else None
    if wrap is not None:
        from mqtt_fixtures import Agent
        agent = Agent(system, settings, state, system.logs / "agent.log")
        agent.process = system.processes.start(
            [*wrap, system.bin / "tunnel-agent", "run", "--config", settings, "--state-dir", state, "--log-level", "debug"],
            agent.log, append=True)
    return agent


def flowing(portal, since, count=3, timeout=30.0):
    """BMS telemetry keeps arriving: `count` records newer than `since`."""
    return wait_for(f"{count} telemetry records after the update", lambda: len(portal.telemetry_records(after=since)) >= count,
                    timeout=timeout)


def kill_group(agent, state=None):
    """A power cut: the launcher's process group and, with `state`, the slot's process (its own group)."""
    os.killpg(agent.process.pid, signal.SIGKILL)
    for pid in slot_processes(state) if state is not None else []:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    agent.process.wait(timeout=10)


# MARK: 1. The update, end to end

def test_a_signed_update_goes_from_the_shared_attributes_to_the_new_version_reporting_updated(system, bin_dir):
    broker = system.broker()
    image, public_key = sign(agent_image(bin_dir, system.folder), system.folder)
    portal = FirmwarePortal(system, broker, image, version=NEW_VERSION)
    _, state, agent = start_gateway(system, broker, ota={**FAST, "public_key": str(public_key)})
    first = wait_for("current_fw_* at start", lambda: [r for r in portal.reports() if "current_fw_version" in r])[0]
    assert first["current_fw_title"] == "tunnel-agent" and first["current_fw_version"] != NEW_VERSION
    flowing(portal, 0)

    assigned_at = time.time()
    portal.assign()
    updated = portal.wait_state("UPDATED", agent=agent)
    assert updated["current_fw_version"] == NEW_VERSION and updated["current_fw_title"] == "tunnel-agent"
    states = portal.states()
    assert states[states.index("DOWNLOADING"):] == ["DOWNLOADING", "DOWNLOADED", "VERIFIED", "UPDATING", "UPDATED"], states
    requests = portal.chunk_requests()
    assert [chunk for _, chunk, _, _ in requests] == list(range(len(requests))), "each chunk asked for once, in order"
    assert len(requests) == -(-len(image) // 60000)

    # The launcher (the process the service manager started) runs the new version as its child.
    assert agent.alive()
    children = wait_for("the new version's process", lambda: slot_processes(state))
    assert len(children) == 1 and os.getppid() != children[0]
    assert not (state / "firmware" / "trial.json").exists(), "the trial is confirmed"
    assert os.readlink(state / "firmware" / "current").startswith("images/")
    status = system.run("tunnel-agent", "status", "--state-dir", state, "--config", agent.settings)
    assert f"version: {NEW_VERSION}, installed over the air" in status, status
    flowing(portal, time.time())
    during = [r for r in portal.telemetry_records(after=assigned_at)]
    assert during, "telemetry kept flowing during the update"

    # A restart of the service keeps the new version, and it is not downloaded again.
    agent.stop()
    before = len(portal.chunk_requests())
    agent = run_agent(system, agent.settings, state)
    wait_for("current_fw_version after the restart",
             lambda: [r for r in portal.reports() if r.get("current_fw_version") == NEW_VERSION and "fw_state" not in r])
    flowing(portal, time.time())
    assert len(portal.chunk_requests()) == before


def test_a_download_cut_by_a_power_cut_resumes_where_it_stopped_and_a_cut_during_the_trial_keeps_the_trial(system, bin_dir):
    broker = system.broker()
    image = agent_image(bin_dir, system.folder)
    portal = FirmwarePortal(system, broker, image, version=NEW_VERSION)
    settings, state, agent = start_gateway(system, broker, ota=FAST)
    wait_for("the agent online", lambda: portal.reports())
    portal.assign()
    wait_for("40 chunks asked for", lambda: len(portal.chunk_requests()) >= 40)
    portal.hold.clear()  # ThingsBoard stops answering; the power goes
    kill_group(agent)
    cut_at = len(portal.chunk_requests())
    portal.hold.set()

    agent = run_agent(system, settings, state)
    wait_for("chunk requests after the restart", lambda: len(portal.chunk_requests()) > cut_at)
    resumed = portal.chunk_requests()[cut_at][1]
    assert resumed >= 30, f"the download resumed at chunk {resumed}, not from the start"

    # Cut again once the new version runs on trial, before it can report.
    portal.wait_state("UPDATING", agent=agent)
    wait_for("the new version's process", lambda: slot_processes(state), interval=0.01)
    kill_group(agent, state)
    trial = json.loads((state / "firmware" / "trial.json").read_text()) if (state / "firmware" / "trial.json").exists() else None
    agent = run_agent(system, settings, state)
    updated = portal.wait_state("UPDATED", agent=agent)
    assert updated["current_fw_version"] == NEW_VERSION
    if trial is not None:
        assert trial["target"]["version"] == NEW_VERSION
    flowing(portal, time.time())

    # The launcher killed alone (not the unit's cgroup): its child stops by itself rather than
    # running on beside the next start.
    assert slot_processes(state)
    os.kill(agent.process.pid, signal.SIGKILL)
    agent.process.wait(timeout=10)
    wait_for("the slot's agent stopping without its launcher", lambda: not slot_processes(state), timeout=20)
    assert "launcher that started this agent is gone" in agent.log_text()


# MARK: 2. A new version that does not come up is rolled back

def test_a_new_version_that_keeps_stopping_is_rolled_back_and_not_tried_again(system):
    broker = system.broker()
    portal = FirmwarePortal(system, broker, copy_of("true", system.folder), version="9.9.9-broken")
    _, state, agent = start_gateway(system, broker, ota=FAST)
    wait_for("the agent online", lambda: portal.reports())
    portal.assign()
    failed = portal.wait_state("FAILED", agent=agent)
    assert "stopped 3 times" in failed["fw_error"], failed
    assert "UPDATING" in portal.states()
    assert not (state / "firmware" / "current").exists(), "the packaged version is back"
    assert agent.alive()
    requests = len(portal.chunk_requests())
    flowing(portal, time.time())
    time.sleep(3)
    assert len(portal.chunk_requests()) == requests, "a failed assignment is not downloaded again"
    assert "Firmware update rolled back" in agent.log_text()


def test_a_new_version_that_cannot_reach_the_broker_within_its_trial_is_rolled_back(system, bin_dir):
    broker = system.broker()
    portal = FirmwarePortal(system, broker, agent_image(bin_dir, system.folder), version=NEW_VERSION)
    _, state, agent = start_gateway(system, broker, ota={**FAST, "trial_seconds": 30})
    wait_for("the agent online", lambda: portal.reports())
    portal.assign()
    portal.wait_state("VERIFIED", agent=agent)
    broker.stop()  # the new version comes up to no broker
    wait_for("the new version on trial", lambda: (state / "firmware" / "trial.json").exists() and slot_processes(state),
             timeout=30)
    wait_for("the rollback", lambda: not (state / "firmware" / "current").exists(), timeout=60,
             detail=lambda: agent.log_text()[-3000:])
    assert not slot_processes(state), "the new version was stopped"
    broker.start()
    failed = portal.wait_state("FAILED", agent=agent, timeout=60)
    assert "did not report UPDATED" in failed["fw_error"], failed
    assert agent.alive()
    flowing(portal, time.time())


# MARK: 3. Bad images fail before anything is installed

def bad_image(case, bin_dir, folder):
    image = copy_of("true", folder)
    if case == "another device type":
        return image, {"title": "rms020-fw"}, "another kind of device"
    if case == "checksum mismatch":
        return image, {"checksum_text": "0" * 64}, "checksum mismatch"
    if case == "truncated download":
        return image, {"serve_bytes": len(image) // 2}, "truncated"
    if case == "another machine":
        patched = bytearray(image)
        patched[18:20] = (0xB7, 0x00) if patched[18] != 0xB7 else (0x3E, 0x00)
        return bytes(patched), {}, "another machine"
    if case == "not an executable":
        return b"#!/bin/sh\nexit 0\n" * 100, {}, "not a Linux executable"
    if case == "does not start":
        return copy_of("false", folder), {}, "failed to start"
    if case == "CRC32 mismatch":
        return image, {"algorithm": "CRC32", "checksum_text": "1234"}, "checksum mismatch"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["another device type", "checksum mismatch", "CRC32 mismatch", "truncated download",
                                  "another machine", "not an executable", "does not start"])
def test_a_bad_image_fails_with_its_reason_and_the_running_version_stays(system, bin_dir, case):
    broker = system.broker()
    image, options, reason = bad_image(case, bin_dir, system.folder)
    portal = FirmwarePortal(system, broker, image, version="9.9.9-bad", **options)
    _, state, agent = start_gateway(system, broker, ota=FAST)
    wait_for("the agent online", lambda: portal.reports())
    pid = agent.pid
    portal.assign()
    failed = portal.wait_state("FAILED", agent=agent)
    assert reason in failed["fw_error"], failed
    assert "UPDATING" not in portal.states()
    assert not (state / "firmware" / "current").exists()
    assert not list((state / "firmware" / "download").glob("*")), "the download was removed"
    assert not (state / "firmware" / "images" / ".incoming").exists(), "nothing half-installed is left"
    assert agent.alive() and agent.pid == pid and not slot_processes(state)
    flowing(portal, time.time())
    if case == "another device type":
        assert portal.chunk_requests() == [], "nothing is downloaded for another device"


def test_an_unsigned_image_is_refused_where_the_gateway_has_a_key(system, bin_dir):
    broker = system.broker()
    _, public_key = sign(b"anything", system.folder)
    portal = FirmwarePortal(system, broker, copy_of("true", system.folder), version="9.9.9-unsigned")
    _, state, agent = start_gateway(system, broker, ota={**FAST, "public_key": str(public_key)})
    wait_for("the agent online", lambda: portal.reports())
    portal.assign()
    failed = portal.wait_state("FAILED", agent=agent)
    assert "not signed" in failed["fw_error"], failed
    assert not (state / "firmware" / "current").exists()
    flowing(portal, time.time())


def test_updates_are_off_without_the_ota_switch(system):
    broker = system.broker()
    portal = FirmwarePortal(system, broker, copy_of("true", system.folder), version="9.9.9-off")
    _, state, agent = start_gateway(system, broker, ota={"enabled": False})
    wait_for("the agent online", lambda: portal.reports())
    portal.assign()
    failed = portal.wait_state("FAILED", agent=agent)
    assert "off on this gateway" in failed["fw_error"], failed
    assert portal.chunk_requests() == []
    flowing(portal, time.time())


# MARK: 4. Pacing

def test_a_download_at_the_default_pacing_keeps_telemetry_flowing_within_the_servers_limits(system):
    broker = system.broker()
    limits = {"maxPayloadSize": 65536, "maxInflightMessages": 20,
              "rateLimits": {"messages": "20:1,600:60", "telemetryMessages": "20:1,600:60",
                             "telemetryDataPoints": "2000:1,60000:60"}}
    image = os.urandom(512 * 1024)  # 32 chunks of 16 KiB; not an executable, so refused after its checks
    portal = FirmwarePortal(system, broker, image, version="9.9.9-paced", limits=limits)
    _, _, agent = start_gateway(system, broker, ota={})
    agent.wait_log("Session limits from the server", timeout=60)
    flowing(portal, 0, count=20)
    before = time.time()
    time.sleep(5)
    portal.assign()
    portal.wait_state("DOWNLOADING", agent=agent)
    started = time.time()
    portal.wait_state("DOWNLOADED", agent=agent, timeout=120)
    ended = time.time()
    failed = portal.wait_state("FAILED", agent=agent)
    assert "not a Linux executable" in failed["fw_error"], failed
    time.sleep(2)

    def rate(start, end):
        return len([r for r in portal.telemetry_records() if start * 1000 <= r["ts"] <= end * 1000]) / (end - start)
    print(f"{len(portal.chunk_requests())} chunks in {ended - started:.1f} s under messages 20:1; "
          f"telemetry {rate(before, before + 5):.1f} records/s before, {rate(started, ended):.1f} during")
    assert len(portal.chunk_requests()) == 32
    assert portal.server.violations() == [], portal.server.violations()
    # The chunk requests take at most half of each window: the download's pace is the limits'.
    assert ended - started >= 32 / 10 - 1, ended - started
    assert rate(started, ended) >= 0.5 * rate(before, before + 5), "telemetry kept flowing during the download"


# MARK: 5. A full disk

def test_a_full_disk_fails_the_update_and_telemetry_goes_on(system, bin_dir):
    probe = subprocess.run(["unshare", "--map-root-user", "--mount", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        missing_peer(f"no mount namespace for a small file system (unshare: {probe.stderr.strip()})")
    broker = system.broker()
    state = system.folder / "small-state"
    state.mkdir()
    # The state folder on a 48 MiB tmpfs in the agent's own mount namespace.
    wrap = ["unshare", "--map-root-user", "--mount", "sh", "-c",
            f'mount -t tmpfs -o size=48m tmpfs "{state}" && exec "$0" "$@"']
    image = copy_of("true", system.folder) * 200  # several MiB
    portal = FirmwarePortal(system, broker, image, version="9.9.9-big",
                            **{"size": 40 * 1024 * 1024})  # needs 40 MiB and 16 spare: more than there is
    _, _, agent = start_gateway(system, broker, ota=FAST, state=state, wrap=wrap)
    wait_for("the agent online", lambda: portal.reports())
    portal.assign()
    failed = portal.wait_state("FAILED", agent=agent)
    assert "not enough disk space" in failed["fw_error"], failed
    assert portal.chunk_requests() == []

    # Space runs out during the download: the write fails, the download is removed.
    filler = f"/proc/{agent.pid}/root{state}/filler"
    portal.observer.stop()  # the first assignment's server is gone
    portal2 = FirmwarePortal(system, broker, image, version="9.9.9-fills")
    portal2.hold.clear()
    portal2.assign()
    wait_for("a chunk request", lambda: portal2.chunk_requests())
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    portal2.hold.set()
    failed = portal2.wait_state("FAILED", agent=agent)
    assert "cannot be written" in failed["fw_error"] or "space" in failed["fw_error"], failed
    os.remove(filler)
    assert agent.alive()
    flowing(portal2, time.time())
