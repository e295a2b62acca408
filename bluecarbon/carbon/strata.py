"""Stratum summaries of per-core or per-plot values (Verra VM0033 v2.1, section 8.5).

One function does the statistics for every kind of stratum (habitat, species, site; cores
and plots) so that a number in a release always means the same thing: the mean of the
sampling units, its standard error from their spread, and the 90 % confidence half-width
t(0.95, n-1) x SE, also as a percentage of the mean (the "uncertainty" VM0033 compares with
its 20 % allowance). The within-unit (measurement/model) error is reported beside it as
``unit_se`` = sqrt(sum se_i^2) / n, the SE of the mean if only that error existed; it is not
added to the sampling SE, which already contains it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

SUMMARY_COLUMNS = (
    "n",
    "mean",
    "median",
    "sd",
    "se",
    "t90",
    "ci90_half_width",
    "ci90_low",
    "ci90_high",
    "uncertainty_pct",
    "unit_se",
)


def stratum_summary(
    frame: pd.DataFrame, *, by: str | Sequence[str], value: str, unit_se: str | None = None
) -> pd.DataFrame:
    """n, mean, median, SD, SE, t(0.95, n-1), 90 % CI half-width, bounds, % uncertainty and
    the within-unit SE of ``value`` per group of ``by`` (NaN values are left out).

    Notes
    -----
    SD with n - 1 degrees of freedom; SE = SD / sqrt(n); half-width = t_{0.95, n-1} x SE;
    uncertainty % = 100 x half-width / mean. With n = 1, SD, SE and the CI are NaN.

    References
    ----------
    Verra VM0033 v2.1 (2023), section 8.5, equations 90-92.
    """
    keys = [by] if isinstance(by, str) else list(by)
    data = frame[frame[value].notna()]
    work = data[keys].reset_index(drop=True)
    work["_v"] = data[value].astype("float64").to_numpy()
    if unit_se is not None:
        work["_se2"] = data[unit_se].astype("float64").to_numpy() ** 2
    grouped = work.groupby(keys, sort=True, dropna=False)
    out = grouped["_v"].agg(n="size", mean="mean", median="median", sd="std")
    out["se"] = out["sd"] / np.sqrt(out["n"])
    dof = (out["n"] - 1).where(out["n"] > 1)
    out["t90"] = stats.t.ppf(0.95, dof)
    out["ci90_half_width"] = out["t90"] * out["se"]
    out["ci90_low"] = out["mean"] - out["ci90_half_width"]
    out["ci90_high"] = out["mean"] + out["ci90_half_width"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["uncertainty_pct"] = 100.0 * out["ci90_half_width"] / out["mean"].abs()
    if unit_se is not None:
        out["unit_se"] = np.sqrt(grouped["_se2"].sum(min_count=1)) / out["n"]
    else:
        out["unit_se"] = np.nan
    out["n"] = out["n"].astype("int64")
    return out.reset_index()[[*keys, *SUMMARY_COLUMNS]]


#: Columns of the long stratum table (``strata`` release table proposed to the lead).
STRATA_COLUMNS = (
    "pool",
    "quantity",
    "depth_cm",
    "stratum_kind",
    "stratum",
    "habitat",
    *SUMMARY_COLUMNS,
    "n_excluded",
    "units",
    "carbon_basis",
)


def long_strata(
    frame: pd.DataFrame,
    strata: dict[str, pd.Series],
    *,
    value: str,
    unit_se: str | None,
    eligible: pd.Series,
    pool: str,
    quantity: str,
    depth_cm: pd.Series | float,
    units: str,
) -> pd.DataFrame:
    """Stratum summaries of ``value`` for several kinds of strata at once.

    ``strata`` maps a kind (``habitat``, ``species``, ``site``) to the stratum label of
    every row (a row may appear in several species strata: pass a Series with a repeated
    index). Rows not ``eligible`` (e.g. cores that stop short of the depth) are left out and
    counted in ``n_excluded``.
    """
    parts = []
    base = frame.assign(_eligible=eligible.to_numpy(), depth_cm=depth_cm)
    for kind, labels in strata.items():
        work = (
            base.loc[labels.index].reset_index(drop=True).assign(stratum=labels.astype("string").to_numpy())
        )
        work = work[work["stratum"].notna()]
        keys = ["depth_cm", "habitat", "stratum"]
        summary = stratum_summary(work[work["_eligible"]], by=keys, value=value, unit_se=unit_se)
        excluded = (
            work[~work["_eligible"] & work[value].notna()]
            .groupby(keys, dropna=False)
            .size()
            .rename("n_excluded")
        )
        summary = summary.merge(excluded.reset_index(), on=keys, how="outer")
        summary["n"] = summary["n"].fillna(0).astype("int64")
        summary["n_excluded"] = summary["n_excluded"].fillna(0).astype("int64")
        summary["stratum_kind"] = kind
        parts.append(summary)
    out = pd.concat(parts, ignore_index=True)
    out["pool"] = pool
    out["quantity"] = quantity
    out["units"] = units
    out["carbon_basis"] = "C"
    out = out.astype({"stratum": "string", "habitat": "string", "stratum_kind": "string"})
    return (
        out[list(STRATA_COLUMNS)]
        .sort_values(["depth_cm", "stratum_kind", "habitat", "stratum"])
        .reset_index(drop=True)
    )


def core_strata(stocks: pd.DataFrame, *, species: pd.DataFrame | None = None) -> pd.DataFrame:
    """Soil-stock strata per depth and habitat, species (CCN ``species`` table: a core counts
    once in each species listed for it) and site (``study_id/site_id``).

    Only cores that reached the depth, or were extrapolated to it, enter a stratum; cores
    that stop short are counted in ``n_excluded`` (their stock to the sampled depth would
    bias the mean low).
    """
    frame = stocks.reset_index(drop=True)
    eligible = (frame["reached_depth"] | frame["extrapolated"]) & frame["stock_mg_c_ha"].notna()
    strata = {
        "habitat": frame["habitat"],
        "site": frame["study_id"].astype("string") + "/" + frame["site_id"].astype("string").fillna(""),
    }
    if species is not None and not species.empty:
        codes = species[["study_id", "core_id", "species_code"]].astype("string").dropna().drop_duplicates()
        keyed = frame[["study_id", "core_id"]].astype("string").reset_index()
        joined = keyed.merge(codes, on=["study_id", "core_id"], how="inner")
        strata["species"] = pd.Series(joined["species_code"].to_numpy(), index=joined["index"].to_numpy())
    return long_strata(
        frame,
        strata,
        value="stock_mg_c_ha",
        unit_se="stock_se_mg_c_ha",
        eligible=eligible,
        pool="soil",
        quantity="soil organic carbon stock",
        depth_cm=frame["depth_cm"],
        units="Mg ha-1",
    )
