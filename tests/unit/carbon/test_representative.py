"""Which cores represent a site: distance, setting, minimum count, uncertainty, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bluecarbon.carbon.representative import core_settings, great_circle_km, representative_soil_density
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import Habitat

SHIPPED = ParameterSet.shipped()


def test_great_circle_by_hand() -> None:
    # one degree of latitude on the mean sphere: 2 pi 6371.0088 / 360 = 111.19508 km
    assert great_circle_km(np.array([0.0]), np.array([1.0]), 0.0, 0.0)[0] == pytest.approx(
        111.19508, rel=1e-6
    )
    # Jiaozhou Bay (120.25 E, 36.15 N) to Laizhou Bay cores (119.37 E, 37.09 N): ~130.7 km
    assert great_circle_km(np.array([119.37]), np.array([37.09]), 120.25, 36.15)[0] == pytest.approx(
        130.7, abs=0.5
    )


def _cores(rows: list[tuple[str, str, str, float, float, float, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(core_stocks, cores) from (study, site, core, lon, lat, stock, setting)."""
    cores = pd.DataFrame(
        [
            {
                "study_id": s,
                "site_id": site,
                "core_id": c,
                "longitude": lon,
                "latitude": lat,
                "setting": setting,
            }
            for s, site, c, lon, lat, _, setting in rows
        ]
    )
    stocks = pd.DataFrame(
        [
            {
                "study_id": s,
                "core_id": c,
                "habitat": "salt_marsh",
                "stock_mg_c_ha": v,
                "reached_depth": True,
                "extrapolated": False,
            }
            for s, _, c, _, _, v, _ in rows
        ]
    )
    return stocks, cores


def test_nearby_cores_of_the_setting_give_the_density_and_its_uncertainty() -> None:
    # five siliciclastic cores at two sites ~111 km north; a carbonate core and a far core left out
    rows = [
        ("a", "s1", "1", 0.0, 1.0, 60.0, "siliciclastic"),
        ("a", "s1", "2", 0.0, 1.0, 80.0, "unknown"),
        ("a", "s1", "3", 0.0, 1.0, 70.0, "siliciclastic"),
        ("b", "s2", "4", 0.0, 1.0, 100.0, "siliciclastic"),
        ("b", "s2", "5", 0.0, 1.0, 120.0, "siliciclastic"),
        ("c", "s3", "6", 0.0, 1.0, 500.0, "carbonate"),
        ("d", "s4", "7", 0.0, 10.0, 900.0, "siliciclastic"),  # 1,112 km away
    ]
    stocks, cores = _cores(rows)
    out = representative_soil_density(
        stocks,
        cores,
        [Habitat.SALT_MARSH],
        site_point=(0.0, 0.0),
        setting="siliciclastic",
        parameters=SHIPPED,
    ).iloc[0]
    assert out["density_source"] == "cores_regional"
    assert (out["n_cores"], out["n_studies"], out["n_sites"]) == (5, 2, 2)
    assert out["soil_mg_c_ha"] == pytest.approx(86.0)  # mean of 60, 80, 70, 100, 120
    # site means 70 and 110: SD 28.2843; sampling SE = 28.2843 / sqrt(2) = 20; cores 111 km away,
    # beyond local_cores_km (25): representativeness = 28.2843; total sqrt(20^2 + 28.2843^2)
    assert out["sampling_se_mg_c_ha"] == pytest.approx(20.0)
    assert out["representativeness_se_mg_c_ha"] == pytest.approx(np.sqrt(800.0))
    assert out["soil_se_mg_c_ha"] == pytest.approx(np.sqrt(400.0 + 800.0))
    assert out["median_distance_km"] == pytest.approx(111.195, rel=1e-4)
    assert out["flags"] == "distant_cores"  # beyond distant_cores_km (100)


def test_local_cores_carry_no_representativeness_term() -> None:
    rows = [("a", f"s{i}", str(i), 0.0, 0.01, 100.0 + 10 * i, "unknown") for i in range(6)]
    stocks, cores = _cores(rows)
    out = representative_soil_density(
        stocks, cores, [Habitat.SALT_MARSH], site_point=(0.0, 0.0), setting=None, parameters=SHIPPED
    ).iloc[0]
    assert out["representativeness_se_mg_c_ha"] == 0.0 and out["flags"] == ""
    assert out["soil_se_mg_c_ha"] == pytest.approx(
        np.std([100, 110, 120, 130, 140, 150], ddof=1) / np.sqrt(6)
    )


def test_too_few_cores_fall_back_to_tier1_with_a_flag() -> None:
    rows = [("a", "s", str(i), 0.0, 1.0, 80.0, "carbonate") for i in range(9)]  # wrong setting
    stocks, cores = _cores(rows)
    out = representative_soil_density(
        stocks,
        cores,
        [Habitat.SALT_MARSH],
        site_point=(0.0, 0.0),
        setting="siliciclastic",
        parameters=SHIPPED,
    ).iloc[0]
    assert out["density_source"] == "ipcc_tier1" and out["flags"] == "tier1_density"
    assert out["soil_mg_c_ha"] == 255.0 and "0 found" in out["rule"]
    # IPCC range 254-297 -> SE 10.9696; representativeness 0.30 x 255 = 76.5
    assert out["soil_se_mg_c_ha"] == pytest.approx(np.hypot((297 - 254) / 3.919928, 76.5), rel=1e-5)


def test_unknown_setting_and_selection_keys_are_refused() -> None:
    stocks, cores = _cores([("a", "s", "1", 0.0, 0.0, 1.0, "unknown")])
    with pytest.raises(InputError, match="setting"):
        representative_soil_density(
            stocks, cores, [Habitat.SALT_MARSH], site_point=(0.0, 0.0), setting="sandy", parameters=SHIPPED
        )
    with pytest.raises(InputError, match="bbox"):
        representative_soil_density(
            stocks,
            cores,
            [Habitat.SALT_MARSH],
            site_point=(0.0, 0.0),
            setting=None,
            parameters=SHIPPED,
            selections={"salt_marsh": {"bbox": [0, 0, 1, 1]}},
        )


def test_core_settings_from_total_and_organic_carbon() -> None:
    intervals = pd.DataFrame(
        {
            "study_id": ["fb", "fb", "tb", "x"],
            "core_id": ["1", "1", "2", "3"],
            "trap": [True, True, True, False],
            "fraction_carbon": [0.12, 0.11, 0.02, 0.3],  # total carbon (Fourqurean rows)
            "fraction_organic_matter": [0.015, 0.015, 0.01, 0.5],  # organic carbon there
        }
    )
    out = core_settings(intervals, parameters=SHIPPED).set_index("core_id")
    # Florida Bay-like: inorganic C 0.105 and 0.095 -> CaCO3 8.333 x 0.1 = 0.8333: carbonate
    assert out.loc["1", "carbonate_fraction"] == pytest.approx(0.1 * 100.0869 / 12.0107)
    assert out.loc["1", "setting"] == "carbonate"
    assert out.loc["2", "setting"] == "siliciclastic"  # 0.01 x 8.333 = 0.083
    assert out.loc["3", "setting"] == "unknown"  # no total carbon measured
