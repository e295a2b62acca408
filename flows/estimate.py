"""Estimate flow: carbon stocks, sequestration and totals per site."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task

from bluecarbon.compute import compute_on
from bluecarbon.pipeline import steps
from flows.ingest import TASK


@task(name="site-carbon", task_run_name="carbon-{site_id}", **TASK)
def site_carbon(
    site_id: str, habitat: steps.StepResult, soil: steps.StepResult, work_dir: Path, dask_address: str
) -> steps.StepResult:
    with compute_on(dask_address):
        result = steps.site_carbon(site_id, habitat, soil, work_dir)
    get_run_logger().info("carbon %s%s", site_id, " (cached)" if result.cached else "")
    return result


@flow(name="estimate")
def estimate(
    habitats: dict[str, steps.StepResult], soil: steps.StepResult, work_dir: Path, dask_address: str = ""
) -> dict[str, steps.StepResult]:
    """Carbon per site from its habitat maps and the soil densities."""
    futures = {k: site_carbon.submit(k, h, soil, work_dir, dask_address) for k, h in habitats.items()}
    return {k: f.result() for k, f in futures.items()}
