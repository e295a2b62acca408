"""Read STAC items of COGs into one lazy ``(band, time, y, x)`` cube.

Why this shape: a STAC API search (pystac-client) and a local static catalog both yield
:class:`pystac.Item` objects, so the reader takes items and never cares where they came
from; tests build a catalog with ``file://`` asset hrefs over the shipped COGs and exercise
the exact code a remote search would. Each requested band is resolved to (asset href, band
index inside the asset, scale, offset, nodata) by small pure functions, following the two
common layouts: one asset per band (Earth Search, Planetary Computer) and one multi-band
asset described by ``eo:bands``/``bands``. Scale, offset and nodata come from the STAC raster
extension when present; an explicit value always wins (resolution order in
:func:`resolve_nodata`). Pixels are read by :func:`bluecarbon.ingest.rasters.open_rasterio_lazy`,
so chunks follow the COG's blocks and bad files fail the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pystac
import xarray as xr
from pystac.errors import STACError

from bluecarbon.errors import InputError
from bluecarbon.ingest.rasters import (
    Scaling,
    check_same_grid,
    mask_and_scale,
    open_rasterio_lazy,
    product_scaling,
)
from bluecarbon.params import ParameterSet


@dataclass(frozen=True)
class BandSource:
    """Where one named band of one item lives and how to turn its DNs into values."""

    name: str
    href: str
    index: int  # 1-based band index inside the asset's file
    scale: float | None = None
    offset: float | None = None
    nodata: float | None = None
    common_name: str | None = None
    center_wavelength_nm: float | None = None


def read_local_catalog(path: str | Path) -> list[pystac.Item]:
    """Every item of a static STAC catalog (or collection) at ``path``, recursively."""
    path = Path(path)
    try:
        root = pystac.read_file(str(path))
    except (STACError, OSError, ValueError) as exc:
        raise InputError(
            f"cannot read STAC catalog: {exc}", file=path, expected="a STAC catalog JSON"
        ) from exc
    if isinstance(root, pystac.Item):
        return [root]
    if not isinstance(root, pystac.Catalog):
        raise InputError("not a STAC catalog or collection", file=path)
    return list(root.get_items(recursive=True))


def _band_list(asset: pystac.Asset) -> list[dict[str, Any]]:
    bands = asset.extra_fields.get("bands") or asset.extra_fields.get("eo:bands") or []
    return [dict(b) for b in bands]


def _raster_band(asset: pystac.Asset, position: int) -> dict[str, Any]:
    """Raster-extension fields of band ``position`` (STAC 1.0 ``raster:bands`` or 1.1 ``bands``)."""
    raster = asset.extra_fields.get("raster:bands")
    if raster and position < len(raster):
        return dict(raster[position])
    bands = asset.extra_fields.get("bands") or []
    if position < len(bands):
        b = dict(bands[position])
        return {
            "scale": b.get("raster:scale"),
            "offset": b.get("raster:offset"),
            "nodata": b.get("nodata"),
        }
    return {}


def _source(item: pystac.Item, key: str, asset: pystac.Asset, position: int, name: str) -> BandSource:
    bands = _band_list(asset)
    meta = bands[position] if position < len(bands) else {}
    raster = _raster_band(asset, position)
    wavelength = meta.get("eo:center_wavelength", meta.get("center_wavelength"))
    href = asset.get_absolute_href() or asset.href
    return BandSource(
        name=name,
        href=href,
        index=position + 1,
        scale=None if raster.get("scale") is None else float(raster["scale"]),
        offset=None if raster.get("offset") is None else float(raster["offset"]),
        nodata=None if raster.get("nodata") is None else float(raster["nodata"]),
        common_name=meta.get("eo:common_name", meta.get("common_name")),
        # STAC eo gives centre wavelengths in micrometres.
        center_wavelength_nm=None if wavelength is None else float(wavelength) * 1000.0,
    )


def resolve_band(item: pystac.Item, name: str) -> BandSource:
    """The asset and in-file band index holding band ``name`` of ``item``.

    ``name`` matches, in this order: an asset key (single-band asset), then a band's
    ``name``, then its common name, across assets. No match or several matches at the same
    level raise :class:`InputError` naming the item and the band.
    """
    where = item.get_self_href() or item.id
    if name in item.assets and len(_band_list(item.assets[name])) <= 1:
        return _source(item, name, item.assets[name], 0, name)
    for field in ("name", "common_name"):
        hits = []
        for key, asset in item.assets.items():
            for position, meta in enumerate(_band_list(asset)):
                value = meta.get(field, meta.get(f"eo:{field}"))
                if value == name:
                    hits.append((key, asset, position))
        if len(hits) == 1:
            key, asset, position = hits[0]
            return _source(item, key, asset, position, name)
        if len(hits) > 1:
            raise InputError(
                f"band {name!r} is ambiguous in item {item.id!r}: assets {[h[0] for h in hits]}",
                file=where,
                band=name,
            )
    known = sorted(
        set(item.assets)
        | {str(b.get("name")) for a in item.assets.values() for b in _band_list(a) if b.get("name")}
    )
    raise InputError(
        f"band {name!r} not found in item {item.id!r}",
        file=where,
        band=name,
        expected="one of " + ", ".join(known),
    )


def resolve_nodata(*, explicit: float | None, asset: float | None, file: float | None) -> float | None:
    """Nodata precedence: the caller's value, else the STAC asset's, else the file's tag."""
    for value in (explicit, asset, file):
        if value is not None:
            return float(value)
    return None


def resolve_scaling(*, explicit: Scaling | None, source: BandSource) -> Scaling | None:
    """Scaling precedence: the caller's, else the STAC raster extension's, else none."""
    if explicit is not None:
        return explicit
    if source.scale is None and source.offset is None:
        return None
    return Scaling(
        scale=1.0 if source.scale is None else source.scale,
        offset=0.0 if source.offset is None else source.offset,
    )


