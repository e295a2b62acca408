"""Temporal composites and inundation statistics for intertidal habitats.

A single scene of a tidal flat shows whatever the tide left uncovered at that moment, so
intertidal mapping works on statistics over many scenes: percentile composites, composites of
the scenes taken near low (or high) tide when a tide height per scene is supplied
(Sagar et al. 2018), and the fraction of clear observations in which a pixel was water
(Sagar et al. 2017, ITEM). All functions are lazy reductions over ``time``; tide heights are
an explicit input (modelled with e.g. eo-tides/pyTMD, or observed), never computed here.
Defaults (water-index threshold, low-tide fraction) come from the ``intertidal`` table of the
``parameters`` passed in (``params/intertidal.csv`` unless a study overrides it).
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet


def _param(name: str, parameters: ParameterSet) -> float:
    return parameters.value("intertidal", name)


def _time_whole(cube: xr.DataArray, dim: str) -> xr.DataArray:
    """Quantiles need the reduced dimension in one chunk."""
    return cube.chunk({dim: -1}) if cube.chunks is not None else cube


def _nanquantile(block: np.ndarray, q: float) -> np.ndarray:
    """Quantile over the last axis ignoring NaN; NaN, silently, where every value is NaN.

    A pixel with no clear observation is expected in a composite (clouds, nodata), so numpy's
    "All-NaN slice" warning would only be noise in every run.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        return np.nanquantile(block.astype(np.float64, copy=False), q, axis=-1)


def percentile_composite(cube: xr.DataArray, q: float, *, dim: str = "time") -> xr.DataArray:
    """Per-pixel ``q``-th percentile (0-100) over ``dim``, ignoring NaN.

    Notes
    -----
    Linear interpolation between order statistics (numpy's default method).
    """
    if not 0.0 <= q <= 100.0:
        raise InputError(f"percentile {q} outside 0-100")
    out = xr.apply_ufunc(
        _nanquantile,
        _time_whole(cube, dim),
        input_core_dims=[[dim]],
        kwargs={"q": q / 100.0},
        dask="parallelized",
        output_dtypes=[np.float64],
        keep_attrs=True,
    )
    out.attrs = {**cube.attrs, "composite": f"{q:g}th percentile over {dim}"}
    return out


def _heights_for(cube: xr.DataArray, tide_height: pd.Series | xr.DataArray) -> np.ndarray:
    if isinstance(tide_height, xr.DataArray):
        tide_height = tide_height.to_series()
    series = pd.Series(tide_height.to_numpy(dtype="float64"), index=pd.DatetimeIndex(tide_height.index))
    times = pd.DatetimeIndex(cube["time"].values)
    missing = times.difference(series.index)
    if len(missing):
        raise InputError(
            f"no tide height for {len(missing)} scene(s), first {missing[0]}",
            file=cube.attrs.get("source_file"),
            expected="one tide height per scene time",
        )
    heights = series.loc[~series.index.duplicated()].reindex(times).to_numpy()
    if not np.isfinite(heights).all():
        raise InputError("tide heights must be finite", file=cube.attrs.get("source_file"))
    return heights


def tide_selection(
    heights: np.ndarray, *, stage: Literal["low", "high"], fraction: float, by: Literal["range", "quantile"]
) -> np.ndarray:
    """Boolean selection of scenes in the lowest (or highest) ``fraction`` of the tide.

    Notes
    -----
    ``by="range"`` (Sagar et al. 2018): low = h <= h_min + f (h_max - h_min),
    high = h >= h_max - f (h_max - h_min). ``by="quantile"``: low = h <= Q_f(h),
    high = h >= Q_(1-f)(h).
    """
    if not 0.0 < fraction <= 1.0:
        raise InputError(f"tide fraction {fraction} outside (0, 1]")
    if by == "range":
        lo, hi = float(np.min(heights)), float(np.max(heights))
        cut = lo + fraction * (hi - lo) if stage == "low" else hi - fraction * (hi - lo)
    else:
        cut = float(np.quantile(heights, fraction if stage == "low" else 1.0 - fraction))
    return heights <= cut if stage == "low" else heights >= cut


