from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import xarray as xr

from bluecarbon.catalog.api import Catalog
from bluecarbon.errors import StoreError
from bluecarbon.store import Store
from bluecarbon.store.diff import diff_releases
from bluecarbon.store.export import export_release

from .conftest import make_bundle


@pytest.fixture
def two_releases(tmp_path: Path) -> tuple[Store, str, str]:
    store = Store.open(str(tmp_path / "store"), create=True)
    a = store.publish(make_bundle("1" * 64), day=date(2026, 1, 1)).release.tag
    b = store.publish(make_bundle("2" * 64, scale=1.5), day=date(2026, 2, 1)).release.tag
    return store, a, b


def test_diff_per_class(two_releases) -> None:
    store, a, b = two_releases
    d = diff_releases(store, a, b)
    assert not d.identical
    row = d.classes[d.classes["year"] == 2020].iloc[0]
    # stock 3.0 t C -> 4.5 t C
    assert (row["stock_t_c_a"], row["stock_t_c_b"]) == pytest.approx((3.0, 4.5))
    assert row["stock_t_c_change"] == pytest.approx(1.5)
    assert row["stock_t_c_change_pct"] == pytest.approx(50.0)
    assert "s/carbon/carbon_stock" in d.changed_objects
    assert "s/habitat/habitat" not in d.changed_objects
    assert diff_releases(store, a, a).identical


def test_export_netcdf_is_cf_with_crs_and_identity(two_releases, tmp_path: Path) -> None:
    store, a, _ = two_releases
    out = tmp_path / "r.nc"
    export_release(store, a, fmt="netcdf", output=out)
    with netCDF4.Dataset(out) as nc:
        assert nc.getncattr("bluecarbon_release") == a
        assert "CC0-1.0" in nc.getncattr("input_licences")
        assert nc["s/habitat/habitat"].dtype == np.uint8
    ds = xr.open_dataset(out, group="s/carbon", decode_coords="all")
    assert ds.rio.crs.to_epsg() == 32618
    assert ds["carbon_stock"].attrs["carbon_basis"] == "C"
    np.testing.assert_array_equal(
        ds["carbon_stock"].values, store.open_product("s/carbon", a)["carbon_stock"].values
    )
    with pytest.raises(StoreError, match="never overwrite"):
        export_release(store, a, fmt="netcdf", output=out)


def test_export_geotiff_geoparquet_gpkg(two_releases, tmp_path: Path) -> None:
    store, _, b = two_releases
    tifs = export_release(store, b, fmt="geotiff", output=tmp_path / "tif", products=["s/carbon"])
    assert sorted(p.name for p in tifs) == [
        "s__carbon__carbon_stock__year2020.tif",
        "s__carbon__carbon_stock__year2021.tif",
    ]
    with rasterio.open(tifs[0]) as src:
        assert src.crs.to_epsg() == 32618
        assert src.tags()["bluecarbon_release"] == b
        assert src.read(1)[0, 0] == pytest.approx(150.0)
    pq = export_release(store, b, fmt="geoparquet", output=tmp_path / "pq")
    assert {p.name for p in pq} == {"parcels.parquet", "class_totals.parquet"}
    assert json.loads((tmp_path / "pq" / "release.json").read_text())["tag"] == b
    gpkg = tmp_path / "t.gpkg"
    export_release(store, b, fmt="gpkg", output=gpkg)
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert layers["parcels"] in ("Polygon", "MultiPolygon") and layers["class_totals"] is None
    with pytest.raises(StoreError, match="not in release"):
        export_release(store, b, fmt="gpkg", output=tmp_path / "x.gpkg", tables=["nope"])


def test_catalog_sql_as_of_and_diff(two_releases) -> None:
    store, a, b = two_releases
    cat = Catalog(store)
    got = cat.sql("SELECT sum(stock_t_c) AS s FROM class_totals", release=a)
    assert got["s"].iloc[0] == pytest.approx(6.0)
    assert cat.sql("SELECT count(*) AS n FROM parcels", release=b)["n"].iloc[0] == 2
    with pytest.raises(StoreError, match="file system operations are disabled"):
        cat.sql("SELECT * FROM read_csv('/etc/hostname')", release=b)
    assert cat.as_of(cat.release(a).created).tag == a
    assert cat.diff(a, b).classes["stock_t_c_change"].sum() == pytest.approx(3.0)
    assert list(cat.releases()["tag"]) == [a, b]


def test_parcel_diff_is_one_row_per_parcel_kind_year_and_habitat() -> None:
    """Parcel totals hold a stock row and a flow row per origin class: the diff sums the flows
    (no cross product of rows sharing parcel, year and habitat)."""
    from bluecarbon.store.diff import PARCEL_KEYS, compare_totals

    def totals(stock: float, flows: tuple[float, float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "parcel_id": ["p-1"] * 3,
                "kind": ["stock", "flow", "flow"],
                "year": [2022] * 3,
                "habitat": ["seagrass"] * 3,
                "from_class": [None, "seagrass", "tidal_flat"],
                "area_ha": [30.0, 20.0, 10.0],
                "stock_t_c": [stock, np.nan, np.nan],
                "sequestration_t_co2e_yr": [np.nan, *flows],
            }
        )

    diff = compare_totals(totals(100.0, (1.0, 2.0)), totals(110.0, (1.5, 2.0)), PARCEL_KEYS)
    assert len(diff) == 2 and set(diff["presence"]) == {"both"}
    row = diff.set_index("kind")
    assert row.loc["stock", "stock_t_c_change"] == pytest.approx(10.0)
    assert row.loc["stock", "stock_t_c_change_pct"] == pytest.approx(10.0)
    assert row.loc["flow", "area_ha_a"] == pytest.approx(30.0)  # 20 + 10 ha of flows
    assert row.loc["flow", "sequestration_t_co2e_yr_change"] == pytest.approx(0.5)
    assert np.isnan(row.loc["flow", "stock_t_c_a"])  # flows carry no stock
