"""The transition engine on rasters: lazy, chunked, one pass, any size.

Why this shape: a pixel's outputs depend only on its class trajectory (class at each
snapshot) unless spatial parameter rasters override class values. So each raster block is
processed by one task that

1. maps land-cover codes to class indices (nodata -> index ``K``; optional gap filling);
2. evaluates the kernel (:func:`bluecarbon.carbon.transitions.unit_outputs`) once per distinct
   trajectory and scatters the results, or, when there are few possible trajectories
   (``(K+1)^S <= DENSE_LIMIT``), gathers them from a table computed once for all trajectories;
   with parameter rasters the kernel runs per pixel;
3. counts pixels per (zone, trajectory) for the class and parcel totals.

The block results are assembled into one lazy ``(layer, y, x)`` dask array that is split into
the CF variables of the output Dataset, and a lazy histogram. Nothing is computed until the
caller writes (:func:`write_netcdf`) or computes. Memory is bounded by the block size times the
number of output layers, never by the raster size. With numpy input the same block function
runs once on the whole array, so numpy and dask results are identical.
"""

from __future__ import annotations

import logging
import os
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import dask
import dask.array as da
import h5py
import numpy as np
import pandas as pd
import rasterio
import rioxarray
import rioxarray.exceptions
import xarray as xr
from dask.delayed import Delayed
from dask.local import get_sync

from bluecarbon.carbon.cbc_tables import POOLS, ClassTable, TransitionMatrix
from bluecarbon.carbon.transitions import Layout, Mode, ModelSpec, resolve_parameters, unit_outputs
from bluecarbon.errors import InputError

try:  # ISA-L deflate; the standard library's zlib is the fallback
    from isal import isal_zlib
except ImportError:  # pragma: no cover
    isal_zlib = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: Largest number of possible trajectories for which the lookup table is built up front.
DENSE_LIMIT: Final[int] = 1 << 18
#: Default block edge (pixels) when the input is not chunked yet.
DEFAULT_CHUNK: Final[int] = 512
_PACK_LIMIT: Final[int] = 1 << 62
#: Edge of the HDF5 chunks of every output variable (pixels).
HDF5_CHUNK: Final[int] = 512
#: Edge of the windows computed by one writer task (a multiple of ``HDF5_CHUNK``).
WRITE_WINDOW: Final[int] = 512
#: Histogram columns holding the class index at each snapshot: ``snapshot_0``, ``snapshot_1``, ...
TRAJECTORY_PREFIX: Final[str] = "snapshot_"


class NodataPolicy(StrEnum):
    """What to do with a pixel that is nodata in some snapshots.

    ``exclude``: NaN in every output (InVEST's outcome where nodata masks agree). ``fill``: the
    nodata snapshot takes the class of the nearest earlier valid snapshot (the next valid one
    for leading gaps). Pixels nodata in every snapshot are NaN under both. Both are counted in
    :class:`NodataReport`.
    """

    EXCLUDE = "exclude"
    FILL = "fill"


@dataclass(frozen=True)
class NodataReport:
    """Pixel counts: valid in all snapshots, nodata in all, nodata in some (and whether filled)."""

    valid: int
    nodata_all: int
    nodata_some: int
    policy: NodataPolicy

    def as_attrs(self) -> dict[str, Any]:
        return {
            "pixels_valid_all_snapshots": self.valid,
            "pixels_nodata_all_snapshots": self.nodata_all,
            "pixels_nodata_some_snapshots": self.nodata_some,
            "nodata_policy": str(self.policy),
        }


@dataclass(frozen=True)
class TransitionRun:
    """A lazy run: the output Dataset and the lazy (zone, trajectory) pixel histogram."""

    dataset: xr.Dataset
    spec: ModelSpec
    classes: ClassTable
    matrix: TransitionMatrix
    histogram: Delayed | pd.DataFrame
    nodata_policy: NodataPolicy
    pixel_area_ha: float
    zone_ids: tuple[str, ...] = ()
    layer_sums: bool = False
    source: _BlockSource | None = None


# ------------------------------------------------------------------------------- reading
def open_snapshots(
    snapshots: Mapping[int, str | Path], *, chunks: int | None = DEFAULT_CHUNK
) -> xr.DataArray:
    """Open land-cover snapshot rasters lazily as ``classes(year, y, x)`` with raw codes.

    All rasters must share the grid (CRS, transform, shape); nodata values are kept in
    ``attrs['nodata']`` per year. Codes are not converted to float.
    """
    arrays = []
    nodata: list[float | None] = []
    reference = None
    for year, path in sorted(snapshots.items()):
        path = Path(path)
        if not path.is_file():
            raise InputError("snapshot raster not found", file=path, band=year)
        header = _RasterHeader.read(path, band=year)
        grid, dtype = header.grid, header.dtype
        nodata.append(header.nodata)
        if grid[0] is None:
            raise InputError("raster has no CRS", file=path, expected="a projected CRS")
        if reference is None:
            reference = (grid, path)
        elif grid != reference[0]:
            raise InputError(
                "snapshot grid differs from the first snapshot's",
                file=path,
                expected=f"the CRS, transform and size of {reference[1]}",
            )
        chunk_spec = {"band": 1, "y": chunks, "x": chunks} if chunks else None
        arr = rioxarray.open_rasterio(path, chunks=chunk_spec, lock=False, mask_and_scale=False)
        assert isinstance(arr, xr.DataArray)
        arrays.append(arr.isel(band=0, drop=True).astype(dtype))
    stacked = xr.concat(arrays, dim=pd.Index(sorted(snapshots), name="year"), combine_attrs="drop")
    stacked = stacked.rio.write_crs(reference[0][0] if reference else None)
    stacked.attrs = {"nodata": nodata}
    return stacked.rename("land_cover")


