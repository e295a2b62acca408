from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from bluecarbon.errors import InputError
from bluecarbon.ingest.rasters import (
    Scaling,
    arcsi_band_names,
    open_netcdf,
    open_raster,
    open_time_series,
    product_scaling,
    sentinel2_l2a_scaling,
)
from bluecarbon.params import ParameterSet

SHIPPED = ParameterSet.shipped()
ARCSI_SREF = product_scaling("arcsi_sref", parameters=SHIPPED)
LANDSAT_C2_SR = product_scaling("landsat_c2_l2_sr", parameters=SHIPPED)

RUFIJI = "raster/s2_rufiji_delta_mangrove_timeseries"
DEA = "raster/dea_intertidal_ndwi_timeseries/satellite_ds_ndwi.nc"


def write_tif(
    path: Path, data: np.ndarray, *, nodata: float | None = 0, crs: str | None = "EPSG:32650"
) -> Path:
    """A tiled GeoTIFF of ``data`` (band, y, x) with 16 x 16 blocks."""
    profile = {
        "driver": "GTiff",
        "width": data.shape[2],
        "height": data.shape[1],
        "count": data.shape[0],
        "dtype": data.dtype.name,
        "transform": from_origin(500000, 4000000, 10, 10),
        "tiled": True,
        "blockxsize": 16,
        "blockysize": 16,
    }
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def test_scaling_table_values() -> None:
    # Sentinel-2 L2A: (DN + offset) / 10000, offset -1000 from 2022-01-25 (baseline 04.00).
    assert sentinel2_l2a_scaling("2022-01-24", parameters=SHIPPED) == Scaling(1e-4, 0.0)
    assert sentinel2_l2a_scaling("2022-01-25", parameters=SHIPPED) == Scaling(1e-4, -0.1)
    # A reprocessed 2019 scene with baseline 04.00 carries the offset too.
    reprocessed = partial(sentinel2_l2a_scaling, parameters=SHIPPED)
    assert reprocessed("2019-06-01", processing_baseline=4.0) == Scaling(1e-4, -0.1)
    assert reprocessed("2023-06-01", processing_baseline=3.01) == Scaling(1e-4, 0.0)
    assert LANDSAT_C2_SR == Scaling(0.0000275, -0.2)
    assert ARCSI_SREF == Scaling(0.001, 0.0)
    arcsi = ["B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12"]
    assert arcsi_band_names(parameters=SHIPPED) == arcsi
    with pytest.raises(InputError, match="scaling changed over time"):
        product_scaling("sentinel2_l2a", parameters=SHIPPED)
    with pytest.raises(InputError, match="no scaling for product 'modis'"):
        product_scaling("modis", parameters=SHIPPED)


def test_sentinel2_offset_change_across_a_time_series(tmp_path: Path) -> None:
    # The same DN 2000 before and after 2022-01-25: 2000/10000 = 0.2, then (2000-1000)/10000 = 0.1.
    dn = np.full((2, 20, 20), 2000, dtype="uint16")
    dn[:, 0, 0] = 0  # nodata
    a = write_tif(tmp_path / "a.tif", dn)
    b = write_tif(tmp_path / "b.tif", dn)
    cube = open_time_series(
        [b, a],
        ["2022-01-25", "2022-01-24"],
        band_names=["B04", "B08"],
        sensor="sentinel2",
        scaling=partial(sentinel2_l2a_scaling, parameters=SHIPPED),
        parameters=SHIPPED,
    )
    assert [str(t)[:10] for t in cube["time"].values] == ["2022-01-24", "2022-01-25"]
    values = cube.isel(y=5, x=5).values
    np.testing.assert_allclose(values, [[0.2, 0.1], [0.2, 0.1]], rtol=1e-6)
    assert np.isnan(cube.isel(y=0, x=0).values).all()
    assert list(cube["common_name"].values) == ["red", "nir"]


def test_landsat_c2_scaling(tmp_path: Path) -> None:
    # DN 10000 -> 10000 * 0.0000275 - 0.2 = 0.075; DN 0 is fill.
    dn = np.array([[[10000, 0], [43636, 7273]]], dtype="uint16")
    da = open_raster(
        write_tif(tmp_path / "l8.tif", dn),
        band_names=["SR_B5"],
        sensor="landsat_oli",
        scaling=LANDSAT_C2_SR,
        parameters=SHIPPED,
    )
    np.testing.assert_allclose(
        da.values[0], [[0.075, np.nan], [43636 * 2.75e-5 - 0.2, 7273 * 2.75e-5 - 0.2]], rtol=1e-6, atol=1e-7
    )
    assert da["common_name"].item() == "nir08"


