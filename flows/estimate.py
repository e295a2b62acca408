"""Estimate flow: carbon stocks, sequestration and totals per site (and per parcel)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task

from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.cache import StepResult
from bluecarbon.pipeline.carbon import site_carbon as carbon_step
from bluecarbon.pipeline.study import Site, Study
from flows._tasks import TASK


@task(name="site-carbon", task_run_name="carbon-{site.id}", **TASK)
def site_carbon(
    site: Site,
    habitat: StepResult,
    soil: StepResult,
    parcels: StepResult,
    work_dir: Path,
    parameters: ParameterSet,
) -> StepResult:
    result = carbon_step(site, habitat, soil, work_dir, parcels, parameters=parameters)
    get_run_logger().info("carbon %s: %s%s", site.id, result.info, " (cached)" if result.cached else "")
    return result


@flow(name="estimate")
def estimate(
    study: Study,
    habitats: dict[str, StepResult],
    soil: StepResult,
    parcels: StepResult,
    work_dir: Path,
    parameters: ParameterSet,
) -> dict[str, StepResult]:
    """Carbon per site (and per parcel) from its habitat maps and the soil densities."""
    sites = {s.id: s for s in study.sites}
    futures = {
        k: site_carbon.submit(sites[k], h, soil, parcels, work_dir, parameters) for k, h in habitats.items()
    }
    return {k: f.result() for k, f in futures.items()}