def check_parameter_columns(names: Iterable[str], classes: ClassTable) -> None:
    """Refuse parameter rasters for columns the biophysical table does not have."""
    for name in names:
        if name not in classes.values:
            raise InputError(
                f"parameter raster for unknown column {name!r}",
                column=name,
                expected=f"a biophysical column: {', '.join(sorted(classes.values))}",
            )


@dataclass(frozen=True)
class _RasterHeader:
    """What the openers check before reading pixels: grid (CRS, transform, width, height),
    band count, nodata and dtype of the first band."""

    grid: tuple[Any, Any, int, int]
    count: int
    nodata: float | None
    dtype: str

    @classmethod
    def read(cls, path: Path, *, band: int | None = None, column: str | None = None) -> _RasterHeader:
        try:
            with rasterio.open(path) as src:
                grid = (src.crs, src.transform, src.width, src.height)
                return cls(grid=grid, count=src.count, nodata=src.nodata, dtype=src.dtypes[0])
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(f"cannot read raster: {exc}", file=path, band=band, column=column) from None


def open_parameter_raster(
    path: str | Path, *, column: str, reference: str | Path, chunks: int | None = DEFAULT_CHUNK
) -> xr.DataArray:
    """Open a spatial parameter raster for biophysical ``column`` lazily as float64 ``(y, x)``.

    The raster must be single-band and on the grid (CRS, transform, size) of the ``reference``
    snapshot; its values are per hectare in the tables' basis, like the column it overrides.
    Nodata becomes NaN, which keeps the class value from the table for that pixel.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("parameter raster not found", file=path, column=column)
    header = _RasterHeader.read(path, column=column)
    ref = _RasterHeader.read(Path(reference))
    if header.count != 1:
        raise InputError(
            f"parameter raster has {header.count} bands", file=path, column=column, expected="one band"
        )
    if header.grid != ref.grid:
        raise InputError(
            "parameter raster grid differs from the snapshots'",
            file=path,
            column=column,
            expected=f"the CRS, transform and size ({ref.grid[2]} x {ref.grid[3]}) of {reference}",
        )
    chunk_spec = {"band": 1, "y": chunks, "x": chunks} if chunks else None
    arr = rioxarray.open_rasterio(path, chunks=chunk_spec, lock=False, masked=True)
    assert isinstance(arr, xr.DataArray)
    return arr.isel(band=0, drop=True).astype(np.float64).rename(column)


def pixel_area_ha(grid: xr.DataArray) -> float:
    """Area of one pixel in hectares; the grid must be in a projected CRS with metre units."""
    crs = grid.rio.crs
    if crs is None or not crs.is_projected:
        raise InputError(
            "totals need a projected CRS",
            expected="a projected CRS in metres (for example UTM or EPSG:6933)",
        )
    units = crs.linear_units.lower()
    if units not in ("metre", "meter", "m", "metres", "meters"):
        raise InputError(f"CRS linear units are {units!r}", expected="metres")
    try:
        xres, yres = grid.rio.resolution()
    except rioxarray.exceptions.OneDimensionalRaster:
        # A single row or column: only a stored GeoTransform knows the pixel size.
        transform = grid.rio.transform(recalc=False)
        xres, yres = transform.a, transform.e
    return abs(xres * yres) / 10_000.0


# ------------------------------------------------------------------------------- running
def run_transitions(
    classes_map: xr.DataArray,
    classes: ClassTable,
    matrix: TransitionMatrix,
    spec: ModelSpec,
    *,
    nodata_policy: NodataPolicy | str = NodataPolicy.EXCLUDE,
    parameter_rasters: Mapping[str, xr.DataArray] | None = None,
    zones: xr.DataArray | None = None,
    zone_ids: Sequence[str] = (),
    attrs: Mapping[str, Any] | None = None,
) -> TransitionRun:
    """Build the lazy output Dataset for land-cover maps ``classes_map(year, y, x)``.

    ``classes_map`` holds land-cover codes (integers, or floats with NaN for nodata); its
    ``year`` coordinate must equal the spec's snapshot years. ``parameter_rasters`` maps
    biophysical column names to ``(y, x)`` rasters overriding the class values where finite.
    ``zones`` is an integer ``(y, x)`` raster (0 = no zone, i = ``zone_ids[i-1]``).
    """
    policy = NodataPolicy(nodata_policy)
    years = [int(y) for y in classes_map["year"].values]
    if tuple(years) != spec.timeline.snapshot_years:
        raise InputError(
            f"map years {years} differ from the snapshot years {list(spec.timeline.snapshot_years)}",
            expected="one map per snapshot year",
        )
    _check_columns(classes, matrix, spec)
    overrides = dict(parameter_rasters or {})
    check_parameter_columns(overrides, classes)
    for name, raster in overrides.items():
        if raster.shape != classes_map.shape[1:]:
            raise InputError(f"parameter raster {name!r} has shape {raster.shape}", column=name)
    layout = spec.layout()
    nodata_values = _nodata_values(classes_map)
    lookup = _CodeLookup.build(classes, nodata_values)
    n_snap = len(years)
    k1 = classes.n_classes + 1
    dense = not overrides and k1**n_snap <= DENSE_LIMIT
    table = _dense_table(classes, matrix, spec, n_snap) if dense else None
    processor = _BlockProcessor(
        lookup=lookup,
        classes=classes,
        matrix=matrix,
        spec=spec,
        layout=layout,
        policy=policy,
        table=table,
        years=tuple(years),
        override_names=tuple(overrides),
    )
    data = classes_map.data
    zone_data = zones.data if zones is not None else None
    override_data = [overrides[n].data for n in overrides]
    layers: Any
    histogram: Delayed | pd.DataFrame
    if isinstance(data, da.Array):
        layers, histogram = _run_dask(processor, data, zone_data, override_data)
        source = _BlockSource(processor=processor, data=data, zones=zone_data, overrides=tuple(override_data))
    else:
        result = processor(
            np.asarray(data),
            None if zone_data is None else np.asarray(zone_data),
            *[np.asarray(o) for o in override_data],
        )
        layers, histogram = result.layers, result.histogram
        source = _BlockSource(processor=processor, data=None, zones=None, overrides=(), layers=layers)
    dataset = _assemble(layers, classes_map, spec, layout, attrs=attrs)
    return TransitionRun(
        dataset=dataset,
        spec=spec,
        classes=classes,
        matrix=matrix,
        histogram=histogram,
        nodata_policy=policy,
        pixel_area_ha=pixel_area_ha(classes_map),
        zone_ids=tuple(zone_ids),
        layer_sums=bool(overrides),
        source=source,
    )


def _check_columns(classes: ClassTable, matrix: TransitionMatrix, spec: ModelSpec) -> None:
    if spec.drained and not classes.has("drained-soil-ef"):
        raise InputError(
            "a transition calls for drained-soil emissions but no factor is set", column="drained-soil-ef"
        )
    if spec.rewetting and not classes.has("rewetted-ch4-ef"):
        raise InputError(
            "a transition calls for rewetting methane but no factor is set", column="rewetted-ch4-ef"
        )
    if spec.rewetting and spec.gwp100_ch4 is None:
        raise InputError("rewetting methane needs a GWP100 for CH4", column="gwp100_ch4")


def _nodata_values(classes_map: xr.DataArray) -> list[float | None]:
    nodata = classes_map.attrs.get("nodata")
    if nodata is None:
        one = classes_map.attrs.get("_FillValue", classes_map.rio.nodata)
        return [None if one is None else float(one)] * classes_map.sizes["year"]
    if not isinstance(nodata, list | tuple):
        return [float(nodata)] * classes_map.sizes["year"]
    return [None if v is None else float(v) for v in nodata]


@dataclass(frozen=True)
class _CodeLookup:
    """Maps raw land-cover codes of one snapshot to class indices."""

    lucodes: np.ndarray
    order: np.ndarray
    nodata: tuple[float | None, ...]
    n_classes: int
    source: str

    @classmethod
    def build(cls, classes: ClassTable, nodata: Sequence[float | None]) -> _CodeLookup:
        order = np.argsort(classes.lucodes)
        return cls(
            lucodes=classes.lucodes[order],
            order=order,
            nodata=tuple(nodata),
            n_classes=classes.n_classes,
            source=classes.source,
        )

    def indices(self, raw: np.ndarray, snapshot: int, year: int) -> np.ndarray:
        """Class index per pixel; nodata (or NaN) -> ``n_classes``; unknown codes raise."""
        nod = self.nodata[snapshot]
        if raw.dtype.kind == "f":
            missing = np.isnan(raw)
            if nod is not None:
                missing |= raw == nod
            values = np.where(missing, self.lucodes[0], raw)
            if not np.array_equal(values, np.round(values)):
                raise InputError("land-cover map holds non-integer codes", band=year)
            values = values.astype(np.int64)
        else:
            missing = raw == nod if nod is not None else np.zeros(raw.shape, dtype=bool)
            values = raw
        if raw.dtype.kind in "ui" and raw.dtype.itemsize == 1:
            lut = np.full(256, -1, dtype=np.int16)
            codes = self.lucodes
            ok = (codes >= np.iinfo(raw.dtype).min) & (codes <= np.iinfo(raw.dtype).max)
            lut[(codes[ok] - np.iinfo(raw.dtype).min)] = self.order[ok]
            idx = lut[values.astype(np.int64) - np.iinfo(raw.dtype).min]
        else:
            pos = np.clip(np.searchsorted(self.lucodes, values), 0, len(self.lucodes) - 1)
            idx = np.where(self.lucodes[pos] == values, self.order[pos], -1).astype(np.int16)
        idx = np.where(missing, self.n_classes, idx).astype(np.int16)
        if (idx < 0).any():
            unknown = sorted(set(np.asarray(values)[idx < 0].tolist()))[:10]
            raise InputError(
                f"land-cover codes {unknown} are not in the biophysical table",
                file=self.source or None,
                band=year,
                expected="every raster code to have a lucode row",
            )
        return idx


@dataclass(frozen=True)
class _BlockSource:
    """What the writer needs to recompute any window in one pass: the processor and its inputs."""

    processor: _BlockProcessor
    data: Any
    zones: Any
    overrides: tuple[Any, ...]
    layers: np.ndarray | None = None

    def window(self, y0: int, y1: int, x0: int, x1: int, out: np.ndarray) -> _BlockResult:
        """Layers of one window, computed into ``out`` (or copied from an eager run)."""
        if self.layers is not None:
            out[:] = self.layers[:, y0:y1, x0:x1]
            return _BlockResult(layers=out, histogram=pd.DataFrame())
        raw = _materialize(self.data[:, y0:y1, x0:x1])
        zones = None if self.zones is None else _materialize(self.zones[y0:y1, x0:x1])
        overrides = [_materialize(o[y0:y1, x0:x1]) for o in self.overrides]
        return self.processor(raw, zones, *overrides, out=out)


def _materialize(a: Any) -> np.ndarray:
    if isinstance(a, da.Array):
        # The scheduler function, not its name: a name makes dask import dask.distributed
        # (0.3-0.6 s of start-up) to look for a client.
        return np.asarray(a.compute(scheduler=get_sync))
    return np.asarray(a)


@dataclass(frozen=True)
class _BlockResult:
    layers: np.ndarray
    histogram: pd.DataFrame


@dataclass(frozen=True)
class _BlockProcessor:
    lookup: _CodeLookup
    classes: ClassTable
    matrix: TransitionMatrix
    spec: ModelSpec
    layout: Layout
    policy: NodataPolicy
    table: np.ndarray | None
    years: tuple[int, ...]
    override_names: tuple[str, ...]

    def __call__(
        self, raw: np.ndarray, zones: np.ndarray | None, *overrides: np.ndarray, out: np.ndarray | None = None
    ) -> _BlockResult:
        """Layers ``(L, h, w)`` float32 (written into ``out`` when given) and the block histogram."""
        n_snap, h, w = raw.shape
        idx = np.stack([self.lookup.indices(raw[k], k, self.years[k]) for k in range(n_snap)])
        nodata = self.classes.nodata_index
        flagged = (idx == nodata).any(axis=0).reshape(-1)
        if self.policy is NodataPolicy.FILL:
            idx = _fill_gaps(idx, nodata)
        flat = idx.reshape(n_snap, -1)
        zone = (
            np.zeros(flat.shape[1], dtype=np.int64) if zones is None else zones.reshape(-1).astype(np.int64)
        )
        k1 = nodata + 1
        n_layers = self.layout.n_layers
        layers = (
            out.reshape(n_layers, -1) if out is not None else np.empty((n_layers, h * w), dtype=np.float32)
        )
        if self.table is not None:
            code = _pack(flat, k1)
            _gather(self.table, code, layers)
            histogram = _histogram_from_codes(code, zone, flagged, k1, n_snap)
        else:
            rows, inverse = _unique_rows(flat, k1)
            if self.override_names:
                pixel_overrides = {
                    n: o.reshape(-1) for n, o in zip(self.override_names, overrides, strict=True)
                }
                params = resolve_parameters(
                    flat, self.classes, self.matrix, self.spec, overrides=pixel_overrides
                )
                layers[:] = self.layout.stack(unit_outputs(params, self.spec))
            else:
                params = resolve_parameters(rows, self.classes, self.matrix, self.spec)
                _gather(self.layout.stack(unit_outputs(params, self.spec)), inverse, layers)
            histogram = _histogram_from_rows(
                rows, inverse, zone, flagged, layers if self.override_names else None
            )
        return _BlockResult(layers=layers.reshape(n_layers, h, w), histogram=histogram)


def _gather(table: np.ndarray, index: np.ndarray, out: np.ndarray) -> None:
    """``out[j] = table[j][index]`` layer by layer (a small table row stays in cache)."""
    index = index.astype(np.intp, copy=False)
    for j in range(table.shape[0]):
        np.take(table[j], index, out=out[j])


def _fill_gaps(idx: np.ndarray, nodata: int) -> np.ndarray:
    out = idx.copy()
    for k in range(1, len(out)):
        out[k] = np.where(out[k] == nodata, out[k - 1], out[k])
    for k in range(len(out) - 2, -1, -1):
        out[k] = np.where(out[k] == nodata, out[k + 1], out[k])
    return out


def _pack(flat: np.ndarray, k1: int) -> np.ndarray:
    code = np.zeros(flat.shape[1], dtype=np.int64)
    scale = 1
    for k in range(flat.shape[0]):
        code += flat[k].astype(np.int64) * scale
        scale *= k1
    return code


def _unpack(code: np.ndarray, k1: int, n_snap: int) -> np.ndarray:
    return np.stack([(code // k1**k) % k1 for k in range(n_snap)]).astype(np.int16)


def _unique_rows(flat: np.ndarray, k1: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct trajectories (snapshot axis first) and the inverse index of every pixel."""
    n_snap = flat.shape[0]
    if k1**n_snap < _PACK_LIMIT:
        codes, inverse = np.unique(_pack(flat, k1), return_inverse=True)
        return _unpack(codes, k1, n_snap), inverse.reshape(-1)
    rows, inverse = np.unique(flat.T, axis=0, return_inverse=True)
    return rows.T.astype(np.int16), inverse.reshape(-1)


