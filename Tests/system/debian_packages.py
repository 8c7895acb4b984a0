"""The Debian packages scripts/package builds, and dpkg on this machine.

scripts/test builds the packages once before the system tests and says where they are in
`TUNNEL_PACKAGE_DIR`; a test run on its own builds them here (a release build with the Swift
runtime linked in: several minutes the first time). Installing needs root, and the tests
never touch a tunnel-agent or tunnel-relay someone else installed: `refuse_foreign` stops
them first, loudly.
"""
import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from peers import missing_peer

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tunnel-agent", "tunnel-relay")
# What an earlier manual installation (deploy/README.md) leaves, which a purge would delete.
FOREIGN_TRACES = [Path("/etc/tunnel-agent"), Path("/var/lib/tunnel-agent"), Path("/usr/share/tunnel-agent"),
                  Path("/lib/systemd/system/tunnel-agent.service"), Path("/lib/systemd/system/tunnel-relay.service"),
                  Path("/etc/systemd/system/tunnel-agent.service"), Path("/etc/systemd/system/tunnel-relay.service"),
                  Path("/etc/default/tunnel-relay"), Path("/usr/bin/tunnel-agent"), Path("/usr/bin/tunnel-relay")]


def require_root_and_tools():
    if os.geteuid() != 0:
        missing_peer("installing a Debian package needs root (run the system tests as root, as CI does)")
    for tool, package in [("dpkg-deb", "dpkg"), ("dpkg-shlibdeps", "dpkg-dev"), ("setpriv", "util-linux")]:
        if shutil.which(tool) is None:
            missing_peer(f"{tool} is not installed (Debian package {package})")


def run(*argv, timeout=300, check=True, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL,
                            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive", **(env or {})))
    assert result.returncode == 0 or not check, f"{' '.join(map(str, argv))}: {result.stdout}{result.stderr}"
    return result


def build(out: Path, version=None, quick=False) -> dict[str, Path]:
    """scripts/package into `out`: the path of each package's .deb. `quick` compresses with gzip -1
    on one thread instead of xz (seconds instead of a minute and more of both cores, which the
    tests running beside this one need), for a package that only this machine installs."""
    env = {"DPKG_DEB_COMPRESSOR_TYPE": "gzip", "DPKG_DEB_COMPRESSOR_LEVEL": "1", "DPKG_DEB_THREADS_MAX": "1"}
    result = run(ROOT / "scripts" / "package", "--out", out, *(["--version", version] if version else []),
                 timeout=3600, env=env if quick else None)
    return found(out, result.stdout)


def found(folder: Path, listing="") -> dict[str, Path]:
    debs = {}
    for package in PACKAGES:
        candidates = sorted(folder.glob(f"{package}_*.deb"))
        assert len(candidates) == 1, f"one {package} .deb in {folder}, found {candidates}\n{listing}"
        debs[package] = candidates[0]
    return debs


def given_or_built(scratch: Path) -> dict[str, Path]:
    given = os.environ.get("TUNNEL_PACKAGE_DIR")
    return found(Path(given)) if given else build(scratch)


def field(deb: Path, name: str) -> str:
    return run("dpkg-deb", "--field", deb, name).stdout.strip()


def status(package: str) -> str:
    """dpkg's status of the package ("install ok installed", "deinstall ok config-files"), or ""."""
    result = run("dpkg-query", "--show", "--showformat=${Status}", package, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def installed_version(package: str) -> str:
    return run("dpkg-query", "--show", "--showformat=${Version}", package).stdout.strip()


def is_installed(package: str) -> bool:
    return status(package) not in ("", "unknown ok not-installed", "deinstall ok not-installed",
                                   "purge ok not-installed")


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def refuse_foreign():
    """Fails, naming what it found, when this machine already has the packages, their user or
    their files: the tests install and purge their own and must not purge someone's gateway."""
    found_here = [f"package {p} ({status(p)})" for p in PACKAGES if is_installed(p)]
    found_here += [f"user {n}" for n in ["tunnel-agent"] if user_exists(n)]
    found_here += [f"group {n}" for n in ["tunnel-agent"] if group_exists(n)]
    found_here += [str(p) for p in FOREIGN_TRACES if p.exists() or p.is_symlink()]
    if found_here:
        pytest.fail("REFUSED: this machine already has " + ", ".join(found_here) + ". The package tests install "
                    "and purge tunnel-agent and tunnel-relay and would delete them. If they are a failed test's "
                    "leftovers: dpkg --purge tunnel-agent tunnel-relay (and remove what remains by hand).",
                    pytrace=False)


def purge_ours():
    """Purges whichever of the packages is installed (the tests' own, `refuse_foreign` made sure)."""
    present = [p for p in PACKAGES if is_installed(p)]
    if present:
        result = run("dpkg", "--purge", *present, check=False)
        print(f"cleanup: dpkg --purge {' '.join(present)}: exit {result.returncode}\n{result.stdout}{result.stderr}")
