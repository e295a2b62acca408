from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from bluecarbon.errors import InputError
from bluecarbon.ingest.rasters import open_raster, open_time_series, product_scaling
from bluecarbon.params import ParameterSet

SHIPPED = ParameterSet.shipped()
RUFIJI = "raster/s2_rufiji_delta_mangrove_timeseries"


def test_open_raster_is_lazy_scaled_masked_and_block_aligned(raw_dir: Path) -> None:
    path = raw_dir / RUFIJI / "S2_T37MEM_20160829_sref.tif"
    da = open_raster(path, scaling=product_scaling("arcsi_sref", parameters=SHIPPED), parameters=SHIPPED)
    assert da.chunks is not None
    assert da.dims == ("band", "y", "x")
    assert list(da["band"].values[:3]) == ["B02_blue", "B03_green", "B04_red"]
    assert da.rio.crs.to_epsg() == 32737
    with rasterio.open(path) as src:
        raw = src.read(7).astype("float64")
        assert all(c % 256 == 0 or c == src.width or c == src.height for c in da.chunks[1] + da.chunks[2])
    nir = da.sel(band="B08_nir").values
    assert np.isnan(nir[raw == 0]).all()
    valid = raw != 0
    np.testing.assert_allclose(nir[valid], raw[valid] * 0.001, rtol=1e-6)


def test_time_series_stacks_dates(raw_dir: Path) -> None:
    files = sorted((raw_dir / RUFIJI).glob("S2_*_2019*.tif"))
    cube = open_time_series(files, [f.name[10:18] for f in files], parameters=SHIPPED)
    assert cube.dims == ("band", "time", "y", "x")
    assert cube.sizes["time"] == len(files) == 6


def test_mismatched_grid_names_the_file(raw_dir: Path) -> None:
    a = raw_dir / RUFIJI / "S2_T37MEM_20190605_sref.tif"
    b = raw_dir / "raster/s2_aberystwyth_coast_20210527/sen2_20210527_aber_subset.tif"
    with pytest.raises(InputError, match=r"sen2_20210527_aber_subset.tif"):
        open_time_series([a, b], ["2019-06-05", "2021-05-27"], parameters=SHIPPED)


def test_no_crs_and_corrupt_files_are_named(tmp_path: Path) -> None:
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(
        nocrs,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="uint8",
        transform=from_origin(0, 4, 1, 1),
    ) as dst:
        dst.write(np.ones((1, 4, 4), dtype="uint8"))
    with pytest.raises(InputError, match=r"nocrs.tif: raster has no CRS"):
        open_raster(nocrs, parameters=SHIPPED)
    corrupt = tmp_path / "corrupt.tif"
    corrupt.write_bytes(b"II*\x00" + b"\x00" * 100)
    with pytest.raises(InputError, match=r"corrupt.tif: cannot read raster"):
        open_raster(corrupt, parameters=SHIPPED)


def test_lazy_rasters_left_open_exit_quietly(tmp_path: Path) -> None:
    """rasterio datasets still open at exit print "Error in sys.excepthook" (rasterio#3563)."""
    import subprocess
    import sys

    path = tmp_path / "tiny.tif"
    profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint8",
               "crs": "EPSG:32650", "transform": from_origin(500000, 4000000, 10, 10)}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((1, 4, 4), dtype="uint8"))
    script = (
        "from bluecarbon.ingest.rasters import open_raster\n"
        "from bluecarbon.params import ParameterSet\n"
        f"print(float(open_raster({str(path)!r}, parameters=ParameterSet.shipped()).sum()))"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "16.0"
    assert "excepthook" not in done.stderr, done.stderr


def test_rasterio_spurious_georef_warning_is_filtered_there_only() -> None:
    """rasterio's in-memory datasets warn "no geotransform" although one is passed: importing
    bluecarbon filters that message from rasterio.features/warp only (process-wide, since
    catch_warnings is not thread-safe). Checked in a fresh process: pytest manages filters."""
    import subprocess
    import sys

    script = (
        "import warnings, bluecarbon\n"
        "from rasterio.errors import NotGeoreferencedWarning as W\n"
        "text = 'Dataset has no geotransform, gcps, or rpcs. The identity matrix will be returned.'\n"
        "for module in ('rasterio.features', 'rasterio.warp', 'rasterio.io'):\n"
        "    warnings.warn_explicit(text, W, module + '.py', 1, module=module, registry={})\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    shown = [line for line in done.stderr.splitlines() if "NotGeoreferencedWarning" in line]
    assert len(shown) == 1 and shown[0].startswith("rasterio.io.py"), done.stderr


def test_truncated_geotiff_whose_block_index_is_cut_off_is_named(raw_dir: Path, tmp_path: Path) -> None:
    """The label map keeps its block index after the pixels: cut in half, GDAL cannot even say
    where the blocks lie, and the failure used to surface deep inside a dask computation."""
    whole = raw_dir / "raster/s2_aberystwyth_coast_20210527/sen2_20210527_aber_cls.tif"
    half = tmp_path / "labels_half.tif"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputError, match=r"labels_half.tif, band 1: file is truncated or damaged"):
        open_raster(half, parameters=SHIPPED)
