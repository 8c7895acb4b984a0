"""What a test does when a real peer it needs (a program, a Python module) is not here.

CI installs every peer (scripts/install-deps), so under CI (`CI=true`) a missing one fails
the test; anywhere else the test is skipped, loudly, with the reason and the package to
install. Never a silent pass.
"""
import importlib
import os

import pytest


def missing_peer(reason: str, whole_module: bool = False):
    """Fails under CI, skips elsewhere; `reason` names the peer and its Debian package.
    `whole_module` when called while the test module is imported."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"MISSING PEER under CI (scripts/install-deps installs it): {reason}", pytrace=False)
    pytest.skip(f"SKIPPED: {reason}", allow_module_level=whole_module)


def import_peer(module: str, reason: str):
    """The module, or `missing_peer(reason)` for the whole test module when it cannot be
    imported. Call it at the top of a test module (or inside a test)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        missing_peer(reason, whole_module=True)
