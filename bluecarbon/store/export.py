"""Exports of a release to the formats other tools read: NetCDF4 (CF), GeoTIFF (COG),
GeoParquet and GeoPackage.

An export is a copy for people without bluecarbon, so it carries the release identity (tag,
snapshot id, content hash) and the input licences with it: as global attributes in NetCDF,
tags in GeoTIFFs, and a ``release.json`` beside folder exports. Exports never overwrite an
existing path (a release is immutable; so are copies of it unless the user removes them).
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import netCDF4
import numpy as np
import pyogrio
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr

from bluecarbon.errors import StoreError
from bluecarbon.progress import ProgressCallback
from bluecarbon.store.integrity import ARRAY_DIGESTS_TABLE
from bluecarbon.store.release import ReleaseInfo, Store

ExportFormat = Literal["netcdf", "geotiff", "geoparquet", "gpkg"]
FORMATS: tuple[str, ...] = ("netcdf", "geotiff", "geoparquet", "gpkg")
#: Largest variable (bytes) a GeoTIFF export reads at once; larger ones are read in slabs.
GEOTIFF_MEMORY_BUDGET = 256 * 1024 * 1024


def _identity(release: ReleaseInfo) -> dict[str, str]:
    licences = sorted({f"{i['license']}: {i['dataset']}" for i in release.provenance.get("inputs", [])})
    return {
        "bluecarbon_release": release.tag,
        "bluecarbon_snapshot_id": release.snapshot_id,
        "bluecarbon_content_hash": release.content_hash,
        "bluecarbon_status": release.status + (f" ({release.withdrawn_reason})" if release.withdrawn else ""),
        "bluecarbon_package_version": release.package_version,
        "input_licences": "; ".join(licences),
    }


def _netcdf_ready(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    for name, var in out.variables.items():
        enc: dict[str, object] = {}
        if name in out.data_vars and var.dtype.kind == "f":
            if var.attrs.get("flag_values") is not None:
                enc = {"dtype": "uint8", "_FillValue": 255, "zlib": True, "complevel": 4}
            else:
                enc = {
                    "_FillValue": np.float32(np.nan) if var.dtype == np.float32 else np.nan,
                    "zlib": True,
                    "complevel": 4,
                }
        var.encoding = enc
    return out


@contextmanager
def _dask_task_progress(progress: ProgressCallback | None) -> Iterator[None]:
    """Report finished dask tasks of every computation in the block as ``progress(done, total)``.

    The total grows as each computation starts (one per product), so the count is exact
    without building the graphs twice."""
    if progress is None:
        yield
        return
    from dask.callbacks import Callback

    counts = {"before": 0, "done": 0, "total": 0}

    def start_state(dsk: Any, state: Any) -> None:
        counts["before"] = counts["done"]
        counts["total"] += sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))
        progress(counts["done"], counts["total"])

    def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        counts["done"] = counts["before"] + len(state["finished"])
        progress(counts["done"], counts["total"])

    with Callback(start_state=start_state, posttask=posttask):
        yield


def _write_netcdf(
    store: Store,
    release: ReleaseInfo,
    output: Path,
    products: list[str],
    *,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    mode: Literal["w", "a"] = "w"
    with _dask_task_progress(progress):
        for product in products:
            ds = _netcdf_ready(store.open_product(product, release))
            ds.attrs = {
                **ds.attrs,
                "Conventions": "CF-1.8",
                "title": f"bluecarbon {product} release {release.tag}",
                **_identity(release),
            }
            ds.to_netcdf(output, mode=mode, group=product, engine="netcdf4", format="NETCDF4")
            mode = "a"
    with netCDF4.Dataset(output, "a") as nc:  # the identity also on the root group
        nc.setncatts({"Conventions": "CF-1.8", **_identity(release)})
    return [output]


def _slices(da: xr.DataArray) -> Iterator[tuple[str, xr.DataArray]]:
    extra = [d for d in da.dims if d not in ("y", "x")]
    if not extra:
        yield "", da
        return
    stacked = da.stack(_slice=extra)
    for i in range(stacked.sizes["_slice"]):
        one = stacked.isel(_slice=i)
        label = "_".join(f"{d}{one[d].item()}" for d in extra)
        yield label, one.drop_vars(["_slice", *extra], errors="ignore")


def _loaded_groups(da: xr.DataArray, budget: int) -> Iterator[xr.DataArray]:
    """``da`` in memory, whole when it fits ``budget`` bytes, else in slabs of its first dimension.

    Why: a store chunk holds every layer of a variable (e.g. all pools and years of a 500 x
    400 window), so reading one layer at a time decompresses each chunk once per layer. One
    read per variable (or per slab) decompresses each chunk once.
    """
    extra = [d for d in da.dims if d not in ("y", "x")]
    if not extra or da.nbytes <= budget:
        yield da.compute()  # a new object: ``load()`` would keep the values in the Dataset
        return
    lead = extra[0]
    step = max(1, budget * da.sizes[lead] // da.nbytes)
    for start in range(0, da.sizes[lead], step):
        yield da.isel({lead: slice(start, start + step)}).compute()


def _open_without_dask(store: Store, release: ReleaseInfo, product: str) -> xr.Dataset:
    """The product as :meth:`Store.open_product` opens it, but on lazily indexed Zarr arrays
    instead of dask: reading a whole variable then costs about a third of the CPU (no task per
    chunk, no concatenation copy), and reading is most of a GeoTIFF export's work."""
    store.open_product(product, release)  # the checks every product read goes through
    return xr.open_zarr(
        store.session(release).store,
        group=product,
        consolidated=False,
        decode_coords="all",
        chunks=None,
    )


