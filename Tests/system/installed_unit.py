"""Starting and stopping a systemd unit a package installed, with or without systemd.

Where systemd is PID 1, `systemctl` does it. Where it is not (a container, like the machine the
tests usually run on), `DirectUnit` does systemd's part for a simple service itself: it reads
the installed unit file and runs its ExecStartPre and ExecStart lines, as the unit's User,
Group and SupplementaryGroups (setpriv), with its UMask and NoNewPrivileges, in a clean
environment, its output going to a log file as it would to the journal. So the unit file the
package installed is what runs, not a copy of its command line. The sandboxing directives
(ProtectSystem=, DeviceAllow=, …) are systemd's alone and are not applied; folders systemd
would create (StateDirectory=, ConfigurationDirectory=) are not created either, so the
package must have made them.
"""
import grp
import os
import pwd
import shlex
import signal
import subprocess
import time
from pathlib import Path

from mqtt_fixtures import Processes, read, wait_for

# What systemd gives a system service when the unit sets no Environment=.
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def systemd_is_pid1() -> bool:
    """The maintainer scripts' own test (`[ -d /run/systemd/system ]`)."""
    return Path("/run/systemd/system").is_dir()


class UnitFile:
    """The directives of a unit file, by section and name, every value of a repeated one."""

    def __init__(self, path: Path):
        self.path = path
        self.directives: dict[tuple[str, str], list[str]] = {}
        section = ""
        for line in self._logical_lines(path.read_text()):
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            self.directives.setdefault((section, key.strip()), []).append(value.strip())

    @staticmethod
    def _logical_lines(text):
        """Lines without comments and blanks, a trailing backslash joining the next line."""
        pending = ""
        for raw in text.splitlines():
            line = raw.strip()
            if not pending and (not line or line.startswith(("#", ";"))):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            yield pending + line
            pending = ""

    def values(self, key, section="Service") -> list[str]:
        return self.directives.get((section, key), [])

    def value(self, key, default=None, section="Service"):
        found = self.values(key, section)
        return found[-1] if found else default


def exec_line(value: str) -> tuple[str, list[str]]:
    """An Exec…= value: its prefixes (`+`, `-`, `!`, `@`, `:`) and the command's words."""
    prefixes = ""
    while value and value[0] in "+-!@:":
        prefixes += value[0]
        value = value[1:]
    return prefixes, shlex.split(value)


