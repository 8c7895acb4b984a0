"""Where the programs under test are.

scripts/test builds every program once before the system tests and says where they are in
`TUNNEL_BIN_DIR`; the tests then run those binaries and build nothing. A test run on its own
(`pytest Tests/system/test_x.py`) builds the programs it needs, once per test process.
"""
import functools
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALL_PROGRAMS = ("tunnel-agent", "tunnel-relay", "tunnel-connect", "bms-sim", "tunnel-bench")


def bin_path(programs=ALL_PROGRAMS) -> Path:
    """The folder holding `programs`, built (debug) when scripts/test did not build them."""
    given = os.environ.get("TUNNEL_BIN_DIR")
    if given:
        folder = Path(given)
        missing = [p for p in programs if not (folder / p).is_file()]
        assert not missing, f"TUNNEL_BIN_DIR={given} lacks {missing}; build them (swift build) or unset it"
        return folder
    return _build(tuple(programs))


@functools.cache
def _build(programs: tuple) -> Path:
    # One `swift build` per program: given `--product` more than once, SwiftPM builds only the
    # last, and the tests would run the others as last built.
    for program in programs:
        result = subprocess.run(["swift", "build", "--product", program], cwd=ROOT, capture_output=True, text=True,
                                timeout=1800)
        assert result.returncode == 0, f"swift build --product {program}:\n" + result.stdout[-4000:] + result.stderr[-4000:]
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())
