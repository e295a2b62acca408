"""STAC reader tests: a static catalog whose asset hrefs are file:// URLs to the shipped COGs,
read back with pystac exactly as items from a STAC API search would be."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pystac
import pytest
import rasterio
from rasterio.warp import transform_bounds
from shapely.geometry import box, mapping

from bluecarbon.errors import InputError
from bluecarbon.ingest.rasters import Scaling, arcsi_band_names, open_time_series, product_scaling
from bluecarbon.ingest.stac import (
    BandSource,
    open_stac_items,
    read_local_catalog,
    resolve_band,
    resolve_nodata,
    resolve_scaling,
    sentinel2_l2a_item_scaling,
)
from bluecarbon.params import ParameterSet
from tests.unit.habitat.helpers import raise_on_compute

SHIPPED = ParameterSet.shipped()
RUFIJI = "raster/s2_rufiji_delta_mangrove_timeseries"
COMMON = ["blue", "green", "red", "rededge", "rededge", "rededge", "nir", "nir08", "swir16", "swir22"]
WAVELENGTH_UM = [0.4924, 0.5598, 0.6646, 0.7041, 0.7405, 0.7828, 0.8328, 0.8647, 1.6137, 2.2024]


def _item(path: Path, when: dt.datetime, assets: dict[str, pystac.Asset], **props: object) -> pystac.Item:
    with rasterio.open(path) as src:
        bounds = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    item = pystac.Item(
        id=path.stem, geometry=mapping(box(*bounds)), bbox=list(bounds), datetime=when, properties=dict(props)
    )
    for key, asset in assets.items():
        item.add_asset(key, asset)
    return item


def multiband_asset(path: Path) -> pystac.Asset:
    """One COG holding all ten bands, described by eo:bands and raster:bands (STAC 1.0)."""
    return pystac.Asset(
        href=path.resolve().as_uri(),
        media_type=pystac.MediaType.COG,
        roles=["data"],
        extra_fields={
            "eo:bands": [
                {"name": n, "common_name": c, "center_wavelength": w}
                for n, c, w in zip(arcsi_band_names(parameters=SHIPPED), COMMON, WAVELENGTH_UM, strict=True)
            ],
            "raster:bands": [{"scale": 0.001, "offset": 0.0, "nodata": 0} for _ in COMMON],
        },
    )


def save_catalog(folder: Path, items: list[pystac.Item]) -> Path:
    catalog = pystac.Catalog(id="test", description="shipped COGs by file URL")
    for item in items:
        catalog.add_item(item)
    catalog.normalize_hrefs(str(folder))
    catalog.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return folder / "catalog.json"


@pytest.fixture
def rufiji_files(raw_dir: Path) -> list[Path]:
    return sorted((raw_dir / RUFIJI).glob("S2_*_2018*.tif"))


def test_catalog_of_multiband_cogs_matches_the_geotiff_reader(
    rufiji_files: list[Path], tmp_path: Path
) -> None:
    items = [
        _item(f, dt.datetime.strptime(f.name[10:18], "%Y%m%d"), {"reflectance": multiband_asset(f)})
        for f in reversed(rufiji_files)
    ]
    loaded = read_local_catalog(save_catalog(tmp_path / "stac", items))
    assert len(loaded) == 6
    assert loaded[0].assets["reflectance"].href.startswith("file://")
    with raise_on_compute():
        cube = open_stac_items(loaded, bands=["red", "nir", "B11"])
    assert cube.dims == ("band", "time", "y", "x")
    assert list(cube["common_name"].values) == ["red", "nir", "swir16"]
    assert cube["center_wavelength"].values.tolist() == pytest.approx([664.6, 832.8, 1613.7])
    assert cube.rio.crs.to_epsg() == 32737
    assert cube.indexes["time"].is_monotonic_increasing
    reference = open_time_series(
        rufiji_files,
        [f.name[10:18] for f in rufiji_files],
        sensor="sentinel2",
        bands=["red", "nir", "swir16"],
        scaling=product_scaling("arcsi_sref", parameters=SHIPPED),
        parameters=SHIPPED,
    )
    np.testing.assert_array_equal(cube.values, reference.values)
    assert cube.chunks[2:] == reference.chunks[2:]


def test_one_asset_per_band_like_earth_search(
    raw_dir: Path, rufiji_files: list[Path], tmp_path: Path
) -> None:
    items = []
    for f in rufiji_files[:2]:
        assets = {}
        with rasterio.open(f) as src:
            profile = src.profile | {"count": 1}
            for key, index in (("red", 3), ("nir", 7)):
                out = tmp_path / f"{f.stem}_{key}.tif"
                with rasterio.open(out, "w", **profile) as dst:
                    dst.write(src.read(index), 1)
                assets[key] = pystac.Asset(
                    href=out.as_uri(),
                    extra_fields={
                        "eo:bands": [{"name": "B04" if key == "red" else "B08", "common_name": key}],
                        "raster:bands": [{"scale": 0.001, "offset": 0.0, "nodata": 0}],
                    },
                )
        items.append(_item(f, dt.datetime.strptime(f.name[10:18], "%Y%m%d"), assets))
    cube = open_stac_items(read_local_catalog(save_catalog(tmp_path / "stac", items)), bands=["red", "nir"])
    reference = open_time_series(
        rufiji_files[:2],
        [f.name[10:18] for f in rufiji_files[:2]],
        sensor="sentinel2",
        bands=["red", "nir"],
        parameters=SHIPPED,
    )
    np.testing.assert_allclose(cube.values, reference.values * 0.001, rtol=1e-6)


def test_resolution_rules_are_small_and_explicit() -> None:
    assert resolve_nodata(explicit=None, asset=0, file=65535) == 0.0
    assert resolve_nodata(explicit=1, asset=0, file=None) == 1.0
    assert resolve_nodata(explicit=None, asset=None, file=65535) == 65535.0
    assert resolve_nodata(explicit=None, asset=None, file=None) is None
    stac = BandSource(name="red", href="x", index=1, scale=1e-4, offset=-0.1)
    assert resolve_scaling(explicit=None, source=stac) == Scaling(1e-4, -0.1)
    assert resolve_scaling(explicit=Scaling(2.0, 0.0), source=stac) == Scaling(2.0, 0.0)
    assert resolve_scaling(explicit=None, source=BandSource(name="a", href="x", index=1)) is None
    item = pystac.Item(id="s2", geometry=None, bbox=None, datetime=dt.datetime(2023, 5, 1), properties={})
    assert sentinel2_l2a_item_scaling(item, parameters=SHIPPED) == Scaling(1e-4, -0.1)
    item.properties["s2:processing_baseline"] = "03.01"
    assert sentinel2_l2a_item_scaling(item, parameters=SHIPPED) == Scaling(1e-4, 0.0)


def test_errors_name_the_item_file_and_band(raw_dir: Path, rufiji_files: list[Path], tmp_path: Path) -> None:
    first = rufiji_files[0]
    item = _item(first, dt.datetime(2018, 6, 15), {"reflectance": multiband_asset(first)})
    with pytest.raises(InputError, match=r"band 'coastal'.*not found in item 'S2_T37MEM_20180615_sref'"):
        resolve_band(item, "coastal")
    aber = raw_dir / "raster/s2_aberystwyth_coast_20210527/sen2_20210527_aber_subset.tif"
    other = _item(aber, dt.datetime(2021, 5, 27), {"reflectance": multiband_asset(aber)})
    with pytest.raises(InputError, match=r"sen2_20210527_aber_subset.tif: CRS EPSG:27700 differs"):
        open_stac_items([item, other], bands=["red"])
    missing = _item(first, dt.datetime(2018, 6, 15), {"reflectance": multiband_asset(tmp_path / "gone.tif")})
    with pytest.raises(InputError, match=r"gone.tif: raster file not found"):
        open_stac_items([missing], bands=["red"])
    with pytest.raises(InputError, match=r"not a STAC catalog|cannot read STAC catalog"):
        read_local_catalog(first)
