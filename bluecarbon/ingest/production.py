"""Readers and validation for shellfish and seaweed production (harvest) statistics.

Two shapes arrive: FAO FishStat exports (long format: country, year, 3-alpha species code,
``value`` in tonnes live weight with a ``measure`` code) and farm or city harvest records
(the survey template's ``harvests`` sheet). Both are normalised to one table with at least
``species``, ``year`` and ``harvest_t`` (wet, shell-on tonnes), so that
:func:`bluecarbon.carbon.shellfish.harvest_carbon` sees one format.

Species are matched against the shipped species table (``params/shellfish_species.csv``) by
FAO code, scientific name or synonym, Chinese name or English name; a species that matches
nothing is a validation error that names it (its carbon class, and so its coefficients, would
be a guess).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bluecarbon.errors import InputError, Issue, UnitError
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
from bluecarbon.units import INPUT_SCALE_LIMITS, conversion_factor

#: FAO measure code of tonnes live weight, the only unit the harvest method accepts.
FAO_TONNES_LIVE_WEIGHT = "Q_tlw"
#: Units of ``harvest_t``; a ``units`` column may state any mass (``kg``, ``吨``, ``Mg``), which
#: :func:`bluecarbon.units.conversion_factor` converts to these (``mg`` is a milligram: refused).
HARVEST_UNITS = "t"
#: Measured coefficients that may override the class defaults, per row (fractions).
COEFFICIENT_COLUMNS = ("dry_wet_ratio", "tissue_frac_dry", "shell_frac_dry", "c_tissue", "c_shell")
#: Columns that identify one harvest record when present (with species and year).
RECORD_KEYS = ("country", "farm_id", "site_id", "area", "environment")


@dataclass(frozen=True)
class ValidatedHarvests:
    """Harvest rows that may enter an estimate, the report, and each row's carbon class."""

    harvests: pd.DataFrame
    issues: list[Issue]


def _normal(text: pd.Series) -> pd.Series:
    return text.astype("string").str.strip().str.replace(r"\s+", " ", regex=True).str.lower()


def _species_lookup(parameters: ParameterSet) -> dict[str, str]:
    """Every accepted name (lower case) -> class, from the ``shellfish_species`` table of
    ``parameters``; ambiguous names raise."""
    table = parameters.table("shellfish_species")
    lookup: dict[str, str] = {}
    for row in table.to_dict("records"):
        names = [row["fao_code"], row["scientific_name"], row["chinese_name"], row["english_name"]]
        if isinstance(row["synonyms"], str):
            names += row["synonyms"].split(";")
        for name in names:
            if not isinstance(name, str) or not name.strip():
                continue
            key = re.sub(r"\s+", " ", name.strip()).lower()
            if lookup.get(key, row["class"]) != row["class"]:
                raise InputError(
                    f"species name {name!r} maps to two classes",
                    file=parameters.origin("shellfish_species"),
                    expected="each name in one class",
                )
            lookup[key] = row["class"]
    return lookup


def resolve_species(species: pd.Series, *, parameters: ParameterSet) -> pd.Series:
    """Carbon class (``params/shellfish_classes.csv``) of each species name or FAO code;
    NaN where the species is not in the ``shellfish_species`` table of ``parameters``."""
    lookup = _species_lookup(parameters)
    return _normal(species).map(lookup).astype("object")


def validate_harvests(
    harvests: pd.DataFrame, *, parameters: ParameterSet, mode: Mode = "fail_fast", require_year: bool = True
) -> ValidatedHarvests:
    """Check harvest records: species known, harvest in tonnes and not negative, a plausible
    year, no conflicting duplicate record (an exact copy is counted once, with a warning),
    measured coefficients within 0-1. Species and the first
    plausible year come from the ``shellfish_species`` and ``validation_limits`` tables of
    ``parameters``.

    Adds ``shellfish_class``. ``fail_fast`` raises :class:`~bluecarbon.errors.ValidationFailed`;
    ``quarantine`` returns the clean rows and the issues.
    """
    check_mode(mode)
    harvests = with_unique_index(harvests)
    file = source_file(harvests, "harvests")
    required = ("species", "year", "harvest_t") if require_year else ("species", "harvest_t")
    require_columns(harvests, required, file=file)
    findings = Findings.for_frame(harvests, file=file)
    frame = coerce_numeric(harvests, ("harvest_t", "year", *COEFFICIENT_COLUMNS), findings)
    frame["shellfish_class"] = resolve_species(frame["species"], parameters=parameters)

    missing_species = frame["species"].isna() | _normal(frame["species"]).eq("").fillna(True)
    findings.add_mask(frame, missing_species, column="species", rule="missing value (required)")
    unmapped = frame["shellfish_class"].isna() & ~missing_species
    findings.add_mask(
        frame,
        unmapped,
        column="species",
        rule="unknown species: not in params/shellfish_species.csv (add it there with its class)",
    )
    findings.add_mask(frame, frame["harvest_t"].isna(), column="harvest_t", rule="missing value (required)")
    findings.add_mask(
        frame, frame["harvest_t"] < 0, column="harvest_t", rule="negative harvest (expected >= 0 t)"
    )
    frame = _check_units(frame, findings)
    if "year" in frame.columns:
        _check_years(frame, findings, parameters)
    if "year" in frame.columns:
        _check_duplicates(frame, findings)
    _check_coefficients(frame, findings)
    finish(findings, mode=mode)
    clean = frame.loc[~frame.index.isin(list(findings.held_back_labels()))].copy()
    clean.attrs = dict(harvests.attrs)
    return ValidatedHarvests(clean, findings.issues)


