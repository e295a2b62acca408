"""Raster readers returning dask-backed xarray cubes.

Why this shape: every downstream step (indices, classification, stocks) is a lazy xarray
expression, so readers must hand out dask arrays whose chunks follow the file's internal
blocks (reading a chunk then touches whole blocks only), with NaN for nodata in memory and
the CRS attached. Reflectance scaling is applied here, once, from an explicit
:class:`Scaling`, so downstream code always sees physical reflectance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import rioxarray
import xarray as xr
from rasterio.errors import RasterioIOError

from bluecarbon.errors import InputError


@dataclass(frozen=True)
class Scaling:
    """Physical value = DN * scale + offset (applied after masking nodata)."""

    scale: float = 1.0
    offset: float = 0.0


#: ARCSI/rsgislib standardised reflectance (x1000), as in the shipped Sentinel-2 clips.
ARCSI_REFLECTANCE = Scaling(scale=0.001, offset=0.0)


def _block_chunks(path: Path) -> dict[str, int]:
    with rasterio.open(path) as src:
        block_y, block_x = src.block_shapes[0]
    # Group several internal blocks per chunk for small tiles, never split a block.
    factor = max(1, 1024 // max(block_y, block_x))
    return {"band": -1, "y": block_y * factor, "x": block_x * factor}


def open_raster(
    path: str | Path,
    *,
    band_names: Sequence[str] | None = None,
    scaling: Scaling | None = None,
    chunks: dict[str, int] | None = None,
) -> xr.DataArray:
    """Open a GeoTIFF/COG as a lazy ``(band, y, x)`` float32 DataArray.

    Nodata becomes NaN; ``band`` coordinates are ``band_names`` or the file's band
    descriptions; ``scaling`` converts digital numbers to physical values.
    Raises :class:`InputError` naming the file when it cannot be read or has no CRS.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("raster file not found", file=path)
    try:
        da = rioxarray.open_rasterio(path, masked=True, chunks=chunks or _block_chunks(path))
    except (RasterioIOError, OSError) as exc:
        raise InputError(f"cannot read raster: {exc}", file=path, expected="a GeoTIFF/COG") from exc
    assert isinstance(da, xr.DataArray)
    if da.rio.crs is None:
        raise InputError("raster has no CRS", file=path, expected="a georeferenced raster")
    names = list(band_names) if band_names is not None else _band_descriptions(path, da.sizes["band"])
    if len(names) != da.sizes["band"]:
        raise InputError(f"{len(names)} band names given for {da.sizes['band']} bands", file=path)
    da = da.assign_coords(band=names).astype("float32")
    if scaling is not None:
        da = da * np.float32(scaling.scale) + np.float32(scaling.offset)
    da.attrs = {"source_file": path.name}
    da = da.rio.write_crs(da.rio.crs)
    return da


def _band_descriptions(path: Path, count: int) -> list[str]:
    with rasterio.open(path) as src:
        desc = list(src.descriptions)
    if all(d for d in desc) and len(set(desc)) == count:
        return [str(d) for d in desc]
    return [f"band_{i}" for i in range(1, count + 1)]


def open_time_series(
    paths: Sequence[str | Path],
    times: Sequence[pd.Timestamp | str],
    *,
    band_names: Sequence[str] | None = None,
    scaling: Scaling | None = None,
) -> xr.DataArray:
    """Stack single-date rasters of one grid into a lazy ``(band, time, y, x)`` cube.

    All files must share CRS, transform and shape; the first mismatching file is named.
    """
    if len(paths) != len(times):
        raise InputError(f"{len(paths)} files but {len(times)} dates")
    if not paths:
        raise InputError("no rasters given for the time series")
    layers = [open_raster(p, band_names=band_names, scaling=scaling) for p in paths]
    ref = layers[0]
    for path, layer in zip(paths, layers, strict=True):
        if layer.rio.crs != ref.rio.crs:
            raise InputError(
                f"CRS {layer.rio.crs} differs from {ref.rio.crs} of {Path(paths[0]).name}", file=path
            )
        if layer.shape != ref.shape or layer.rio.transform() != ref.rio.transform():
            raise InputError(
                f"grid {layer.shape} {tuple(layer.rio.transform())[:6]} differs from the first file's "
                f"{ref.shape} {tuple(ref.rio.transform())[:6]}",
                file=path,
                expected="all dates on one grid",
            )
        if list(layer["band"].values) != list(ref["band"].values):
            raise InputError("band names differ from the first file's", file=path)
    cube = xr.concat(layers, dim=pd.Index(pd.to_datetime(list(times)), name="time"))
    cube = cube.transpose("band", "time", "y", "x")
    cube.attrs = {"source_files": [Path(p).name for p in paths]}
    return cube.rio.write_crs(ref.rio.crs)
