"""Habitat-extent tables: area per class with its uncertainty, and the accuracy beside it.

Every habitat product ships two tables, and they must be honest about what was measured:

* ``habitat_area``: ``site``, ``year``, ``habitat``, ``area_ha``, ``area_ci_ha`` (95 %
  half-width), ``area_source``, ``area_ci_source``, ``mapped_area_ha``. Where a reference
  sample assessed the map, ``area_ha`` is the error-adjusted estimate of Olofsson et al.
  (2014) and ``area_ci_ha`` its confidence half-width. Where nothing assessed it, ``area_ha``
  is the mapped area and ``area_ci_ha`` a documented default relative half-width from
  ``params/area_uncertainty.csv`` (verified=false), named in ``area_ci_source``.
* ``accuracy``: ``site``, ``year``, ``habitat``, ``status`` ("assessed" / "not assessed"),
  the reference used, user's / producer's / overall accuracy with half-widths. A map nobody
  checked says "not assessed" with NaN numbers; no accuracy is ever invented.

The carbon estimate takes ``area_ha`` and ``area_ci_ha`` from here as the area term and its
uncertainty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from bluecarbon.errors import InputError
from bluecarbon.geo import pixel_area_ha
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import Habitat

AREA_COLUMNS = (
    "site",
    "year",
    "habitat",
    "area_ha",
    "area_ci_ha",
    "area_source",
    "area_ci_source",
    "mapped_area_ha",
)
ACCURACY_COLUMNS = (
    "site",
    "year",
    "habitat",
    "status",
    "reference",
    "sample_design",
    "n_samples",
    "mapped_area_ha",
    "area_ha",
    "area_ci_ha",
    "users_accuracy",
    "users_accuracy_ci",
    "producers_accuracy",
    "producers_accuracy_ci",
    "overall_accuracy",
    "overall_accuracy_ci",
    "confidence",
    "method",
)
ASSESSED = "assessed"
NOT_ASSESSED = "not assessed"


def default_relative_ci(area_source: str, *, parameters: ParameterSet) -> tuple[float, str]:
    """Relative 95 % half-width for unassessed areas of ``area_source`` and its citation
    (``area_uncertainty`` table of ``parameters``)."""
    table = parameters.table("area_uncertainty")
    rows = table[table["area_source"] == area_source]
    if len(rows) != 1:
        raise InputError(
            f"no default area uncertainty for {area_source!r}",
            file=parameters.origin("area_uncertainty"),
            expected="one of " + ", ".join(table["area_source"]),
        )
    row = rows.iloc[0]
    label = (
        f"default {float(row['relative_ci95']):.0%} of mapped area "
        f"(params/area_uncertainty.csv, verified={bool(row['verified'])})"
    )
    return float(row["relative_ci95"]), label


def mapped_area(habitat: xr.DataArray) -> pd.DataFrame:
    """Mapped area (ha) per ``year`` and habitat of a ``(year, y, x)`` code map.

    Counts are lazy per class and computed together, so the map is read once.
    """
    if "year" not in habitat.dims:
        raise InputError("habitat map has no year dimension", expected="(year, y, x)")
    per_pixel = pixel_area_ha(habitat)
    counts = xr.concat(
        [(habitat == h.code).sum(("y", "x")) for h in Habitat],
        dim=pd.Index([h.value for h in Habitat], name="habitat"),
    ).compute()
    frame = counts.to_dataframe(name="pixels").reset_index()[["year", "habitat", "pixels"]]
    frame = frame[frame["pixels"] > 0]
    frame["area_ha"] = frame["pixels"].astype("float64") * per_pixel
    frame["year"] = frame["year"].astype(int)
    return frame.drop(columns="pixels").sort_values(["year", "habitat"]).reset_index(drop=True)


def area_with_default_ci(
    areas: pd.DataFrame, *, site: str, area_source: str, parameters: ParameterSet
) -> pd.DataFrame:
    """``habitat_area`` rows for unassessed areas: CI from the documented default."""
    relative, label = default_relative_ci(area_source, parameters=parameters)
    out = areas[["year", "habitat", "area_ha"]].copy()
    out.insert(0, "site", site)
    out["area_ci_ha"] = out["area_ha"] * relative
    out["area_source"] = area_source
    out["area_ci_source"] = label
    out["mapped_area_ha"] = out["area_ha"]
    return out[list(AREA_COLUMNS)].reset_index(drop=True)


def area_from_estimate(estimate: pd.DataFrame, *, site: str, year: int) -> pd.DataFrame:
    """``habitat_area`` rows from :func:`bluecarbon.habitat.accuracy.area_estimate` (areas in ha)."""
    confidence = float(estimate.attrs.get("confidence", np.nan))
    out = pd.DataFrame(
        {
            "site": site,
            "year": int(year),
            "habitat": [Habitat(str(c)).value for c in estimate.index],
            "area_ha": estimate["area"].to_numpy(float),
            "area_ci_ha": estimate["area_ci"].to_numpy(float),
            "area_source": "error_adjusted_estimate",
            "area_ci_source": f"Olofsson et al. 2014 stratified estimator, {confidence:.0%} CI",
            "mapped_area_ha": estimate["mapped_area"].to_numpy(float),
        }
    )
    return out[list(AREA_COLUMNS)]


def accuracy_from_estimate(
    estimate: pd.DataFrame, *, site: str, year: int, reference: str, sample_design: str
) -> pd.DataFrame:
    """``accuracy`` rows of an assessed map (one per class, overall accuracy repeated)."""
    attrs = estimate.attrs
    out = pd.DataFrame(
        {
            "site": site,
            "year": int(year),
            "habitat": [Habitat(str(c)).value for c in estimate.index],
            "status": ASSESSED,
            "reference": reference,
            "sample_design": sample_design,
            "n_samples": estimate["n_samples"].to_numpy("int64"),
            "mapped_area_ha": estimate["mapped_area"].to_numpy(float),
            "area_ha": estimate["area"].to_numpy(float),
            "area_ci_ha": estimate["area_ci"].to_numpy(float),
            "users_accuracy": estimate["users_accuracy"].to_numpy(float),
            "users_accuracy_ci": estimate["users_accuracy_ci"].to_numpy(float),
            "producers_accuracy": estimate["producers_accuracy"].to_numpy(float),
            "producers_accuracy_ci": estimate["producers_accuracy_ci"].to_numpy(float),
            "overall_accuracy": float(attrs["overall_accuracy"]),
            "overall_accuracy_ci": float(attrs["overall_accuracy_ci"]),
            "confidence": float(attrs["confidence"]),
            "method": str(attrs.get("method", "")),
        }
    )
    return out[list(ACCURACY_COLUMNS)]


def accuracy_not_assessed(mapped: pd.DataFrame, *, site: str, reason: str) -> pd.DataFrame:
    """``accuracy`` rows saying "not assessed" for every (year, habitat) of ``mapped``.

    Numbers are NaN (nothing was measured) and ``reference`` gives the reason.
    """
    out = pd.DataFrame(
        {
            "site": site,
            "year": mapped["year"].astype("int64").to_numpy(),
            "habitat": [Habitat(str(h)).value for h in mapped["habitat"]],
            "status": NOT_ASSESSED,
            "reference": f"none: {reason}",
            "sample_design": "none",
            "n_samples": np.zeros(len(mapped), dtype="int64"),
            "mapped_area_ha": mapped["area_ha"].to_numpy(float),
        }
    )
    for column in ACCURACY_COLUMNS:
        if column not in out.columns:
            out[column] = "" if column == "method" else np.nan
    return out[list(ACCURACY_COLUMNS)]