def _histogram_from_codes(
    code: np.ndarray, zone: np.ndarray, flagged: np.ndarray, k1: int, n_snap: int
) -> pd.DataFrame:
    n_codes = k1**n_snap
    key = zone * n_codes + code
    keys, counts = np.unique(key, return_counts=True) if zone.any() else _bincount_keys(key, n_codes)
    flagged_keys, flagged_counts = np.unique(key[flagged], return_counts=True)
    frame = pd.DataFrame({"zone": keys // n_codes, "count": counts})
    rows = _unpack(keys % n_codes, k1, n_snap)
    for k in range(n_snap):
        frame[f"{TRAJECTORY_PREFIX}{k}"] = rows[k]
    frame["flagged"] = 0
    if flagged_keys.size:
        pos = np.searchsorted(keys, flagged_keys)
        frame.loc[pos, "flagged"] = flagged_counts
    return frame


def _bincount_keys(key: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(key, minlength=n_codes)
    keys = np.flatnonzero(counts)
    return keys, counts[keys]


def _histogram_from_rows(
    rows: np.ndarray, inverse: np.ndarray, zone: np.ndarray, flagged: np.ndarray, layers: np.ndarray | None
) -> pd.DataFrame:
    n_rows = rows.shape[1]
    key = zone * n_rows + inverse
    keys, first, counts = np.unique(key, return_index=True, return_counts=True)
    traj = inverse[first]
    frame = pd.DataFrame({"zone": zone[first], "count": counts})
    for k in range(rows.shape[0]):
        frame[f"{TRAJECTORY_PREFIX}{k}"] = rows[k, traj]
    position = np.searchsorted(keys, key)
    frame["flagged"] = np.bincount(position, weights=flagged.astype(np.float64), minlength=len(keys)).astype(
        np.int64
    )
    if layers is not None:
        flat_layers = layers.reshape(layers.shape[0], -1)
        for j in range(flat_layers.shape[0]):
            values = flat_layers[j].astype(np.float64)
            finite = np.isfinite(values)
            frame[f"sum{j}"] = np.bincount(position[finite], weights=values[finite], minlength=len(keys))
    return frame


def _dense_table(classes: ClassTable, matrix: TransitionMatrix, spec: ModelSpec, n_snap: int) -> np.ndarray:
    k1 = classes.n_classes + 1
    every = _unpack(np.arange(k1**n_snap, dtype=np.int64), k1, n_snap)
    params = resolve_parameters(every, classes, matrix, spec)
    return spec.layout().stack(unit_outputs(params, spec)).astype(np.float32)


def _run_dask(
    processor: _BlockProcessor, data: da.Array, zones: Any, overrides: list[Any]
) -> tuple[da.Array, Delayed]:
    # method="tasks": dask's automatic choice imports dask.distributed (about 1 s).
    if len(data.chunks[0]) > 1:
        data = data.rechunk({0: -1}, method="tasks")
    chunks_y, chunks_x = data.chunks[1], data.chunks[2]

    def aligned(a: Any) -> da.Array:
        a = da.asarray(a)
        return a if a.chunks == (chunks_y, chunks_x) else a.rechunk((chunks_y, chunks_x), method="tasks")

    if zones is not None:
        zones = aligned(zones)
    overrides = [aligned(o) for o in overrides]
    raw_blocks = data.to_delayed()
    zone_blocks = zones.to_delayed() if zones is not None else None
    override_blocks = [o.to_delayed() for o in overrides]
    n_layers = processor.layout.n_layers
    rows, histograms = [], []
    process = dask.delayed(processor, pure=False, traverse=False)
    for i, cy in enumerate(chunks_y):
        row = []
        for j, cx in enumerate(chunks_x):
            result = process(
                raw_blocks[0, i, j],
                None if zone_blocks is None else zone_blocks[i, j],
                *[b[i, j] for b in override_blocks],
            )
            row.append(da.from_delayed(result.layers, shape=(n_layers, cy, cx), dtype=np.float32))
            histograms.append(result.histogram)
        rows.append(row)
    layers = da.concatenate([da.concatenate(r, axis=2) for r in rows], axis=1)
    histogram = dask.delayed(_combine_histograms)(histograms)
    return layers, histogram


def _combine_histograms(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    keys = ["zone", *[c for c in frame.columns if c.startswith(TRAJECTORY_PREFIX)]]
    return frame.groupby(keys, as_index=False, sort=True).sum()


# ------------------------------------------------------------------------------ assembly
_VARIABLE_ATTRS: Final[dict[str, dict[str, str]]] = {
    "carbon_stock": {
        "long_name": "carbon stock in biomass, soil and litter at the start of the year "
        "({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean",
    },
    "carbon_stock_by_pool": {
        "long_name": "carbon stock per pool at the start of the year ({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean",
    },
    "carbon_accumulation": {
        "long_name": "carbon accumulated over the period ({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "carbon_emissions": {
        "long_name": "carbon emitted by disturbance over the period ({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "carbon_buried": {
        "long_name": "carbon buried below the accounting depth since the first snapshot "
        "(soil accumulation; {basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean",
    },
    "net_sequestration": {
        "long_name": "net carbon sequestration (accumulation minus emissions) over the period "
        "({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "total_net_sequestration": {
        "long_name": "net carbon sequestration from the first snapshot to the analysis year "
        "({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean",
    },
    "net_present_value": {
        "long_name": "net present value at the first snapshot year of net sequestration up to the year "
        "(currency per area)",
        "units": "{currency} ha-1",
    },
    "drained_soil_emissions": {
        "long_name": "carbon lost from drained soils over the period, IPCC 2013 Wetlands Supplement "
        "table 4.13 ({basis} mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "methane_emissions": {
        "long_name": "methane from soils rewetted at salinity below 18 ppt over the period, IPCC 2013 "
        "Wetlands Supplement table 4.14 (CH4 mass per area)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
    "methane_emissions_co2e": {
        "long_name": "methane from rewetted low-salinity soils over the period (CO2e mass per area, GWP100)",
        "units": "Mg ha-1",
        "cell_methods": "area: mean period: sum",
    },
}
_DIMS: Final[dict[str, tuple[str, ...]]] = {
    "carbon_stock": ("year",),
    "carbon_stock_by_pool": ("pool", "year"),
    "carbon_accumulation": ("period",),
    "carbon_emissions": ("period",),
    "net_sequestration": ("period",),
    "total_net_sequestration": (),
    "carbon_buried": ("year",),
    "net_present_value": ("year",),
    "drained_soil_emissions": ("period",),
    "methane_emissions": ("period",),
    "methane_emissions_co2e": ("period",),
}


def _assemble(
    layers: Any, grid: xr.DataArray, spec: ModelSpec, layout: Layout, *, attrs: Mapping[str, Any] | None
) -> xr.Dataset:
    tl = spec.timeline
    ny, nx = grid.sizes["y"], grid.sizes["x"]
    coords: dict[str, Any] = {
        "year": (
            "year",
            np.asarray(tl.output_years, dtype=np.int32),
            {"long_name": "calendar year", "units": "1"},
        ),
        "pool": ("pool", np.asarray(POOLS, dtype=object), {"long_name": "carbon pool"}),
        "period": ("period", np.asarray(tl.period_labels, dtype=object), {"long_name": "period (start-end)"}),
        "period_start": (
            "period",
            np.asarray([tl.starts[k] for k in tl.reported_periods], dtype=np.int32),
            {"long_name": "first year of the period (inclusive)", "units": "1"},
        ),
        "period_end": (
            "period",
            np.asarray([tl.ends[k] for k in tl.reported_periods], dtype=np.int32),
            {"long_name": "year after the last year of the period (exclusive)", "units": "1"},
        ),
        "y": grid["y"].variable,
        "x": grid["x"].variable,
    }
    data_vars = {}
    basis = spec.basis.value
    currency = spec.valuation.currency if spec.valuation is not None else "currency"
    for name, (a, b, shape) in layout.offsets().items():
        arr = layers[a:b].reshape(*shape, ny, nx) if shape else layers[a]
        var_attrs: dict[str, object] = {
            k: v.format(basis=basis, currency=currency) for k, v in _VARIABLE_ATTRS[name].items()
        }
        if name in ("methane_emissions",):
            var_attrs["gas"] = "CH4"
        elif name == "methane_emissions_co2e":
            var_attrs["carbon_basis"] = "CO2e"
            var_attrs["gwp100_ch4"] = float(spec.gwp100_ch4 or np.nan)
        elif name != "net_present_value":
            var_attrs["carbon_basis"] = basis
        else:
            var_attrs["price_basis"] = "per tonne CO2e"
        if spec.mode is Mode.DEFAULT and name in (
            "carbon_stock",
            "carbon_stock_by_pool",
            "carbon_accumulation",
            "carbon_buried",
        ):
            var_attrs["valid_min"] = 0.0
        data_vars[name] = ((*_DIMS[name], "y", "x"), arr, var_attrs)
    ds = xr.Dataset(data_vars=data_vars, coords=coords)
    ds.attrs = {
        "Conventions": "CF-1.8",
        "title": "bluecarbon transitions: carbon stocks, accumulation, emissions, net sequestration",
        "bluecarbon_mode": str(spec.mode),
        "carbon_basis": basis,
        "snapshot_years": list(tl.snapshot_years),
        "analysis_year": tl.analysis_year,
        **(dict(attrs) if attrs else {}),
    }
    if spec.valuation is not None:
        ds.attrs["discount_rate"] = spec.valuation.discount_rate
    crs = grid.rio.crs
    if crs is not None:
        ds = ds.rio.write_crs(crs)
        ds["x"].attrs.update(_axis_attrs("x", crs))
        ds["y"].attrs.update(_axis_attrs("y", crs))
    return ds


def _axis_attrs(axis: str, crs: Any) -> dict[str, str]:
    if crs.is_projected:
        return {
            "standard_name": f"projection_{axis}_coordinate",
            "long_name": f"{axis} coordinate of projection",
            "units": "m",
            "axis": axis.upper(),
        }
    name = "longitude" if axis == "x" else "latitude"
    return {
        "standard_name": name,
        "long_name": name,
        "units": f"degrees_{'east' if axis == 'x' else 'north'}",
    }


# ------------------------------------------------------------------------------- writing
def write_netcdf(
    run: TransitionRun,
    path: str | Path,
    *,
    complevel: int = 1,
    workers: int | None = None,
    window: int = WRITE_WINDOW,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Write the run as one CF NetCDF4 file and return the pixel histogram, in one pass.

    Why not ``Dataset.to_netcdf``: HDF5 compresses chunks one at a time under a global lock,
    which leaves all but one core idle and copies every block several times. Here the file's
    structure (dimensions, coordinates, CRS, attributes, chunked zlib variables with a NaN fill)
    is written with netCDF4; then worker threads compute windows of ``window`` pixels into
    reusable buffers and deflate the HDF5 chunks themselves, and the main thread stores them
    with ``write_direct_chunk``. Chunks that are all NaN are not stored at all (reads return the
    fill value). Memory stays at ``workers + 1`` windows of output layers.
    ``progress(done, total)`` is called with the number of windows stored.
    """
    if run.source is None:
        raise InputError("this run has no block source to write from")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    ds = run.dataset
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    edge = (min(HDF5_CHUNK, ny), min(HDF5_CHUNK, nx))
    window = max(HDF5_CHUNK, (window // HDF5_CHUNK) * HDF5_CHUNK)
    _write_structure(ds, path, complevel=complevel, edge=edge)
    plan = _layer_plan(run.spec.layout())
    windows = [
        (y0, min(y0 + window, ny), x0, min(x0 + window, nx))
        for y0 in range(0, ny, window)
        for x0 in range(0, nx, window)
    ]
    n_workers = workers or min(len(windows), max(1, os.cpu_count() or 1))
    local = threading.local()
    n_layers = run.spec.layout().n_layers

    def work(win: tuple[int, int, int, int]) -> tuple[list[tuple[str, tuple[int, ...], bytes]], pd.DataFrame]:
        y0, y1, x0, x1 = win
        buffer = getattr(local, "buffer", None)
        if buffer is None:
            buffer = local.buffer = np.empty((n_layers, window * window), dtype=np.float32)
        out = buffer[:, : (y1 - y0) * (x1 - x0)].reshape(n_layers, y1 - y0, x1 - x0)
        assert run.source is not None
        result = run.source.window(y0, y1, x0, x1, out)
        return _compress_window(result.layers, plan, y0, x0, edge, complevel), result.histogram

    parts: list[pd.DataFrame] = []
    report = progress or (lambda done, total: None)
    report(0, len(windows))
    with h5py.File(path, "r+") as h5, ThreadPoolExecutor(n_workers) as pool:
        targets = {name: h5[name] for name, _ in plan}
        pending: deque[Future] = deque()
        for win in windows:
            pending.append(pool.submit(work, win))
            while len(pending) > n_workers:
                parts.append(_store_chunks(targets, *pending.popleft().result()))
                report(len(parts), len(windows))
        while pending:
            parts.append(_store_chunks(targets, *pending.popleft().result()))
            report(len(parts), len(windows))
    histogram = run.histogram if run.source.layers is not None else _combine_histograms(parts)
    assert isinstance(histogram, pd.DataFrame)
    _append_attrs(path, nodata_report(histogram, run).as_attrs())
    return histogram


def _layer_plan(layout: Layout) -> list[tuple[str, tuple[int, ...]]]:
    """(variable, leading index) of every stacked layer, in stacking order."""
    plan = []
    for name, (_, _, shape) in layout.offsets().items():
        for lead in np.ndindex(*shape) if shape else [()]:
            plan.append((name, tuple(int(i) for i in lead)))
    return plan


def _compress_window(
    layers: np.ndarray,
    plan: list[tuple[str, tuple[int, ...]]],
    y0: int,
    x0: int,
    edge: tuple[int, int],
    complevel: int,
) -> list[tuple[str, tuple[int, ...], bytes]]:
    _, h, w = layers.shape
    ey, ex = edge
    pad = np.full((ey, ex), np.nan, dtype=np.float32)
    out = []
    for r, (name, lead) in enumerate(plan):
        for cy in range(0, h, ey):
            for cx in range(0, w, ex):
                chunk = layers[r, cy : cy + ey, cx : cx + ex]
                if np.isnan(chunk).all():
                    continue
                if chunk.shape != (ey, ex):
                    pad[:] = np.nan
                    pad[: chunk.shape[0], : chunk.shape[1]] = chunk
                    chunk = pad
                raw = np.ascontiguousarray(chunk).tobytes()
                if complevel > 0:
                    raw = _deflate(raw, complevel)
                out.append((name, (*lead, y0 + cy, x0 + cx), raw))
    return out


def _deflate(data: bytes, level: int) -> bytes:
    """A zlib stream (HDF5's deflate filter): ISA-L for levels 1-3 (about 4x faster than zlib at
    the same ratio, and it releases the GIL), the standard library otherwise."""
    if isal_zlib is not None and level <= 3:
        return bytes(isal_zlib.compress(data, level))
    return zlib.compress(data, level)


def _store_chunks(
    targets: Mapping[str, Any], chunks: list[tuple[str, tuple[int, ...], bytes]], histogram: pd.DataFrame
) -> pd.DataFrame:
    for name, offset, data in chunks:
        targets[name].id.write_direct_chunk(offset, data)
    return histogram


def _write_structure(ds: xr.Dataset, path: Path, *, complevel: int, edge: tuple[int, int]) -> None:
    """Coordinates, CRS and attributes via xarray; empty chunked data variables via netCDF4.

    The skeleton goes through xarray's netCDF4 store directly, with xarray's netCDF4 lock:
    ``Dataset.to_netcdf`` and the store's default lock ask dask which scheduler is active, which
    imports dask.distributed (0.3-0.6 s of start-up) for a file that holds no dask data.
    """
    import netCDF4
    from xarray.backends import NetCDF4DataStore
    from xarray.backends.netCDF4_ import NETCDF4_PYTHON_LOCK

    skeleton = ds.drop_vars(list(ds.data_vars))
    skeleton.attrs = dict(ds.attrs)
    store = NetCDF4DataStore.open(path, mode="w", format="NETCDF4", lock=NETCDF4_PYTHON_LOCK)
    try:
        skeleton.dump_to_store(store)
    finally:
        store.close()
    with netCDF4.Dataset(path, "a") as nc:
        for name, var in ds.data_vars.items():
            chunks = tuple(1 for _ in var.dims[:-2]) + edge
            v = nc.createVariable(  # type: ignore[call-overload]
                str(name),
                "f4",
                var.dims,
                zlib=complevel > 0,
                complevel=max(complevel, 1),
                shuffle=False,
                chunksizes=chunks,
                fill_value=np.float32(np.nan),
            )
            attrs = {k: val for k, val in var.attrs.items() if k != "_FillValue"}
            mapping = var.encoding.get("grid_mapping", var.attrs.get("grid_mapping"))
            if mapping is not None:
                attrs["grid_mapping"] = mapping
            extra = [str(c) for c in var.coords if c not in var.dims and c != mapping]
            if extra:
                attrs["coordinates"] = " ".join(sorted(extra))
            v.setncatts(attrs)


def _append_attrs(path: Path, attrs: Mapping[str, Any]) -> None:
    import netCDF4

    with netCDF4.Dataset(path, "a") as nc:
        for key, value in attrs.items():
            nc.setncattr(key, value)


def nodata_report(histogram: pd.DataFrame, run: TransitionRun) -> NodataReport:
    """Pixel counts by nodata status, from the (zone, trajectory) histogram."""
    nodata = run.classes.nodata_index
    traj = histogram[[c for c in histogram.columns if c.startswith(TRAJECTORY_PREFIX)]].to_numpy()
    counts = histogram["count"].to_numpy()
    flagged = histogram["flagged"].to_numpy()
    all_missing = (traj == nodata).all(axis=1)
    return NodataReport(
        valid=int(counts.sum() - flagged.sum()),
        nodata_all=int(counts[all_missing].sum()),
        nodata_some=int(flagged[~all_missing].sum()),
        policy=run.nodata_policy,
    )


def compute_histogram(run: TransitionRun) -> pd.DataFrame:
    """The (zone, trajectory) pixel histogram without writing the rasters."""
    if isinstance(run.histogram, Delayed):
        return run.histogram.compute()
    return run.histogram
