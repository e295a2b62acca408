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


def _bundle_with(key: str, totals: pd.DataFrame, parameters: pd.DataFrame | None = None):
    from dataclasses import replace

    bundle = make_bundle(key)
    tables = {"parcels": bundle.tables["parcels"], "class_totals": totals}
    if parameters is not None:
        tables["parameters"] = parameters
    return replace(bundle, tables=tables)


def test_diff_compares_every_shared_quantity_and_names_added_and_removed_columns(tmp_path: Path) -> None:
    """Text diff used to compare only stock_t_c: a -3.6 % sequestration change showed as "no
    changes per class". Columns are renamed as the accounting evolves: the diff names none."""
    from bluecarbon.cli.difftext import render
    from bluecarbon.params import ParameterSet
    from bluecarbon.store.diff import diff_releases

    base = {"site": ["s", "s"], "year": [2020, 2021], "habitat": ["seagrass"] * 2, "area_ha": [3.0, 3.0]}
    base |= {"stock_t_co2e": [33.0, 33.0]}
    before = pd.DataFrame(base | {"stock_t_c": [9.0, 9.0], "sequestration_t_co2e_yr": [100.0, 100.0]})
    after = pd.DataFrame(base | {"stock_t_c": [9.0, 9.0], "net_flux_t_co2e_yr": [96.4, 100.0]})
    after.loc[1, "area_ha"] = 3.3
    shipped = ParameterSet.shipped().to_frame()
    override = tmp_path / "params"
    override.mkdir()
    text = (
        ParameterSet.shipped()
        .text("soil_defaults")
        .replace("min_cores_for_site_estimate,5,", "min_cores_for_site_estimate,10,")
    )
    (override / "soil_defaults.csv").write_text(text)
    revised = ParameterSet.load(override).to_frame()
    store = Store.open(str(tmp_path / "store"), create=True)
    a = store.publish(_bundle_with("1" * 64, before, shipped), day=date(2026, 1, 1)).release.tag
    b = store.publish(_bundle_with("2" * 64, after, revised), day=date(2026, 2, 1)).release.tag
    d = diff_releases(store, a, b)
    (classes,) = [t for t in d.tables if t.name == "class_totals"]
    assert classes.compared == ["area_ha", "stock_t_co2e", "stock_t_c"]
    assert classes.added_columns == ["net_flux_t_co2e_yr"]
    assert classes.removed_columns == ["sequestration_t_co2e_yr"]
    assert len(classes.changed) == 1 and classes.changed.iloc[0]["area_ha_change_pct"] == pytest.approx(10.0)
    (table,) = d.parameters.tables
    assert table.table == "soil_defaults" and table.status == "changed"
    (row,) = table.rows
    assert row.key == {"parameter": "min_cores_for_site_estimate"} and row.cells == {"value": ("5", "10")}
    lines = render(d)
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    text = "\n".join(lines)
    assert "1 changed parameter table(s)" in text and "value: 5 -> 10" in text
    assert "columns only in" in text and "net_flux_t_co2e_yr" in text
    assert "area_ha" in text and "3.00 -> 3.30 (+0.30, +10.0 %)" in text
    as_json = d.as_json()
    assert list(as_json) == [
        "a",
        "b",
        "identical",
        "changed_objects",
        "changed_inputs",
        "parameters",
        "tables",
    ]
    assert as_json["parameters"]["tables"][0]["rows"][0]["changes"] == {"value": {"a": "5", "b": "10"}}


def test_diff_of_releases_without_pinned_parameters_says_so(two_releases) -> None:
    store, a, b = two_releases
    d = diff_releases(store, a, b)
    assert not d.parameters.available and "predates pinned parameter tables" in (d.parameters.note or "")


def test_flows_are_summed_over_origins_only_for_extensive_quantities() -> None:
    from bluecarbon.store.diff import PARCEL_KEYS, per_key

    flows = pd.DataFrame(
        {
            "parcel_id": ["p"] * 2,
            "kind": ["flow"] * 2,
            "year": [2020] * 2,
            "habitat": ["seagrass"] * 2,
            "area_ha": [1.0, 2.0],
            "net_sequestration_t_c": [5.0, -1.0],
            "period_start": [2018.0, 2018.0],
            "net_sequestration_uncertainty": [0.1, 0.3],
        }
    )
    columns = ["area_ha", "net_sequestration_t_c", "period_start", "net_sequestration_uncertainty"]
    row = per_key(flows, PARCEL_KEYS, columns).iloc[0]
    assert (row["area_ha"], row["net_sequestration_t_c"], row["period_start"]) == (3.0, 4.0, 2018.0)
    assert np.isnan(row["net_sequestration_uncertainty"])  # differs by origin: not summed
