"""Creditable quantities per parcel and crediting period: what a register may issue.

Why a table of its own: a statement values creditable removals, never a stock, and the sink
register issues units against exactly these rows, so both must read one computation pinned in
the release (``parcel_credits``) rather than redo it. Two streams can earn credits:

* ``ecosystem``: the net flux of all the parcel's classes over a period of the carbon engine
  (accumulation less emissions, habitat lost to tidal flat or water included), against the
  baseline of the ``crediting`` table;
* ``harvest``: a farm's harvest removal in a year (HY/T 0305-2021), on the basis the
  ``crediting`` table names (``tissue``: international practice, shell carbon excluded;
  ``hy_t_0305``: shell + tissue, as the Chinese standard counts it). Both figures stay in the
  row whatever the basis.

Each row then goes through :func:`~bluecarbon.carbon.conservative.creditable_removals`: the
VM0033 uncertainty deduction and the non-permanence buffer; zero when net removals are not
positive.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from bluecarbon.carbon.conservative import creditable_removals
from bluecarbon.carbon.uncertainty import allowable_uncertainty_parameter
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.units import CO2E_PER_C

CREDIT_COLUMNS: Final[tuple[str, ...]] = (
    "parcel_id",
    "site",
    "stream",
    "period_start",
    "period_end",
    "basis",
    "project_t_co2e",
    "baseline_t_co2e",
    "net_removals_t_co2e",
    "uncertainty",
    "allowable_uncertainty",
    "uncertainty_deduction_t_co2e",
    "buffer_fraction",
    "buffer_t_co2e",
    "creditable_t_co2e",
    "tissue_only_t_co2e",
    "hy_t_0305_t_co2e",
)
HARVEST_BASES: Final[tuple[str, ...]] = ("tissue", "hy_t_0305")


def parcel_credits(parcel_totals: pd.DataFrame, *, parameters: ParameterSet) -> pd.DataFrame:
    """One row per parcel, stream and crediting period (module docstring), in t CO2e."""
    if parcel_totals.empty:
        return pd.DataFrame(columns=list(CREDIT_COLUMNS))
    ci_level = parameters.value("uncertainty", "ci_level")
    allowable = parameters.value("uncertainty", allowable_uncertainty_parameter(ci_level))
    buffer_fraction = parameters.value("uncertainty", "buffer_fraction")
    basis = str(parameters.table("crediting").set_index("parameter").loc["harvest_credit_basis", "value"])
    if basis not in HARVEST_BASES:
        raise InputError(
            f"harvest_credit_basis {basis!r}",
            file=parameters.origin("crediting"),
            column="harvest_credit_basis",
            expected=" or ".join(HARVEST_BASES),
        )
    baseline = str(parameters.table("crediting").set_index("parameter").loc["baseline", "value"])
    if baseline != "zero":
        raise InputError(
            f"baseline {baseline!r}", file=parameters.origin("crediting"), column="baseline", expected="zero"
        )
    level = parcel_totals.get("level", pd.Series("habitat", index=parcel_totals.index))
    ecosystem = parcel_totals[(parcel_totals["kind"] == "flow") & (level == "all")]
    harvest = parcel_totals[parcel_totals["kind"] == "removal"]
    parts = []
    if not ecosystem.empty:
        years = (ecosystem["flux_period_end"] - ecosystem["flux_period_start"]).astype(float)
        parts.append(
            pd.DataFrame(
                {
                    "parcel_id": ecosystem["parcel_id"].to_numpy(),
                    "site": ecosystem["site"].to_numpy(),
                    "stream": "ecosystem",
                    "period_start": ecosystem["flux_period_start"].astype(int).to_numpy(),
                    "period_end": ecosystem["flux_period_end"].astype(int).to_numpy(),
                    "basis": "net flux of all classes (accumulation - emissions), no-change baseline",
                    "project_t_co2e": (ecosystem["net_flux_t_c_yr"] * years * CO2E_PER_C).to_numpy(),
                    "uncertainty": ecosystem["net_flux_uncertainty"].to_numpy(),
                    "tissue_only_t_co2e": np.nan,
                    "hy_t_0305_t_co2e": np.nan,
                }
            )
        )
    if not harvest.empty:
        farm = harvest.groupby(["parcel_id", "site", "period_start", "period_end"], as_index=False).agg(
            tissue=("tissue_removal_t_co2e_yr", "sum"),
            total=("removal_t_co2e_yr", "sum"),
            uncertainty=("removal_uncertainty", "max"),
        )
        credited = farm["tissue"] if basis == "tissue" else farm["total"]
        parts.append(
            pd.DataFrame(
                {
                    "parcel_id": farm["parcel_id"].to_numpy(),
                    "site": farm["site"].to_numpy(),
                    "stream": "harvest",
                    "period_start": farm["period_start"].astype(int).to_numpy(),
                    "period_end": farm["period_end"].astype(int).to_numpy(),
                    "basis": "harvest removal, tissue carbon only (shell carbon not credited)"
                    if basis == "tissue"
                    else "harvest removal, HY/T 0305-2021 shell + tissue carbon",
                    "project_t_co2e": credited.to_numpy(),
                    "uncertainty": farm["uncertainty"].to_numpy(),
                    "tissue_only_t_co2e": farm["tissue"].to_numpy(),
                    "hy_t_0305_t_co2e": farm["total"].to_numpy(),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(CREDIT_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    out["baseline_t_co2e"] = 0.0
    result = creditable_removals(
        out["project_t_co2e"].to_numpy(),
        out["uncertainty"].to_numpy(),
        allowable=allowable,
        buffer_fraction=buffer_fraction,
        baseline=out["baseline_t_co2e"].to_numpy(),
    )
    out["net_removals_t_co2e"] = result.net_removals
    out["allowable_uncertainty"] = allowable
    out["uncertainty_deduction_t_co2e"] = result.uncertainty_deduction
    out["buffer_fraction"] = buffer_fraction
    out["buffer_t_co2e"] = result.buffer
    out["creditable_t_co2e"] = result.creditable
    return (
        out[list(CREDIT_COLUMNS)].sort_values(["parcel_id", "stream", "period_start"]).reset_index(drop=True)
    )