def tide_composite(
    cube: xr.DataArray,
    tide_height: pd.Series | xr.DataArray,
    *,
    parameters: ParameterSet,
    stage: Literal["low", "high"] = "low",
    fraction: float | None = None,
    by: Literal["range", "quantile"] = "range",
    percentile: float = 50.0,
) -> xr.DataArray:
    """Median (or ``percentile``) composite of the scenes observed near low or high tide.

    Parameters
    ----------
    cube
        A cube with a ``time`` dimension (clouds already NaN).
    tide_height
        Tide height (m) per scene, indexed by the cube's times.
    stage, fraction, by
        Which scenes: see :func:`tide_selection`; ``fraction`` defaults to
        ``low_tide_fraction`` / ``high_tide_fraction`` of the ``intertidal`` table.
    parameters
        The run's parameter tables.

    References
    ----------
    Sagar S. et al. (2018) Remote Sens. 10(3):480 (high and low tide composites).
    """
    if fraction is None:
        fraction = _param("low_tide_fraction" if stage == "low" else "high_tide_fraction", parameters)
    heights = _heights_for(cube, tide_height)
    chosen = tide_selection(heights, stage=stage, fraction=fraction, by=by)
    subset = cube.isel(time=np.flatnonzero(chosen))
    out = percentile_composite(subset, percentile)
    out.attrs.update(
        {
            "composite": f"{stage}-tide {percentile:g}th percentile",
            "tide_fraction": float(fraction),
            "tide_selection": by,
            "tide_min_m": float(heights[chosen].min()),
            "tide_max_m": float(heights[chosen].max()),
            "n_scenes": int(chosen.sum()),
        }
    )
    return out


def observation_count(water_index: xr.DataArray, *, dim: str = "time") -> xr.DataArray:
    """Number of valid (non-NaN) observations per pixel."""
    out = water_index.notnull().sum(dim).astype("int32").rename("observation_count")
    out.attrs = {"units": "1", "long_name": "number of clear observations"}
    return out


def water_frequency(
    water_index: xr.DataArray,
    *,
    parameters: ParameterSet,
    threshold: float | None = None,
    dim: str = "time",
) -> xr.DataArray:
    """Fraction of clear observations in which the pixel was water; NaN without observations.

    Notes
    -----
    f = sum_t [w_t > threshold] / sum_t [w_t valid], w a water index (NDWI/MNDWI), threshold
    by default ``water_index_threshold`` of the ``intertidal`` table of ``parameters``
    (0, McFeeters 1996).

    References
    ----------
    Sagar S. et al. (2017) Remote Sens. Environ. 195:153-169 (intertidal extent model, ITEM).
    """
    if threshold is None:
        threshold = _param("water_index_threshold", parameters)
    valid = water_index.notnull()
    wet = (water_index > threshold) & valid
    count = valid.sum(dim)
    out = (wet.sum(dim) / count.where(count > 0)).astype("float32").rename("water_frequency")
    out.attrs = {
        "units": "1",
        "long_name": "fraction of clear observations classified as water",
        "water_index_threshold": float(threshold),
        "valid_min": 0.0,
        "valid_max": 1.0,
    }
    return out


def exposure_frequency(
    water_index: xr.DataArray,
    *,
    parameters: ParameterSet,
    threshold: float | None = None,
    dim: str = "time",
) -> xr.DataArray:
    """Fraction of clear observations in which the pixel was dry (1 - water frequency)."""
    wet = water_frequency(water_index, parameters=parameters, threshold=threshold, dim=dim)
    out = (1.0 - wet).rename("exposure_frequency")
    out.attrs = {
        "units": "1",
        "long_name": "fraction of clear observations classified as exposed (not water)",
        "valid_min": 0.0,
        "valid_max": 1.0,
    }
    return out
