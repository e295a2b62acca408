"""Speed of core stocks on all CCN cores, and skill of extrapolation below the core.

Run: ``.venv-test/bin/python benchmarks/core_stocks.py`` (from the repository root). Prints
the wall time of validation (quarantine) and of ``core_stocks`` at 30 and 100 cm for all
13,687 CCN cores, then the truncation test of the extrapolation (Young et al. 2018): full
cores cut at 30, 50 and 75 cm, extrapolated to 100 cm and compared with their measured stock.
The numbers feed ``params/core_uncertainty.csv`` (``extrapolation_relative_se``) and
``params/soil_defaults.csv`` (``extrapolation_max_exponent``). Not a test: no assertions.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bluecarbon.carbon.cores import core_stocks, extrapolation_skill, horizons, interval_carbon
from bluecarbon.ingest.ccn import read_ccn
from bluecarbon.ingest.core_validation import validate_core_tables
from bluecarbon.params import ParameterSet

SHIPPED = ParameterSet.shipped()

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    start = time.perf_counter()
    tables = read_ccn(ROOT / "data/raw/field/ccrcn")
    read = time.perf_counter()
    checked = validate_core_tables(
        tables.cores, tables.depthseries, tables.methods, mode="quarantine", parameters=SHIPPED
    )
    validated = time.perf_counter()
    stocks = {
        depth: core_stocks(
            checked.cores, checked.depthseries, depth_cm=depth, methods=tables.methods, parameters=SHIPPED
        )
        for depth in (30.0, 100.0)
    }
    done = time.perf_counter()
    sys.stdout.write(
        f"CCN cores: {len(tables.cores)} ({checked.n_held_back} held back by validation)\n"
        f"read {read - start:.2f} s, validate {validated - read:.2f} s, "
        f"core_stocks at 30 and 100 cm {done - validated:.2f} s, total {done - start:.2f} s\n"
    )
    for depth, frame in stocks.items():
        sys.stdout.write(f"cores reaching {depth:g} cm: {int(frame['reached_depth'].sum())}\n")

    h = horizons(
        interval_carbon(checked.cores, checked.depthseries, tables.methods, parameters=SHIPPED),
        parameters=SHIPPED,
    )
    skill = extrapolation_skill(h, depth_cm=100.0, truncate_at=(30.0, 50.0, 75.0), parameters=SHIPPED)
    grouped = skill.groupby("truncated_at_cm")
    summary = pd.DataFrame(
        {
            "n": grouped.size(),
            "stock_bias_median": grouped["relative_error"].median(),
            "stock_abs_error_median": grouped["relative_error"].agg(lambda r: r.abs().median()),
            "stock_rmse": grouped["relative_error"].agg(lambda r: float(np.sqrt((r**2).mean()))),
            "increment_bias_median": grouped["increment_relative_error"].median(),
            "increment_robust_sd": grouped["increment_relative_error"].agg(
                lambda r: 1.4826 * r.abs().median()
            ),
        }
    )
    sys.stdout.write("extrapolation to 100 cm of truncated full cores (relative errors):\n")
    sys.stdout.write(summary.round(3).to_string() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
