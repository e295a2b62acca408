"""Regional parameter rows: published values for one region, applied or held up as a check.

Why a table of its own: the global defaults (IPCC Tier 1, the Fourqurean et al. 2012 seagrass
mean) can be several times off for one coast, yet a regional figure found in a paper is not
automatically better: a rate measured on a river delta with a large sediment supply is not the
rate of a small bay's marsh. So every row of ``regional_parameters`` says what it is for
(``use``):

* ``applied``: replaces the global default for the sites whose study names the region
  (``region = "jiaozhou_bay"``, like ``climate_zone`` picks a mangrove biomass row). Only
  ``biomass_dry_mass`` is applied: the habitat's living-biomass carbon is the mean of the
  region's survey means times the habitat's carbon fraction (``biomass_carbon``);
* ``reference``: a published value the release's own figure is compared with, never used in
  one. ``soil_carbon_stock_1m`` is checked against the site's soil density (the
  ``soil_density`` row carries the range, its source and the outcome, and a statement flags a
  density outside it); ``soil_carbon_accumulation`` and ``biomass_dry_mass`` against the
  values the carbon engine used (reported in the run summary).

Any other parameter or use is refused with the row named, so a row nobody reads cannot sit in
the table looking as if it mattered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

import numpy as np
import pandas as pd

from bluecarbon.carbon.uncertainty import se_from_range
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.units import M2_PER_HA
from bluecarbon.vocab import Habitat

TABLE: Final[str] = "regional_parameters"
USES: Final[tuple[str, ...]] = ("applied", "reference")
#: Parameters the pipeline reads, and the uses it reads them for.
READ: Final[dict[str, tuple[str, ...]]] = {
    "biomass_dry_mass": ("applied", "reference"),
    "soil_carbon_stock_1m": ("reference",),
    "soil_carbon_accumulation": ("reference",),
}
#: Organs of a biomass row and the ``biomass_carbon`` subtypes whose carbon fraction they take.
ORGANS: Final[dict[str, tuple[str, ...]]] = {
    "whole_plant": ("above_ground", "below_ground"),
    "above_ground": ("above_ground",),
    "below_ground": ("below_ground",),
}
#: Megagrams per gram.
MG_PER_G: Final[float] = 1e-6
Check = Literal["within", "below", "above", "not_compared"]

#: Columns the soil_density table gains from :func:`with_soil_references`.
REFERENCE_COLUMNS: Final[tuple[str, ...]] = (
    "reference_low_mg_c_ha",
    "reference_high_mg_c_ha",
    "reference_source",
    "reference_verified",
    "reference_check",
)


def regional_rows(parameters: ParameterSet, region: str) -> pd.DataFrame:
    """The rows of ``region`` (checked: known parameter and use, row numbers kept as ``row``).

    Raises :class:`InputError` naming the table, row and column when a row of any region has
    a parameter or use the pipeline does not read, or when ``region`` has no rows at all (a
    misspelt region would otherwise silently fall back to the global defaults).
    """
    table = parameters.table(TABLE)
    table["row"] = np.arange(len(table)) + 2  # line numbers of the CSV (header is line 1)
    for r in table.itertuples():
        uses = READ.get(str(r.parameter))
        if uses is None:
            raise InputError(
                f"regional parameter {r.parameter!r} is read by nothing",
                file=parameters.origin(TABLE),
                row=int(r.row),
                column="parameter",
                expected="one of " + ", ".join(READ),
            )
        if r.use not in uses:
            raise InputError(
                f"regional parameter {r.parameter!r} cannot be {r.use!r}",
                file=parameters.origin(TABLE),
                row=int(r.row),
                column="use",
                expected=" or ".join(uses),
            )
    rows = table[table["region"] == region]
    if rows.empty:
        known = sorted(set(table["region"].astype(str)))
        raise InputError(
            f"no regional parameters for region {region!r}",
            file=parameters.origin(TABLE),
            column="region",
            expected="one of " + ", ".join(known),
        )
    return rows


def carbon_fraction(
    habitat: Habitat, organ: str, *, parameters: ParameterSet, row: int | None = None
) -> float:
    """Carbon per dry mass of ``organ`` (``biomass_carbon`` table); a whole plant needs the
    above- and below-ground fractions to agree (else the row must be split by organ)."""
    subtypes = ORGANS.get(organ)
    if subtypes is None:
        raise InputError(
            f"organ {organ!r}",
            file=parameters.origin(TABLE),
            row=row,
            column="organ",
            expected=", ".join(ORGANS),
        )
    fractions = {parameters.value("biomass_carbon", "carbon_fraction", habitat.value, s) for s in subtypes}
    if len(fractions) != 1:
        raise InputError(
            f"{habitat.value}: whole-plant dry mass with different above- and below-ground carbon fractions",
            file=parameters.origin(TABLE),
            row=row,
            column="organ",
            expected="rows split into above_ground and below_ground",
        )
    return fractions.pop()


def regional_biomass_carbon(
    habitat: Habitat, region: str, *, parameters: ParameterSet
) -> tuple[float, float] | None:
    """Living-biomass carbon (Mg C ha-1) of ``habitat`` from the region's applied surveys, and
    its standard error; None when the region applies none for the habitat.

    Notes
    -----
    With survey means :math:`B_i` (g dry mass m-2) and carbon fractions :math:`f_i`,

    .. math:: C = \\frac{1}{n}\\sum_i B_i f_i \\times 10^4 \\times 10^{-6}, \\qquad
              \\mathrm{SE} = \\frac{s(B_i f_i)}{\\sqrt n} \\times 10^{-2}

    (1 g m-2 = 0.01 Mg ha-1): the surveys are samples of the region's meadows, so their
    spread is the error of the regional mean. One survey takes the SE of its printed range.
    """
    rows = regional_rows(parameters, region)
    rows = rows[(rows["parameter"] == "biomass_dry_mass") & (rows["use"] == "applied")]
    rows = rows[rows["habitat"] == habitat.value]
    if rows.empty:
        return None
    per_ha = M2_PER_HA * MG_PER_G  # g m-2 -> Mg ha-1
    carbon = np.array(
        [
            float(r.value) * carbon_fraction(habitat, str(r.organ), parameters=parameters, row=int(r.row))
            for r in rows.itertuples()
        ]
    )
    if len(carbon) > 1:
        se = float(carbon.std(ddof=1) / np.sqrt(len(carbon)))
    else:
        r = rows.iloc[0]
        fraction = carbon[0] / float(r["value"])
        se = (
            float(se_from_range(float(r["low"]), float(r["high"]))) * fraction
            if pd.notna(r["low"]) and pd.notna(r["high"])
            else np.nan
        )
    return float(carbon.mean()) * per_ha, se * per_ha


def reference_check(value: float, low: float, high: float) -> Check:
    """Where ``value`` lies against a published range: ``within`` [low, high], ``below``,
    ``above``; ``not_compared`` when either side is missing."""
    if not (np.isfinite(value) and np.isfinite(low) and np.isfinite(high)):
        return "not_compared"
    if value < low:
        return "below"
    if value > high:
        return "above"
    return "within"


def _range(row: pd.Series) -> tuple[float, float]:
    """(low, high) of a reference row: its range, else its single value on both sides."""
    value = float(row["value"]) if pd.notna(row["value"]) else np.nan
    low = float(row["low"]) if pd.notna(row["low"]) else value
    high = float(row["high"]) if pd.notna(row["high"]) else value
    return low, high


def with_soil_references(density: pd.DataFrame, region: str, *, parameters: ParameterSet) -> pd.DataFrame:
    """The ``soil_density`` rows with :data:`REFERENCE_COLUMNS`: the region's published soil
    stock range of each habitat (several rows: their union), its sources and ``verified``
    (all rows verified), and where the density lies in it."""
    rows = regional_rows(parameters, region)
    rows = rows[(rows["parameter"] == "soil_carbon_stock_1m") & (rows["use"] == "reference")]
    out = density.copy()
    for column in REFERENCE_COLUMNS:
        out[column] = pd.Series([None] * len(out), index=out.index, dtype="object")
    for i, d in out.iterrows():
        refs = rows[rows["habitat"] == d["habitat"]]
        if refs.empty:
            out.at[i, "reference_check"] = "not_compared"
            continue
        ranges = [_range(r) for _, r in refs.iterrows()]
        low, high = min(lo for lo, _ in ranges), max(hi for _, hi in ranges)
        out.at[i, "reference_low_mg_c_ha"] = low
        out.at[i, "reference_high_mg_c_ha"] = high
        out.at[i, "reference_source"] = "; ".join(refs["source"].astype(str))
        out.at[i, "reference_verified"] = bool(refs["verified"].all())
        out.at[i, "reference_check"] = reference_check(float(d["soil_mg_c_ha"]), low, high)
    for column in ("reference_low_mg_c_ha", "reference_high_mg_c_ha"):
        out[column] = pd.to_numeric(out[column], errors="coerce")
    return out


def rate_references(
    accumulation_used: Mapping[str, float],
    region: str,
    *,
    parameters: ParameterSet,
    habitats: Sequence[Habitat],
) -> list[dict[str, object]]:
    """The region's reference rows of accumulation and biomass beside the values the engine
    used: ``accumulation_used`` maps a habitat to its soil accumulation rate (Mg C ha-1 yr-1);
    a biomass reference is set against the mean of the region's applied surveys of the habitat
    (g dry mass m-2), when there are any. One dict per reference row of ``habitats``."""
    rows = regional_rows(parameters, region)
    applied = rows[(rows["parameter"] == "biomass_dry_mass") & (rows["use"] == "applied")]
    wanted = {h.value for h in habitats}
    refs = rows[
        (rows["use"] == "reference")
        & rows["parameter"].isin(["soil_carbon_accumulation", "biomass_dry_mass"])
        & rows["habitat"].isin(wanted)
    ]
    out: list[dict[str, object]] = []
    for _, r in refs.iterrows():
        habitat = str(r["habitat"])
        if r["parameter"] == "soil_carbon_accumulation":
            value = float(accumulation_used.get(habitat, np.nan))
        else:
            surveys = applied.loc[applied["habitat"] == habitat, "value"]
            value = float(surveys.mean()) if len(surveys) else np.nan
        low, high = _range(r)
        out.append(
            {
                "parameter": str(r["parameter"]),
                "habitat": habitat,
                "used": round(value, 4) if np.isfinite(value) else None,
                "reference_low": low,
                "reference_high": high,
                "units": str(r["units"]),
                "location": str(r["location"]),
                "verified": bool(r["verified"]),
                "check": reference_check(value, low, high),
            }
        )
    return out
