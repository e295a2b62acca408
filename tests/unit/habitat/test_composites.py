from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from bluecarbon.errors import InputError
from bluecarbon.habitat.composites import (
    exposure_frequency,
    observation_count,
    percentile_composite,
    tide_composite,
    tide_selection,
    water_frequency,
)
from bluecarbon.habitat.rules import classify_rules
from bluecarbon.ingest.rasters import open_netcdf
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import Habitat
from tests.unit.habitat.helpers import chunkings, raise_on_compute

SHIPPED = ParameterSet.shipped()
TIMES = pd.date_range("2020-01-01", periods=5, freq="D")
HEIGHTS = pd.Series([0.5, -1.0, 2.0, -0.3, 1.0], index=TIMES)


def small_cube() -> xr.DataArray:
    values = np.array([[1, 10], [2, np.nan], [3, 30], [4, 40], [5, 50]], dtype="float64")
    return xr.DataArray(
        values[None, :, None, :], dims=("band", "time", "y", "x"), coords={"band": ["ndwi"], "time": TIMES}
    )


def test_tide_selection_by_range_and_quantile() -> None:
    h = HEIGHTS.to_numpy()
    # Range -1..2 (3 m). Low 30 %: h <= -1 + 0.3*3 = -0.1 -> scenes 1 and 3.
    assert tide_selection(h, stage="low", fraction=0.3, by="range").tolist() == [
        False,
        True,
        False,
        True,
        False,
    ]
    # High 40 %: h >= 2 - 0.4*3 = 0.8 -> scenes 2 and 4.
    assert tide_selection(h, stage="high", fraction=0.4, by="range").tolist() == [
        False,
        False,
        True,
        False,
        True,
    ]
    # Quantile 0.4 of (-1, -0.3, 0.5, 1, 2): position 1.6 -> -0.3 + 0.6*0.8 = 0.18 -> scenes 1 and 3.
    assert tide_selection(h, stage="low", fraction=0.4, by="quantile").tolist() == [
        False,
        True,
        False,
        True,
        False,
    ]


def test_low_and_high_tide_composites_by_hand() -> None:
    cube = small_cube()
    low = tide_composite(cube, HEIGHTS, stage="low", fraction=0.3, parameters=SHIPPED)
    # Scenes 1 and 3: pixel 0 median(2, 4) = 3; pixel 1 median(NaN, 40) = 40.
    assert low.sel(band="ndwi").values.ravel().tolist() == [3.0, 40.0]
    assert low.attrs["n_scenes"] == 2 and low.attrs["tide_max_m"] == -0.3
    high = tide_composite(cube, HEIGHTS, stage="high", fraction=0.4, parameters=SHIPPED)
    # Scenes 2 and 4: median(3, 5) = 4; median(30, 50) = 40.
    assert high.sel(band="ndwi").values.ravel().tolist() == [4.0, 40.0]
    # 20th percentile of pixel 0 over all scenes (1..5): position 0.8 -> 1.8.
    assert percentile_composite(cube, 20).values.ravel()[0] == pytest.approx(1.8)


def test_tide_heights_must_cover_every_scene() -> None:
    with pytest.raises(InputError, match="no tide height for 1 scene"):
        tide_composite(small_cube(), HEIGHTS.iloc[:4], parameters=SHIPPED)


def test_water_frequency_by_hand() -> None:
    index = xr.DataArray(
        np.array(
            [
                [0.2, np.nan, 0.0],
                [-0.1, np.nan, 0.0],
                [np.nan, np.nan, 0.0],
                [0.05, np.nan, 0.0],
                [-0.3, np.nan, 0.0],
            ]
        ),
        dims=("time", "x"),
    )
    # Pixel 0: wet at t0 and t3 of 4 valid observations -> 0.5; pixel 1: never observed -> NaN;
    # pixel 2: always exactly 0, not above the threshold -> 0.
    f = water_frequency(index, parameters=SHIPPED).values
    assert f[0] == pytest.approx(0.5) and np.isnan(f[1]) and f[2] == 0.0
    assert exposure_frequency(index, parameters=SHIPPED).values[0] == pytest.approx(0.5)
    assert observation_count(index).values.tolist() == [4, 0, 5]
    assert water_frequency(index, threshold=-0.2, parameters=SHIPPED).values[0] == pytest.approx(0.75)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**16), st.data())
def test_numpy_equals_dask(seed: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1, 1, (7, 4, 5))
    values[rng.random(values.shape) < 0.3] = np.nan
    eager = xr.DataArray(values, dims=("time", "y", "x"), coords={"time": pd.date_range("2020", periods=7)})
    lazy = eager.copy(data=da.from_array(values, chunks=data.draw(chunkings(values.shape))))
    heights = pd.Series(rng.normal(size=7), index=eager["time"].values)
    with raise_on_compute():
        outs = [
            water_frequency(lazy, parameters=SHIPPED),
            percentile_composite(lazy, 30),
            tide_composite(lazy, heights, fraction=0.5, parameters=SHIPPED),
        ]
    expected = [
        water_frequency(eager, parameters=SHIPPED),
        percentile_composite(eager, 30),
        tide_composite(eager, heights, fraction=0.5, parameters=SHIPPED),
    ]
    for got, want in zip(outs, expected, strict=True):
        np.testing.assert_allclose(got.values, want.values, equal_nan=True)


def test_dea_intertidal_cube(raw_dir: Path) -> None:
    cube = open_netcdf(raw_dir / "raster/dea_intertidal_ndwi_timeseries/satellite_ds_ndwi.nc")
    ndwi = cube.sel(band="ndwi")
    observed = ndwi.notnull().sum(("y", "x")).compute() > 0
    ndwi = ndwi.sel(time=observed)
    frequency = water_frequency(ndwi, parameters=SHIPPED).compute()
    assert float(frequency.min()) >= 0.0 and float(frequency.max()) <= 1.0
    # README: every pixel alternates between wet and dry with the tide.
    assert float(((frequency > 0.1) & (frequency < 0.9)).mean()) > 0.8
    # Tide heights supplied per scene. No tide model runs offline here, so the supplied height
    # is a proxy: the share of the scene that is water (rises with the tide on a flat).
    heights = ((ndwi > 0).sum(("y", "x")) / ndwi.notnull().sum(("y", "x"))).to_series()
    low = tide_composite(ndwi, heights, stage="low", parameters=SHIPPED).compute()
    high = tide_composite(ndwi, heights, stage="high", parameters=SHIPPED).compute()
    assert low.attrs["n_scenes"] >= 5 and high.attrs["n_scenes"] >= 5
    assert low.attrs["tide_max_m"] < high.attrs["tide_min_m"]
    # The flat is exposed (NDWI < 0) in the low-tide composite and covered at high tide.
    assert float((low < 0).mean()) > 0.7
    assert float((high > 0).mean()) > 0.7
    # Inundation rules: most of the clip is intertidal flat.
    habitat = classify_rules({"water_frequency": frequency}, "rules_inundation", parameters=SHIPPED)
    assert float((habitat == Habitat.TIDAL_FLAT.code).mean()) > 0.8
