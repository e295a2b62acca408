"""Raster readers returning dask-backed xarray cubes.

Why this shape: every downstream step (indices, classification, stocks) is a lazy xarray
expression, so readers must hand out dask arrays whose chunks follow the file's internal
blocks (reading a chunk then touches whole blocks only), with NaN for nodata in memory and
the CRS attached. Reflectance scaling is applied here, once, from an explicit
:class:`Scaling` whose values live in ``params/sensor_scaling.csv`` (Sentinel-2 L2A before
and after the 2022-01-25 offset change, Landsat Collection 2, ARCSI), so downstream code
always sees physical reflectance. Band metadata (STAC common names, centre wavelengths) come
from ``params/sensor_bands.csv`` and travel as coordinates on the ``band`` dimension, so
indices select bands by meaning ("nir"), never by position. Both tables are read from the
run's :class:`~bluecarbon.params.ParameterSet`, passed in as ``parameters``.

Three sources share one set of rules: GeoTIFF/COG (:func:`open_raster`,
:func:`open_time_series`), NetCDF (:func:`open_netcdf`) and STAC items
(:mod:`bluecarbon.ingest.stac`, built on :func:`open_rasterio_lazy`). Every failure names the
file (and band) and says what was expected. :func:`open_rasterio_lazy` and
:class:`RasterHeader` are the package's one way to open a raster file: the transition engine
reads its snapshots and parameter rasters through them too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
import rasterio
import rioxarray
import xarray as xr
from rasterio.errors import RasterioError
from rasterio.windows import Window

from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet

#: Pixels per chunk side the readers aim for (whole file blocks are never split).
TARGET_CHUNK_PIXELS = 1024


@dataclass(frozen=True)
class Scaling:
    """Physical value = DN * scale + offset (applied after masking nodata)."""

    scale: float = 1.0
    offset: float = 0.0


#: A scaling for every date, or a function of the acquisition date (for Sentinel-2 L2A:
#: ``functools.partial(sentinel2_l2a_scaling, parameters=parameters)``).
ScalingSpec = Scaling | Callable[[pd.Timestamp], Scaling] | None


def product_scaling(
    product: str,
    *,
    parameters: ParameterSet,
    date: pd.Timestamp | str | None = None,
    processing_baseline: float | None = None,
) -> Scaling:
    """Scale and offset of ``product`` from the ``sensor_scaling`` table of ``parameters``
    (``params/sensor_scaling.csv`` unless a study overrides it).

    Products whose scaling changed over time (Sentinel-2 L2A) need the acquisition ``date``
    or, better, the product's ``processing_baseline`` (the offset came with baseline 04.00).

    Notes
    -----
    Sentinel-2 L2A: reflectance = (DN + BOA_ADD_OFFSET) / 10000 with BOA_ADD_OFFSET = -1000
    from 2022-01-25 (baseline 04.00), 0 before; i.e. DN x 1e-4 - 0.1 after, DN x 1e-4 before.
    Landsat Collection 2 surface reflectance (``landsat_c2_l2_sr``): DN x 0.0000275 - 0.2.
    ARCSI/rsgislib standardised reflectance (``arcsi_sref``, the shipped Sentinel-2 clips):
    DN x 0.001.

    References
    ----------
    ESA Sentinel-2 L2A product specification; USGS LSDS-1619 (Landsat C2 L2 guide).
    """
    table = parameters.table("sensor_scaling")
    rows = table[table["product"] == product]
    if rows.empty:
        raise InputError(
            f"no scaling for product {product!r}",
            file=parameters.origin("sensor_scaling"),
            expected="one of " + ", ".join(sorted(set(table["product"]))),
        )
    if len(rows) > 1:
        if processing_baseline is not None:
            eligible = rows[rows["min_processing_baseline"].fillna(0.0) <= float(processing_baseline)]
            row = eligible.sort_values("min_processing_baseline", na_position="first").iloc[-1]
        elif date is not None:
            when = pd.Timestamp(date).tz_localize(None) if pd.Timestamp(date).tzinfo else pd.Timestamp(date)
            starts = pd.to_datetime(rows["valid_from"])
            eligible = rows[starts <= when]
            if eligible.empty:
                raise InputError(f"{product}: date {when.date()} precedes every scaling in the table")
            row = eligible.loc[pd.to_datetime(eligible["valid_from"]).idxmax()]
        else:
            raise InputError(
                f"{product}: scaling changed over time", expected="an acquisition date or processing baseline"
            )
    else:
        row = rows.iloc[0]
    return Scaling(scale=float(row["scale"]), offset=float(row["offset"]))


def sentinel2_l2a_scaling(
    date: pd.Timestamp | str, *, parameters: ParameterSet, processing_baseline: float | None = None
) -> Scaling:
    """Sentinel-2 L2A scaling for a scene acquired on ``date`` (see :func:`product_scaling`)."""
    return product_scaling(
        "sentinel2_l2a", parameters=parameters, date=date, processing_baseline=processing_baseline
    )


# ------------------------------------------------------------------------------ band metadata
def sensor_bands(sensor: str, *, parameters: ParameterSet) -> pd.DataFrame:
    """Rows of the ``sensor_bands`` table of ``parameters`` for ``sensor`` (band,
    common_name, wavelength)."""
    table = parameters.table("sensor_bands")
    rows = table[table["sensor"] == sensor]
    if rows.empty:
        raise InputError(
            f"unknown sensor {sensor!r}",
            file=parameters.origin("sensor_bands"),
            expected="one of " + ", ".join(sorted(set(table["sensor"]))),
        )
    return rows.reset_index(drop=True)


def arcsi_band_names(*, parameters: ParameterSet) -> list[str]:
    """Band ids of ARCSI Sentinel-2 10-band stacks in file order (B02 ... B12)."""
    rows = sensor_bands("sentinel2", parameters=parameters).dropna(subset=["arcsi_order"])
    return list(rows.sort_values("arcsi_order")["band"])


def attach_band_metadata(da: xr.DataArray, sensor: str, *, parameters: ParameterSet) -> xr.DataArray:
    """Add ``common_name`` and ``center_wavelength`` (nm) coordinates along ``band``.

    A label matches a sensor band id when equal to it or starting with ``"<id>_"``
    (``B08_nir``). Labels of no band of ``sensor`` raise :class:`InputError` naming them.
    """
    rows = sensor_bands(sensor, parameters=parameters)
    common, wavelength = [], []
    for label in (str(b) for b in da["band"].values):
        hit = rows[[label == b or label.startswith(f"{b}_") for b in rows["band"]]]
        if len(hit) != 1:
            raise InputError(
                f"band {label!r} is not a band of sensor {sensor!r}",
                file=da.attrs.get("source_file"),
                band=label,
                expected="one of " + ", ".join(rows["band"]),
            )
        common.append(str(hit["common_name"].iloc[0]))
        wavelength.append(float(hit["center_wavelength_nm"].iloc[0]))
    return da.assign_coords(
        common_name=("band", common), center_wavelength=("band", np.asarray(wavelength, dtype="float64"))
    )


# ------------------------------------------------------------------------------ low level
def local_path(href: str | Path) -> Path | None:
    """The local path of ``href`` (plain path or ``file://`` URL); None for remote URLs."""
    if isinstance(href, Path):
        return href
    parsed = urlparse(href)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if len(parsed.scheme) <= 1:  # a plain path (or a Windows drive letter)
        return Path(href)
    return None


def block_chunks(href: str | Path) -> dict[str, int]:
    """dask chunks holding whole internal blocks, about :data:`TARGET_CHUNK_PIXELS` a side.

    Rows and columns are grouped separately so strip-organised files (one block = a few full
    rows) get tall chunks rather than chunks a few rows high.
    """
    with rasterio.open(href) as src:
        block_y, block_x = src.block_shapes[0]
    return {
        "band": -1,
        "y": block_y * max(1, TARGET_CHUNK_PIXELS // block_y),
        "x": block_x * max(1, TARGET_CHUNK_PIXELS // block_x),
    }


def check_tiff_complete(path: Path) -> None:
    """Raise when a GeoTIFF's blocks point beyond the end of the file (a truncated copy).

    A truncated file opens fine and only fails deep inside a dask computation; the block
    offsets in the TIFF directory let us catch it at open time, at the cost of reading
    the directory.
    """
    size = os.path.getsize(path)
    with rasterio.open(path) as src:
        if src.driver != "GTiff":
            return
        for bidx in sorted({1, src.count}):
            for (row, col), window in src.block_windows(bidx):
                offset = src.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=bidx)
                nbytes = src.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=bidx)
                if offset is None or nbytes is None:
                    # GDAL cannot tell where the block lies: the block index itself may lie
                    # beyond the end of a truncated file (or the block is sparse): read it
                    _read_block(src, path, bidx, window, (row, col))
                    continue
                if int(offset) + int(nbytes) > size:
                    raise InputError(
                        f"file is truncated: block ({row}, {col}) of band {bidx} ends at byte "
                        f"{int(offset) + int(nbytes)} but the file has {size} bytes",
                        file=path,
                        band=bidx,
                        expected="a complete GeoTIFF",
                    )


def _read_block(
    src: rasterio.DatasetReader, path: Path, bidx: int, window: Window, block: tuple[int, int]
) -> None:
    try:
        src.read(bidx, window=window)
    except RasterioError as exc:
        raise InputError(
            f"file is truncated or damaged: block {block} of band {bidx} cannot be read ({exc})",
            file=path,
            band=bidx,
            expected="a complete GeoTIFF",
        ) from None


@dataclass(frozen=True)
class RasterHeader:
    """What a reader checks before reading pixels: the grid (CRS, transform, width, height),
    the band count, and nodata, dtype and units of the first band."""

    grid: tuple[Any, Any, int, int]
    count: int
    nodata: float | None
    dtype: str
    units: str | None = None

    @classmethod
    def read(
        cls, href: str | Path, *, band: str | int | None = None, column: str | None = None
    ) -> RasterHeader:
        """The header of ``href``; :class:`InputError` naming it (and ``band``/``column``)."""
        path = local_path(href)
        if path is not None and not path.is_file():
            raise InputError("raster file not found", file=path, band=band, column=column)
        try:
            with rasterio.open(path if path is not None else str(href)) as src:
                grid = (src.crs, src.transform, src.width, src.height)
                units = src.units[0] if src.units and src.units[0] else None
                return cls(grid=grid, count=src.count, nodata=src.nodata, dtype=src.dtypes[0], units=units)
        except (RasterioError, OSError) as exc:
            raise InputError(
                f"cannot read raster: {exc}", file=href, band=band, column=column, expected="a GeoTIFF/COG"
            ) from None


def open_rasterio_lazy(
    href: str | Path,
    *,
    chunks: Mapping[str, int] | None = None,
    masked: bool = False,
    lock: bool | None = None,
) -> xr.DataArray:
    """The file's values as a lazy ``(band, y, x)`` array: digital numbers (no scaling), with
    nodata as NaN when ``masked``.

    The one place a raster file is opened (the ingest readers, STAC items and the transition
    engine all come here). Checks that the file exists, is complete (local GeoTIFFs) and has a
    CRS; every failure is an :class:`InputError` naming ``href``. ``chunks`` defaults to whole
    internal blocks (:func:`block_chunks`); ``lock=False`` lets threads read in parallel, each
    with its own file handle.
    """
    path = local_path(href)
    target: str | Path = path if path is not None else str(href)
    if path is not None and not path.is_file():
        raise InputError("raster file not found", file=path)
    try:
        if path is not None:
            check_tiff_complete(path)
        da = rioxarray.open_rasterio(
            target, masked=masked, chunks=dict(chunks) if chunks else block_chunks(target), lock=lock
        )
    except (RasterioError, OSError) as exc:
        raise InputError(f"cannot read raster: {exc}", file=href, expected="a GeoTIFF/COG") from exc
    if not isinstance(da, xr.DataArray):
        raise InputError("raster has several subdatasets", file=href, expected="a single raster")
    if da.rio.crs is None:
        raise InputError("raster has no CRS", file=href, expected="a georeferenced raster")
    return da


def mask_and_scale(dn: xr.DataArray, *, nodata: float | None, scaling: Scaling | None) -> xr.DataArray:
    """float32 physical values: ``nodata`` DNs become NaN, then ``DN * scale + offset``."""
    values = dn.astype("float32")
    if nodata is not None and not np.isnan(nodata):
        values = values.where(dn != nodata)
    if scaling is not None and (scaling.scale != 1.0 or scaling.offset != 0.0):
        values = values * np.float32(scaling.scale) + np.float32(scaling.offset)
    return values


def _file_descriptions(href: str | Path, count: int) -> list[str]:
    with rasterio.open(href) as src:
        desc = list(src.descriptions)
    if all(d for d in desc) and len(set(desc)) == count:
        return [str(d) for d in desc]
    return [f"band_{i}" for i in range(1, count + 1)]


def select_bands(da: xr.DataArray, bands: Sequence[str], *, source: str | Path | None) -> xr.DataArray:
    """Bands ``bands`` (by label or common name) of ``da``; unknown names raise naming them."""
    labels = [str(b) for b in da["band"].values]
    common = [str(c) for c in da["common_name"].values] if "common_name" in da.coords else [""] * len(labels)
    picked = []
    for name in bands:
        hits = [i for i, (label, cn) in enumerate(zip(labels, common, strict=True)) if name in (label, cn)]
        if len(hits) != 1:
            raise InputError(
                f"band {name!r} not found" if not hits else f"band {name!r} is ambiguous",
                file=source,
                band=name,
                expected="one of " + ", ".join(labels),
            )
        picked.append(hits[0])
    return da.isel(band=picked)


# ---------------------------------------------------------------------------- GeoTIFF / COG
def open_raster(
    path: str | Path,
    *,
    parameters: ParameterSet,
    band_names: Sequence[str] | None = None,
    bands: Sequence[str] | None = None,
    sensor: str | None = None,
    scaling: Scaling | None = None,
    nodata: float | None = None,
    chunks: dict[str, int] | None = None,
) -> xr.DataArray:
    """Open a GeoTIFF/COG as a lazy ``(band, y, x)`` float32 DataArray.

    Parameters
    ----------
    path
        Local path, ``file://`` URL or a URL GDAL can read.
    parameters
        The run's parameter tables (``sensor_bands`` is read when ``sensor`` is given).
    band_names
        Labels for the file's bands in order (default: the file's band descriptions).
    bands
        Keep only these bands (labels or common names), in this order.
    sensor
        Attach ``common_name``/``center_wavelength`` from the ``sensor_bands`` table.
    scaling
        DN to physical values (e.g. ``product_scaling("arcsi_sref", parameters=...)``).
    nodata
        DN to treat as nodata; overrides the file's nodata tag.
    chunks
        Dask chunk sizes by dimension (default: aligned to the file's internal blocks).

    Notes
    -----
    Nodata becomes NaN. Raises :class:`InputError` naming the file (and band) when the file
    is missing, truncated, unreadable, has no CRS, or a requested band does not exist.
    """
    dn = open_rasterio_lazy(path, chunks=chunks)
    count = dn.sizes["band"]
    target = local_path(path) or str(path)
    names = list(band_names) if band_names is not None else _file_descriptions(target, count)
    if len(names) != count:
        raise InputError(f"{len(names)} band names given for {count} bands", file=path)
    file_nodata = dn.rio.nodata
    resolved = nodata if nodata is not None else (None if file_nodata is None else float(file_nodata))
    da = mask_and_scale(dn, nodata=resolved, scaling=scaling)
    da = da.assign_coords(band=names)
    da.attrs = {"source_file": Path(str(target)).name}
    da.encoding = {}
    if sensor is not None:
        da = attach_band_metadata(da, sensor, parameters=parameters)
    if bands is not None:
        da = select_bands(da, bands, source=path)
    return da.rio.write_crs(dn.rio.crs)


def check_same_grid(
    layer: xr.DataArray, ref: xr.DataArray, *, file: str | Path, ref_file: str | Path
) -> None:
    """Raise naming ``file`` when ``layer`` differs from ``ref`` in CRS, shape or transform."""
    if layer.rio.crs != ref.rio.crs:
        raise InputError(
            f"CRS {layer.rio.crs} differs from {ref.rio.crs} of {Path(str(ref_file)).name}",
            file=file,
            expected="all dates on one grid",
        )
    if layer.shape[-2:] != ref.shape[-2:] or layer.rio.transform() != ref.rio.transform():
        raise InputError(
            f"grid {layer.shape[-2:]} {tuple(layer.rio.transform())[:6]} differs from the first file's "
            f"{ref.shape[-2:]} {tuple(ref.rio.transform())[:6]}",
            file=file,
            expected="all dates on one grid",
        )


def open_time_series(
    paths: Sequence[str | Path],
    times: Sequence[pd.Timestamp | str],
    *,
    parameters: ParameterSet,
    band_names: Sequence[str] | None = None,
    bands: Sequence[str] | None = None,
    sensor: str | None = None,
    scaling: ScalingSpec = None,
    nodata: float | None = None,
) -> xr.DataArray:
    """Stack single-date rasters of one grid into a lazy ``(band, time, y, x)`` cube.

    ``scaling`` may be a function of the acquisition date (e.g. :func:`sentinel2_l2a_scaling`
    with ``parameters`` bound by :func:`functools.partial`: its offset changed on 2022-01-25).
    All files must share CRS, transform, shape and band labels; the first mismatching file is
    named. Dates are sorted. ``parameters`` is passed on to :func:`open_raster`.
    """
    if len(paths) != len(times):
        raise InputError(f"{len(paths)} files but {len(times)} dates")
    if not paths:
        raise InputError("no rasters given for the time series")
    stamps = [pd.Timestamp(t) for t in times]
    layers = []
    for path, when in zip(paths, stamps, strict=True):
        per_date = scaling(when) if callable(scaling) else scaling
        layers.append(
            open_raster(
                path,
                parameters=parameters,
                band_names=band_names,
                bands=bands,
                sensor=sensor,
                scaling=per_date,
                nodata=nodata,
            )
        )
    ref = layers[0]
    for path, layer in zip(paths, layers, strict=True):
        check_same_grid(layer, ref, file=path, ref_file=paths[0])
        if list(layer["band"].values) != list(ref["band"].values):
            raise InputError("band names differ from the first file's", file=path)
    cube = xr.concat(layers, dim=pd.Index(pd.DatetimeIndex(stamps), name="time"), coords="minimal")
    cube = cube.transpose("band", "time", "y", "x").sortby("time")
    cube.attrs = {"source_files": [Path(str(p)).name for p in paths]}
    return cube.rio.write_crs(ref.rio.crs)


# --------------------------------------------------------------------------------- NetCDF
def open_netcdf(
    path: str | Path, *, variables: Sequence[str] | None = None, crs: str | None = None
) -> xr.DataArray:
    """Open NetCDF variables ``(time, y, x)`` as a lazy ``(band, time, y, x)`` cube.

    CF decoding applies ``scale_factor``/``add_offset`` and turns ``_FillValue`` into NaN;
    the CRS comes from the grid-mapping variable (``decode_coords="all"``), or ``crs`` when
    the file has none. Chunks follow the file's own chunking (``chunks={}``). One band per
    variable (all variables with ``y``/``x``/``time`` dims when ``variables`` is None).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("NetCDF file not found", file=path)
    try:
        ds = xr.open_dataset(path, decode_coords="all", chunks={})
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read NetCDF: {exc}", file=path, expected="a NetCDF4/HDF5 file") from exc
    names = (
        list(variables)
        if variables is not None
        else [str(v) for v, da in ds.data_vars.items() if {"time", "y", "x"} <= set(da.dims)]
    )
    if not names:
        raise InputError("no (time, y, x) variable", file=path, expected="variables on time, y and x")
    for name in names:
        if name not in ds.data_vars:
            raise InputError(
                f"variable {name!r} not found",
                file=path,
                band=name,
                expected="one of " + ", ".join(map(str, ds.data_vars)),
            )
        missing = {"time", "y", "x"} - set(ds[name].dims)
        if missing:
            raise InputError(
                f"variable {name!r} lacks dimensions {sorted(missing)}",
                file=path,
                band=name,
                expected="(time, y, x)",
            )
    found = ds.rio.crs or ds[names[0]].rio.crs
    if found is None and crs is None:
        raise InputError(
            "NetCDF has no CRS (no grid-mapping variable)", file=path, expected="a CRS, or pass crs="
        )
    cube = xr.concat(
        [ds[n].astype("float32").transpose("time", "y", "x") for n in names],
        dim="band",
        coords="minimal",
        compat="override",
    ).assign_coords(band=np.asarray(names, dtype=str))
    cube = cube.drop_vars([c for c in cube.coords if c not in ("band", "time", "y", "x")])
    cube.attrs = {"source_file": path.name}
    cube.encoding = {}
    return cube.transpose("band", "time", "y", "x").rio.write_crs(found or crs)
