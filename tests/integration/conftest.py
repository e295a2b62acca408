"""Integration fixtures: one real demo run per session, shared by the modules that need a
published demo release (it costs ~1 min on two cores)."""

from __future__ import annotations

import csv
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_config


class NetworkMonitor:
    """Records outbound connections to anything but loopback while active."""

    def __init__(self) -> None:
        self.remote: list[Any] = []
        self._connect = socket.socket.connect

    def __enter__(self) -> NetworkMonitor:
        monitor = self

        def connect(sock: socket.socket, address: Any) -> Any:
            host = address[0] if isinstance(address, tuple) else address
            if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in (
                "127.0.0.1",
                "::1",
                "localhost",
            ):
                monitor.remote.append(address)
            return monitor._connect(sock, address)

        socket.socket.connect = connect  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        socket.socket.connect = self._connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def demo_project(
    tmp_path_factory: pytest.TempPathFactory, prefect_harness
) -> Iterator[tuple[Path, dict, list]]:
    """(project folder, outcome of the first monitoring run, remote connections seen).

    Built once per session and shared, so it is read-only: a test that writes copies it first
    (:func:`copy_project`, :func:`warm_work`). The session fails at teardown if anything in it
    changed."""
    from flows.monitoring import monitoring

    folder = tmp_path_factory.mktemp("demo")
    config = write_config(folder)
    with NetworkMonitor() as net:
        outcome = monitoring(config=str(config))
    before = _tree_state(folder)
    yield folder, outcome, net.remote
    changed = sorted(set(before.items()) ^ set(_tree_state(folder).items()))
    assert not changed, f"a test wrote into the shared demo project: {changed[:10]}"


def _tree_state(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file under the demo's store, work folder and catalog."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for name in ("store", "work", "catalog")
        for p in (folder / name).rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    }


def warm_work(demo_folder: Path, folder: Path) -> Path:
    """A copy of the demo's step cache in ``folder``: a run there reuses every finished step
    and writes only into the copy."""
    shutil.copytree(demo_folder / "work", folder / "work")
    return folder / "work"


@pytest.fixture(scope="session")
def prefect_api_url(prefect_harness) -> str:
    """The session's Prefect test server: subprocess runs (``bluecarbon run`` in a fresh
    interpreter) given ``PREFECT_API_URL`` use it instead of starting their own (~25 s)."""
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def copy_project(demo_folder: Path, folder: Path, **overrides: str) -> Path:
    """A project in ``folder`` holding a copy of the demo store, catalog and step cache: tests
    that write never touch the session's demo project. Returns its bluecarbon.toml."""
    shutil.copytree(demo_folder / "store", folder / "store")
    shutil.copytree(demo_folder / "catalog", folder / "catalog")
    warm_work(demo_folder, folder)
    return write_config(folder, **overrides)


#: The analyst's revision behind the second release of ``notebook_project``.
REVISED_MIN_CORES = 20


@pytest.fixture(scope="session")
def notebook_project(demo_project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with two releases, for the notebooks and the plot commands: the demo release
    (copied from ``demo_project``, not rerun) and a second one after an analyst's revision of
    ``soil_defaults.csv`` (a regional soil density needs at least 20 cores reaching 1 m, so
    the 10 mangrove cores of Old Tampa Bay, the 16 salt-marsh cores of Aberystwyth and the 15
    of Jiaozhou Bay give way to IPCC Tier 1, while Old Tampa Bay's 21 marsh cores still count).

    The copied work folder keeps the step cache warm: only the soil and carbon steps rerun.
    """
    from bluecarbon.params import shipped_folder
    from flows.monitoring import monitoring

    demo_folder, _, _ = demo_project
    folder = tmp_path_factory.mktemp("notebooks")
    for name in ("store", "work"):
        shutil.copytree(demo_folder / name, folder / name)
    overrides = folder / "params"
    overrides.mkdir()
    with (shipped_folder() / "soil_defaults.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["parameter"] == "min_cores_for_site_estimate":
            row["value"] = str(REVISED_MIN_CORES)
            row["source"] = (
                f"analyst revision: a regional estimate needs at least {REVISED_MIN_CORES} cores reaching 1 m"
            )
    with (overrides / "soil_defaults.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    config = write_config(folder)
    config.write_text(config.read_text() + f'[params]\ndir = "{overrides}"\n')
    outcome = monitoring(config=str(config))
    assert outcome["published"], "the revised table makes a second release"
    return folder
