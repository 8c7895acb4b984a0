"""Fixtures the system test files share (pytest finds them here). A file that needs other
programs or another set-up defines its own `bin_dir` or `system`, which wins over these."""
import pytest

from mqtt_fixtures import System, build_binaries, require_mqtt_tools


@pytest.fixture(scope="module")
def bin_dir():
    """The four programs of a gateway and a relay (see programs.py)."""
    require_mqtt_tools()
    return build_binaries()


@pytest.fixture
def system(bin_dir, tmp_path):
    """A test's own folder and the programs it starts, all stopped at its end, failed or not."""
    require_mqtt_tools()
    s = System(bin_dir, tmp_path)
    yield s
    s.close()
