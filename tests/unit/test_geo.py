"""Areas on the ground: one pixel-area rule with one CRS check, one equal-area CRS."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import rioxarray  # noqa: F401
import xarray as xr
from affine import Affine
from shapely.geometry import box

from bluecarbon.errors import InputError
from bluecarbon.geo import EQUAL_AREA_CRS, pixel_area_ha, polygon_area_ha


def _grid(
    crs: str | None, *, dx: float = 20.0, dy: float = -30.0, shape: tuple[int, int] = (3, 4)
) -> xr.DataArray:
    ny, nx = shape
    da = xr.DataArray(
        np.zeros(shape),
        dims=("y", "x"),
        coords={"y": 1000.0 + dy * (np.arange(ny) + 0.5), "x": 500.0 + dx * (np.arange(nx) + 0.5)},
    )
    return da if crs is None else da.rio.write_crs(crs)


def test_pixel_area_of_a_metre_grid_by_hand() -> None:
    # 20 m x 30 m = 600 m2 = 0.06 ha
    assert pixel_area_ha(_grid("EPSG:32650")) == pytest.approx(0.06, rel=1e-12)
    assert pixel_area_ha(_grid(EQUAL_AREA_CRS, dx=10.0, dy=-10.0)) == pytest.approx(0.01, rel=1e-12)


def test_a_single_row_takes_its_pixel_size_from_the_geotransform() -> None:
    row = _grid("EPSG:32650", shape=(1, 4)).rio.write_transform(Affine(20.0, 0, 500.0, 0, -30.0, 1000.0))
    assert pixel_area_ha(row) == pytest.approx(0.06, rel=1e-12)


@pytest.mark.parametrize(
    ("crs", "named"),
    [
        ("EPSG:4326", "EPSG:4326"),
        (None, "no CRS"),
        ("EPSG:2236", "EPSG:2236 (linear units 'US survey foot')"),
    ],
)
def test_pixel_area_refuses_grids_not_projected_in_metres_naming_the_crs(crs: str | None, named: str) -> None:
    with pytest.raises(InputError, match=re.escape(f"cannot measure pixel areas on {named}")) as caught:
        pixel_area_ha(_grid(crs))
    assert caught.value.expected == "a projected CRS in metres (for example UTM or EPSG:6933)"


def test_polygon_area_on_the_equal_area_crs() -> None:
    # 1 km x 0.5 km on EPSG:6933 itself = 50 ha exactly; the same box in UTM is reprojected first
    square = gpd.GeoSeries([box(0, 0, 1000, 500)], crs=EQUAL_AREA_CRS)
    assert polygon_area_ha(square).tolist() == [50.0]
    utm = gpd.GeoSeries([box(500_000, 4_000_000, 501_000, 4_000_500)], crs="EPSG:32650")
    assert polygon_area_ha(utm)[0] == pytest.approx(50.0, rel=2e-3)
    with pytest.raises(InputError, match="polygons have no CRS"):
        polygon_area_ha(gpd.GeoSeries([box(0, 0, 1, 1)]))
