"""Ingest flow: verify raw inputs against the manifest, read and validate surveys, parcels.

Returns small records (URIs and counts) for the downstream flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from bluecarbon.manifest import ManifestEntry
from bluecarbon.pipeline import steps
from bluecarbon.pipeline.study import Study
from flows._tasks import RETRIES, RETRY_DELAYS, retry_on_transient

TASK = {
    "retries": RETRIES,
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": retry_on_transient,
    "cache_policy": NO_CACHE,
}


@dataclass(frozen=True)
class Ingested:
    entries: dict[str, ManifestEntry]
    hashes: dict[str, str]
    soil: steps.StepResult
    parcels: steps.StepResult


@task(name="verify-inputs", **TASK)
def verify_inputs(raw_dir: Path, files: list[str]) -> dict[str, ManifestEntry]:
    entries = steps.check_inputs(raw_dir, files)
    get_run_logger().info("verified sha256 of %d raw inputs against %s/MANIFEST", len(entries), raw_dir)
    return entries


@task(name="soil-cores", **TASK)
def soil_cores(raw_dir: Path, study: Study, work_dir: Path, hashes: dict[str, str]) -> steps.StepResult:
    result = steps.soil_cores(raw_dir, study.cores, work_dir, hashes)
    get_run_logger().info("soil cores: %s%s", result.info, " (cached)" if result.cached else "")
    return result


@task(name="parcels", **TASK)
def parcels(raw_dir: Path, study: Study, work_dir: Path, hashes: dict[str, str]) -> steps.StepResult:
    result = steps.parcels(raw_dir, study.parcels, work_dir, hashes)
    get_run_logger().info("parcels: %s%s", result.info, " (cached)" if result.cached else "")
    return result


@flow(name="ingest")
def ingest(study: Study, raw_dir: Path, work_dir: Path) -> Ingested:
    """Verify every raw file of the study, then ingest soil cores and parcels."""
    files = study.raw_files(raw_dir)
    entries = verify_inputs(raw_dir, files)
    hashes = steps.input_hashes(entries, files)
    soil = soil_cores.submit(raw_dir, study, work_dir, hashes)
    parcel = parcels.submit(raw_dir, study, work_dir, hashes)
    return Ingested(entries=entries, hashes=hashes, soil=soil.result(), parcels=parcel.result())
