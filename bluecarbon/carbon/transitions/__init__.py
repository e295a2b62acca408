"""The InVEST-style transition engine: land-cover snapshots to carbon rasters and histograms.

Why a subpackage: the engine (InVEST Coastal Blue Carbon inputs, a closed-form kernel, a
chunked raster engine and its writer) is one piece of machinery with one contract, and it is
not the survey chain (soil cores, strata, representativeness, stocks and totals in
:mod:`bluecarbon.carbon`) that feeds it parameters and reads its histograms. Its modules, each
one concern:

* :mod:`~.tables`: the InVEST table formats (biophysical table, transition matrix, snapshots);
* :mod:`~.model`: timeline, modes, the model spec and its output layout;
* :mod:`~.kernel`: per-unit parameters and the closed-form kernel, with :mod:`~.emissions`
  (disturbance decay, drained soils, methane) and :mod:`~.valuation` (prices, NPV);
* :mod:`~.reading`: snapshot and parameter rasters, through the package's one raster reader;
* :mod:`~.blocks`: the block engine (one task per raster block, trajectory histograms);
* :mod:`~.dataset`: the CF variables of the output;
* :mod:`~.run`: :func:`run_transitions`, the entry point, and what a run reports;
* :mod:`~.writer`: the one-pass NetCDF4 writer;
* :mod:`~.workflow`: InVEST files in, NetCDF and totals out (the ``bluecarbon transitions``
  command); not imported here, since it uses the totals of :mod:`bluecarbon.carbon`.

The names below are the subpackage's public API; import anything else from its module.
"""

from __future__ import annotations

from bluecarbon.carbon.transitions.blocks import TRAJECTORY_PREFIX, NodataPolicy
from bluecarbon.carbon.transitions.kernel import resolve_parameters, unit_outputs
from bluecarbon.carbon.transitions.model import (
    ROUNDING_FLOOR,
    Layout,
    Mode,
    ModelSpec,
    Timeline,
    UnitParameters,
)
from bluecarbon.carbon.transitions.reading import (
    DEFAULT_CHUNK,
    check_parameter_columns,
    open_parameter_raster,
    open_snapshots,
)
from bluecarbon.carbon.transitions.run import (
    DENSE_LIMIT,
    NodataReport,
    TransitionRun,
    compute_histogram,
    nodata_report,
    run_transitions,
)
from bluecarbon.carbon.transitions.tables import ClassTable, TransitionMatrix
from bluecarbon.carbon.transitions.writer import write_netcdf

__all__ = [
    "DEFAULT_CHUNK",
    "DENSE_LIMIT",
    "ROUNDING_FLOOR",
    "TRAJECTORY_PREFIX",
    "ClassTable",
    "Layout",
    "Mode",
    "ModelSpec",
    "NodataPolicy",
    "NodataReport",
    "Timeline",
    "TransitionMatrix",
    "TransitionRun",
    "UnitParameters",
    "check_parameter_columns",
    "compute_histogram",
    "nodata_report",
    "open_parameter_raster",
    "open_snapshots",
    "resolve_parameters",
    "run_transitions",
    "unit_outputs",
    "write_netcdf",
]
