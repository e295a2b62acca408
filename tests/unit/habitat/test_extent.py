from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401
import xarray as xr

from bluecarbon.errors import InputError
from bluecarbon.habitat.accuracy import area_estimate
from bluecarbon.habitat.extent import (
    ACCURACY_COLUMNS,
    AREA_COLUMNS,
    accuracy_from_estimate,
    accuracy_not_assessed,
    area_from_estimate,
    area_with_default_ci,
    default_relative_ci,
    mapped_area,
)
from bluecarbon.params import ParameterSet
from bluecarbon.store.schema import TABLES
from bluecarbon.vocab import Habitat

SHIPPED = ParameterSet.shipped()
S, W = Habitat.SEAGRASS.code, Habitat.WATER.code


def habitat_map(crs: str = "EPSG:32650") -> xr.DataArray:
    values = np.array([[[S, S, W], [W, W, np.nan]], [[S, W, W], [W, W, W]]], dtype="float32")
    da = xr.DataArray(
        values,
        dims=("year", "y", "x"),
        coords={"year": [2020, 2021], "y": [15.0, 5.0], "x": [5.0, 15.0, 25.0]},
    )
    return da.chunk({"year": 1}).rio.write_crs(crs)


def test_mapped_area_counts_pixels() -> None:
    # 10 m pixels = 0.01 ha. 2020: 2 seagrass, 3 water (one NaN); 2021: 1 seagrass, 5 water.
    area = mapped_area(habitat_map())
    assert area.to_dict("records") == [
        {"year": 2020, "habitat": "seagrass", "area_ha": pytest.approx(0.02)},
        {"year": 2020, "habitat": "water", "area_ha": pytest.approx(0.03)},
        {"year": 2021, "habitat": "seagrass", "area_ha": pytest.approx(0.01)},
        {"year": 2021, "habitat": "water", "area_ha": pytest.approx(0.05)},
    ]
    with pytest.raises(InputError, match="cannot measure pixel areas on EPSG:4326"):
        mapped_area(habitat_map("EPSG:4326"))


def test_unassessed_area_gets_the_documented_default() -> None:
    relative, label = default_relative_ci("survey_polygons", parameters=SHIPPED)
    assert relative == 0.10 and "verified=False" in label
    table = area_with_default_ci(
        mapped_area(habitat_map()), site="s", area_source="classified_imagery", parameters=SHIPPED
    )
    assert tuple(table.columns) == AREA_COLUMNS
    # classified_imagery default: 25 % of mapped area, e.g. 0.02 ha -> 0.005 ha.
    assert table["area_ci_ha"].tolist() == pytest.approx([0.005, 0.0075, 0.0025, 0.0125])
    assert table["area_ci_ha"].notna().all()
    assert set(TABLES["habitat_area"].required_columns) <= set(table.columns)
    with pytest.raises(InputError, match="no default area uncertainty for 'guess'"):
        default_relative_ci("guess", parameters=SHIPPED)


def test_not_assessed_says_so_and_invents_nothing() -> None:
    acc = accuracy_not_assessed(mapped_area(habitat_map()), site="s", reason="no reference sample")
    assert tuple(acc.columns) == ACCURACY_COLUMNS
    assert set(TABLES["accuracy"].required_columns) <= set(acc.columns)
    assert (acc["status"] == "not assessed").all() and (acc["n_samples"] == 0).all()
    assert acc["reference"].iloc[0] == "none: no reference sample"
    numeric = ["users_accuracy", "producers_accuracy", "overall_accuracy", "area_ci_ha", "users_accuracy_ci"]
    assert acc[numeric].isna().all().all()


def test_assessed_tables_carry_the_estimate() -> None:
    counts = pd.DataFrame([[45, 5], [2, 48]], index=["seagrass", "water"], columns=["seagrass", "water"])
    est = area_estimate(counts, pd.Series({"seagrass": 100.0, "water": 900.0}))
    # Seagrass area: 100*45/50 + 900*2/50 = 90 + 36 = 126 ha.
    area = area_from_estimate(est, site="s", year=2021)
    assert area.set_index("habitat").loc["seagrass", "area_ha"] == pytest.approx(126.0)
    assert (area["area_source"] == "error_adjusted_estimate").all()
    acc = accuracy_from_estimate(
        est, site="s", year=2021, reference="field plots", sample_design="stratified"
    )
    assert (acc["status"] == "assessed").all()
    assert acc.set_index("habitat").loc["seagrass", "users_accuracy"] == pytest.approx(0.9)
    assert acc["overall_accuracy"].nunique() == 1
