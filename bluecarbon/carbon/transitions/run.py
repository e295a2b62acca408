"""Running the transition engine: checks, the lazy run, and what a run reports.

Why a module of its own: :func:`run_transitions` is the one entry point callers need (the
``bluecarbon transitions`` workflow, the pipeline's habitat carbon, the tests). It checks the
inputs that can be checked before any pixel is read (map years against the snapshot years,
columns the transitions call for, parameter rasters' names, shapes and units), picks the
lookup strategy, hands the blocks to :mod:`~bluecarbon.carbon.transitions.blocks` and the
layers to :mod:`~bluecarbon.carbon.transitions.dataset`. Nothing is computed until the caller
writes (:func:`~bluecarbon.carbon.transitions.writer.write_netcdf`) or computes
(:func:`compute_histogram`). The pixel area comes from :func:`bluecarbon.geo.pixel_area_ha`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr
from dask.delayed import Delayed

from bluecarbon.carbon.transitions.blocks import (
    TRAJECTORY_PREFIX,
    BlockProcessor,
    BlockSource,
    CodeLookup,
    NodataPolicy,
    dense_table,
    run_blocks,
)
from bluecarbon.carbon.transitions.dataset import assemble_dataset
from bluecarbon.carbon.transitions.model import ModelSpec
from bluecarbon.carbon.transitions.reading import check_parameter_columns
from bluecarbon.carbon.transitions.tables import ClassTable, TransitionMatrix, column_units
from bluecarbon.errors import InputError
from bluecarbon.geo import pixel_area_ha
from bluecarbon.units import check_units

#: Largest number of possible trajectories for which the lookup table is built up front.
DENSE_LIMIT: Final[int] = 1 << 18


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
    source: BlockSource | None = None


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
    ``zones`` is an integer ``(y, x)`` raster (0 = no zone, i = ``zone_ids[i-1]``). A
    parameter raster with a ``units`` attribute must be in the units of its column
    (:func:`~bluecarbon.carbon.transitions.tables.column_units`; :class:`UnitError` otherwise).
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
        if "units" in raster.attrs:
            check_units(raster, column_units(name), name=name, file=raster.attrs.get("source_file"))
    layout = spec.layout()
    nodata_values = _nodata_values(classes_map)
    lookup = CodeLookup.build(classes, nodata_values)
    n_snap = len(years)
    k1 = classes.n_classes + 1
    dense = not overrides and k1**n_snap <= DENSE_LIMIT
    table = dense_table(classes, matrix, spec, n_snap) if dense else None
    processor = BlockProcessor(
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
        layers, histogram = run_blocks(processor, data, zone_data, override_data)
        source = BlockSource(processor=processor, data=data, zones=zone_data, overrides=tuple(override_data))
    else:
        result = processor(
            np.asarray(data),
            None if zone_data is None else np.asarray(zone_data),
            *[np.asarray(o) for o in override_data],
        )
        layers, histogram = result.layers, result.histogram
        source = BlockSource(processor=processor, data=None, zones=None, overrides=(), layers=layers)
    dataset = assemble_dataset(layers, classes_map, spec, layout, attrs=attrs)
    return TransitionRun(
        dataset=dataset,
        spec=spec,
        classes=classes,
        matrix=matrix,
        histogram=histogram,
        nodata_policy=policy,
        pixel_area_ha=pixel_area_ha(classes_map),  # refuses grids not projected in metres
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
