"""Soil organic carbon stocks from sediment cores (Howard et al. 2014; CCN practice).

Shaped as a pipeline of small vectorised steps over the depth-series table (choose each
interval's organic-carbon fraction, gap-fill bulk density, assign horizons, integrate), so
each step can be tested against hand-computed values and each value keeps its origin
(``oc_origin``) for uncertainty propagation. Stocks are Mg C ha-1 (1 g C cm-2 = 100 Mg C
ha-1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bluecarbon import params
from bluecarbon.units import MG_HA_PER_G_CM2
from bluecarbon.vocab import Habitat

#: CCN synthesis folder whose ``fraction_carbon`` is TOTAL carbon and whose
#: ``fraction_organic_matter`` holds the ORGANIC carbon fraction (METHODS.md section 1).
FOURQUREAN_TRAP_FOLDER = "Fourqurean_2012"


def loi_to_organic_carbon(fom: pd.Series, habitat: pd.Series) -> pd.Series:
    """Organic-carbon fraction from the loss-on-ignition fraction with each habitat's
    default equation (``params/loi_to_oc.csv``). NaN where no equation applies."""
    table = params.load_table("loi_to_oc")
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


def ideal_mixing_bulk_density(fom: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
    """DBD = 1 / (fOM/k1 + (1 - fOM)/k2), g cm-3 (Morris et al. 2016)."""
    k1 = params.lookup("soil_defaults", "om_self_packing_density").value
    k2 = params.lookup("soil_defaults", "mineral_self_packing_density").value
    return 1.0 / (fom / k1 + (1.0 - fom) / k2)


def interval_carbon(cores: pd.DataFrame, depthseries: pd.DataFrame) -> pd.DataFrame:
    """Depth series with ``habitat``, ``top_cm``, ``bottom_cm``, ``f_oc``, ``oc_origin``,
    ``dbd``, ``dbd_origin`` and ``carbon_density_g_cm3`` added."""
    core_cols = ["study_id", "core_id", "habitat"] + (
        ["source_folder"] if "source_folder" in cores.columns else []
    )
    ds = depthseries.drop(columns=["habitat"], errors="ignore").merge(
        cores[core_cols], on=["study_id", "core_id"], how="inner", validate="many_to_one"
    )
    ds["habitat"] = ds["habitat"].map(lambda h: Habitat.parse(h).value if isinstance(h, str) else None)
    rep_ok = (
        ds["representative_depth_min"].notna() & ds["representative_depth_max"].notna()
        if "representative_depth_min" in ds
        else False
    )
    ds["top_cm"] = np.where(rep_ok, ds.get("representative_depth_min"), ds["depth_min"]).astype(float)
    ds["bottom_cm"] = np.where(rep_ok, ds.get("representative_depth_max"), ds["depth_max"]).astype(float)

    trap = ds.get("source_folder", pd.Series("", index=ds.index)).eq(FOURQUREAN_TRAP_FOLDER)
    # Impossible values (negative, fractions above 1, zero density) count as not measured.
    fc = ds["fraction_carbon"].astype(float).where(lambda v: (v >= 0) & (v <= 1))
    fom = ds["fraction_organic_matter"].astype(float).where(lambda v: (v >= 0) & (v <= 1))
    from_loi = loi_to_organic_carbon(fom, ds["habitat"])
    ds["f_oc"] = np.where(trap, fom, np.where(fc.notna(), fc, from_loi))
    ds["oc_origin"] = np.select(
        [trap & fom.notna(), ~trap & fc.notna(), ~trap & from_loi.notna()],
        ["measured_organic_carbon", "measured", "loi_habitat_equation"],
        default="missing",
    )
    dbd = ds["dry_bulk_density"].astype(float).where(lambda v: v > 0)
    # Gap-fill from LOI only where fOM really is organic matter (not in the trap rows).
    filled = ideal_mixing_bulk_density(fom.where(~trap))
    ds["dbd"] = dbd.fillna(filled)
    ds["dbd_origin"] = np.where(
        dbd.notna(), "measured", np.where(ds["dbd"].notna(), "ideal_mixing", "missing")
    )
    ds["carbon_density_g_cm3"] = ds["dbd"] * ds["f_oc"]
    return ds


def _core_stock(group: pd.DataFrame, depth_cm: float) -> tuple[float, float]:
    """(stock Mg C ha-1 to min(depth, sampled bottom), deepest sampled bottom cm)."""
    g = group.dropna(subset=["carbon_density_g_cm3", "top_cm", "bottom_cm"])
    g = g[g["bottom_cm"] > g["top_cm"]].sort_values("top_cm")
    if g.empty:
        return np.nan, np.nan
    tops = g["top_cm"].to_numpy()
    bottoms = g["bottom_cm"].to_numpy()
    density = g["carbon_density_g_cm3"].to_numpy()
    # Each sample represents the horizon between the midpoints of the gaps to its neighbours;
    # the first also represents the surface down to its top.
    upper = np.empty_like(tops)
    lower = np.empty_like(bottoms)
    upper[0] = 0.0
    lower[-1] = bottoms[-1]
    gaps_mid = (bottoms[:-1] + tops[1:]) / 2.0
    lower[:-1] = np.maximum(gaps_mid, bottoms[:-1].clip(max=tops[1:]))
    upper[1:] = lower[:-1]
    thickness = (np.minimum(lower, depth_cm) - np.minimum(upper, depth_cm)).clip(min=0.0)
    return float(np.sum(density * thickness) * MG_HA_PER_G_CM2), float(bottoms.max())


def core_stocks(
    cores: pd.DataFrame,
    depthseries: pd.DataFrame,
    *,
    depth_cm: float,
    methods: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per core: ``study_id``, ``core_id``, ``habitat``, ``stock_mg_c_ha``,
    ``stock_se_mg_c_ha``, ``reached_depth``, ``extrapolated``.

    A core that does not reach ``depth_cm`` reports its stock to the sampled depth with
    ``reached_depth`` False (conservative; never extrapolated here).
    """
    ds = interval_carbon(cores, depthseries)
    rows = []
    for (study, core), group in ds.groupby(["study_id", "core_id"], sort=True):
        stock, bottom = _core_stock(group, depth_cm)
        rows.append(
            {
                "study_id": study,
                "core_id": core,
                "habitat": group["habitat"].iloc[0],
                "stock_mg_c_ha": stock,
                "stock_se_mg_c_ha": np.nan,
                "sampled_depth_cm": bottom,
                "reached_depth": bool(bottom >= depth_cm) if np.isfinite(bottom) else False,
                "extrapolated": False,
            }
        )
    return pd.DataFrame(rows)
