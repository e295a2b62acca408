"""Parcels on carbon grids: zone rasters and zonal totals.

Why a zone raster: a parcel total is a sum over the parcel's pixels of a per-hectare value
times the pixel area. Burning the parcels into an integer raster on the product's own grid
(lazily, block by block) turns every parcel total into one ``bincount`` per block, for any
number of parcels, without vectorising the carbon rasters. Pixel centres decide membership
(GDAL's default rasterisation rule); a pixel belongs to at most one parcel (the last listed
wins where parcels overlap, which is reported).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr
from affine import Affine

from bluecarbon.errors import InputError
from bluecarbon.geo import pixel_area_ha as grid_pixel_area
from bluecarbon.units import per_area_total_units

if TYPE_CHECKING:  # geopandas costs ~1 s to import; only parcel runs need it
    import geopandas as gpd

PARCEL_ID: str = "parcel_id"


def read_parcels(path: str, *, id_column: str | None = None) -> gpd.GeoDataFrame:
    """Parcels from a vector file with a ``parcel_id`` column (or ``id_column``)."""
    import geopandas as gpd
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        frame = gpd.read_file(path)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise InputError(f"cannot read parcels: {exc}", file=path) from None
    column = id_column or PARCEL_ID
    if column not in frame.columns:
        raise InputError(
            "missing parcel id column", file=path, column=column, expected=f"a {PARCEL_ID!r} column"
        )
    if frame.crs is None:
        raise InputError("parcels have no CRS", file=path)
    frame = frame.rename(columns={column: PARCEL_ID})
    frame[PARCEL_ID] = frame[PARCEL_ID].astype(str)
    if frame[PARCEL_ID].duplicated().any():
        dup = frame.loc[frame[PARCEL_ID].duplicated(), PARCEL_ID].iloc[0]
        raise InputError(f"duplicate parcel id {dup!r}", file=path, column=PARCEL_ID)
    return frame


def zone_raster(parcels: gpd.GeoDataFrame, like: xr.DataArray) -> tuple[xr.DataArray, tuple[str, ...]]:
    """Integer ``(y, x)`` raster on ``like``'s grid: 0 outside parcels, ``i`` inside the i-th.

    Lazy (one rasterisation per block) when ``like`` is dask-backed.
    """
    if PARCEL_ID not in parcels.columns:
        raise InputError("parcels lack a parcel_id column", column=PARCEL_ID)
    crs = like.rio.crs
    if crs is None:
        raise InputError("the grid has no CRS")
    shapes = parcels.to_crs(crs)
    ids = tuple(str(v) for v in shapes[PARCEL_ID])
    geoms = [
        (geom, i + 1) for i, geom in enumerate(shapes.geometry) if geom is not None and not geom.is_empty
    ]
    transform = like.rio.transform()
    ny, nx = like.sizes["y"], like.sizes["x"]
    template = like.isel({d: 0 for d in like.dims if d not in ("y", "x")}, drop=True)
    data = template.data
    if isinstance(data, da.Array):
        chunks = (data.chunks[template.dims.index("y")], data.chunks[template.dims.index("x")])
        zones = da.map_blocks(
            _burn_block,
            dtype=np.int32,
            chunks=chunks,
            geoms=geoms,
            transform=transform,
            meta=np.empty((0, 0), dtype=np.int32),
        )
    else:
        zones = _burn(geoms, transform, (ny, nx), 0, 0)
    out = xr.DataArray(zones, dims=("y", "x"), coords={"y": like["y"], "x": like["x"]}, name="zone")
    return out.rio.write_crs(crs), ids


def _burn_block(
    *, geoms: Sequence[tuple[object, int]], transform: Affine, block_info: dict | None = None
) -> np.ndarray:
    assert block_info is not None
    info = block_info[None]
    (y0, y1), (x0, x1) = info["array-location"]
    return _burn(geoms, transform, (y1 - y0, x1 - x0), y0, x0)


def _burn(
    geoms: Sequence[tuple[object, int]], transform: Affine, shape: tuple[int, int], y0: int, x0: int
) -> np.ndarray:
    from rasterio import features

    if not geoms:
        return np.zeros(shape, dtype=np.int32)
    return features.rasterize(
        geoms, out_shape=shape, transform=transform * Affine.translation(x0, y0), fill=0, dtype="int32"
    )


def parcel_totals(
    product: xr.Dataset,
    parcels: gpd.GeoDataFrame,
    *,
    variables: Sequence[str] | None = None,
    pixel_area_ha: float | None = None,
) -> pd.DataFrame:
    """Zonal totals (tonnes) of per-hectare carbon variables over parcel polygons.

    One row per parcel and per leading coordinate (``year``, ``period``, ``pool``) of each
    variable: ``parcel_id``, the coordinates, ``variable``, ``area_ha`` (pixels with a finite
    value), ``total`` (value x pixel area summed; tonnes for ``Mg ha-1`` variables), ``units``
    of the total and ``carbon_basis``. Every variable must be per hectare (its ``units``
    attribute, e.g. ``Mg ha-1``; :class:`~bluecarbon.errors.UnitError` otherwise): a sum of
    anything else over pixels times their area means nothing.
    """
    gridded = [str(v) for v in product.data_vars if {"y", "x"} <= set(product[v].dims)]
    names = [str(v) for v in variables] if variables else gridded
    if not names:
        raise InputError("the product has no (y, x) variables to total")
    first = product[names[0]]
    ha = pixel_area_ha if pixel_area_ha is not None else grid_pixel_area(first)
    total_units = {
        name: per_area_total_units(str(product[name].attrs.get("units", "")), column=name) for name in names
    }
    zones, ids = zone_raster(parcels, first)
    frames = []
    for name in names:
        var = product[name]
        lead = [str(d) for d in var.dims if d not in ("y", "x")]
        var = var.transpose(*lead, "y", "x")
        shape = tuple(var.sizes[d] for d in lead)
        flat = var.data.reshape(-1, var.sizes["y"], var.sizes["x"])
        sums, counts = _zonal(flat, zones.data, len(ids))
        for layer, position in enumerate(np.ndindex(*shape)):
            coords = {d: var[d].values[i].item() for d, i in zip(lead, position, strict=True)}
            for z, parcel in enumerate(ids, start=1):
                frames.append(
                    {
                        PARCEL_ID: parcel,
                        **coords,
                        "variable": name,
                        "area_ha": float(counts[layer, z]) * ha,
                        "total": float(sums[layer, z]) * ha,
                        "units": total_units[name],
                        "carbon_basis": var.attrs.get("carbon_basis", ""),
                    }
                )
    return pd.DataFrame(frames)


def _zonal(values: object, zones: object, n_zones: int) -> tuple[np.ndarray, np.ndarray]:
    """Per layer and zone: sum of finite values and count of finite pixels (one task per block)."""
    if isinstance(values, da.Array) or isinstance(zones, da.Array):
        v = da.asarray(values).rechunk({0: -1})
        z = da.asarray(zones).rechunk(v.chunks[1:])
        block = dask.delayed(_zonal_block)
        parts = [
            block(v.blocks[0, i, j], z.blocks[i, j], n_zones=n_zones)
            for i in range(v.numblocks[1])
            for j in range(v.numblocks[2])
        ]
        results = dask.compute(*parts)
        return sum(r[0] for r in results), sum(r[1] for r in results)
    return _zonal_block(np.asarray(values), np.asarray(zones), n_zones=n_zones)


def _zonal_block(values: np.ndarray, zones: np.ndarray, *, n_zones: int) -> tuple[np.ndarray, np.ndarray]:
    n_layers = values.shape[0]
    sums = np.zeros((n_layers, n_zones + 1))
    counts = np.zeros((n_layers, n_zones + 1))
    z = zones.reshape(-1).astype(np.int64)
    for layer in range(n_layers):
        v = values[layer].reshape(-1).astype(np.float64)
        finite = np.isfinite(v)
        sums[layer] = np.bincount(z[finite], weights=v[finite], minlength=n_zones + 1)
        counts[layer] = np.bincount(z[finite], minlength=n_zones + 1)
    return sums, counts