def _geotiff_jobs(
    store: Store, release: ReleaseInfo, output: Path, products: list[str], budget: int
) -> Iterator[tuple[Path, xr.DataArray]]:
    """(path, in-memory layer ready to write) for every 2-D layer of the products, in file order."""
    tags = _identity(release)
    for product in products:
        ds = _open_without_dask(store, release, product)
        crs = ds.rio.crs
        for name, da in ds.data_vars.items():
            if not {"y", "x"} <= set(da.dims):
                continue
            for group in _loaded_groups(da, budget):
                for label, layer in _slices(group):
                    fname = "__".join(p for p in (product.replace("/", "__"), str(name), label) if p) + ".tif"
                    # astype makes the one copy a file needs; the CRS and nodata then go on
                    # in place (rioxarray's default deep-copies the layer for each).
                    flags = layer.attrs.get("flag_values") is not None
                    layer = layer.fillna(255).astype("uint8") if flags else layer.astype("float32")
                    layer.rio.write_crs(crs, inplace=True)
                    layer.rio.write_nodata(255 if flags else np.nan, inplace=True)
                    layer.attrs = {k: str(v) for k, v in da.attrs.items()} | tags
                    yield output / fname, layer
                del group  # before the next slab is read: one slab in memory, not two


def _geotiff_layers(store: Store, release: ReleaseInfo, products: list[str]) -> int:
    """How many GeoTIFFs the products make (metadata only)."""
    count = 0
    for product in products:
        for da in store.open_product(product, release).data_vars.values():
            if {"y", "x"} <= set(da.dims):
                count += int(np.prod([da.sizes[d] for d in da.dims if d not in ("y", "x")]))
    return count


def _write_cog(path: Path, layer: xr.DataArray) -> Path:
    layer.rio.to_raster(path, driver="COG", compress="DEFLATE")
    return path


def _write_geotiff(
    store: Store,
    release: ReleaseInfo,
    output: Path,
    products: list[str],
    *,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    budget: int = GEOTIFF_MEMORY_BUDGET,
) -> list[Path]:
    """One COG per variable and leading index. Variables are read once (see
    :func:`_loaded_groups`); worker threads compress and write the files (GDAL releases the
    GIL) while the next variable is read. Memory: the variable (or slab) being written, the
    one being read, and the files in flight."""
    output.mkdir(parents=True)
    total = _geotiff_layers(store, release, products)
    n_workers = workers or max(1, os.cpu_count() or 1)
    written: list[Path] = []
    report = progress or (lambda done, total: None)
    report(0, total)
    with ThreadPoolExecutor(n_workers) as pool:
        pending: deque[Future[Path]] = deque()
        for path, layer in _geotiff_jobs(store, release, output, products, budget):
            pending.append(pool.submit(_write_cog, path, layer))
            while len(pending) > n_workers:
                written.append(pending.popleft().result())
                report(len(written), total)
        while pending:
            written.append(pending.popleft().result())
            report(len(written), total)
    return written


def _write_tables(
    store: Store, release: ReleaseInfo, output: Path, tables: list[str], fmt: str
) -> list[Path]:
    written = []
    if fmt == "geoparquet":
        output.mkdir(parents=True)
        for name in tables:
            frame = store.read_table(name, release)
            path = output / f"{name}.parquet"
            frame.to_parquet(path, index=False)
            written.append(path)
        return written
    for name in tables:
        frame = store.read_table(name, release)
        for column in frame.columns:  # GeoPackage has no list/struct types
            if (
                frame[column].dtype == object
                and frame[column].map(lambda v: isinstance(v, list | dict)).any()
            ):
                frame[column] = frame[column].map(json.dumps)
        pyogrio.write_dataframe(frame, output, layer=name, driver="GPKG", append=output.exists())
    return [output]


def export_release(
    store: Store,
    release: str | ReleaseInfo,
    *,
    fmt: ExportFormat,
    output: Path,
    products: list[str] | None = None,
    tables: list[str] | None = None,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Export a release; returns the files written. Refuses to overwrite ``output``.

    ``progress(done, total)`` is called as gridded products are written (dask tasks for
    NetCDF, files for GeoTIFF); see :mod:`bluecarbon.progress`."""
    info = store.resolve(release) if isinstance(release, str) else release
    output = Path(output)
    if fmt not in FORMATS:
        raise StoreError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if output.exists():
        raise StoreError(f"{output} already exists; exports never overwrite: choose another path")
    output.parent.mkdir(parents=True, exist_ok=True)
    chosen_products = products if products is not None else list(info.products)
    # the digests publishing records are about the store's bytes, not data to export
    chosen_tables = tables if tables is not None else sorted(set(info.tables) - {ARRAY_DIGESTS_TABLE})
    for p in chosen_products:
        if p not in info.products:
            raise StoreError(f"product {p!r} not in release {info.tag} (has: {', '.join(info.products)})")
    for t in chosen_tables:
        if t not in info.tables:
            raise StoreError(f"table {t!r} not in release {info.tag} (has: {', '.join(sorted(info.tables))})")
    if fmt == "netcdf":
        written = _write_netcdf(store, info, output, chosen_products, progress=progress)
    elif fmt == "geotiff":
        written = _write_geotiff(store, info, output, chosen_products, progress=progress)
    else:
        written = _write_tables(store, info, output, chosen_tables, fmt)
    if output.is_dir():
        (output / "release.json").write_text(json.dumps(info.as_dict(full=True), indent=2, default=str))
    return written
