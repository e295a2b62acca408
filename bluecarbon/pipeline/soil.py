"""The soil-cores step: validated cores, core stocks to 30 cm and 1 m, strata and the global
per-habitat soil density, with the quarantine report.

Cores come from a Coastal Carbon Network folder and survey-template workbooks, each validated
on its own and then combined; held-back cores never reach a stock. The representative density
of each site is chosen later, per site, by the carbon step (it needs the site's location).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from bluecarbon.carbon.cores import interval_carbon, stocks_from_intervals
from bluecarbon.carbon.representative import core_settings
from bluecarbon.carbon.stocks import soil_density_by_habitat
from bluecarbon.carbon.strata import core_strata
from bluecarbon.ingest.ccn import read_ccn
from bluecarbon.ingest.core_validation import combine_validated, normalise_habitat, validate_core_tables
from bluecarbon.ingest.survey import read_survey
from bluecarbon.ingest.validation import Mode, issues_frame, write_quarantine_report
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.cache import StepResult, cached_result, finish, out_dir, step_key
from bluecarbon.pipeline.inputs import relative_issue, relative_source
from bluecarbon.pipeline.study import SURVEY_CORE_TABLES, CoreSource
from bluecarbon.vocab import Habitat

#: Depths (cm) at which core stocks are published.
CORE_DEPTHS: tuple[float, ...] = (30.0, 100.0)
#: Columns of the ``cores`` release table (those present).
CORE_COLUMNS = (
    "study_id",
    "site_id",
    "core_id",
    "habitat",
    "country",
    "latitude",
    "longitude",
    "year",
    "salinity_class",
    "vegetation_class",
    "source_folder",
    "carbonate_fraction",
    "setting",
)


def soil_cores(
    raw_dir: Path,
    source: CoreSource,
    work_dir: Path,
    hashes: Mapping[str, str],
    *,
    parameters: ParameterSet,
    mode: Mode = "quarantine",
    extrapolate: bool = False,
) -> StepResult:
    """Validated cores, core stocks to 30 and 100 cm, strata (habitat, species, site), the
    per-habitat soil density (cores or Tier 1) and the quarantine report.

    Cores come from the CCN folder and the survey workbooks of ``source``, each validated on
    its own and then combined (:func:`~bluecarbon.ingest.core_validation.combine_validated`:
    a core id repeated across sources is held back).

    Outputs (parquet unless said): ``cores`` (cores used), ``core_stocks`` (one row per core
    and depth), ``core_strata``, ``soil_density``, ``quarantine`` and ``quarantine_csv`` (the
    report, next to the results). In ``quarantine`` mode (default) held-back cores never
    reach a stock and are listed in the report; ``fail_fast`` raises on the first bad table.
    """
    options = {
        "ccn_dir": source.ccn_dir,
        "surveys": list(source.surveys),
        "mode": mode,
        "extrapolate": extrapolate,
        "depths": CORE_DEPTHS,
    }
    key = step_key("soil_cores", {f: hashes[f] for f in source.all_files(raw_dir)}, options)
    if (hit := cached_result(work_dir, "soil_cores", key, parameters)) is not None:
        return hit
    out = out_dir(work_dir, "soil_cores", key)
    parameters = parameters.tracked()
    parts, species, n_cores = [], [], 0
    if source.ccn_dir is not None:
        tables = read_ccn(raw_dir / source.ccn_dir)
        for frame in (tables.cores, tables.depthseries):
            relative_source(frame, raw_dir)
        parts.append(
            validate_core_tables(
                tables.cores, tables.depthseries, tables.methods, mode=mode, parameters=parameters
            )
        )
        species.append(tables.species)
        n_cores += len(tables.cores)
    for entry in source.surveys:
        survey = read_survey(raw_dir / entry, mode=mode, tables=SURVEY_CORE_TABLES)
        for frame in (survey.cores, survey.depthseries):
            relative_source(frame, raw_dir)
        part = validate_core_tables(survey.cores, survey.depthseries, mode=mode, parameters=parameters)
        read_issues = [relative_issue(i, raw_dir) for i in survey.issues]
        parts.append(replace(part, issues=read_issues + part.issues))
        species.append(survey.species)
        n_cores += len(survey.cores)
    checked = combine_validated(parts, mode=mode)
    intervals = interval_carbon(checked.cores, checked.depthseries, checked.methods, parameters=parameters)
    stocks = pd.concat(
        [
            stocks_from_intervals(
                checked.cores, intervals, depth_cm=depth, extrapolate=extrapolate, parameters=parameters
            )
            for depth in CORE_DEPTHS
        ],
        ignore_index=True,
    )
    habitats = [Habitat.SEAGRASS, Habitat.SALT_MARSH, Habitat.MANGROVE]
    density = soil_density_by_habitat(stocks[stocks["depth_cm"] == 100.0], habitats, parameters=parameters)
    cores = checked.cores.copy()
    cores["habitat"] = normalise_habitat(cores["habitat"]).astype("string")
    settings = core_settings(intervals, parameters=parameters)
    cores = cores.merge(settings, on=["study_id", "core_id"], how="left")
    cores["setting"] = cores["setting"].fillna("unknown").astype("string")
    keep = [c for c in CORE_COLUMNS if c in cores.columns]
    uris = {
        "core_stocks": str(out / "core_stocks.parquet"),
        "core_strata": str(out / "core_strata.parquet"),
        "soil_density": str(out / "soil_density.parquet"),
        "cores": str(out / "cores.parquet"),
        "quarantine": str(out / "quarantine.parquet"),
    }
    stocks.to_parquet(uris["core_stocks"], index=False)
    core_strata(stocks, species=pd.concat(species, ignore_index=True)).to_parquet(
        uris["core_strata"], index=False
    )
    density.to_parquet(uris["soil_density"], index=False)
    cores[keep].to_parquet(uris["cores"], index=False)
    issues_frame(checked.issues).to_parquet(uris["quarantine"], index=False)
    uris["quarantine_csv"] = str(write_quarantine_report(checked.issues, out))
    info = {
        "cores": n_cores,
        "cores_used": len(cores),
        "cores_held_back": checked.n_held_back,
        "validation_errors": sum(i.severity == "error" for i in checked.issues),
        "validation_warnings": sum(i.severity == "warning" for i in checked.issues),
        "cores_reaching_30cm": int(stocks.loc[stocks["depth_cm"] == 30.0, "reached_depth"].sum()),
        "cores_reaching_100cm": int(stocks.loc[stocks["depth_cm"] == 100.0, "reached_depth"].sum()),
    }
    return finish(out, StepResult("soil_cores", key, uris, info), parameters)
