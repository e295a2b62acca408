"""Shared, cached real field data for the unit tests (read once per test session)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from bluecarbon.ingest.ccn import CCNTables, read_ccn
from bluecarbon.ingest.core_validation import ValidatedCores, validate_core_tables
from bluecarbon.params import ParameterSet

RAW = Path(__file__).resolve().parents[2] / "data" / "raw"
FAO = RAW / "field/fao_china_mariculture/fao_fishstat_aquaculture_bivalves_seaweeds_CHN_KOR_JPN_TWN.csv"
FOURQUREAN = RAW / "field/seagrass_biomass_fourqurean2012/Fourqurean_2012_biomass.csv"
LUMCON = RAW / "field/saltmarsh_biomass_lumcon/plotData_2013_2018.csv"


@cache
def ccn() -> CCNTables:
    return read_ccn(RAW / "field/ccrcn")


@cache
def ccn_quarantined() -> ValidatedCores:
    t = ccn()
    return validate_core_tables(
        t.cores, t.depthseries, t.methods, mode="quarantine", parameters=ParameterSet.shipped()
    )


def cores(*rows: tuple[str, str, str], **extra: object) -> pd.DataFrame:
    """A small CCN-like cores table: (study_id, core_id, habitat) per row."""
    return pd.DataFrame(
        [
            {
                "study_id": s,
                "site_id": "site",
                "core_id": c,
                "habitat": h,
                "latitude": 36.0,
                "longitude": 120.3,
                "source_folder": s,
            }
            | extra
            for s, c, h in rows
        ]
    )


def intervals(*rows: dict[str, object], study: str = "S", core: str = "A") -> pd.DataFrame:
    """A small CCN-like depth-series table; unspecified measurements are NaN."""
    base = {
        "study_id": study,
        "core_id": core,
        "representative_depth_min": np.nan,
        "representative_depth_max": np.nan,
        "dry_bulk_density": np.nan,
        "fraction_organic_matter": np.nan,
        "fraction_carbon": np.nan,
        "compaction_fraction": np.nan,
    }
    return pd.DataFrame([base | r for r in rows])


def layered(
    depths: list[tuple[float, float]],
    *,
    dbd: float = 1.0,
    foc: float = 0.02,
    study: str = "S",
    core: str = "A",
) -> pd.DataFrame:
    """Contiguous or gapped intervals with one density and organic-carbon fraction."""
    return intervals(
        *[
            {"depth_min": a, "depth_max": b, "dry_bulk_density": dbd, "fraction_carbon": foc}
            for a, b in depths
        ],
        study=study,
        core=core,
    )
