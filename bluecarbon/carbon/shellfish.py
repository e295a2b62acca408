"""Carbon removed with harvested shellfish and seaweed (HY/T 0305-2021, carbon-stock-change
method).

Per harvest record: C = P x R_dw x (w_shell x C_shell + w_tissue x C_tissue) for bivalves and
C = P x R_dw x C_algae for seaweed, with P the harvested wet (shell-on) tonnes. Shell carbon
and tissue carbon stay in separate columns because they are different claims: the Chinese
standard counts shell carbon, international methodologies do not credit it, and a harvest
removal is an annual flow, not a permanent stock (METHODS.md section 4). Coefficients come
from the species' class (``params/shellfish_classes.csv`` via ``shellfish_species.csv``);
coefficients measured on a farm, given as columns of the harvest table, override them row by
row, and ``coefficient_source`` says which were used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bluecarbon.errors import InputError
from bluecarbon.ingest.production import COEFFICIENT_COLUMNS, validate_harvests
from bluecarbon.params import ParameterSet
from bluecarbon.units import CO2E_PER_C


def class_coefficients(*, parameters: ParameterSet) -> pd.DataFrame:
    """The class table (index ``class``): ``kind``, ``dry_wet_ratio``, ``tissue_frac_dry``,
    ``shell_frac_dry``, ``c_tissue``, ``c_shell`` and the published ``c_per_wet_published``."""
    return parameters.table("shellfish_classes").set_index("class")


def carbon_per_wet_tonne(coefficients: pd.DataFrame) -> pd.Series:
    """t C per t wet harvest: R_dw x (w_shell C_shell + w_tissue C_tissue).

    References
    ----------
    HY/T 0305-2021; Sun Kang et al. 2020, Geographical Research 39(11), table 2.
    """
    c = coefficients
    return c["dry_wet_ratio"] * (c["shell_frac_dry"] * c["c_shell"] + c["tissue_frac_dry"] * c["c_tissue"])


def harvest_carbon(harvests: pd.DataFrame, *, parameters: ParameterSet) -> pd.DataFrame:
    """Carbon removed by each harvest record.

    Parameters
    ----------
    harvests
        At least ``species`` (Latin, Chinese or English name, or FAO 3-alpha code) and
        ``harvest_t`` (wet, shell-on tonnes). ``weight_basis`` ``fao_live_weight`` marks FAO
        statistics: for seaweed their "live weight" is converted with ``fao_live_to_dry``
        (``harvest_weights`` table, from China's fishery yearbook dry weights) instead of the
        class's fresh-weight dry/wet ratio. Optional measured coefficients per row:
        ``dry_wet_ratio``, ``tissue_frac_dry``, ``shell_frac_dry``, ``c_tissue``, ``c_shell``
        (fractions). An unknown species, a negative or missing harvest raise
        :class:`~bluecarbon.errors.ValidationFailed` naming the row and the species.

    Returns
    -------
    The same rows with ``shellfish_class``, ``kind`` (bivalve / seaweed),
    ``coefficient_source``, ``dry_t``, ``tissue_c_t``, ``shell_c_t`` (0 for seaweed),
    ``total_c_t`` and ``total_co2e_t`` added.

    Notes
    -----
    dry = P x R_dw; tissue C = dry x w_tissue x C_tissue; shell C = dry x w_shell x C_shell;
    CO2e = C x 44.0095/12.0107. Where only one of w_tissue, w_shell is measured, the other is
    1 minus it.
    """
    checked = validate_harvests(
        harvests, mode="fail_fast", require_year=False, parameters=parameters
    ).harvests.reset_index(drop=True)
    classes = class_coefficients(parameters=parameters)
    defaults = classes.reindex(checked["shellfish_class"].to_numpy()).reset_index(drop=True)
    seaweed = defaults["kind"].eq("seaweed")
    measured = pd.DataFrame(
        {c: checked[c] if c in checked.columns else np.nan for c in COEFFICIENT_COLUMNS}, index=checked.index
    ).astype("float64")
    measured["shell_frac_dry"] = measured["shell_frac_dry"].fillna(1.0 - measured["tissue_frac_dry"])
    measured["tissue_frac_dry"] = measured["tissue_frac_dry"].fillna(1.0 - measured["shell_frac_dry"])
    measured.loc[seaweed, ["shell_frac_dry", "c_shell"]] = np.nan
    any_measured = measured.notna().any(axis=1)
    all_measured = measured[["dry_wet_ratio", "c_tissue"]].notna().all(axis=1) & (
        seaweed | measured[["tissue_frac_dry", "c_shell"]].notna().all(axis=1)
    )
    used = defaults[list(COEFFICIENT_COLUMNS)].astype("float64").where(measured.isna(), measured)
    fao_seaweed = pd.Series(False, index=checked.index)
    if "weight_basis" in checked.columns:  # FAO "live weight" of seaweed is not a fresh farm weight
        fao_seaweed = checked["weight_basis"].eq("fao_live_weight").fillna(False) & seaweed
        fao_seaweed &= measured["dry_wet_ratio"].isna()
        if fao_seaweed.any():
            ratio = parameters.value("harvest_weights", "fao_live_to_dry")
            used.loc[fao_seaweed, "dry_wet_ratio"] = ratio
    dry = pd.to_numeric(checked["harvest_t"], errors="coerce") * used["dry_wet_ratio"]
    tissue = dry * used["tissue_frac_dry"] * used["c_tissue"]
    shell = (dry * used["shell_frac_dry"] * used["c_shell"]).where(~seaweed, 0.0)
    out = harvests.copy()  # same rows, same index: the new columns are assigned by position
    new_columns = {
        "shellfish_class": checked["shellfish_class"],
        "kind": defaults["kind"],
        "coefficient_source": pd.Series(
            np.select(
                [all_measured, any_measured, fao_seaweed.to_numpy()],
                ["measured", "measured+class_default", "class_default+fao_live_to_dry"],
                default="class_default",
            )
        ),
        "dry_t": dry,
        "tissue_c_t": tissue,
        "shell_c_t": shell,
        "total_c_t": tissue + shell,
        "total_co2e_t": (tissue + shell) * CO2E_PER_C,
    }
    for name, values in new_columns.items():
        out[name] = values.to_numpy()
    return out


def harvest_totals(carbon: pd.DataFrame, *, by: list[str]) -> pd.DataFrame:
    """Sum harvest and carbon columns of :func:`harvest_carbon` output over ``by``."""
    columns = ["harvest_t", "dry_t", "tissue_c_t", "shell_c_t", "total_c_t", "total_co2e_t"]
    frame = carbon.assign(harvest_t=pd.to_numeric(carbon["harvest_t"], errors="coerce"))
    return frame.groupby(by, sort=True, dropna=False)[columns].sum().reset_index()


#: What each harvest kind's removal counts (the "basis" travelling with every figure).
REMOVAL_BASIS: dict[str, str] = {
    "bivalve": "removal (HY/T 0305-2021): shell + tissue carbon of the harvest; shell carbon is "
    "counted by the Chinese standard, not credited internationally, and its calcification releases CO2",
    "seaweed": "removal (HY/T 0305-2021): carbon of the harvested seaweed dry mass",
}
#: Harvest kinds and the habitat class their removal is reported under.
HARVEST_HABITATS: dict[str, str] = {"bivalve": "shellfish_aquaculture", "seaweed": "seaweed_aquaculture"}
_Z90 = 1.6448536269514722


def _removal_totals(frame: pd.DataFrame, keys: list[str], parameters: ParameterSet) -> pd.DataFrame:
    """Sum harvest carbon over ``keys``, year and habitat: the removal (shell + tissue), its
    tissue and shell parts, P5/P50/P95 and U (see :func:`harvest_class_totals`)."""
    rse = parameters.value("uncertainty", "shellfish_carbon_rse")
    unknown = sorted(set(frame["kind"].astype(str)) - set(HARVEST_HABITATS))
    if unknown:
        raise InputError(
            f"unknown harvest kind {unknown[0]!r}", column="kind", expected=" or ".join(HARVEST_HABITATS)
        )
    frame = frame.assign(habitat=frame["kind"].map(HARVEST_HABITATS))
    columns = ["harvest_t", "dry_t", "tissue_c_t", "shell_c_t", "total_c_t"]
    out = frame.groupby([*keys, "year", "habitat"], as_index=False)[columns].sum()
    kinds = {v: k for k, v in HARVEST_HABITATS.items()}
    total = out["total_c_t"].to_numpy(dtype=float)
    out["removal_t_c_yr"] = total
    out["removal_p5_t_c_yr"] = total * max(1 - _Z90 * rse, 0.0)
    out["removal_p50_t_c_yr"] = total
    out["removal_p95_t_c_yr"] = total * (1 + _Z90 * rse)
    out["removal_uncertainty"] = _Z90 * rse
    out["tissue_removal_t_c_yr"] = out["tissue_c_t"]
    out["shell_removal_t_c_yr"] = out["shell_c_t"]
    for column in (
        "removal_t_c_yr",
        "removal_p5_t_c_yr",
        "removal_p95_t_c_yr",
        "tissue_removal_t_c_yr",
        "shell_removal_t_c_yr",
    ):
        out[column.replace("_t_c_", "_t_co2e_")] = out[column] * CO2E_PER_C
    out["basis"] = out["habitat"].map(kinds).map(REMOVAL_BASIS)
    return out.drop(columns=["tissue_c_t", "shell_c_t", "total_c_t"])


def harvest_class_totals(
    carbon: pd.DataFrame, *, parameters: ParameterSet, site_suffix: str = "mariculture"
) -> pd.DataFrame:
    """Harvest removal per country, year and habitat class, in the shape of the release's
    ``class_totals``.

    A harvest removal is an annual flow, not a stock: the stock columns are empty (NaN) and the
    removal is ``removal_t_c_yr`` (shell + tissue, the HY/T 0305-2021 basis), with its
    ``tissue_removal_*`` and ``shell_removal_*`` parts beside it (shell is about 80 % of a
    bivalve harvest's carbon). Bivalves go to ``shellfish_aquaculture``, seaweeds to
    ``seaweed_aquaculture``. Uncertainty is normal with the relative SE
    ``shellfish_carbon_rse`` of the ``uncertainty`` table.

    Notes
    -----
    P5, P95 = T (1 -/+ 1.645 r); U = 1.645 r.
    """
    frame = carbon.assign(site=carbon["country"].astype(str).str.lower() + "_" + site_suffix)
    out = _removal_totals(frame, ["site"], parameters)
    out["area_ha"] = np.nan
    out["stock_t_c"] = np.nan
    out["stock_t_co2e"] = np.nan
    out["density_source"] = "hy_t_0305_harvest_removal"
    out["pools"] = "harvest"
    return out


def harvest_parcel_totals(carbon: pd.DataFrame, *, parameters: ParameterSet) -> pd.DataFrame:
    """Farm harvest removal per parcel (``farm_id`` = parcel id), year and habitat class, in
    the shape of the release's ``parcel_totals`` (``kind`` removal, ``level`` habitat; the
    period is the harvest year). Same equations as :func:`harvest_class_totals`."""
    out = _removal_totals(carbon.rename(columns={"farm_id": "parcel_id"}), ["parcel_id"], parameters)
    return out.assign(kind="removal", level="habitat", period_start=out["year"], period_end=out["year"] + 1)
