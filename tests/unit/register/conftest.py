"""Small stores with creditable removals for the register's store, CLI and API tests.

Two parcels of the store tests' bundle: ``p-1`` earns credits in two streams (harvest and
ecosystem) in 2023-2024, ``p-2`` is a net emitter with nothing creditable.
"""

from __future__ import annotations

import os
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


def run_cli(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``bluecarbon ARGS --config CONFIG`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "bluecarbon.cli", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )
