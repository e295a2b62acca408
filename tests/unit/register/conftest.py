"""Small stores with creditable removals for the register's store, CLI and API tests.

Two parcels of the store tests' bundle: ``p-1`` earns credits in two streams (harvest and
ecosystem) in 2023-2024, ``p-2`` is a net emitter with nothing creditable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from bluecarbon.store import Store
from tests.unit.store.conftest import make_bundle


def credits_frame(p1_harvest: float = 10.0, p1_ecosystem: float = 2.5) -> pd.DataFrame:
    """parcel_credits rows: creditable tonnes equal net removals (no deduction) for simplicity."""
    rows = [
        ("p-1", "harvest", 2023, 2024, p1_harvest, p1_harvest),
        ("p-1", "ecosystem", 2023, 2024, p1_ecosystem, p1_ecosystem),
        ("p-1", "harvest", 2022, 2023, 4.0, 4.0),
        ("p-2", "ecosystem", 2023, 2024, -3666.2, 0.0),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "parcel_id",
            "stream",
            "period_start",
            "period_end",
            "net_removals_t_co2e",
            "creditable_t_co2e",
        ],
    )


def publish(store: Store, key: str, day: date, **credits: float) -> str:
    bundle = make_bundle(key * 64)
    bundle = replace(bundle, tables={**bundle.tables, "parcel_credits": credits_frame(**credits)})
    return store.publish(bundle, day=day).release.tag


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Store, str]:
    """(bluecarbon.toml, store, tag) with one release: p-1 credits 12.5 t CO2e in 2023-2024."""
    store = Store.open(str(tmp_path / "store"), create=True)
    tag = publish(store, "1", date(2026, 1, 1))
    cfg = tmp_path / "bluecarbon.toml"
    cfg.write_text(f'[store]\nuri = "{tmp_path / "store"}"\n[catalog]\ndir = "{tmp_path / "catalog"}"\n')
    return cfg, store, tag


#: A native thread pool (Arrow's, under deltalake) torn down while a worker is still alive makes
#: the interpreter abort at exit, after the command has done its work and printed its result
#: (apache/arrow#34314, delta-io/delta-rs#2184); seen rarely, on a loaded machine.
EXIT_ABORT = "terminate called without an active exception"


def run_cli(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``bluecarbon ARGS --config CONFIG`` in a fresh interpreter. An abort at interpreter exit
    (:data:`EXIT_ABORT`) is reported as the exit code the command itself returned: 1 when it
    printed an error (``error: ...`` or ``... FAILED verification``), else 0."""
    result = subprocess.run(
        [sys.executable, "-m", "bluecarbon.cli", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )
    if result.returncode == -signal.SIGABRT and EXIT_ABORT in result.stderr:
        rest = result.stderr.replace(EXIT_ABORT, "").strip()
        failed = any(line.startswith("error:") or "FAILED" in line for line in rest.splitlines())
        result.returncode = 1 if failed else 0
        result.stderr = rest
    return result
