"""Living-biomass carbon per plot and per stratum (above and below ground).

Dry mass (g m-2) becomes carbon with, in order of preference, the carbon measured on the
plot (g C m-2), a carbon fraction measured on the plot, or the default fraction for the
habitat and pool (``params/biomass_carbon.csv``, each with its source); ``*_c_origin`` says
which. Plots are the sampling units of the strata: repeated visits of one plot are averaged
first, so a plot visited thirty times weighs as much as one visited once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bluecarbon.carbon.strata import long_strata
from bluecarbon.params import ParameterSet
from bluecarbon.units import CO2E_PER_C, MG_HA_PER_G_M2

POOLS = {"agb": "above_ground", "bgb": "below_ground"}


def default_carbon_fraction(habitat: pd.Series, pool: str, *, parameters: ParameterSet) -> pd.Series:
    """Default carbon fraction of dry biomass per habitat for ``pool`` (``above_ground`` or
    ``below_ground``); NaN for habitats without one."""
    table = parameters.table("biomass_carbon")
    rows = table[(table["parameter"] == "carbon_fraction") & (table["subtype"] == pool)]
    by_habitat = pd.Series(rows["value"].to_numpy(float), index=rows["habitat"].astype(str).to_numpy())
    return habitat.astype("object").map(by_habitat).astype("float64")


def plot_carbon(plots: pd.DataFrame, *, parameters: ParameterSet) -> pd.DataFrame:
    """``plots`` with, per pool (``agb``, ``bgb``): ``{pool}_c_fraction``, ``{pool}_c_origin``
    (measured_carbon / measured_fraction / default_fraction / missing) and
    ``{pool}_mg_c_ha``; plus ``biomass_mg_c_ha`` (above + below, NaN unless both are known)
    and ``biomass_mg_co2e_ha``.

    Notes
    -----
    C (Mg ha-1) = dry mass (g m-2) x carbon fraction x 0.01, unless carbon (g C m-2) was
    measured: C = measured x 0.01.
    """
    out = plots.copy()
    for pool, subtype in POOLS.items():
        mass = pd.to_numeric(out[f"{pool}_g_m2"], errors="coerce")
        measured_c = pd.to_numeric(
            out.get(f"{pool}_c_g_m2", pd.Series(np.nan, index=out.index)), errors="coerce"
        )
        fraction = pd.to_numeric(
            out.get(f"{pool}_carbon_fraction", pd.Series(np.nan, index=out.index)), errors="coerce"
        )
        default = default_carbon_fraction(out["habitat"], subtype, parameters=parameters)
        use_measured = measured_c.notna()
        chosen = fraction.where(fraction.notna(), default)
        carbon_g_m2 = measured_c.where(use_measured, mass * chosen)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{pool}_c_fraction"] = np.where(use_measured, measured_c / mass, chosen)
        out[f"{pool}_c_origin"] = np.select(
            [use_measured, fraction.notna() & mass.notna(), default.notna() & mass.notna()],
            ["measured_carbon", "measured_fraction", "default_fraction"],
            default="missing",
        )
        out[f"{pool}_mg_c_ha"] = carbon_g_m2 * MG_HA_PER_G_M2
    out["biomass_mg_c_ha"] = out["agb_mg_c_ha"] + out["bgb_mg_c_ha"]
    out["biomass_mg_co2e_ha"] = out["biomass_mg_c_ha"] * CO2E_PER_C
    return out


def plot_means(carbon: pd.DataFrame) -> pd.DataFrame:
    """One row per plot: the mean of its visits (the sampling unit of the strata)."""
    keys = ["study_id", "plot_id"]
    frame = carbon.assign(study_id=carbon["study_id"].astype("string").fillna(""))
    values = ["agb_mg_c_ha", "bgb_mg_c_ha", "biomass_mg_c_ha"]
    firsts = {
        c: "first" for c in ("site_id", "habitat", "species", "latitude", "longitude") if c in frame.columns
    }
    agg = frame.groupby(keys, sort=True, dropna=False).agg({**{v: "mean" for v in values}, **firsts})
    agg["n_visits"] = frame.groupby(keys, sort=True, dropna=False).size()
    return agg.reset_index()


def plot_strata(carbon: pd.DataFrame) -> pd.DataFrame:
    """Biomass-carbon strata (habitat, species, site) of plot means for above-ground,
    below-ground and total living biomass carbon (Mg C ha-1)."""
    means = plot_means(carbon)
    strata = {
        "habitat": means["habitat"],
        "site": means["study_id"].astype("string") + "/" + means["site_id"].astype("string"),
    }
    if "species" in means.columns:
        strata["species"] = means["species"]
    parts = []
    for value, quantity in (
        ("agb_mg_c_ha", "above-ground living biomass carbon"),
        ("bgb_mg_c_ha", "below-ground living biomass carbon"),
        ("biomass_mg_c_ha", "living biomass carbon"),
    ):
        parts.append(
            long_strata(
                means,
                strata,
                value=value,
                unit_se=None,
                eligible=means[value].notna(),
                pool="biomass",
                quantity=quantity,
                depth_cm=np.nan,
                units="Mg ha-1",
            )
        )
    return pd.concat(parts, ignore_index=True)
