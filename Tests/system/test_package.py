"""The Debian packages (scripts/package) installed on this machine with dpkg, as on a gateway
and on a relay server.

The agent's package: installed, its files, owners, modes and system user checked, configured
for a relay and a mosquitto broker the test runs on 127.0.0.1 (with a device bundle from the
relay and the simulated BMS on a PTY as its serial adapter), its installed unit started, the
agent seen online at the relay and its telemetry at the broker; then upgraded to a newer
package of the same binaries with the configuration edited locally (kept, as is the state),
removed (configuration and state kept) and purged (nothing left, user gone). The relay's
package: installed, its program run from /usr/bin, removed and purged.

Needs root. Where systemd is not PID 1, the installed unit's own Exec lines are run by the
test as the unit's user (installed_unit.py). Whatever the test installed is purged at its end,
failed or not, and it refuses to start on a machine that already has the packages.
"""
import grp
import json
import pwd
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

import debian_packages as deb
from installed_unit import DirectUnit, SystemdUnit, running_executable, systemd_is_pid1, wait_running
from mqtt_fixtures import ROOT, read, wait_for
from ports import free_port

ETC = Path("/etc/tunnel-agent")
STATE = Path("/var/lib/tunnel-agent")
AGENT_UNIT = Path("/lib/systemd/system/tunnel-agent.service")
RELAY_UNIT = Path("/lib/systemd/system/tunnel-relay.service")
CONFFILES = ["settings.json", "params_config.json"]


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    """The packages, and the same binaries packaged again with a higher version (the upgrade)."""
    deb.require_root_and_tools()
    deb.refuse_foreign()  # before a long build
    first = deb.given_or_built(tmp_path_factory.mktemp("debs"))
    newer_version = deb.field(first["tunnel-agent"], "Version") + "+upgrade1"
    newer = deb.build(tmp_path_factory.mktemp("newer-debs"), newer_version, quick=True)
    return {"first": first, "newer": newer}


@pytest.fixture
def machine(debs):
    """This machine: the units the test starts (stopped at its end) before whatever it
    installed is purged, also when the test fails."""
    deb.refuse_foreign()
    units = []
    yield units
    for unit in units:
        try:
            unit.forget() if isinstance(unit, SystemdUnit) else unit.stop()
        except Exception as error:  # the purge must still happen
            print(f"cleanup: stopping {unit}: {error}")
    deb.purge_ours()


def dpkg(*args) -> subprocess.CompletedProcess:
    return deb.run("dpkg", *args)


def owner_and_mode(path: Path) -> tuple[str, int]:
    info = path.stat()
    return f"{pwd.getpwuid(info.st_uid).pw_name}:{grp.getgrgid(info.st_gid).gr_name}", stat.S_IMODE(info.st_mode)


def process_ids(pid: int) -> dict:
    """The real user and group of a process (the effective and saved ones are checked equal)."""
    ids = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, values = line.partition(":")
        if key in ("Uid", "Gid"):
            numbers = set(map(int, values.split()))
            assert len(numbers) == 1, f"{key} of {pid}: {values}"
            ids[key] = numbers.pop()
    return ids