class DirectUnit:
    """A simple service's unit run by the test, as systemd would run it (see the module's text)."""

    def __init__(self, unit: Path, processes: Processes, log: Path):
        self.unit_path = unit
        self.processes = processes
        self.log = log
        self.process = None

    def _unit(self) -> UnitFile:
        unit = UnitFile(self.unit_path)  # read at each start, as systemd does after daemon-reload
        assert unit.value("Type", "simple") == "simple", f"{self.unit_path}: only Type=simple is run here"
        unsupported = [k for k in ["Environment", "EnvironmentFile", "WorkingDirectory", "RootDirectory"]
                       if unit.values(k)]
        assert not unsupported, f"{self.unit_path} sets {unsupported}, which this test's runner does not apply"
        return unit

    def _identity(self, unit: UnitFile, prefixes: str) -> list[str]:
        """setpriv's arguments for a line: none for `+` (full privileges), else the unit's user."""
        user = unit.value("User")
        if "+" in prefixes or user is None:
            return []
        # systemd gives the user its groups from the group database, and SupplementaryGroups=.
        account = pwd.getpwnam(user)
        group = grp.getgrnam(unit.value("Group", user)).gr_gid
        groups = set(os.getgrouplist(user, group))
        groups |= {grp.getgrnam(name).gr_gid for name in " ".join(unit.values("SupplementaryGroups")).split()}
        argv = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={group}",
                f"--groups={','.join(map(str, sorted(groups)))}"]
        if unit.value("NoNewPrivileges") == "yes":
            argv.append("--no-new-privs")
        return argv + ["--"]

    def _popen(self, argv, umask):
        handle = open(self.log, "ab")
        try:
            return subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env={"PATH": SERVICE_PATH, "LANG": "C.UTF-8"}, umask=umask,
                                    start_new_session=True, cwd="/")
        finally:
            handle.close()

    def start(self):
        unit = self._unit()
        umask = int(unit.value("UMask", "0022"), 8)
        for line in unit.values("ExecStartPre"):
            prefixes, argv = exec_line(line)
            process = self._popen(self._identity(unit, prefixes) + argv, umask)
            status = process.wait(timeout=120)
            assert status == 0 or "-" in prefixes, f"ExecStartPre {line} exited {status}:\n{read(self.log)[-3000:]}"
        starts = unit.values("ExecStart")
        assert len(starts) == 1, f"{self.unit_path}: one ExecStart for Type=simple, found {starts}"
        prefixes, argv = exec_line(starts[0])
        self.process = self._popen(self._identity(unit, prefixes) + argv, umask)
        self.processes.started.append(self.process)  # stopped with the test's other processes too
        time.sleep(0.5)
        assert self.process.poll() is None, f"the unit's ExecStart exited at once:\n{read(self.log)[-3000:]}"

    def stop(self):
        """KillSignal= (SIGTERM), then SIGKILL after TimeoutStopSec=, as systemd stops a unit."""
        if self.process is None:
            return
        unit = UnitFile(self.unit_path) if self.unit_path.exists() else None
        sig = getattr(signal, unit.value("KillSignal", "SIGTERM")) if unit else signal.SIGTERM
        timeout = float(unit.value("TimeoutStopSec", "90")) if unit else 90.0
        Processes.stop(self.process, sig=sig, timeout=timeout)
        self.process = None

    def restart(self):
        self.stop()
        self.start()

    def main_pid(self):
        return self.process.pid if self.process and self.process.poll() is None else None

    def log_text(self) -> str:
        return read(self.log)


class SystemdUnit:
    """The same, through systemd; `drop_in` adds what the test needs (removed at `forget`)."""

    def __init__(self, name: str, drop_in: str = ""):
        self.name = name
        self.drop_in_dir = Path(f"/etc/systemd/system/{name}.d")
        self.drop_in = self.drop_in_dir / "system-test.conf"
        if drop_in:
            self.drop_in_dir.mkdir(exist_ok=True)
            self.drop_in.write_text(drop_in)
        self.since = time.strftime("%Y-%m-%d %H:%M:%S")
        self._systemctl("daemon-reload")

    @staticmethod
    def _systemctl(*args, check=True):
        result = subprocess.run(["systemctl", *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 or not check, f"systemctl {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout.strip()

    def start(self):
        self._systemctl("start", self.name)

    def stop(self):
        self._systemctl("stop", self.name, check=False)

    def restart(self):
        self._systemctl("restart", self.name)

    def main_pid(self):
        pid = int(self._systemctl("show", "--property=MainPID", "--value", self.name, check=False) or 0)
        return pid or None

    def log_text(self) -> str:
        result = subprocess.run(["journalctl", "--no-pager", "-u", self.name, "--since", self.since],
                                capture_output=True, text=True, timeout=60)
        return result.stdout

    def forget(self):
        self.stop()
        if self.drop_in.exists():
            self.drop_in.unlink()
            try:
                self.drop_in_dir.rmdir()
            except OSError:
                pass
            self._systemctl("daemon-reload", check=False)


def running_executable(pid: int) -> str:
    """What /proc says the process runs: a path, with ` (deleted)` once a package replaced it."""
    return os.readlink(f"/proc/{pid}/exe")


def wait_running(unit, timeout=30.0) -> int:
    """The unit's main process ID once it runs."""
    return wait_for("the unit's main process", unit.main_pid, timeout=timeout,
                    detail=lambda: unit.log_text()[-3000:])
