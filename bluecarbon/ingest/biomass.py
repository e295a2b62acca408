"""Readers and validation for biomass plots: the survey template's ``plots`` sheet, the
Fourqurean et al. 2012 seagrass compilation (CCN) and the LUMCON Spartina plots.

Every reader returns the same plot table (:data:`PLOT_COLUMNS`), dry mass in g m-2, so that
one validator and one carbon function serve all sources. Each reader knows its source's
quirks and says so in the report instead of silently fixing them:

- Fourqurean 2012: coordinates and species come from the CCN ``cores`` / ``species`` tables
  (the biomass file has neither); 113 rows have zero biomass and no carbon, which is "not
  measured", not zero: they become NaN with a ``warning`` each.
- LUMCON: ``om.soil`` and ``c.soil`` are percent although the package's Rd file says g/g
  (medians 16.1 and 9.5, max 44.6): converted to fractions; plot "c" is plot "C".
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import pandera.pandas as pa

from bluecarbon.errors import InputError, Issue
from bluecarbon.ingest.core_validation import normalise_habitat
from bluecarbon.ingest.survey import read_survey_table
from bluecarbon.ingest.validation import (
    ROW_COLUMN,
    Findings,
    Mode,
    TableRead,
    check_duplicate_records,
    check_mode,
    coerce_numeric,
    finish,
    require_columns,
    row_numbers,
    source_file,
    with_unique_index,
)
from bluecarbon.params import ParameterSet

PLOT_COLUMNS: Final[tuple[str, ...]] = (
    "study_id",
    "plot_id",
    "site_id",
    "habitat",
    "species",
    "latitude",
    "longitude",
    "date",
    "year",
    "month",
    "agb_g_m2",
    "bgb_g_m2",
    "bgb_depth_cm",
    "agb_carbon_fraction",
    "bgb_carbon_fraction",
    "agb_c_g_m2",
    "bgb_c_g_m2",
    "dead_agb_g_m2",
    "litter_g_m2",
    "bgb_total_g_m2",
    "soil_dbd_g_cm3",
    "soil_f_om",
    "soil_f_oc",
    ROW_COLUMN,
)
BIOMASS_COLUMNS: Final[tuple[str, ...]] = (
    "agb_g_m2",
    "bgb_g_m2",
    "agb_c_g_m2",
    "bgb_c_g_m2",
    "dead_agb_g_m2",
    "litter_g_m2",
    "bgb_total_g_m2",
)
FRACTION_COLUMNS: Final[tuple[str, ...]] = (
    "agb_carbon_fraction",
    "bgb_carbon_fraction",
    "soil_f_om",
    "soil_f_oc",
)
NUMERIC_COLUMNS: Final[tuple[str, ...]] = (
    "latitude",
    "longitude",
    "year",
    "month",
    *BIOMASS_COLUMNS,
    "bgb_depth_cm",
    *FRACTION_COLUMNS,
    "soil_dbd_g_cm3",
)
LUMCON_STUDY: Final[str] = "Hill_and_Roberts_2017"


def _frame(columns: dict[str, object], n: int) -> pd.DataFrame:
    out = pd.DataFrame(index=range(n))
    for name in PLOT_COLUMNS:
        value = columns.get(name)
        out[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    return out


# ------------------------------------------------------------------------------ readers
def read_template_plots(path: str | Path, *, mode: Mode = "fail_fast") -> TableRead:
    """Plots from a survey-template file (``plots`` sheet or CSV)."""
    result = read_survey_table(path, "plots", mode=mode)
    raw = result.frame
    dates = (
        pd.to_datetime(raw["date"], errors="coerce") if "date" in raw else pd.Series(pd.NaT, index=raw.index)
    )
    columns: dict[str, object] = {c: raw[c] for c in raw.columns if c in PLOT_COLUMNS}
    columns["year"] = raw.get("year", dates.dt.year)
    columns["month"] = dates.dt.month
    frame = _frame(columns, len(raw))
    frame.attrs = dict(raw.attrs)
    return TableRead(frame, result.issues)


def read_fourqurean_biomass(
    path: str | Path, *, cores: pd.DataFrame, species: pd.DataFrame | None = None
) -> TableRead:
    """Seagrass living biomass of the Fourqurean et al. 2012 compilation (CCN derivative
    ``Fourqurean_2012_biomass.csv``), with coordinates from the CCN ``cores`` and species
    from the CCN ``species`` table. Zero biomass without carbon is "not measured" (NaN, one
    warning per row)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("biomass table not found", file=path)
    raw = pd.read_csv(path, dtype={"study_id": "string", "site_id": "string", "core_id": "string"})
    require_columns(raw, ("study_id", "site_id", "core_id", "total_AGB", "total_BGB"), file=str(path))
    rows = row_numbers(raw)
    keys = ["study_id", "core_id"]
    info = cores.reindex(columns=[*keys, "latitude", "longitude", "year", "month"])
    info = info.astype({k: "string" for k in keys}).drop_duplicates(keys)
    where = raw[keys].merge(info, on=keys, how="left")
    names = pd.Series(pd.NA, index=raw.index, dtype="string")
    if species is not None and not species.empty:
        sp = species[[*keys, "species_code"]].astype("string").dropna().drop_duplicates()
        joined = sp.groupby(keys)["species_code"].agg(lambda s: "; ".join(sorted(s))).reset_index()
        names = raw[keys].merge(joined, on=keys, how="left")["species_code"]
    zero = (raw["total_AGB"].fillna(0) == 0) & (raw["total_BGB"].fillna(0) == 0)
    zero &= raw.get("AG_carbon", pd.Series(np.nan, index=raw.index)).isna()
    zero &= raw.get("BG_carbon", pd.Series(np.nan, index=raw.index)).isna()
    frame = _frame(
        {
            "study_id": raw["study_id"],
            "plot_id": raw["core_id"],
            "site_id": raw["site_id"],
            "habitat": "seagrass",
            "species": names,
            "latitude": where["latitude"],
            "longitude": where["longitude"],
            "year": where["year"],
            "month": where["month"],
            "agb_g_m2": raw["total_AGB"].where(~zero),
            "bgb_g_m2": raw["total_BGB"].where(~zero),
            "agb_c_g_m2": raw.get("AG_carbon"),
            "bgb_c_g_m2": raw.get("BG_carbon"),
            ROW_COLUMN: rows,
        },
        len(raw),
    )
    frame.attrs["source_file"] = str(path)
    issues = [
        Issue(
            str(path),
            int(rows[i]),
            "total_biomass",
            0.0,
            "zero biomass without carbon: taken as not measured (NaN)",
            "warning",
        )
        for i in np.flatnonzero(zero.to_numpy())
    ]
    return TableRead(frame, issues)