def sentinel2_l2a_item_scaling(item: pystac.Item, *, parameters: ParameterSet) -> Scaling:
    """Sentinel-2 L2A scaling of one STAC item from ``s2:processing_baseline`` (>= 04.00 has
    the -1000 offset), else from the acquisition date (offset from 2022-01-25).

    Values come from the ``sensor_scaling`` table of ``parameters``; to pass this function as
    the ``scaling`` of :func:`open_stac_items`, bind them:
    ``functools.partial(sentinel2_l2a_item_scaling, parameters=parameters)``. Provider flags
    such as Earth Search's ``earthsearch:boa_offset_applied`` are deliberately not trusted:
    they are known to be wrong for some scenes (Element84/earth-search issues 66 and 71).
    """
    baseline = item.properties.get("s2:processing_baseline")
    if baseline is not None:
        return product_scaling("sentinel2_l2a", parameters=parameters, processing_baseline=float(baseline))
    return product_scaling("sentinel2_l2a", parameters=parameters, date=_item_time(item))


def _item_time(item: pystac.Item) -> pd.Timestamp:
    when = item.datetime or item.common_metadata.start_datetime
    if when is None:
        raise InputError(f"item {item.id!r} has no datetime", file=item.get_self_href() or item.id)
    stamp = pd.Timestamp(when)
    return stamp.tz_convert(None) if stamp.tzinfo is not None else stamp


def _read_item(
    item: pystac.Item,
    bands: Sequence[str],
    *,
    scaling: Scaling | None,
    nodata: float | None,
) -> tuple[xr.DataArray, list[BandSource]]:
    sources = [resolve_band(item, b) for b in bands]
    files: dict[str, xr.DataArray] = {}
    layers = []
    for src in sources:
        if src.href not in files:
            files[src.href] = open_rasterio_lazy(src.href)
        dn_all = files[src.href]
        if src.index > dn_all.sizes["band"]:
            raise InputError(
                f"asset has {dn_all.sizes['band']} bands, STAC says band {src.name!r} is number {src.index}",
                file=src.href,
                band=src.name,
            )
        dn = dn_all.isel(band=src.index - 1, drop=True)
        file_nodata = dn_all.rio.nodata
        value = mask_and_scale(
            dn,
            nodata=resolve_nodata(
                explicit=nodata, asset=src.nodata, file=None if file_nodata is None else float(file_nodata)
            ),
            scaling=resolve_scaling(explicit=scaling, source=src),
        )
        layers.append(value)
    first = files[sources[0].href]
    for src in sources[1:]:
        check_same_grid(files[src.href], first, file=src.href, ref_file=sources[0].href)
    cube = xr.concat(layers, dim="band", coords="minimal", compat="override")
    cube = cube.assign_coords(band=np.asarray(list(bands), dtype=str)).rio.write_crs(first.rio.crs)
    return cube, sources


def open_stac_items(
    items: Iterable[pystac.Item],
    *,
    bands: Sequence[str],
    scaling: Scaling | Callable[[pystac.Item], Scaling] | None = None,
    nodata: float | None = None,
) -> xr.DataArray:
    """Stack ``bands`` of STAC ``items`` into a lazy ``(band, time, y, x)`` cube.

    Parameters
    ----------
    items
        From ``pystac_client.Client.search(...).items()`` or :func:`read_local_catalog`.
    bands
        Asset keys, band names or common names (``"red"``, ``"B04"``); the cube's band labels.
    scaling
        Overrides the STAC raster extension (a fixed :class:`Scaling` or a function of the item,
        e.g. Sentinel-2 L2A scaling from ``s2:processing_baseline``).
    nodata
        Overrides the asset's and the file's nodata.

    Notes
    -----
    Items must share one grid (CRS, transform, shape); the first that does not is named.
    Coordinates ``common_name``/``center_wavelength`` (nm) come from ``eo`` metadata of the
    first item, ``item_id`` labels each time step. Times are sorted.
    """
    items = list(items)
    if not items:
        raise InputError("no STAC items given")
    if not bands:
        raise InputError("no bands requested")
    layers, times, ids = [], [], []
    ref: xr.DataArray | None = None
    ref_href = ""
    meta: list[BandSource] = []
    for item in items:
        per_item = scaling(item) if callable(scaling) else scaling
        cube, sources = _read_item(item, bands, scaling=per_item, nodata=nodata)
        if ref is None:
            ref, ref_href, meta = cube, sources[0].href, sources
        else:
            check_same_grid(cube, ref, file=sources[0].href, ref_file=ref_href)
        layers.append(cube)
        times.append(_item_time(item))
        ids.append(item.id)
    assert ref is not None
    stacked = xr.concat(layers, dim=pd.Index(pd.DatetimeIndex(times), name="time"), coords="minimal")
    stacked = stacked.assign_coords(item_id=("time", np.asarray(ids, dtype=str)))
    common = [m.common_name or "" for m in meta]
    if any(common):
        stacked = stacked.assign_coords(common_name=("band", np.asarray(common, dtype=str)))
    wavelengths = [np.nan if m.center_wavelength_nm is None else m.center_wavelength_nm for m in meta]
    if not all(np.isnan(wavelengths)):
        stacked = stacked.assign_coords(center_wavelength=("band", np.asarray(wavelengths, dtype="float64")))
    stacked = stacked.transpose("band", "time", "y", "x").sortby("time")
    stacked.attrs = {"source_items": ids}
    stacked.encoding = {}
    return stacked.rio.write_crs(ref.rio.crs)
