"""Recompute the regional salt-marsh soil stocks of bluecarbon/params/jiaozhou_bay_soil.csv.

The rows marked "bluecarbon computation" in that table are 1 m soil organic carbon stocks of
the Coastal Carbon Library cores shipped in data/raw/field/ccrcn, computed with the pipeline's
own core function (bluecarbon.carbon.cores, METHODS.md section 1): cores of the Yellow Sea and
Bohai coast (lat 34-41.5 N, lon 117-123 E) that reach 1 m, and the Shandong subset of them.

    .venv-test/bin/python scripts/regional_soil_stocks.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bluecarbon.carbon.cores import interval_carbon, stocks_from_intervals
from bluecarbon.ingest.ccn import read_ccn
from bluecarbon.ingest.core_validation import validate_core_tables
from bluecarbon.params import ParameterSet

CCN = Path(__file__).resolve().parents[1] / "data" / "raw" / "field" / "ccrcn"
REGION = {"lat": (34.0, 41.5), "lon": (117.0, 123.0)}
#: Shandong cores (the Fu et al. 2021 / Xia et al. 2022 site labels say Shandong / Yellow River).
SHANDONG_SITES = ("Salt marsh 4", "Salt marsh 5", "Yellow River Estuary")


def regional_stocks(depth_cm: float = 100.0) -> pd.DataFrame:
    parameters = ParameterSet.shipped()
    tables = read_ccn(CCN)
    cores = tables.cores
    inside = cores.latitude.between(*REGION["lat"]) & cores.longitude.between(*REGION["lon"])
    cores = cores[inside]
    depth = tables.depthseries[tables.depthseries.core_id.isin(set(cores.core_id))]
    checked = validate_core_tables(cores, depth, tables.methods, mode="quarantine", parameters=parameters)
    intervals = interval_carbon(checked.cores, checked.depthseries, tables.methods, parameters=parameters)
    stocks = stocks_from_intervals(checked.cores, intervals, depth_cm=depth_cm, parameters=parameters)
    stocks = stocks[stocks.reached_depth].copy()
    stocks["shandong"] = stocks.core_id.astype(str).str.strip().str.startswith(SHANDONG_SITES)
    return stocks


def main() -> int:
    stocks = regional_stocks()
    columns = ["study_id", "core_id", "habitat", "stock_mg_c_ha", "oc_origin", "dbd_origin", "shandong"]
    print(stocks[columns].sort_values(["study_id", "core_id"]).to_string(index=False))
    for label, part in (("Yellow Sea / Bohai", stocks), ("Shandong", stocks[stocks.shandong])):
        s = part.stock_mg_c_ha
        print(f"{label}: n={len(s)} median={s.median():.1f} min={s.min():.1f} max={s.max():.1f} Mg C/ha")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
