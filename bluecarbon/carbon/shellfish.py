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

from bluecarbon import params
from bluecarbon.ingest.production import COEFFICIENT_COLUMNS, validate_harvests
from bluecarbon.units import CO2E_PER_C


def class_coefficients() -> pd.DataFrame:
    """The class table (index ``class``): ``kind``, ``dry_wet_ratio``, ``tissue_frac_dry``,
    ``shell_frac_dry``, ``c_tissue``, ``c_shell`` and the published ``c_per_wet_published``."""
    return params.load_table("shellfish_classes").set_index("class")


def carbon_per_wet_tonne(coefficients: pd.DataFrame) -> pd.Series:
    """t C per t wet harvest: R_dw x (w_shell C_shell + w_tissue C_tissue).

    References
    ----------
    HY/T 0305-2021; Sun Kang et al. 2020, Geographical Research 39(11), table 2.
    """
    c = coefficients
    return c["dry_wet_ratio"] * (c["shell_frac_dry"] * c["c_shell"] + c["tissue_frac_dry"] * c["c_tissue"])


def harvest_carbon(harvests: pd.DataFrame) -> pd.DataFrame:
    """Carbon removed by each harvest record.

    Parameters
    ----------
    harvests
        At least ``species`` (Latin, Chinese or English name, or FAO 3-alpha code) and
        ``harvest_t`` (wet, shell-on tonnes). Optional measured coefficients per row:
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
    checked = validate_harvests(harvests, mode="fail_fast", require_year=False).harvests.reset_index(
        drop=True
    )
    classes = class_coefficients()
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
    dry = pd.to_numeric(checked["harvest_t"], errors="coerce") * used["dry_wet_ratio"]
    tissue = dry * used["tissue_frac_dry"] * used["c_tissue"]
    shell = (dry * used["shell_frac_dry"] * used["c_shell"]).where(~seaweed, 0.0)
    out = harvests.copy()  # same rows, same index: the new columns are assigned by position
    new_columns = {
        "shellfish_class": checked["shellfish_class"],
        "kind": defaults["kind"],
        "coefficient_source": pd.Series(
            np.select(
                [all_measured, any_measured], ["measured", "measured+class_default"], default="class_default"
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
