"""Soil organic carbon stocks from sediment cores (Howard et al. 2014; CCN practice).

Shaped as a short pipeline of vectorised table steps, each testable against hand-computed
values, with no per-core Python loop (13,687 CCN cores at two depths take about a second):

1. :func:`interval_carbon`: one row per sampled interval (replicates averaged) with the
   organic-carbon fraction and its origin (``oc_origin``: measured > author-modeled > site
   regression > habitat LOI equation), dry bulk density and its origin (measured > ideal
   mixing), relative standard errors, and in-situ depths (compaction undone).
2. :func:`horizons`: each usable sample represents the horizon between the midpoints of the
   gaps to its neighbours (discontinuous sampling; CCN ``representative_depth_*`` win when
   given); the first reaches up to the surface when it starts within ``max_surface_gap_cm``.
3. :func:`integrate`: carbon mass between two depths per core, with its variance.
4. :func:`core_stocks`: validates (fail fast), integrates to ``depth_cm`` and, when asked,
   extrapolates below the core (log-log fit of cumulative mass against depth, Young et al.
   2018), flagged and with its own error.

Every value keeps its origin so uncertainty can be propagated:

- an interval's carbon mass is m = DBD x fOC x thickness (g C cm-2; x 100 -> Mg C ha-1);
- each of DBD and fOC carries a relative SE, split into an *independent* part (measurement
  error, uncorrelated between samples: summed in quadrature over the core) and a *systematic*
  part (a model or equation error, the same sign down the core: summed linearly, then in
  quadrature with the rest)::

      SE_core^2 = sum_i m_i^2 (r_dbd,ind^2 + r_oc,ind^2) + (sum_i m_i r_oc,sys)^2
                  + (sum_i m_i r_dbd,sys)^2

- the extrapolated increment below the core adds its own SE (a relative error measured by
  truncating full CCN cores, ``core_uncertainty.csv``) in quadrature.

The error of assigning a sample to a horizon (bridging gaps between samples) is not in the SE.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import pandas as pd

from bluecarbon.ingest.ccn import FOURQUREAN_TRAP_FOLDER
from bluecarbon.ingest.core_validation import (
    DEPTH_NUMERIC,
    effective_interval,
    normalise_habitat,
    validate_core_tables,
)
from bluecarbon.params import ParameterSet
from bluecarbon.units import MG_HA_PER_G_CM2

KEY: Final[list[str]] = ["study_id", "core_id"]
#: Organic-carbon origins, in order of preference.
OC_ORIGINS: Final[tuple[str, ...]] = (
    "measured",
    "author_modeled",
    "site_regression",
    "habitat_equation",
)
DBD_ORIGINS: Final[tuple[str, ...]] = ("measured", "ideal_mixing")
#: Carbonate-removal methods (CCN vocabulary) under which a "total carbon" value is organic.
ORGANIC_TOTAL_CARBON: Final[frozenset[str]] = frozenset(
    {"acid fumigation", "direct acid treatment", "low carbonate soil"}
)
ExtrapolationModel = Literal["power", "log_depth"]
#: Model used by :func:`core_stocks` (chosen by the truncation test, see docs/cores.md).
EXTRAPOLATION_MODEL: Final[ExtrapolationModel] = "power"


# --------------------------------------------------------------------------- equations
def loi_to_organic_carbon(fom: pd.Series, habitat: pd.Series, *, parameters: ParameterSet) -> pd.Series:
    """Organic-carbon fraction from the loss-on-ignition fraction with each habitat's default
    equation (``params/loi_to_oc.csv``). NaN where no equation applies.

    Notes
    -----
    tidal marsh  fOC = 0.427 fOM + 0.0635 fOM^2;
    seagrass     %OC = -0.21 + 0.40 %LOI (LOI < 20 %), -0.33 + 0.43 %LOI (LOI >= 20 %);
    mangrove     fOC = 0.486 fOM - 0.016 fOM^2. Negative results are clipped to 0.

    References
    ----------
    Holmquist et al. 2018, Sci. Rep. 8:9478; Fourqurean et al. 2012, Nat. Geosci. 5:505.
    """
    table = parameters.table("loi_to_oc")
    defaults = table[table["equation_id"] != "craft1991_salt_marsh"]
    out = pd.Series(np.nan, index=fom.index, dtype="float64")
    for row in defaults.itertuples():
        x = fom * 100.0 if row.scale == "percent" else fom
        mask = (habitat == row.habitat) & (x >= row.applies_from) & (x < row.applies_below)
        y = row.a0 + row.a1 * x + row.a2 * x**2
        if row.scale == "percent":
            y = y / 100.0
        out = out.where(~mask, y)
    return out.clip(lower=0.0)


def ideal_mixing_bulk_density(
    fom: pd.Series | np.ndarray | float, *, parameters: ParameterSet
) -> pd.Series | np.ndarray | float:
    """Dry bulk density (g cm-3) from the organic-matter fraction.

    Notes
    -----
    DBD = 1 / (fOM/k1 + (1 - fOM)/k2), k1 = 0.098 and k2 = 1.67 g cm-3 (self-packing
    densities of organic and mineral matter, ``params/soil_defaults.csv``).

    References
    ----------
    Morris et al. 2016, Earth's Future 4:110.
    """
    k1 = parameters.value("soil_defaults", "om_self_packing_density")
    k2 = parameters.value("soil_defaults", "mineral_self_packing_density")
    return 1.0 / (fom / k1 + (1.0 - fom) / k2)


def fit_site_regressions(x: pd.Series, y: pd.Series, groups: pd.Series, *, min_n: int) -> pd.DataFrame:
    """Least-squares fOC = b1 fOM + b2 fOM^2 (through the origin) per group, vectorised.

    Returns one row per group with ``b1``, ``b2``, ``n``, ``s`` (residual SD), the inverse
    normal-matrix terms ``i11``, ``i12``, ``i22`` (for the SE of a prediction), ``x_min``,
    ``x_max`` and ``valid`` (n >= ``min_n``, a proper fit, non-negative on [x_min, x_max]).

    Notes
    -----
    With S_k = sum x^k, Sxy = sum x y, Sx2y = sum x^2 y and D = S2 S4 - S3^2:
    b1 = (S4 Sxy - S3 Sx2y) / D, b2 = (S2 Sx2y - S3 Sxy) / D,
    s^2 = (sum y^2 - b1 Sxy - b2 Sx2y) / (n - 2),
    Var(prediction at x0) = s^2 (S4 x0^2 - 2 S3 x0^3 + S2 x0^4) / D.
    """
    frame = pd.DataFrame(
        {
            "g": groups.to_numpy(),
            "n": 1.0,
            "s2": x**2,
            "s3": x**3,
            "s4": x**4,
            "sxy": x * y,
            "sx2y": x**2 * y,
            "syy": y**2,
            "x_min": x,
            "x_max": x,
        }
    )
    agg = frame.groupby("g", sort=False).agg(
        {
            "n": "sum",
            "s2": "sum",
            "s3": "sum",
            "s4": "sum",
            "sxy": "sum",
            "sx2y": "sum",
            "syy": "sum",
            "x_min": "min",
            "x_max": "max",
        }
    )
    det = agg["s2"] * agg["s4"] - agg["s3"] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        b1 = (agg["s4"] * agg["sxy"] - agg["s3"] * agg["sx2y"]) / det
        b2 = (agg["s2"] * agg["sx2y"] - agg["s3"] * agg["sxy"]) / det
        ssr = (agg["syy"] - b1 * agg["sxy"] - b2 * agg["sx2y"]).clip(lower=0.0)
        s = np.sqrt(ssr / (agg["n"] - 2))
    out = pd.DataFrame(
        {
            "b1": b1,
            "b2": b2,
            "n": agg["n"].astype(int),
            "s": s,
            "i11": agg["s4"] / det,
            "i12": -agg["s3"] / det,
            "i22": agg["s2"] / det,
            "x_min": agg["x_min"],
            "x_max": agg["x_max"],
        }
    )
    positive = (b1 + b2 * out["x_min"] >= 0) & (b1 + b2 * out["x_max"] >= 0) & (b1 > 0)
    out["valid"] = (out["n"] >= min_n) & (det > 0) & positive & np.isfinite(s)
    out.index.name = "group"
    return out


# ---------------------------------------------------------------------------- intervals
def interval_carbon(
    cores: pd.DataFrame,
    depthseries: pd.DataFrame,
    methods: pd.DataFrame | None = None,
    *,
    parameters: ParameterSet,
) -> pd.DataFrame:
    """One row per measured interval of each core (replicates averaged) with ``habitat``,
    ``f_oc``, ``oc_origin``, ``dbd``, ``dbd_origin``, their relative SEs (``*_rse_ind`` /
    ``*_rse_sys``), ``carbon_density_g_cm3`` and in-situ ``top_cm`` / ``bottom_cm``.

    Inputs are assumed valid (see :func:`bluecarbon.ingest.core_validation.validate_core_tables`).
    """
    ds = _merge_intervals(cores, depthseries)
    ds = _attach_carbon_type(ds, methods)
    ds = _organic_carbon(ds, parameters)
    ds = _bulk_density(ds, parameters)
    ds["carbon_density_g_cm3"] = ds["dbd"] * ds["f_oc"]
    return _in_situ_depths(ds)


def _merge_intervals(cores: pd.DataFrame, depthseries: pd.DataFrame) -> pd.DataFrame:
    ds = pd.DataFrame({k: depthseries[k].astype("string") for k in KEY})
    for column in DEPTH_NUMERIC:
        ds[column] = (
            pd.to_numeric(depthseries[column], errors="coerce").astype("float64")
            if column in depthseries.columns
            else np.nan
        )
    for column in ("method_id", "fraction_carbon_type"):
        if column in depthseries.columns:
            ds[column] = depthseries[column].astype("string")
    measured = ds[["dry_bulk_density", "fraction_organic_matter", "fraction_carbon"]].notna().any(axis=1)
    top, bottom = effective_interval(ds)
    ds = ds.assign(top_sampled_cm=top, bottom_sampled_cm=bottom)
    ds = ds[measured & top.notna() & bottom.notna()]

    core_cols = [c for c in ("site_id", "habitat", "source_folder") if c in cores.columns]
    info = cores[KEY + core_cols].astype({k: "string" for k in KEY}).drop_duplicates(KEY)
    info["habitat"] = normalise_habitat(info["habitat"])
    if "source_folder" not in info.columns:
        info["source_folder"] = ""

    group = [*KEY, "top_sampled_cm", "bottom_sampled_cm"]
    firsts = [c for c in ("method_id", "fraction_carbon_type") if c in ds.columns]
    aggs: dict[str, str | tuple[str, str]] = {c: "mean" for c in DEPTH_NUMERIC}
    aggs |= {c: "first" for c in firsts}
    merged = ds.groupby(group, sort=False, dropna=False).agg(aggs)
    merged["n_replicates"] = ds.groupby(group, sort=False, dropna=False).size()
    merged = merged.reset_index().merge(info, on=KEY, how="inner", validate="many_to_one")
    return merged


def _attach_carbon_type(ds: pd.DataFrame, methods: pd.DataFrame | None) -> pd.DataFrame:
    """``fc_total`` (fraction_carbon is total carbon incl. carbonate) and ``fc_modeled``."""
    ds["fc_total"] = False
    ds["fc_modeled"] = False
    wanted = [
        "fraction_carbon_type",
        "carbon_measured_or_modeled",
        "carbonates_removed",
        "carbonate_removal_method",
    ]
    if methods is not None and not methods.empty and "method_id" in ds.columns:
        m = methods.reindex(columns=["study_id", "method_id", *wanted]).astype("string")
        m = m.drop_duplicates(["study_id", "method_id"])
        by_method = ds[["study_id", "method_id"]].merge(m, on=["study_id", "method_id"], how="left")
        single = m.groupby("study_id").filter(lambda g: len(g) == 1).drop(columns="method_id")
        by_study = ds[["study_id"]].merge(single, on="study_id", how="left")
        info = by_method[wanted].fillna(by_study[wanted])
        info.index = ds.index
        if "fraction_carbon_type" in ds.columns:
            info["fraction_carbon_type"] = ds["fraction_carbon_type"].fillna(info["fraction_carbon_type"])
    else:
        info = pd.DataFrame(index=ds.index, columns=wanted, dtype="string")
        if "fraction_carbon_type" in ds.columns:
            info["fraction_carbon_type"] = ds["fraction_carbon_type"]
    kind = info["fraction_carbon_type"].str.strip().str.lower()
    removal = info["carbonate_removal_method"].str.strip().str.lower()
    removed = info["carbonates_removed"].str.strip().str.lower().eq("true")
    organic_anyway = removal.isin(ORGANIC_TOTAL_CARBON).fillna(False) | removed.fillna(False)
    ds["fc_total"] = (kind.eq("total carbon").fillna(False) & ~organic_anyway).to_numpy()
    ds["fc_modeled"] = info["carbon_measured_or_modeled"].str.strip().str.lower().eq("modeled").fillna(False)
    return ds


def _organic_carbon(ds: pd.DataFrame, parameters: ParameterSet) -> pd.DataFrame:
    ds["trap"] = ds["source_folder"].eq(FOURQUREAN_TRAP_FOLDER).fillna(False).to_numpy()
    fc = ds["fraction_carbon"]
    fom = ds["fraction_organic_matter"].where(~ds["trap"])
    organic_fc = fc.where(~ds["trap"] & ~ds["fc_total"])
    measured = organic_fc.where(~ds["fc_modeled"])
    author = organic_fc.where(ds["fc_modeled"])
    trap_oc = ds["fraction_organic_matter"].where(ds["trap"])

    site_fit, site_se, site_s = _site_regression(ds, fom, measured, parameters)
    habitat_eq = loi_to_organic_carbon(fom, ds["habitat"], parameters=parameters)

    choices = [
        (trap_oc, "measured"),
        (measured, "measured"),
        (author, "author_modeled"),
        (site_fit, "site_regression"),
        (habitat_eq, "habitat_equation"),
    ]
    f_oc = pd.Series(np.nan, index=ds.index)
    origin = pd.Series("missing", index=ds.index, dtype="object")
    for values, name in choices:
        take = f_oc.isna() & values.notna()
        f_oc = f_oc.where(~take, values)
        origin = origin.where(~take, name)
    ds["f_oc"] = f_oc
    ds["oc_origin"] = origin
    ds["total_carbon_excluded"] = ds["fc_total"] & fc.notna()

    with np.errstate(divide="ignore", invalid="ignore"):
        ds["oc_rse_ind"] = np.select(
            [origin.eq("measured"), origin.eq("site_regression")],
            [np.full(len(ds), _rse("oc_measured_relative_se", parameters)), site_s / f_oc],
            default=0.0,
        )
        ds["oc_rse_sys"] = np.select(
            [origin.eq("author_modeled"), origin.eq("site_regression"), origin.eq("habitat_equation")],
            [
                np.full(len(ds), _rse("author_modeled_oc_relative_se", parameters)),
                site_se / f_oc,
                _equation_rse(ds["habitat"], parameters),
            ],
            default=0.0,
        )
    return ds


def _site_regression(
    ds: pd.DataFrame, fom: pd.Series, measured: pd.Series, parameters: ParameterSet
) -> tuple[pd.Series, ...]:
    """Prediction, SE of the mean prediction and residual SD of the site (else study)
    regression, for rows with LOI but no measured organic carbon; NaN elsewhere."""
    min_n = int(parameters.value("soil_defaults", "min_paired_samples_site_regression"))
    paired = fom.notna() & measured.notna() & (fom > 0)
    site = ds["study_id"].astype(str) + "\x1f" + ds.get("site_id", pd.Series("", index=ds.index)).astype(str)
    levels = {"site": site, "study": ds["study_id"].astype(str)}
    pred = pd.Series(np.nan, index=ds.index)
    se = pd.Series(np.nan, index=ds.index)
    resid = pd.Series(np.nan, index=ds.index)
    wanted = fom.notna() & measured.isna()
    if not paired.any() or not wanted.any():
        return pred, se, resid
    for level in ("site", "study"):
        groups = levels[level]
        fits = fit_site_regressions(fom[paired], measured[paired], groups[paired], min_n=min_n)
        fits = fits[fits["valid"]]
        if fits.empty:
            continue
        todo = wanted & pred.isna() & groups.isin(fits.index)
        f = fits.reindex(groups[todo].to_numpy())
        x = fom[todo].to_numpy()
        inside = (x >= f["x_min"].to_numpy()) & (x <= f["x_max"].to_numpy())
        y = f["b1"].to_numpy() * x + f["b2"].to_numpy() * x**2
        var = f["s"].to_numpy() ** 2 * (
            f["i11"].to_numpy() * x**2 + 2 * f["i12"].to_numpy() * x**3 + f["i22"].to_numpy() * x**4
        )
        idx = fom[todo].index[inside]
        pred.loc[idx] = y[inside]
        se.loc[idx] = np.sqrt(np.clip(var[inside], 0.0, None))
        resid.loc[idx] = f["s"].to_numpy()[inside]
    return pred, se, resid


def _bulk_density(ds: pd.DataFrame, parameters: ParameterSet) -> pd.DataFrame:
    measured = ds["dry_bulk_density"].where(ds["dry_bulk_density"] > 0)
    fom = ds["fraction_organic_matter"].where(~ds["trap"])
    filled = ideal_mixing_bulk_density(fom.where((fom >= 0) & (fom <= 1)), parameters=parameters)
    ds["dbd"] = measured.fillna(filled)
    ds["dbd_origin"] = np.where(
        measured.notna(), "measured", np.where(ds["dbd"].notna(), "ideal_mixing", "missing")
    )
    ds["dbd_rse_ind"] = np.where(measured.notna(), _rse("dbd_measured_relative_se", parameters), 0.0)
    ds["dbd_rse_sys"] = np.where(
        measured.isna() & ds["dbd"].notna(), _rse("dbd_ideal_mixing_relative_se", parameters), 0.0
    )
    return ds


def _in_situ_depths(ds: pd.DataFrame) -> pd.DataFrame:
    """Sampled or representative depths, with compaction undone where ``compaction_fraction``
    is given: thicknesses and gaps are stretched by 1/(1 - c) from the surface down, and the
    carbon density is scaled by (1 - c), so each interval keeps its carbon mass per area."""
    ds = ds.sort_values([*KEY, "top_sampled_cm", "bottom_sampled_cm"], kind="stable").reset_index(drop=True)
    c = ds["compaction_fraction"].fillna(0.0).clip(lower=0.0, upper=0.99)
    compacted = (c > 0).groupby([ds[k] for k in KEY], sort=False).transform("any")
    top, bottom = ds["top_sampled_cm"], ds["bottom_sampled_cm"]
    by_core = [ds[k] for k in KEY]
    prev_bottom = bottom.groupby(by_core, sort=False).shift().fillna(0.0)
    prev_c = c.groupby(by_core, sort=False).shift().fillna(c)
    gap = (top - prev_bottom) / (1.0 - (c + prev_c) / 2.0)
    thick = (bottom - top) / (1.0 - c)
    new_bottom = (gap + thick).groupby(by_core, sort=False).cumsum()
    ds["compaction_corrected"] = compacted
    ds["top_cm"] = np.where(compacted, new_bottom - thick, top)
    ds["bottom_cm"] = np.where(compacted, new_bottom, bottom)
    ds["carbon_density_g_cm3"] = np.where(
        compacted, ds["carbon_density_g_cm3"] * (1.0 - c), ds["carbon_density_g_cm3"]
    )
    return ds


def _rse(name: str, parameters: ParameterSet) -> float:
    """A relative SE from ``params/core_uncertainty.csv``."""
    return parameters.value("core_uncertainty", name)


def _equation_rse(habitat: pd.Series, parameters: ParameterSet) -> pd.Series:
    table = parameters.table("core_uncertainty")
    rows = table[table["parameter"] == "loi_equation_relative_se"]
    by_habitat = pd.Series(rows["value"].to_numpy(float), index=rows["habitat"].astype(str).to_numpy())
    return habitat.map(by_habitat).astype("float64")


# ----------------------------------------------------------------------------- horizons
def horizons(intervals: pd.DataFrame, *, parameters: ParameterSet) -> pd.DataFrame:
    """Usable intervals (a carbon density) with the horizon each represents: ``upper_cm``,
    ``lower_cm``, in situ.

    Notes
    -----
    With usable samples sorted by depth, lower_i = (bottom_i + top_{i+1}) / 2 (the midpoint of
    the gap to the next sample; bottom_i for contiguous sampling and for the deepest sample),
    upper_i = lower_{i-1}, upper_1 = 0 (the surface). A core whose first usable sample starts
    deeper than ``max_surface_gap_cm`` gets ``surface_ok`` False (no stock from the surface).
    """
    max_gap = parameters.value("soil_defaults", "max_surface_gap_cm")
    h = intervals[intervals["carbon_density_g_cm3"].notna()].copy()
    h = h.sort_values([*KEY, "top_cm", "bottom_cm"], kind="stable").reset_index(drop=True)
    by_core = [h[k] for k in KEY]
    next_top = h["top_cm"].groupby(by_core, sort=False).shift(-1)
    lower = np.where(next_top.notna(), (h["bottom_cm"] + next_top) / 2.0, h["bottom_cm"])
    h["lower_cm"] = lower
    upper = h["lower_cm"].groupby(by_core, sort=False).shift().fillna(0.0)
    h["upper_cm"] = np.minimum(upper, h["lower_cm"])
    first_top = h["top_cm"].groupby(by_core, sort=False).transform("first")
    h["surface_ok"] = first_top <= max_gap
    return h


def integrate(h: pd.DataFrame, *, top_cm: float, bottom_cm: float) -> pd.DataFrame:
    """Carbon mass between ``top_cm`` and ``bottom_cm`` per core (g C cm-2) with its
    independent variance and systematic SE terms.

    Notes
    -----
    mass = sum_i CD_i x overlap([upper_i, lower_i], [top, bottom]); 1 g C cm-2 = 100 Mg C ha-1.
    """
    overlap = (np.minimum(h["lower_cm"], bottom_cm) - np.maximum(h["upper_cm"], top_cm)).clip(lower=0.0)
    mass = h["carbon_density_g_cm3"] * overlap
    parts = pd.DataFrame(
        {
            "study_id": h["study_id"],
            "core_id": h["core_id"],
            "mass_g_cm2": mass,
            "var_ind": mass**2 * (h["oc_rse_ind"] ** 2 + h["dbd_rse_ind"] ** 2),
            "sys_oc": mass * h["oc_rse_sys"],
            "sys_dbd": mass * h["dbd_rse_sys"],
        }
    )
    return parts.groupby(KEY, sort=False).sum()


# --------------------------------------------------------------------------- extrapolation
def fit_cumulative_mass(
    h: pd.DataFrame, *, model: ExtrapolationModel = EXTRAPOLATION_MODEL, below_cm: float | None = None
) -> pd.DataFrame:
    """Per core, fit cumulative carbon mass M (g cm-2) at each horizon bottom z (cm).

    ``model="power"``: ln M = a + b ln z (Young et al. 2018's log-linear fit, linear in log
    space); ``model="log_depth"``: M = a + b ln z. Only horizons with lower_cm <= ``below_cm``
    are used when given (for truncation tests). Returns ``a``, ``b``, ``n``, ``z_max``,
    ``m_max`` (observed cumulative mass at z_max).

    References
    ----------
    Young et al. 2018, Biol. Lett. 14:20180416.
    """
    cum = h.assign(
        cum=(h["carbon_density_g_cm3"] * (h["lower_cm"] - h["upper_cm"]))
        .groupby([h[k] for k in KEY], sort=False)
        .cumsum()
    )
    pts = cum[(cum["lower_cm"] > 0) & (cum["cum"] > 0) & cum["surface_ok"]]
    if below_cm is not None:
        pts = pts[pts["lower_cm"] <= below_cm]
    x = np.log(pts["lower_cm"])
    y = np.log(pts["cum"]) if model == "power" else pts["cum"]
    frame = pd.DataFrame(
        {
            "study_id": pts["study_id"],
            "core_id": pts["core_id"],
            "n": 1.0,
            "x": x,
            "y": y,
            "xx": x * x,
            "xy": x * y,
        }
    )
    s = frame.groupby(KEY, sort=False).sum()
    last = pts.groupby(KEY, sort=False).agg(z_max=("lower_cm", "max"), m_max=("cum", "last"))
    with np.errstate(divide="ignore", invalid="ignore"):
        sxx = s["xx"] - s["x"] ** 2 / s["n"]
        b = (s["xy"] - s["x"] * s["y"] / s["n"]) / sxx
        a = (s["y"] - b * s["x"]) / s["n"]
    return pd.DataFrame({"a": a, "b": b, "n": s["n"].astype(int)}).join(last)


def predict_cumulative_mass(fit: pd.DataFrame, depth_cm: float, *, model: ExtrapolationModel) -> pd.Series:
    """Fitted cumulative mass at ``depth_cm`` (g C cm-2)."""
    if model == "power":
        return np.exp(fit["a"] + fit["b"] * np.log(depth_cm))
    return fit["a"] + fit["b"] * np.log(depth_cm)


def extrapolated_increment(
    fit: pd.DataFrame,
    depth_cm: float,
    *,
    parameters: ParameterSet,
    model: ExtrapolationModel = EXTRAPOLATION_MODEL,
) -> pd.Series:
    """Carbon mass between the deepest horizon and ``depth_cm`` from the fitted curve:
    M_fit(D) - M_fit(z_max) (g C cm-2); NaN where the core may not be extrapolated (too few
    horizons, too shallow for the target, a fit that does not increase with depth, or, for the
    power model, an exponent above ``extrapolation_max_exponent``)."""
    min_points = parameters.value("soil_defaults", "extrapolation_min_points")
    max_ratio = parameters.value("soil_defaults", "extrapolation_max_ratio")
    max_b = parameters.value("soil_defaults", "extrapolation_max_exponent")
    ok = (fit["n"] >= min_points) & (fit["z_max"] * max_ratio >= depth_cm) & (fit["b"] > 0)
    if model == "power":
        ok &= fit["b"] <= max_b
    ok &= np.isfinite(fit["a"]) & np.isfinite(fit["b"])
    zmax = fit["z_max"].clip(lower=1e-9)
    # fits outside ``ok`` (e.g. a vertical line) may overflow: they are discarded below
    with np.errstate(over="ignore", invalid="ignore"):
        if model == "power":
            at_bottom = np.exp(fit["a"] + fit["b"] * np.log(zmax))
        else:
            at_bottom = fit["a"] + fit["b"] * np.log(zmax)
        increment = predict_cumulative_mass(fit, depth_cm, model=model) - at_bottom
    return increment.where(ok & (increment >= 0))


# ------------------------------------------------------------------------------ stocks
def core_stocks(
    cores: pd.DataFrame,
    depthseries: pd.DataFrame,
    *,
    depth_cm: float,
    methods: pd.DataFrame | None = None,
    extrapolate: bool = False,
    parameters: ParameterSet,
) -> pd.DataFrame:
    """Soil organic carbon stock from the surface to ``depth_cm`` for every core.

    Parameters
    ----------
    cores, depthseries
        CCN tables as read from ``ccn_cores`` / ``ccn_depthseries`` (or the survey template's
        cores and depth intervals). They are validated first and any error raises
        :class:`~bluecarbon.errors.ValidationFailed` (quarantine them beforehand with
        :func:`~bluecarbon.ingest.core_validation.validate_core_tables`).
    depth_cm
        Target depth (cm, in situ).
    methods
        CCN methods table (optional): tells total from organic carbon and modeled from
        measured carbon.
    extrapolate
        Extrapolate cores that stop short of ``depth_cm`` (flagged, own SE); by default they
        report their stock to the sampled depth with ``reached_depth`` False (conservative).

    Returns
    -------
    One row per core: ``study_id``, ``site_id``, ``core_id``, ``habitat``, ``depth_cm``,
    ``stock_mg_c_ha``, ``stock_se_mg_c_ha``, ``sampled_depth_cm``, ``reached_depth``,
    ``extrapolated``, ``extrapolated_mg_c_ha``, ``extrapolation_se_mg_c_ha``, ``oc_origin``,
    ``dbd_origin``, ``n_intervals``, ``flags``. Stocks are Mg C ha-1 (carbon basis C).

    Notes
    -----
    stock = 100 x sum_i DBD_i fOC_i h_i over horizons h_i within [0, depth_cm]
    (Howard et al. 2014); SE as in the module docstring.
    """
    checked = validate_core_tables(cores, depthseries, methods, mode="fail_fast", parameters=parameters)
    intervals = interval_carbon(checked.cores, checked.depthseries, methods, parameters=parameters)
    return stocks_from_intervals(
        checked.cores, intervals, depth_cm=depth_cm, extrapolate=extrapolate, parameters=parameters
    )


def stocks_from_intervals(
    cores: pd.DataFrame,
    intervals: pd.DataFrame,
    *,
    depth_cm: float,
    extrapolate: bool = False,
    parameters: ParameterSet,
) -> pd.DataFrame:
    """:func:`core_stocks` on already validated cores and their :func:`interval_carbon`
    table (lets a pipeline compute several depths from one preparation)."""
    h = horizons(intervals, parameters=parameters)
    h = h[h["surface_ok"]]
    integ = integrate(h, top_cm=0.0, bottom_cm=depth_cm)
    base = _core_frame(cores)
    per_core = h.groupby(KEY, sort=False).agg(
        sampled_depth_cm=("lower_cm", "max"), n_intervals=("lower_cm", "size")
    )
    out = base.join(per_core, on=KEY).join(integ, on=KEY)
    out["depth_cm"] = float(depth_cm)
    has = out["mass_g_cm2"].notna()
    out["reached_depth"] = (out["sampled_depth_cm"] >= depth_cm).fillna(False) & has
    se = np.sqrt(out["var_ind"] + out["sys_oc"] ** 2 + out["sys_dbd"] ** 2)
    out["stock_mg_c_ha"] = out["mass_g_cm2"] * MG_HA_PER_G_CM2
    out["stock_se_mg_c_ha"] = se * MG_HA_PER_G_CM2
    out["extrapolated"] = False
    out["extrapolated_mg_c_ha"] = 0.0
    out["extrapolation_se_mg_c_ha"] = 0.0
    if extrapolate:
        out = _extrapolate(out, h, depth_cm, parameters)
    out = out.join(_origins(h, depth_cm), on=KEY)
    out["flags"] = _flags(out, intervals, h, depth_cm)
    out["n_intervals"] = out["n_intervals"].fillna(0).astype(int)
    columns = [
        "study_id",
        "site_id",
        "core_id",
        "habitat",
        "depth_cm",
        "stock_mg_c_ha",
        "stock_se_mg_c_ha",
        "sampled_depth_cm",
        "reached_depth",
        "extrapolated",
        "extrapolated_mg_c_ha",
        "extrapolation_se_mg_c_ha",
        "oc_origin",
        "dbd_origin",
        "n_intervals",
        "flags",
    ]
    return out[columns].reset_index(drop=True)


def _core_frame(cores: pd.DataFrame) -> pd.DataFrame:
    base = pd.DataFrame({k: cores[k].astype("string") for k in KEY})
    base["site_id"] = cores["site_id"].astype("string") if "site_id" in cores.columns else pd.NA
    base["habitat"] = normalise_habitat(cores["habitat"]).astype("string")
    return base.drop_duplicates(KEY).reset_index(drop=True)[["study_id", "site_id", "core_id", "habitat"]]


def _extrapolate(
    out: pd.DataFrame, h: pd.DataFrame, depth_cm: float, parameters: ParameterSet
) -> pd.DataFrame:
    rse = parameters.value("core_uncertainty", "extrapolation_relative_se")
    fit = fit_cumulative_mass(h, model=EXTRAPOLATION_MODEL)
    increment = (
        extrapolated_increment(fit, depth_cm, model=EXTRAPOLATION_MODEL, parameters=parameters)
        * MG_HA_PER_G_CM2
    )
    inc = out.join(increment.rename("inc"), on=KEY)["inc"]
    use = ~out["reached_depth"] & inc.notna() & out["stock_mg_c_ha"].notna()
    out["extrapolated"] = use
    out["extrapolated_mg_c_ha"] = np.where(use, inc, 0.0)
    out["extrapolation_se_mg_c_ha"] = np.where(use, inc * rse, 0.0)
    out["stock_mg_c_ha"] = out["stock_mg_c_ha"] + out["extrapolated_mg_c_ha"]
    out["stock_se_mg_c_ha"] = np.hypot(out["stock_se_mg_c_ha"], out["extrapolation_se_mg_c_ha"])
    return out


def _origins(h: pd.DataFrame, depth_cm: float) -> pd.DataFrame:
    """'+'-joined origins of the values that contribute to the stock, per core."""
    used = h[h["upper_cm"] < depth_cm]
    by_core = [used[k] for k in KEY]
    out = {}
    for column, names in (("oc_origin", OC_ORIGINS), ("dbd_origin", DBD_ORIGINS)):
        has = pd.DataFrame({name: used[column].eq(name) for name in names}).groupby(by_core, sort=False).any()
        text = pd.Series("", index=has.index, dtype="object")
        for name in names:
            joined = np.where(text.eq(""), name, text + "+" + name)
            text = pd.Series(np.where(has[name], joined, text), index=has.index, dtype="object")
        out[column] = text
    return pd.DataFrame(out)


def _flags(out: pd.DataFrame, intervals: pd.DataFrame, h: pd.DataFrame, depth_cm: float) -> pd.Series:
    """Semicolon-separated flags per core (vocabulary in docs/cores.md)."""
    by_core_i = [intervals[k] for k in KEY]
    used = h[h["upper_cm"] < depth_cm]
    by_core_h = [used[k] for k in KEY]
    per_core = pd.DataFrame(
        {
            "replicates_averaged": (intervals["n_replicates"] > 1).groupby(by_core_i, sort=False).any(),
            "intervals_without_carbon": intervals["carbon_density_g_cm3"]
            .isna()
            .groupby(by_core_i, sort=False)
            .any(),
            "total_carbon_excluded": intervals["total_carbon_excluded"].groupby(by_core_i, sort=False).any(),
            "fourqurean_total_carbon_trap": intervals["trap"].groupby(by_core_i, sort=False).any(),
            "compaction_corrected": intervals["compaction_corrected"].groupby(by_core_i, sort=False).any(),
            "no_surface_sample": intervals["carbon_density_g_cm3"]
            .notna()
            .groupby(by_core_i, sort=False)
            .any(),
        }
    )
    has_h = pd.Series(True, index=pd.MultiIndex.from_frame(h[KEY]).unique())
    per_core["no_surface_sample"] = per_core["no_surface_sample"] & ~per_core.index.isin(has_h.index)
    per_core["surface_extended"] = (used["top_cm"] > 0).groupby(by_core_h, sort=False).first()
    flags = out.join(per_core, on=KEY)
    names = [
        "replicates_averaged",
        "intervals_without_carbon",
        "total_carbon_excluded",
        "fourqurean_total_carbon_trap",
        "compaction_corrected",
        "surface_extended",
        "no_surface_sample",
    ]
    text = pd.Series("", index=flags.index, dtype="object")
    for name in names:
        text = text + np.where(flags[name].fillna(False).astype(bool), name + ";", "")
    text = text + np.where(
        flags["mass_g_cm2"].isna() & ~flags["no_surface_sample"].fillna(False).astype(bool),
        "no_carbon_data;",
        "",
    )
    text = text + np.where(~flags["reached_depth"] & flags["mass_g_cm2"].notna(), "not_reached;", "")
    text = text + np.where(flags["extrapolated"], "extrapolated;", "")
    return text.str.rstrip(";")


def extrapolation_skill(
    h: pd.DataFrame,
    *,
    depth_cm: float,
    truncate_at: tuple[float, ...],
    parameters: ParameterSet,
    model: ExtrapolationModel = EXTRAPOLATION_MODEL,
) -> pd.DataFrame:
    """Validate extrapolation by truncating full cores (Young et al. 2018's test).

    For every core whose horizons reach ``depth_cm``, keep only the horizons ending at or
    above each truncation depth, extrapolate to ``depth_cm`` and compare with the measured
    stock. Returns one row per (core, truncation) with ``true_mg_c_ha``, ``predicted_mg_c_ha``,
    ``increment_true_mg_c_ha``, ``increment_predicted_mg_c_ha`` and relative errors of the
    stock and of the increment.
    """
    h = h[h["surface_ok"]]
    bottom = h.groupby(KEY, sort=False)["lower_cm"].max()
    full_keys = bottom[bottom >= depth_cm].index
    full = h[pd.MultiIndex.from_frame(h[KEY]).isin(full_keys)]
    true = integrate(full, top_cm=0.0, bottom_cm=depth_cm)["mass_g_cm2"] * MG_HA_PER_G_CM2
    rows = []
    for z in truncate_at:
        fit = fit_cumulative_mass(full, model=model, below_cm=z)
        inc = extrapolated_increment(fit, depth_cm, model=model, parameters=parameters) * MG_HA_PER_G_CM2
        kept = fit["m_max"] * MG_HA_PER_G_CM2
        frame = pd.DataFrame(
            {
                "truncated_at_cm": z,
                "sampled_depth_cm": fit["z_max"],
                "true_mg_c_ha": true.reindex(fit.index),
                "increment_predicted_mg_c_ha": inc,
                "kept_mg_c_ha": kept,
            }
        )
        frame["predicted_mg_c_ha"] = frame["kept_mg_c_ha"] + frame["increment_predicted_mg_c_ha"]
        frame["increment_true_mg_c_ha"] = frame["true_mg_c_ha"] - frame["kept_mg_c_ha"]
        rows.append(frame.dropna(subset=["predicted_mg_c_ha"]))
    out = pd.concat(rows).reset_index()
    out["relative_error"] = out["predicted_mg_c_ha"] / out["true_mg_c_ha"] - 1.0
    out["increment_relative_error"] = out["increment_predicted_mg_c_ha"] / out["increment_true_mg_c_ha"] - 1.0
    return out
