"""Cloud and shadow masks from the Sentinel-2 L2A scene classification (SCL).

The SCL legend and which classes count as clear (4-7: vegetation, not vegetated, water,
unclassified; METHODS.md section 5) are data in ``params/sentinel2_scl.csv``, so a study can
keep or drop a class without touching code. Masks are lazy boolean DataArrays; nodata in the
SCL band (NaN) is never clear.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet


def scl_clear_classes(*, parameters: ParameterSet) -> tuple[int, ...]:
    """SCL codes kept as clear observations (``keep`` column of the parameter table)."""
    table = parameters.table("sentinel2_scl")
    keep = table["keep"].astype(str).str.lower() == "true"
    return tuple(int(c) for c in table.loc[keep, "code"])


def scl_clear_mask(
    scl: xr.DataArray, *, parameters: ParameterSet, keep: Sequence[int] | None = None
) -> xr.DataArray:
    """True where the SCL class is in ``keep`` (default: the table's clear classes, 4-7).

    Raises :class:`InputError` when ``scl`` holds values that are no SCL class (e.g. a
    reflectance band passed by mistake); the check runs only on in-memory arrays so that
    dask-backed masks stay lazy.
    """
    codes = tuple(keep) if keep is not None else scl_clear_classes(parameters=parameters)
    valid_codes = set(parameters.table("sentinel2_scl")["code"].astype(int))
    unknown = set(codes) - valid_codes
    if unknown:
        raise InputError(
            f"SCL classes {sorted(unknown)} do not exist", expected=f"codes in {sorted(valid_codes)}"
        )
    if scl.chunks is None:
        values = np.asarray(scl.values, dtype="float64")
        finite = values[np.isfinite(values)]
        bad = set(np.unique(finite).astype(int)) - valid_codes if finite.size else set()
        if bad or (finite.size and not np.all(finite == np.round(finite))):
            raise InputError(
                f"values {sorted(bad)[:5]} are not SCL classes",
                file=scl.attrs.get("source_file"),
                band="SCL",
                expected=f"integer codes in {sorted(valid_codes)}",
            )
    clear = scl.isin(list(codes))
    clear.attrs = {"long_name": "clear observation (Sentinel-2 SCL in " + ",".join(map(str, codes)) + ")"}
    return clear.rename("clear")


def apply_mask(cube: xr.DataArray, clear: xr.DataArray) -> xr.DataArray:
    """``cube`` with NaN wherever ``clear`` is False (broadcast over ``band``)."""
    out = cube.where(clear)
    out.attrs = dict(cube.attrs)
    return out
