"""Shared test set-up.

Prefect reads its settings at import time, so the environment is fixed here, before any
test module imports it: a private PREFECT_HOME per test session (cached results must not
leak between sessions), a long enough ephemeral-server start-up, no telemetry.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="bluecarbon-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def missing_system_package(message: str) -> None:
    """A test needs a system package (Chromium, a CJK font) that ``.ci/run`` installs: on CI
    its absence is a broken environment and fails the test; elsewhere the test skips saying
    which package to install."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI installs it: see .ci/run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    return RAW


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def write_config(folder: Path, **overrides: str) -> Path:
    """A bluecarbon.toml in ``folder`` reading the shipped raw data, writing under ``folder``."""
    values = {
        "raw": str(RAW),
        "study": str(ROOT / "data" / "studies" / "demo.toml"),
        "store": str(folder / "store"),
        "work": str(folder / "work"),
        "catalog": str(folder / "catalog"),
    } | overrides
    path = folder / "bluecarbon.toml"
    path.write_text(
        "\n".join(
            [
                f'[store]\nuri = "{values["store"]}"',
                f'[catalog]\ndir = "{values["catalog"]}"',
                f'[raw]\ndir = "{values["raw"]}"',
                f'[work]\ndir = "{values["work"]}"',
                f'[study]\nfile = "{values["study"]}"',
                f'[prefect]\nhome = "{_PREFECT_HOME}"',
            ]
        )
        + "\n"
    )
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server per session (it costs ~25 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)
