from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from bluecarbon.errors import InputError
from bluecarbon.habitat.masks import apply_mask, scl_clear_classes, scl_clear_mask
from bluecarbon.params import ParameterSet
from tests.unit.habitat.helpers import chunkings, raise_on_compute

SHIPPED = ParameterSet.shipped()


def test_keeps_exactly_classes_4_to_7() -> None:
    assert scl_clear_classes(parameters=SHIPPED) == (4, 5, 6, 7)
    # One pixel per SCL class 0-11 plus a nodata pixel (NaN).
    scl = xr.DataArray(np.array([[0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, np.nan, 4]]), dims=("y", "x"))
    clear = scl_clear_mask(scl, parameters=SHIPPED)
    assert clear.values.tolist() == [
        [False, False, False, False, True, True, True],
        [True, False, False, False, False, False, True],
    ]


def test_mask_applies_to_every_band_and_date() -> None:
    scl = xr.DataArray([[[4, 9], [3, 6]]], dims=("time", "y", "x"))  # vegetation, cloud, shadow, water
    cube = xr.DataArray(
        np.ones((2, 1, 2, 2)), dims=("band", "time", "y", "x"), coords={"band": ["B04", "B08"]}
    )
    out = apply_mask(cube, scl_clear_mask(scl, parameters=SHIPPED))
    masked = np.array([[False, True], [True, False]])
    assert np.array_equal(np.isnan(out.values), np.broadcast_to(masked, out.shape))
    assert np.isnan(out.values).sum() == 4  # 2 masked pixels x 2 bands


def test_custom_keep_and_bad_values() -> None:
    scl = xr.DataArray([[4, 6, 8]], dims=("y", "x"))
    assert scl_clear_mask(scl, keep=[6], parameters=SHIPPED).values.tolist() == [[False, True, False]]
    with pytest.raises(InputError, match=r"SCL classes \[12\] do not exist"):
        scl_clear_mask(scl, keep=[12], parameters=SHIPPED)
    reflectance = xr.DataArray([[0.12, 0.3]], dims=("y", "x"))
    with pytest.raises(InputError, match="band 'SCL'"):
        scl_clear_mask(reflectance, parameters=SHIPPED)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**16), st.integers(1, 8), st.integers(1, 8), st.data())
def test_numpy_equals_dask(seed: int, ny: int, nx: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 12, (ny, nx)).astype("float64")
    values[rng.random((ny, nx)) < 0.1] = np.nan
    eager = scl_clear_mask(xr.DataArray(values, dims=("y", "x")), parameters=SHIPPED)
    chunks = data.draw(chunkings((ny, nx)))
    with raise_on_compute():
        lazy = scl_clear_mask(
            xr.DataArray(da.from_array(values, chunks=chunks), dims=("y", "x")), parameters=SHIPPED
        )
    np.testing.assert_array_equal(lazy.values, eager.values)
    np.testing.assert_array_equal(eager.values, np.isin(values, [4, 5, 6, 7]))
