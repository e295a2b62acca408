"""Reading the engine's rasters: land-cover snapshots and spatial parameter rasters.

Why a module of its own: the engine's inputs are files, its blocks are arrays. The grid checks
that must hold before any pixel is read (every snapshot and parameter raster on one grid, one
band per parameter raster, a CRS) live here, and the files themselves are opened by the one
raster reader of the package, :func:`bluecarbon.ingest.rasters.open_rasterio_lazy` (missing,
truncated or unreadable files are refused there, naming the file). Snapshots keep their raw
integer codes (no float conversion, nodata per year in ``attrs['nodata']``); parameter rasters
become float64 with NaN for nodata and carry the units their file states, which the engine
checks against the biophysical column they override.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from bluecarbon.carbon.transitions.tables import ClassTable, column_units
from bluecarbon.errors import InputError
from bluecarbon.ingest.rasters import RasterHeader, open_rasterio_lazy

#: Default block edge (pixels) of the lazy arrays.
DEFAULT_CHUNK: Final[int] = 512


def _chunks(chunks: int | None) -> dict[str, int] | None:
    """Square blocks of ``chunks`` pixels; None: the file's own blocks."""
    return {"band": 1, "y": chunks, "x": chunks} if chunks else None


def open_snapshots(
    snapshots: Mapping[int, str | Path], *, chunks: int | None = DEFAULT_CHUNK
) -> xr.DataArray:
    """Open land-cover snapshot rasters lazily as ``classes(year, y, x)`` with raw codes.

    All rasters must share the grid (CRS, transform, shape); nodata values are kept in
    ``attrs['nodata']`` per year. Codes are not converted to float. ``chunks`` is the block
    edge in pixels (None: the files' internal blocks).
    """
    arrays = []
    nodata: list[float | None] = []
    reference = None
    for year, path in sorted(snapshots.items()):
        path = Path(path)
        if not path.is_file():
            raise InputError("snapshot raster not found", file=path, band=year)
        header = RasterHeader.read(path, band=year)
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
        arr = open_rasterio_lazy(path, chunks=_chunks(chunks), lock=False)
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


def open_parameter_raster(
    path: str | Path, *, column: str, reference: str | Path, chunks: int | None = DEFAULT_CHUNK
) -> xr.DataArray:
    """Open a spatial parameter raster for biophysical ``column`` lazily as float64 ``(y, x)``.

    The raster must be single-band and on the grid (CRS, transform, size) of the ``reference``
    snapshot; its values are per hectare in the tables' basis, like the column it overrides
    (:func:`~bluecarbon.carbon.transitions.tables.column_units`). Units the file states for its
    band become ``attrs['units']`` (the engine checks them); a file that states none is taken
    in the column's units. Nodata becomes NaN, which keeps the class value from the table for
    that pixel.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("parameter raster not found", file=path, column=column)
    header = RasterHeader.read(path, column=column)
    ref = RasterHeader.read(Path(reference))
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
    arr = open_rasterio_lazy(path, chunks=_chunks(chunks), masked=True, lock=False)
    out = arr.isel(band=0, drop=True).astype(np.float64).rename(column)
    out.attrs = {"units": header.units or column_units(column), "source_file": path.name}
    return out
