"""Ingest flow: verify raw inputs against the manifest, read and validate surveys (cores,
biomass plots, harvests) and parcels.

Validation follows the configured mode: ``quarantine`` holds bad rows back (listed in the
run summary and the release's ``quarantine`` table) and goes on; ``fail`` stops the run on
the first invalid table with the validation report attached as an artifact, so nothing is
published and the previous release stays current.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from bluecarbon.errors import ValidationFailed
from bluecarbon.manifest import ManifestEntry
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline import field, inputs, soil
from bluecarbon.pipeline import parcels as parcel_step
from bluecarbon.pipeline.cache import StepResult
from bluecarbon.pipeline.report import validation_failed_markdown
from bluecarbon.pipeline.study import HarvestSource, Study
from flows._tasks import TASK, Ingested


def _validated[T](what: str, run: Callable[[], T]) -> T:
    """Run a validating step; on ValidationFailed attach the report as artifacts and re-raise."""
    try:
        return run()
    except ValidationFailed as exc:
        rows = [i.as_dict() for i in exc.issues]
        create_table_artifact(rows[:1000], key="validation-report", description=f"invalid input rows: {what}")
        create_markdown_artifact(
            validation_failed_markdown(what, rows), key="validation-failed", description=what
        )
        raise


@task(name="verify-inputs", **TASK)
def verify_inputs(raw_dir: Path, files: list[str]) -> dict[str, ManifestEntry]:
    entries = inputs.check_inputs(raw_dir, files)
    get_run_logger().info("verified sha256 of %d raw inputs against %s/MANIFEST", len(entries), raw_dir)
    return entries


def _log(what: str, result: StepResult) -> StepResult:
    get_run_logger().info("%s: %s%s", what, result.info, " (cached)" if result.cached else "")
    return result


@task(name="soil-cores", **TASK)
def soil_cores(
    raw_dir: Path, study: Study, work_dir: Path, hashes: dict[str, str], mode: str, parameters: ParameterSet
) -> StepResult:
    return _log(
        "soil cores",
        _validated(
            "soil cores",
            lambda: soil.soil_cores(
                raw_dir,
                study.cores,
                work_dir,
                hashes,
                mode=mode,
                parameters=parameters,  # type: ignore[arg-type]
            ),
        ),
    )


@task(name="biomass-plots", **TASK)
def biomass_plots(
    raw_dir: Path, study: Study, work_dir: Path, hashes: dict[str, str], mode: str, parameters: ParameterSet
) -> StepResult:
    return _log(
        "biomass plots",
        _validated(
            "biomass plots",
            lambda: field.biomass_plots(
                raw_dir,
                study.plots,
                work_dir,
                hashes,
                mode=mode,
                parameters=parameters,  # type: ignore[arg-type]
            ),
        ),
    )


@task(name="shellfish-harvests", task_run_name="harvests-{source.kind}", **TASK)
def shellfish_harvests(
    raw_dir: Path,
    source: HarvestSource,
    work_dir: Path,
    hashes: dict[str, str],
    mode: str,
    parameters: ParameterSet,
) -> StepResult:
    return _log(
        "harvests",
        _validated(
            f"shellfish and seaweed harvests ({source.file})",
            lambda: field.shellfish_harvests(
                raw_dir,
                source,
                work_dir,
                hashes,
                mode=mode,
                parameters=parameters,  # type: ignore[arg-type]
            ),
        ),
    )


@task(name="parcels", **TASK)
def parcels(
    raw_dir: Path, study: Study, work_dir: Path, hashes: dict[str, str], parameters: ParameterSet
) -> StepResult:
    return _log(
        "parcels", parcel_step.parcels(raw_dir, study.parcels, work_dir, hashes, parameters=parameters)
    )


@flow(name="ingest")
def ingest(
    study: Study, raw_dir: Path, work_dir: Path, on_invalid: str, parameters: ParameterSet
) -> Ingested:
    """Verify every raw file of the study, then ingest cores, plots, harvests and parcels."""
    mode = "fail_fast" if on_invalid == "fail" else "quarantine"
    files = study.raw_files(raw_dir)
    entries = verify_inputs(raw_dir, files)
    hashes = inputs.input_hashes(entries, files)
    soil = soil_cores.submit(raw_dir, study, work_dir, hashes, mode, parameters)
    plots = biomass_plots.submit(raw_dir, study, work_dir, hashes, mode, parameters) if study.plots else None
    harvests = [
        shellfish_harvests.submit(raw_dir, h, work_dir, hashes, mode, parameters) for h in study.harvests
    ]
    parcel = parcels.submit(raw_dir, study, work_dir, hashes, parameters)
    return Ingested(
        entries=entries,
        hashes=hashes,
        soil=soil.result(),
        parcels=parcel.result(),
        plots=plots.result() if plots else None,
        harvests=tuple(h.result() for h in harvests),
    )
