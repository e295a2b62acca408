from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bluecarbon.errors import InputError
from bluecarbon.habitat.indices import spectral_index
from bluecarbon.habitat.rules import classify_rules, rule_indices, rule_set
from bluecarbon.ingest.rasters import open_time_series, product_scaling
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import Habitat
from tests.unit.habitat.helpers import raise_on_compute

SHIPPED = ParameterSet.shipped()

WATER, MARSH, FLAT, OTHER = (
    Habitat.WATER.code,
    Habitat.SALT_MARSH.code,
    Habitat.TIDAL_FLAT.code,
    Habitat.OTHER.code,
)


def test_same_priority_rows_must_all_hold() -> None:
    # rules_intertidal: water if f >= 0.9; marsh if NDVI >= 0.3 AND f >= 0.02; flat if f >= 0.1;
    # other otherwise.
    f = xr.DataArray([0.95, 0.05, 0.05, 0.5, 0.5, 0.01, np.nan], dims="x")
    v = xr.DataArray([0.8, 0.6, 0.1, 0.1, 0.6, 0.6, np.nan], dims="x")
    out = classify_rules({"water_frequency": f, "ndvi": v}, "rules_intertidal", parameters=SHIPPED)
    # 0.95 -> water; (0.05, 0.6) -> marsh; (0.05, 0.1) -> other (f < 0.1, not vegetated);
    # (0.5, 0.1) -> flat; (0.5, 0.6) -> marsh (priority 2 before flat); (0.01, 0.6) -> other
    # (never flooded); all NaN -> NaN.
    assert out.values[:6].tolist() == [WATER, MARSH, OTHER, FLAT, MARSH, OTHER]
    assert np.isnan(out.values[6])
    assert out.attrs["flag_meanings"].split()[Habitat.SALT_MARSH.code - 1] == "salt_marsh"
    assert rule_indices("rules_intertidal", parameters=SHIPPED) == ["water_frequency", "ndvi"]


def test_custom_rule_table_and_errors() -> None:
    table = pd.DataFrame(
        {
            "rule_set": ["mine", "mine"],
            "habitat": ["seagrass", "other"],
            "index": ["ndavi", "ndavi"],
            "operator": [">", ">="],
            "threshold": [0.2, -1.0],
            "priority": [1, 2],
        }
    )
    ndavi = xr.DataArray([0.5, 0.1], dims="x")
    assert classify_rules({"ndavi": ndavi}, "mine", table=table).values.tolist() == [1.0, float(OTHER)]
    with pytest.raises(InputError, match="needs index 'ndavi'"):
        classify_rules({"ndvi": ndavi}, "mine", table=table)
    with pytest.raises(InputError, match="no rules named 'nope'"):
        rule_set("nope", parameters=SHIPPED)
    bad = table.assign(operator=["=>", ">="])
    with pytest.raises(InputError, match="operator '=>'"):
        rule_set("mine", table=bad)
    clash = table.assign(priority=[1, 1])
    with pytest.raises(InputError, match="names several habitats"):
        rule_set("mine", table=clash)


def test_rufiji_mangrove_rules_are_lazy_and_mostly_mangrove(raw_dir: Path) -> None:
    files = sorted((raw_dir / "raster/s2_rufiji_delta_mangrove_timeseries").glob("S2_*_2019*.tif"))
    cube = open_time_series(
        files,
        [f.name[10:18] for f in files],
        sensor="sentinel2",
        scaling=product_scaling("arcsi_sref", parameters=SHIPPED),
        parameters=SHIPPED,
    )
    composite = cube.median("time", skipna=True)
    with raise_on_compute():
        habitat = classify_rules(
            {
                name: spectral_index(composite, name, parameters=SHIPPED)
                for name in rule_indices("rules_mangrove", parameters=SHIPPED)
            },
            "rules_mangrove",
            parameters=SHIPPED,
        )
    assert habitat.chunks is not None
    shares = {
        Habitat.from_code(c).value: float((habitat == c).mean()) for c in (WATER, Habitat.MANGROVE.code)
    }
    assert shares["mangrove"] > 0.8 and 0.01 < shares["water"] < 0.2