def _check_units(frame: pd.DataFrame, findings: Findings) -> pd.DataFrame:
    """FAO measure must be tonnes live weight; a ``units`` column is read per row and
    ``harvest_t`` converted to tonnes (a row in unknown or implausible units is an error on
    its ``units`` cell)."""
    if "measure" in frame.columns:
        wrong = frame["measure"].astype("string").ne(FAO_TONNES_LIVE_WEIGHT).fillna(True)
        findings.add_mask(
            frame,
            wrong,
            column="measure",
            rule=f"wrong units (expected FAO measure {FAO_TONNES_LIVE_WEIGHT}: tonnes live weight)",
        )
    if "units" not in frame.columns:
        return frame
    frame = frame.copy()
    stated = frame["units"].astype("string").str.strip()
    factors = pd.Series(np.nan, index=frame.index)
    for given in stated.dropna().unique():
        rows = stated.eq(given).fillna(False)
        try:
            factor = conversion_factor(
                str(given), HARVEST_UNITS, file=findings.file, column="units", within=INPUT_SCALE_LIMITS
            )
        except UnitError as exc:
            findings.add_mask(
                frame,
                rows,
                column="units",
                rule=f"wrong units: {exc.problem} (expected t: tonnes wet weight)",
            )
            continue
        factors[rows] = factor
    findings.add_mask(frame, stated.isna() | stated.eq(""), column="units", rule="missing units (expected t)")
    converted = factors.notna() & factors.ne(1.0)
    frame.loc[converted, "harvest_t"] = frame.loc[converted, "harvest_t"] * factors[converted]
    frame.loc[factors.notna(), "units"] = HARVEST_UNITS
    return frame


def _check_years(frame: pd.DataFrame, findings: Findings, parameters: ParameterSet) -> None:
    first = parameters.value("validation_limits", "harvest_year_min")
    last = pd.Timestamp.now().year
    year = frame["year"]
    bad = year.isna() | (year < first) | (year > last) | (year != np.floor(year))
    findings.add_mask(frame, bad, column="year", rule=f"year missing or outside {int(first)}-{last}")


def _check_duplicates(frame: pd.DataFrame, findings: Findings) -> None:
    keys = [c for c in RECORD_KEYS if c in frame.columns] + ["species"]
    if "year" in frame.columns:
        keys.append("year")
    check_duplicate_records(
        frame, keys, findings, column="species", rule=f"duplicate record ({', '.join(keys)})"
    )


def _check_coefficients(frame: pd.DataFrame, findings: Findings) -> None:
    for column in COEFFICIENT_COLUMNS:
        if column not in frame.columns:
            continue
        values = frame[column]
        findings.add_mask(
            frame,
            (values < 0) | (values > 1),
            column=column,
            rule="measured coefficient outside 0-1 (a fraction; percent given?)",
        )


# ------------------------------------------------------------------------------ readers
def read_fao_production(path: str | Path, *, countries: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Read a FAO FishStat aquaculture export (long format, as in
    ``data/raw/field/fao_china_mariculture``).

    Returns ``country``, ``year``, ``species`` (3-alpha code), ``species_name``,
    ``scientific_name``, ``isscaap``, ``area``, ``environment``, ``harvest_t`` (tonnes live
    weight), ``measure``, ``status`` and ``source_row``; ``countries`` keeps those ISO3 codes.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("production table not found", file=path)
    raw = pd.read_csv(path, dtype={"species": "string", "iso3": "string", "measure": "string"})
    require_columns(raw, ("iso3", "year", "species", "value", "measure"), file=str(path))
    frame = pd.DataFrame(
        {
            "country": raw["iso3"],
            "year": raw["year"],
            "species": raw["species"],
            "species_name": raw.get("species_name"),
            "scientific_name": raw.get("scientific"),
            "isscaap": raw.get("isscaap"),
            "area": raw.get("area"),
            "environment": raw.get("environment"),
            "harvest_t": raw["value"],
            "measure": raw["measure"],
            "status": raw.get("status"),
            ROW_COLUMN: row_numbers(raw),
        }
    )
    if countries is not None:
        frame = frame[frame["country"].isin(countries)]
    frame.attrs["source_file"] = str(path)
    return frame


def read_production(
    path: str | Path, *, countries: tuple[str, ...] | None = None, mode: Mode = "fail_fast"
) -> TableRead:
    """Production statistics from a FAO FishStat export or a survey-template ``harvests``
    table (CSV or XLSX, English or Chinese headers): ``species`` (name or FAO code),
    ``year``, ``harvest_t`` (tonnes wet weight)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        if {"iso3", "value", "measure"} <= set(header):
            return TableRead(read_fao_production(path, countries=countries))
    return read_survey_table(path, "harvests", mode=mode)
