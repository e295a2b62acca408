"""Stratum statistics (VM0033 v2.1 section 8.5) by hand, and core strata eligibility."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bluecarbon.carbon.stocks import soil_density_by_habitat
from bluecarbon.carbon.strata import core_strata, stratum_summary
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import Habitat

SHIPPED = ParameterSet.shipped()


def test_summary_by_hand() -> None:
    frame = pd.DataFrame(
        {"g": ["a"] * 4 + ["b"], "v": [1.0, 2.0, 3.0, 4.0, 7.0], "se": [0.1, 0.1, 0.2, 0.2, 1.0]}
    )
    out = stratum_summary(frame, by="g", value="v", unit_se="se").set_index("g")
    a = out.loc["a"]
    # mean 2.5; SD = sqrt(((1.5^2+0.5^2)*2)/3) = sqrt(5/3) = 1.290994; SE = SD/2 = 0.645497
    assert (a["n"], a["mean"], a["median"]) == (4, 2.5, 2.5)
    assert a["sd"] == pytest.approx(math.sqrt(5 / 3))
    assert a["se"] == pytest.approx(math.sqrt(5 / 3) / 2)
    # t(0.95, 3) = 2.353363; half-width = 2.353363 * 0.645497 = 1.519090; 60.76 % of the mean
    assert a["t90"] == pytest.approx(2.353363, abs=1e-6)
    assert a["ci90_half_width"] == pytest.approx(2.353363 * 0.645497, rel=1e-5)
    assert a["uncertainty_pct"] == pytest.approx(100 * 2.353363 * 0.645497 / 2.5, rel=1e-5)
    assert (a["ci90_low"], a["ci90_high"]) == pytest.approx((2.5 - 1.519090, 2.5 + 1.519090), rel=1e-5)
    # within-unit SE: sqrt(0.01+0.01+0.04+0.04)/4 = 0.316228/4
    assert a["unit_se"] == pytest.approx(math.sqrt(0.1) / 4)
    b = out.loc["b"]
    assert b["n"] == 1 and np.isnan(b["sd"]) and np.isnan(b["ci90_half_width"])


def _stocks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "study_id": ["S"] * 4,
            "site_id": ["x", "x", "y", "y"],
            "core_id": ["A", "B", "C", "D"],
            "habitat": ["salt_marsh"] * 4,
            "depth_cm": [100.0] * 4,
            "stock_mg_c_ha": [100.0, 200.0, 300.0, 40.0],
            "stock_se_mg_c_ha": [10.0, 10.0, 10.0, 5.0],
            "reached_depth": [True, True, True, False],
            "extrapolated": [False, False, False, False],
        }
    )


def test_core_strata_leave_out_short_cores_and_count_them() -> None:
    species = pd.DataFrame(
        {
            "study_id": ["S", "S", "S"],
            "core_id": ["A", "B", "B"],
            "species_code": ["Spartina", "Spartina", "Suaeda"],
        }
    )
    out = core_strata(_stocks(), species=species)
    habitat = out[out["stratum_kind"] == "habitat"].iloc[0]
    assert (habitat["n"], habitat["mean"], habitat["n_excluded"]) == (3, 200.0, 1)
    spartina = out[(out["stratum_kind"] == "species") & (out["stratum"] == "Spartina")].iloc[0]
    assert (spartina["n"], spartina["mean"]) == (2, 150.0)
    sites = out[out["stratum_kind"] == "site"].set_index("stratum")
    assert sites.loc["S/x", "mean"] == 150.0 and sites.loc["S/y", "n_excluded"] == 1
    assert set(out["units"]) == {"Mg ha-1"} and set(out["carbon_basis"]) == {"C"}


def test_soil_density_uses_cores_or_tier1_with_its_uncertainty() -> None:
    out = soil_density_by_habitat(
        _stocks(), [Habitat.SALT_MARSH, Habitat.SEAGRASS], parameters=SHIPPED, min_cores=3
    ).set_index("habitat")
    marsh = out.loc["salt_marsh"]
    assert (marsh["density_source"], marsh["n_cores"], marsh["soil_mg_c_ha"]) == ("cores_global", 3, 200.0)
    assert marsh["soil_se_mg_c_ha"] == pytest.approx(100.0 / math.sqrt(3))  # SD 100
    assert marsh["soil_ci90_mg_c_ha"] == pytest.approx(2.919986 * 100 / math.sqrt(3), rel=1e-6)  # t(0.95, 2)
    seagrass = out.loc["seagrass"]
    assert (seagrass["density_source"], seagrass["soil_mg_c_ha"]) == ("ipcc_tier1", 108.0)
    # IPCC 84-139 as a 95 % range: SE = (139 - 84) / 2 / 1.959964
    assert seagrass["soil_se_mg_c_ha"] == pytest.approx(55 / 2 / 1.959964, rel=1e-6)
