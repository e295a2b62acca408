"""Estimate flow: carbon stocks, sequestration and totals per site (and per parcel)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task

from bluecarbon.params import ParameterSet
from bluecarbon.pipeline import steps
from bluecarbon.pipeline.study import Site, Study
from flows.ingest import TASK


@task(name="site-carbon", task_run_name="carbon-{site.id}", **TASK)
def site_carbon(
    site: Site,
    habitat: steps.StepResult,
    soil: steps.StepResult,
    parcels: steps.StepResult,
    work_dir: Path,
    parameters: ParameterSet,
) -> steps.StepResult:
    result = steps.site_carbon(site, habitat, soil, work_dir, parcels, parameters=parameters)
    get_run_logger().info("carbon %s: %s%s", site.id, result.info, " (cached)" if result.cached else "")
    return result


@flow(name="estimate")
def estimate(
    study: Study,
    habitats: dict[str, steps.StepResult],
    soil: steps.StepResult,
    parcels: steps.StepResult,
    work_dir: Path,
    parameters: ParameterSet,
) -> dict[str, steps.StepResult]:
    """Carbon per site (and per parcel) from its habitat maps and the soil densities."""
    sites = {s.id: s for s in study.sites}
    futures = {
        k: site_carbon.submit(sites[k], h, soil, parcels, work_dir, parameters) for k, h in habitats.items()
    }
    return {k: f.result() for k, f in futures.items()}