def test_bands_are_chosen_by_name_and_unknown_names_fail(raw_dir: Path) -> None:
    path = raw_dir / RUFIJI / "S2_T37MEM_20190605_sref.tif"
    da = open_raster(
        path, sensor="sentinel2", bands=["nir", "B04_red"], scaling=ARCSI_SREF, parameters=SHIPPED
    )
    assert list(da["band"].values) == ["B08_nir", "B04_red"]
    with pytest.raises(InputError, match=r"S2_T37MEM_20190605_sref.tif, band 'B13': band 'B13' not found"):
        open_raster(path, bands=["B13"], parameters=SHIPPED)
    with pytest.raises(InputError, match=r"L7_ETMs.tif, band 'band_1'.*not a band of sensor 'sentinel2'"):
        open_raster(
            raw_dir / "raster/landsat7_olinda_coast/L7_ETMs.tif", sensor="sentinel2", parameters=SHIPPED
        )
    with pytest.raises(InputError, match="2 band names given for 10 bands"):
        open_raster(path, band_names=["a", "b"], parameters=SHIPPED)


def test_strip_file_chunks_follow_blocks(raw_dir: Path) -> None:
    # L7_ETMs.tif is strip-organised (blocks of 3 full rows): chunks hold whole strips.
    da = open_raster(raw_dir / "raster/landsat7_olinda_coast/L7_ETMs.tif", parameters=SHIPPED)
    with rasterio.open(raw_dir / "raster/landsat7_olinda_coast/L7_ETMs.tif") as src:
        block_rows = src.block_shapes[0][0]
    assert all(c % block_rows == 0 for c in da.chunks[1][:-1]) and da.chunks[1][0] > 300
    assert da.chunks[2] == (349,)


def test_nodata_override_and_truncated_file(raw_dir: Path, tmp_path: Path) -> None:
    dn = np.arange(400, dtype="uint16").reshape(1, 20, 20)
    path = write_tif(tmp_path / "n.tif", dn, nodata=None)
    assert np.isnan(open_raster(path, nodata=5, parameters=SHIPPED).values).sum() == 1
    assert not np.isnan(open_raster(path, parameters=SHIPPED).values).any()
    source = raw_dir / RUFIJI / "S2_T37MEM_20190605_sref.tif"
    truncated = tmp_path / "cut.tif"
    shutil.copy(source, truncated)
    with open(truncated, "r+b") as fh:
        fh.truncate(truncated.stat().st_size // 2)
    with pytest.raises(InputError, match=r"cut.tif, band 1: file is truncated"):
        open_raster(truncated, parameters=SHIPPED)
    with pytest.raises(InputError, match="raster file not found"):
        open_raster(tmp_path / "missing.tif", parameters=SHIPPED)


def test_time_series_without_crs_is_named(tmp_path: Path, raw_dir: Path) -> None:
    dn = np.ones((1, 20, 20), dtype="uint16")
    good = write_tif(tmp_path / "good.tif", dn)
    bad = write_tif(tmp_path / "nocrs.tif", dn, crs=None)
    with pytest.raises(InputError, match=r"nocrs.tif: raster has no CRS"):
        open_time_series([good, bad], ["2020-01-01", "2020-02-01"], parameters=SHIPPED)


def test_dea_netcdf_cube(raw_dir: Path) -> None:
    path = raw_dir / DEA
    cube = open_netcdf(path)
    assert cube.dims == ("band", "time", "y", "x")
    assert cube.sizes["time"] == 317 and list(cube["band"].values) == ["ndwi"]
    assert cube.rio.crs.to_epsg() == 3577
    assert tuple(cube.rio.transform())[:6] == (10.0, 0.0, 471320.0, 0.0, -10.0, -1666750.0)
    with netCDF4.Dataset(path) as nc:
        file_chunks = nc.variables["ndwi"].chunking()
        raw = np.ma.filled(nc.variables["ndwi"][:], np.nan)
    assert tuple(c[0] for c in cube.chunks[1:]) == tuple(file_chunks)
    np.testing.assert_array_equal(cube.values[0], raw)
    # README: NaN = masked (~17 % of values).
    assert float(np.isnan(raw).mean()) == pytest.approx(0.17, abs=0.01)


def test_netcdf_errors(raw_dir: Path, tmp_path: Path) -> None:
    path = raw_dir / DEA
    with pytest.raises(InputError, match=r"satellite_ds_ndwi.nc, band 'mndwi': variable 'mndwi' not found"):
        open_netcdf(path, variables=["mndwi"])
    nocrs = tmp_path / "nocrs.nc"
    with netCDF4.Dataset(nocrs, "w") as nc:
        for dim, n in (("time", 2), ("y", 3), ("x", 4)):
            nc.createDimension(dim, n)
        nc.createVariable("ndwi", "f4", ("time", "y", "x"))[:] = np.zeros((2, 3, 4))
    with pytest.raises(InputError, match=r"nocrs.nc: NetCDF has no CRS"):
        open_netcdf(nocrs)
    assert open_netcdf(nocrs, crs="EPSG:3577").rio.crs.to_epsg() == 3577
    corrupt = tmp_path / "corrupt.nc"
    corrupt.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(InputError, match=r"corrupt.nc: cannot read NetCDF"):
        open_netcdf(corrupt)
