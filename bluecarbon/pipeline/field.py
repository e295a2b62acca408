"""Pipeline steps for field surveys other than soil cores: biomass plots and shellfish /
seaweed harvests, plus :func:`field_tables`, which turns the field steps' outputs into the
release tables ``cores``, ``core_stocks``, ``soil_density``, ``plots``, ``harvests``,
``quarantine`` (and ``strata``, proposed).

The steps follow :mod:`bluecarbon.pipeline.cache`: keyed by a fingerprint of their raw inputs,
parameter tables and options; outputs written once as parquet under ``<work>/<step>/<key>``
and returned as URIs in a :class:`StepResult`. Validation runs in the mode the caller
chooses; in ``quarantine`` mode the report of every held-back row is written next to the
results (``quarantine.csv``) and as parquet for the release.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from bluecarbon.carbon.biomass import plot_carbon, plot_strata
from bluecarbon.carbon.shellfish import harvest_carbon, harvest_totals
from bluecarbon.errors import InputError
from bluecarbon.ingest.biomass import (
    read_fourqurean_biomass,
    read_lumcon_plots,
    read_template_plots,
    validate_plots,
)
from bluecarbon.ingest.ccn import read_ccn
from bluecarbon.ingest.production import read_production, validate_harvests
from bluecarbon.ingest.validation import Mode, TableRead, issues_frame, write_quarantine_report
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.cache import StepResult, cached_result, finish, out_dir, step_key
from bluecarbon.pipeline.inputs import relative_issue, relative_source
from bluecarbon.pipeline.study import HarvestSource, PlotSource

#: Keys of a harvest record in the ``harvests`` release table.
#: Harvest rows are kept per country (FAO) or farm (survey template), species and year.
HARVEST_KEYS = ["country", "farm_id", "species", "year"]


def _read_plots(raw_dir: Path, source: PlotSource, mode: Mode, parameters: ParameterSet) -> TableRead:
    path = raw_dir / source.file
    if source.kind == "template":
        return read_template_plots(path, mode=mode)
    if source.kind == "lumcon":
        return read_lumcon_plots(path)
    if source.kind == "fourqurean2012":
        if source.ccn_dir is None:
            raise InputError("fourqurean2012 plots need ccn_dir (coordinates and species)", file=path)
        ccn = read_ccn(raw_dir / source.ccn_dir)
        return read_fourqurean_biomass(path, cores=ccn.cores, species=ccn.species)
    raise InputError(f"unknown plot source kind {source.kind!r}", file=path)


def biomass_plots(
    raw_dir: Path,
    sources: tuple[PlotSource, ...],
    work_dir: Path,
    hashes: Mapping[str, str],
    *,
    parameters: ParameterSet,
    mode: Mode = "quarantine",
) -> StepResult:
    """Validated biomass plots with carbon per plot (``plots``), strata of plot means per
    habitat, species and site (``plot_strata``) and the quarantine report."""
    files = sorted({f for s in sources for f in s.files})
    options = {"sources": [(s.kind, s.file, s.ccn_dir) for s in sources], "mode": mode}
    key = step_key("biomass_plots", {f: hashes[f] for f in files}, options)
    if (hit := cached_result(work_dir, "biomass_plots", key, parameters)) is not None:
        return hit
    out = out_dir(work_dir, "biomass_plots", key)
    parameters = parameters.tracked()
    frames, issues = [], []
    for source in sources:
        read = _read_plots(raw_dir, source, mode, parameters)
        relative_source(read.frame, raw_dir)
        checked = validate_plots(read.frame, mode=mode, parameters=parameters)
        issues += [relative_issue(i, raw_dir) for i in read.issues] + checked.issues
        frames.append(checked.frame.assign(source_file=checked.frame.attrs.get("source_file", source.file)))
    plots = plot_carbon(pd.concat(frames, ignore_index=True), parameters=parameters)
    plots = _typed(plots)
    uris = {
        "plots": str(out / "plots.parquet"),
        "plot_strata": str(out / "plot_strata.parquet"),
        "quarantine": str(out / "quarantine.parquet"),
    }
    plots.to_parquet(uris["plots"], index=False)
    plot_strata(plots).to_parquet(uris["plot_strata"], index=False)
    issues_frame(issues).to_parquet(uris["quarantine"], index=False)
    uris["quarantine_csv"] = str(write_quarantine_report(issues, out))
    info = {
        "plots": int(plots["plot_id"].nunique()),
        "plot_visits": len(plots),
        "validation_errors": sum(i.severity == "error" for i in issues),
        "validation_warnings": sum(i.severity == "warning" for i in issues),
    }
    return finish(out, StepResult("biomass_plots", key, uris, info), parameters)


def shellfish_harvests(
    raw_dir: Path,
    source: HarvestSource,
    work_dir: Path,
    hashes: Mapping[str, str],
    *,
    parameters: ParameterSet,
    mode: Mode = "quarantine",
) -> StepResult:
    """Harvest carbon (HY/T 0305) by country, species and year (``harvests``), totals by
    country and year (``harvest_totals``) and the quarantine report."""
    options = {"kind": source.kind, "file": source.file, "countries": list(source.countries), "mode": mode}
    key = step_key("shellfish_harvests", {source.file: hashes[source.file]}, options)
    if (hit := cached_result(work_dir, "shellfish_harvests", key, parameters)) is not None:
        return hit
    out = out_dir(work_dir, "shellfish_harvests", key)
    parameters = parameters.tracked()
    read = read_production(raw_dir / source.file, countries=source.countries or None, mode=mode)
    relative_source(read.frame, raw_dir)
    checked = validate_harvests(read.frame, mode=mode, parameters=parameters)
    issues = [relative_issue(i, raw_dir) for i in read.issues] + checked.issues
    frame = checked.harvests
    if "country" not in frame.columns:
        frame = frame.assign(country=pd.NA)
    if source.kind == "fao":  # FAO reports live weight (see bluecarbon.carbon.shellfish)
        frame = frame.assign(weight_basis="fao_live_weight")
    carbon = harvest_carbon(frame, parameters=parameters)
    by_species = _by_species(carbon)
    totals = harvest_totals(carbon, by=["country", "year"])
    uris = {
        "harvests": str(out / "harvests.parquet"),
        "harvest_totals": str(out / "harvest_totals.parquet"),
        "quarantine": str(out / "quarantine.parquet"),
    }
    by_species.to_parquet(uris["harvests"], index=False)
    totals.to_parquet(uris["harvest_totals"], index=False)
    issues_frame(issues).to_parquet(uris["quarantine"], index=False)
    uris["quarantine_csv"] = str(write_quarantine_report(issues, out))
    latest = totals[totals["year"] == totals["year"].max()]
    info = {
        "records": len(carbon),
        "species": int(carbon["species"].nunique()),
        "years": [int(carbon["year"].min()), int(carbon["year"].max())],
        "latest_year_total_c_t": float(latest["total_c_t"].sum()),
        "latest_year_total_co2e_t": float(latest["total_co2e_t"].sum()),
        "validation_errors": sum(i.severity == "error" for i in issues),
    }
    return finish(out, StepResult("shellfish_harvests", key, uris, info), parameters)


def _by_species(carbon: pd.DataFrame) -> pd.DataFrame:
    """One row per country, species and year (FAO splits marine and brackish water)."""
    firsts = {
        c: "first"
        for c in ("species_name", "scientific_name", "shellfish_class", "kind", "coefficient_source")
        if c in carbon.columns
    }
    sums = ["harvest_t", "dry_t", "tissue_c_t", "shell_c_t", "total_c_t", "total_co2e_t"]
    frame = carbon.assign(year=pd.to_numeric(carbon["year"]).astype("int64"))
    for key in HARVEST_KEYS:
        if key not in frame.columns:
            frame[key] = pd.NA
    out = frame.groupby(HARVEST_KEYS, sort=True, dropna=False).agg({**firsts, **{c: "sum" for c in sums}})
    out["n_records"] = frame.groupby(HARVEST_KEYS, sort=True, dropna=False).size()
    out = out.reset_index()
    out["method"] = "HY/T 0305-2021 harvest removal (class coefficients, Sun Kang et al. 2020)"
    return _typed(out)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns as strings (parquet and Delta need one type per column)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].astype("string")
    return out


def field_tables(results: Iterable[StepResult]) -> dict[str, pd.DataFrame]:
    """Release tables from the field steps' results (``soil_cores``, ``biomass_plots``,
    ``shellfish_harvests``; any subset): ``cores``, ``core_stocks``, ``soil_density``,
    ``plots``, ``harvests``, ``quarantine`` (all steps' reports, one table) and ``strata``
    (core and plot strata; needs a TableSpec, see the module docstring)."""
    tables: dict[str, pd.DataFrame] = {}
    quarantine, strata = [], []
    parts: dict[str, list[pd.DataFrame]] = {}
    for result in results:
        uris = result.uris
        for name in ("cores", "core_stocks", "soil_density", "plots", "harvests"):
            if name in uris:
                parts.setdefault(name, []).append(pd.read_parquet(uris[name]))
        for name in ("core_strata", "plot_strata"):
            if name in uris:
                strata.append(pd.read_parquet(uris[name]))
        if "quarantine" in uris:
            quarantine.append(pd.read_parquet(uris["quarantine"]).assign(step=result.step))
    for name, frames in parts.items():  # several plot or harvest sources: one table each
        tables[name] = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if quarantine:
        tables["quarantine"] = pd.concat(quarantine, ignore_index=True).astype({"step": "string"})
    if strata:
        tables["strata"] = pd.concat(strata, ignore_index=True)
    return tables