def read_lumcon_plots(path: str | Path) -> TableRead:
    """Spartina alterniflora plot visits of the LUMCON monitoring (Hill & Roberts 2017).

    ``mass`` is live above-ground, ``mass.dead`` standing dead, ``live.bg.gm2`` live and
    ``tot.bg.gm2`` total below-ground biomass to 30 cm (g m-2). ``om.soil`` and ``c.soil``
    are percent (despite the Rd file) and become fractions.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("plot table not found", file=path)
    raw = pd.read_csv(path)
    require_columns(raw, ("year", "month.number", "site", "plot", "lat", "long", "mass"), file=str(path))
    plot_letter = raw["plot"].astype("string").str.strip().str.upper()
    frame = _frame(
        {
            "study_id": LUMCON_STUDY,
            "plot_id": raw["site"].astype("string") + "-" + plot_letter,
            "site_id": raw["site"].astype("string"),
            "habitat": "salt_marsh",
            "species": "Spartina alterniflora",
            "latitude": raw["lat"],
            "longitude": raw["long"],
            "year": raw["year"],
            "month": raw["month.number"],
            "agb_g_m2": raw["mass"],
            "bgb_g_m2": raw.get("live.bg.gm2"),
            "bgb_depth_cm": 30.0,
            "dead_agb_g_m2": raw.get("mass.dead"),
            "litter_g_m2": raw.get("litter"),
            "bgb_total_g_m2": raw.get("tot.bg.gm2"),
            "soil_dbd_g_cm3": raw.get("bulk.density.g.cm3.soil"),
            "soil_f_om": raw.get("om.soil") / 100.0,
            "soil_f_oc": raw.get("c.soil") / 100.0,
            ROW_COLUMN: row_numbers(raw),
        },
        len(raw),
    )
    frame.attrs["source_file"] = str(path)
    return TableRead(frame, [])


# --------------------------------------------------------------------------- validation
def _plot_schema(parameters: ParameterSet) -> pa.DataFrameSchema:
    limit = parameters.value("validation_limits", "biomass_max_g_m2")
    biomass = [
        pa.Check.ge(0.0, error="negative biomass (expected >= 0 g m-2)"),
        pa.Check.le(limit, error=f"implausible biomass (expected <= {limit:g} g m-2 dry mass)"),
    ]
    return pa.DataFrameSchema(
        {
            "plot_id": pa.Column(nullable=False),
            "site_id": pa.Column(nullable=False),
            "latitude": pa.Column(
                float, pa.Check.in_range(-90.0, 90.0, error="latitude outside -90..90"), nullable=True
            ),
            "longitude": pa.Column(
                float, pa.Check.in_range(-180.0, 180.0, error="longitude outside -180..180"), nullable=True
            ),
            **{c: pa.Column(float, biomass, nullable=True) for c in BIOMASS_COLUMNS},
            "bgb_depth_cm": pa.Column(float, pa.Check.gt(0.0, error="depth must be > 0 cm"), nullable=True),
            **{
                c: pa.Column(float, pa.Check.ge(0.0, error="negative fraction (expected 0-1)"), nullable=True)
                for c in FRACTION_COLUMNS
            },
        },
        strict=False,
    )


def validate_plots(plots: pd.DataFrame, *, parameters: ParameterSet, mode: Mode = "fail_fast") -> TableRead:
    """Check biomass plots: ids present, habitat known, coordinates present and in range,
    biomass not negative nor implausible (``biomass_max_g_m2`` of the ``validation_limits``
    table of ``parameters``), fractions in 0-1 (a study in percent is named), no duplicate
    plot visit. Returns the clean rows and the issues (``fail_fast`` raises)."""
    check_mode(mode)
    plots = with_unique_index(plots)
    file = source_file(plots, "plots")
    require_columns(plots, ("plot_id", "site_id", "habitat", "latitude", "longitude"), file=file)
    findings = Findings.for_frame(plots, file=file)
    frame = coerce_numeric(plots, NUMERIC_COLUMNS, findings)
    for column in PLOT_COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan
    findings.add_schema(frame, _plot_schema(parameters))
    findings.add_mask(
        frame,
        frame["habitat"].notna() & normalise_habitat(frame["habitat"]).isna(),
        column="habitat",
        rule="unknown habitat",
    )
    findings.add_mask(frame, frame["habitat"].isna(), column="habitat", rule="missing value (required)")
    findings.add_mask(
        frame,
        frame["latitude"].isna() | frame["longitude"].isna(),
        column="latitude",
        rule="missing coordinates (latitude/longitude)",
    )
    for column in FRACTION_COLUMNS:
        above = frame[column] > 1.0
        findings.add_mask(
            frame, above, column=column, rule="fraction above 1 (expected 0-1; a percent value?)"
        )
    keys = ["study_id", "plot_id", "date", "year", "month"]
    check_duplicate_records(frame, keys, findings, column="plot_id", rule="duplicate id (plot visit)")
    finish(findings, mode=mode)
    clean = frame.loc[~frame.index.isin(list(findings.held_back_labels()))].copy()
    clean["habitat"] = normalise_habitat(clean["habitat"]).astype("string")
    clean.attrs = dict(plots.attrs)
    return TableRead(clean, findings.issues)