def process_groups(pid: int) -> set[int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Groups:"):
            return set(map(int, line.split()[1:]))
    return set()


def packaged_unit(source: str) -> str:
    """What the package's unit must be: deploy/'s, with the programs in /usr/bin."""
    return (ROOT / source).read_text().replace("/usr/local/bin/", "/usr/bin/")


def leftovers(name: str) -> list[str]:
    """Every file of ours still on the machine after a purge."""
    places = [Path("/usr/bin"), Path("/lib/systemd/system"), Path("/etc/systemd/system"), Path("/etc/default"),
              Path("/usr/share"), Path("/var/lib/systemd/deb-systemd-helper-enabled"),
              Path("/var/lib/systemd/deb-systemd-helper-masked"), Path("/etc"), Path("/var/lib")]
    found = set()
    for place in places:
        if place.is_dir():
            depth = ["-maxdepth", "3"] if place in (Path("/etc"), Path("/var/lib"), Path("/usr/share")) else []
            out = subprocess.run(["find", str(place), *depth, "-name", f"{name}*"], capture_output=True, text=True,
                                 timeout=120).stdout
            found.update(out.split())
    return sorted(found)


def service(name: str, system, machine):
    """The installed unit, started through systemd or, without it, by the test (installed_unit.py)."""
    if systemd_is_pid1():
        # The unit allows ttyUSB, ttyACM and ttyS devices only; the simulated BMS is on a PTY.
        unit = SystemdUnit(name, drop_in="[Service]\nDeviceAllow=char-pts rw\n")
    else:
        unit = DirectUnit(Path("/lib/systemd/system") / name, system.processes, system.logs / f"{name}.log")
    machine.append(unit)
    return unit


def serial_adapter(system) -> str:
    """The simulated BMS's PTY, owned like a USB serial adapter (root:dialout 0660), so that the
    agent reaches it through the dialout group the package gave its user."""
    device = Path(system.start_sim("--serial-number", "SIM-PACKAGE")).resolve()
    shutil.chown(device, group="dialout")
    device.chmod(0o660)
    return str(device)


def configure_gateway(system, device_name: str) -> dict:
    """The operator's part (docs/DEPLOY.md): the device bundle and settings.json in /etc/tunnel-agent."""
    bundle = system.device(device_name)
    for name in ["device.pem", "device-key.pem", "relay-ca.pem"]:
        target = ETC / name
        shutil.copyfile(bundle / name, target)
        shutil.chown(target, "root", "tunnel-agent")
        target.chmod(0o640)
    broker = system.broker()
    written = system.settings(bundle, {"uri": f"mqtt://127.0.0.1:{broker.port}", "client_id": "packaged-agent"},
                              serial_device=serial_adapter(system))
    settings = json.loads(written.read_text())
    (ETC / "settings.json").write_text(json.dumps(settings, indent=2))  # edited in place: owner and mode stay
    return {"broker": broker, "settings": settings}


def test_the_agent_package_installs_reaches_a_relay_and_a_broker_upgrades_and_purges(debs, system, machine):
    first, newer = debs["first"]["tunnel-agent"], debs["newer"]["tunnel-agent"]
    depends = deb.field(first, "Depends")
    assert "libmosquitto1" in depends and "libc6" in depends and "adduser" in depends, depends
    assert "swift" not in depends.lower(), f"the Swift runtime is linked in: {depends}"

    # 1. Install: files, owners, modes, the user; not started while settings.json is the example.
    installed = dpkg("-i", first)
    assert deb.status("tunnel-agent") == "install ok installed"
    assert "edit /etc/tunnel-agent/settings.json" in installed.stdout, installed.stdout
    assert owner_and_mode(Path("/usr/bin/tunnel-agent")) == ("root:root", 0o755)
    assert owner_and_mode(ETC) == ("root:tunnel-agent", 0o750)
    for name in CONFFILES:
        assert owner_and_mode(ETC / name) == ("root:tunnel-agent", 0o640), name
        assert (ETC / name).read_bytes() == (ROOT / "deploy/agent" / name).read_bytes()
        assert (Path("/usr/share/tunnel-agent") / name).read_bytes() == (ROOT / "deploy/agent" / name).read_bytes(), \
            "the factory reset's defaults"
    conffiles = deb.run("dpkg-query", "--show", "--showformat=${Conffiles}", "tunnel-agent").stdout
    assert all(f"/etc/tunnel-agent/{name} " in conffiles for name in CONFFILES), conffiles
    assert owner_and_mode(STATE) == ("tunnel-agent:tunnel-agent", 0o700)
    account = pwd.getpwnam("tunnel-agent")
    assert account.pw_uid < 1000 and account.pw_shell == "/usr/sbin/nologin" and account.pw_dir == str(STATE)
    assert grp.getgrgid(account.pw_gid).gr_name == "tunnel-agent"
    assert "tunnel-agent" in grp.getgrnam("dialout").gr_mem, "the user reaches serial adapters"
    assert AGENT_UNIT.read_text() == packaged_unit("deploy/agent/tunnel-agent.service")
    wanted = Path("/etc/systemd/system/multi-user.target.wants/tunnel-agent.service")
    assert wanted.is_symlink() and wanted.resolve() == AGENT_UNIT.resolve(), "enabled for the next boot"
    linked = deb.run("ldd", "/usr/bin/tunnel-agent").stdout
    assert "libswift" not in linked and "libFoundation" not in linked, linked
    upstream = deb.installed_version("tunnel-agent").split("-")[0]
    assert deb.run("/usr/bin/tunnel-agent", "--version").stdout.strip() == upstream

    # 2. Configure it for a relay and a broker on 127.0.0.1 and start the installed unit.
    gateway = configure_gateway(system, "pack-packaged")
    system.start_relay()
    observer = system.observer(gateway["broker"])
    checked = deb.run("/usr/bin/tunnel-agent", "check-config", check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    unit = service("tunnel-agent.service", system, machine)
    unit.start()
    pid = wait_running(unit)
    assert process_ids(pid) == {"Uid": account.pw_uid, "Gid": account.pw_gid}, "runs as tunnel-agent"
    assert grp.getgrnam("dialout").gr_gid in process_groups(pid)
    wait_for("the relay to list the packaged agent online",
             lambda: system.device_presence("pack-packaged").startswith("online"), timeout=30,
             detail=lambda: unit.log_text()[-3000:])
    wait_for("telemetry from the packaged agent at the broker",
             lambda: [r for r in observer.records() if "current" in r["values"]], timeout=30,
             detail=lambda: unit.log_text()[-3000:] + gateway["broker"].log_text()[-2000:])
    queue = STATE / "telemetry-queue.sqlite"
    assert queue.exists() and owner_and_mode(queue)[0] == "tunnel-agent:tunnel-agent", "state written as the agent"

    # 3. Upgrade to a newer package with the edited settings.json: kept, state kept, new binary running.
    edited = (ETC / "settings.json").read_bytes()
    dpkg("-i", "--force-confold", newer)
    assert deb.installed_version("tunnel-agent") == deb.field(newer, "Version")
    deb.run("dpkg", "--compare-versions", deb.field(newer, "Version"), "gt", deb.field(first, "Version"))
    assert (ETC / "settings.json").read_bytes() == edited, "the local edit survives the upgrade"
    assert owner_and_mode(ETC / "settings.json") == ("root:tunnel-agent", 0o640)
    assert (ETC / "device-key.pem").exists() and queue.exists(), "credentials and state survive the upgrade"
    assert owner_and_mode(STATE) == ("tunnel-agent:tunnel-agent", 0o700)
    connections = unit.log_text().count("Connected to relay")
    if systemd_is_pid1():
        new_pid = wait_for("the postinst's restart", lambda: (p := unit.main_pid()) and p != pid and p, timeout=30)
    else:
        # No service manager to restart it: the old process still runs the replaced binary, and the
        # test restarts the unit as the postinst does through systemd.
        assert running_executable(pid) == "/usr/bin/tunnel-agent (deleted)", running_executable(pid)
        restarted_at = time.time()
        unit.restart()
        new_pid = wait_running(unit)
    assert running_executable(new_pid) == "/usr/bin/tunnel-agent", "the service runs the newer package's binary"
    wait_for("the upgraded agent to reconnect to the relay",
             lambda: unit.log_text().count("Connected to relay") > connections, timeout=30,
             detail=lambda: unit.log_text()[-3000:])
    wait_for("the relay to list it online", lambda: system.device_presence("pack-packaged").startswith("online"))
    after = restarted_at if not systemd_is_pid1() else time.time()
    wait_for("telemetry from the upgraded agent", lambda: observer.records(after=after), timeout=30,
             detail=lambda: unit.log_text()[-3000:])

    # 4. Remove: the program and unit go; configuration, credentials, state and user stay.
    if not systemd_is_pid1():
        unit.stop()  # the prerm stops it through systemd
    dpkg("-r", "tunnel-agent")
    assert unit.main_pid() is None, "the agent stopped"
    assert deb.status("tunnel-agent") == "deinstall ok config-files"
    assert not Path("/usr/bin/tunnel-agent").exists() and not AGENT_UNIT.exists()
    assert (ETC / "settings.json").read_bytes() == edited and (ETC / "device-key.pem").exists()
    assert queue.exists() and deb.user_exists("tunnel-agent")

    # 5. Purge: nothing of the package is left, the user and group neither.
    dpkg("--purge", "tunnel-agent")
    assert not deb.is_installed("tunnel-agent")
    assert not ETC.exists() and not STATE.exists() and not Path("/usr/share/tunnel-agent").exists()
    assert not deb.user_exists("tunnel-agent") and not deb.group_exists("tunnel-agent")
    assert "tunnel-agent" not in grp.getgrnam("dialout").gr_mem
    assert leftovers("tunnel-agent") == []


def test_the_relay_package_installs_runs_from_usr_bin_and_purges(debs, machine, tmp_path):
    package = debs["first"]["tunnel-relay"]
    depends = deb.field(package, "Depends")
    assert "libc6" in depends and "swift" not in depends.lower(), depends

    installed = dpkg("-i", package)
    assert deb.status("tunnel-relay") == "install ok installed"
    assert "tunnel-relay init" in installed.stdout, "not started before init: the postinst says what to do"
    assert owner_and_mode(Path("/usr/bin/tunnel-relay")) == ("root:root", 0o755)
    assert RELAY_UNIT.read_text() == packaged_unit("deploy/relay/tunnel-relay.service")
    assert "DynamicUser=yes" in RELAY_UNIT.read_text(), "systemd makes the relay's user; the package makes none"
    assert Path("/etc/default/tunnel-relay").read_bytes() == (ROOT / "deploy/relay/tunnel-relay.default").read_bytes()
    assert owner_and_mode(Path("/etc/default/tunnel-relay")) == ("root:root", 0o644)
    assert "/etc/default/tunnel-relay " in deb.run("dpkg-query", "--show", "--showformat=${Conffiles}",
                                                   "tunnel-relay").stdout
    assert Path("/etc/systemd/system/multi-user.target.wants/tunnel-relay.service").is_symlink()
    linked = deb.run("ldd", "/usr/bin/tunnel-relay").stdout
    assert "libswift" not in linked and "libFoundation" not in linked, linked

    # The installed program runs: version, init, and serve on loopback until it listens.
    upstream = deb.installed_version("tunnel-relay").split("-")[0]
    assert deb.run("/usr/bin/tunnel-relay", "--version").stdout.strip() == upstream
    data = tmp_path / "relay"
    deb.run("/usr/bin/tunnel-relay", "init", "--data-dir", data, "--hostname", "127.0.0.1")
    assert (data / "tls" / "server.pem").exists() and (data / "relay.sqlite").exists()
    log = tmp_path / "relay.log"
    with open(log, "wb") as handle:
        relay = subprocess.Popen(["/usr/bin/tunnel-relay", "serve", "--data-dir", str(data), "--listen", f"127.0.0.1:{free_port()}",
                                  "--public-address", "127.0.0.1:7443", "--admin-listen", "off"],
                                 stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_for("the packaged relay to listen", lambda: relay.poll() is not None or "Relay listening" in read(log),
                 detail=lambda: read(log))
        assert relay.poll() is None, read(log)
    finally:
        relay.terminate()
        relay.wait(timeout=30)

    dpkg("-r", "tunnel-relay")
    assert deb.status("tunnel-relay") == "deinstall ok config-files"
    assert not Path("/usr/bin/tunnel-relay").exists() and not RELAY_UNIT.exists()
    assert Path("/etc/default/tunnel-relay").exists(), "remove keeps the configuration"
    dpkg("--purge", "tunnel-relay")
    assert not deb.is_installed("tunnel-relay")
    assert leftovers("tunnel-relay") == []
