"""The block engine: one task per raster block, lazy, any size.

Why this shape: a pixel's outputs depend only on its class trajectory (class at each
snapshot) unless spatial parameter rasters override class values. So each raster block is
processed by one task (:class:`BlockProcessor`) that

1. maps land-cover codes to class indices (:class:`CodeLookup`: nodata -> index ``K``;
   optional gap filling);
2. evaluates the kernel (:func:`bluecarbon.carbon.transitions.kernel.unit_outputs`) once per
   distinct trajectory and scatters the results, or, when there are few possible trajectories
   (``(K+1)^S <= DENSE_LIMIT``), gathers them from a table computed once for all trajectories
   (:func:`dense_table`); with parameter rasters the kernel runs per pixel;
3. counts pixels per (zone, trajectory) for the class and parcel totals.

:func:`run_blocks` lays the tasks over a dask array and returns one lazy ``(layer, y, x)``
array and a lazy histogram; :class:`BlockSource` lets the NetCDF writer recompute any window
in one pass instead. With numpy input the same processor runs once on the whole array, so
numpy and dask results are identical. The names are public within the subpackage (the run,
the writer and the tests use them); the package's public API is in its ``__init__``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import dask
import dask.array as da
import numpy as np
import pandas as pd
from dask.delayed import Delayed
from dask.local import get_sync

from bluecarbon.carbon.transitions.kernel import resolve_parameters, unit_outputs
from bluecarbon.carbon.transitions.model import Layout, ModelSpec
from bluecarbon.carbon.transitions.tables import ClassTable, TransitionMatrix
from bluecarbon.errors import InputError

_PACK_LIMIT: Final[int] = 1 << 62
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
class CodeLookup:
    """Maps raw land-cover codes of one snapshot to class indices."""

    lucodes: np.ndarray
    order: np.ndarray
    nodata: tuple[float | None, ...]
    n_classes: int
    source: str

    @classmethod
    def build(cls, classes: ClassTable, nodata: Sequence[float | None]) -> CodeLookup:
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
class BlockSource:
    """What the writer needs to recompute any window in one pass: the processor and its inputs."""

    processor: BlockProcessor
    data: Any
    zones: Any
    overrides: tuple[Any, ...]
    layers: np.ndarray | None = None

    def window(self, y0: int, y1: int, x0: int, x1: int, out: np.ndarray) -> BlockResult:
        """Layers of one window, computed into ``out`` (or copied from an eager run)."""
        if self.layers is not None:
            out[:] = self.layers[:, y0:y1, x0:x1]
            return BlockResult(layers=out, histogram=pd.DataFrame())
        raw = materialize(self.data[:, y0:y1, x0:x1])
        zones = None if self.zones is None else materialize(self.zones[y0:y1, x0:x1])
        overrides = [materialize(o[y0:y1, x0:x1]) for o in self.overrides]
        return self.processor(raw, zones, *overrides, out=out)


def materialize(a: Any) -> np.ndarray:
    if isinstance(a, da.Array):
        # The scheduler function, not its name: a name makes dask import dask.distributed
        # (0.3-0.6 s of start-up) to look for a client.
        return np.asarray(a.compute(scheduler=get_sync))
    return np.asarray(a)


@dataclass(frozen=True)
class BlockResult:
    layers: np.ndarray
    histogram: pd.DataFrame


@dataclass(frozen=True)
class BlockProcessor:
    lookup: CodeLookup
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
    ) -> BlockResult:
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
            code = pack(flat, k1)
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
        return BlockResult(layers=layers.reshape(n_layers, h, w), histogram=histogram)


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


def pack(flat: np.ndarray, k1: int) -> np.ndarray:
    code = np.zeros(flat.shape[1], dtype=np.int64)
    scale = 1
    for k in range(flat.shape[0]):
        code += flat[k].astype(np.int64) * scale
        scale *= k1
    return code


def unpack(code: np.ndarray, k1: int, n_snap: int) -> np.ndarray:
    return np.stack([(code // k1**k) % k1 for k in range(n_snap)]).astype(np.int16)


def _unique_rows(flat: np.ndarray, k1: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct trajectories (snapshot axis first) and the inverse index of every pixel."""
    n_snap = flat.shape[0]
    if k1**n_snap < _PACK_LIMIT:
        codes, inverse = np.unique(pack(flat, k1), return_inverse=True)
        return unpack(codes, k1, n_snap), inverse.reshape(-1)
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
    rows = unpack(keys % n_codes, k1, n_snap)
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


def dense_table(classes: ClassTable, matrix: TransitionMatrix, spec: ModelSpec, n_snap: int) -> np.ndarray:
    k1 = classes.n_classes + 1
    every = unpack(np.arange(k1**n_snap, dtype=np.int64), k1, n_snap)
    params = resolve_parameters(every, classes, matrix, spec)
    return spec.layout().stack(unit_outputs(params, spec)).astype(np.float32)


def run_blocks(
    processor: BlockProcessor, data: da.Array, zones: Any, overrides: list[Any]
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
    histogram = dask.delayed(combine_histograms)(histograms)
    return layers, histogram


def combine_histograms(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    keys = ["zone", *[c for c in frame.columns if c.startswith(TRAJECTORY_PREFIX)]]
    return frame.groupby(keys, as_index=False, sort=True).sum()
