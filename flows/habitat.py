"""Habitat flow: habitat extent per site and snapshot year (survey polygons or imagery)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task

from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.cache import StepResult
from bluecarbon.pipeline.habitat import site_habitat as habitat_step
from bluecarbon.pipeline.study import Site, Study
from flows._tasks import TASK


@task(name="site-habitat", task_run_name="habitat-{site.id}", **TASK)
def site_habitat(
    raw_dir: Path, site: Site, work_dir: Path, hashes: dict[str, str], parameters: ParameterSet
) -> StepResult:
    result = habitat_step(raw_dir, site, work_dir, hashes, parameters=parameters)
    get_run_logger().info("habitat %s: %s%s", site.id, result.info, " (cached)" if result.cached else "")
    return result


@flow(name="habitat")
def habitat(
    study: Study, raw_dir: Path, work_dir: Path, hashes: dict[str, str], parameters: ParameterSet
) -> dict[str, StepResult]:
    """Map habitat extent for every site of the study."""
    futures = {s.id: site_habitat.submit(raw_dir, s, work_dir, hashes, parameters) for s in study.sites}
    return {k: f.result() for k, f in futures.items()}
