"""The monitoring flow: verify inputs, ingest cores, map habitats, estimate carbon, publish.

Thin on purpose: each task calls one function of ``bluecarbon.pipeline`` and passes
URIs and small records (:class:`~bluecarbon.pipeline.steps.StepResult`), never arrays.
All science lives in ``bluecarbon``; this module only decides order and concurrency.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run

from bluecarbon.config import load_settings
from bluecarbon.pipeline import steps
from bluecarbon.pipeline.assemble import assemble_bundle, git_commit
from bluecarbon.pipeline.study import Site, Study, load_study


@task(name="verify-inputs")
def verify_inputs(raw_dir: Path, files: list[str]) -> dict[str, Any]:
    entries = steps.check_inputs(raw_dir, files)
    get_run_logger().info("verified sha256 of %d raw inputs against data/raw/MANIFEST", len(entries))
    return entries


@task(name="soil-cores")
def soil_cores(raw_dir: Path, study: Study, work_dir: Path, hashes: dict[str, str]) -> steps.StepResult:
    result = steps.soil_cores(raw_dir, study.cores, work_dir, hashes)
    get_run_logger().info("soil cores: %s%s", result.info, " (cached)" if result.cached else "")
    return result


@task(name="site-habitat", task_run_name="habitat-{site.id}")
def site_habitat(raw_dir: Path, site: Site, work_dir: Path, hashes: dict[str, str]) -> steps.StepResult:
    result = steps.site_habitat(raw_dir, site, work_dir, hashes)
    get_run_logger().info("habitat %s: %s%s", site.id, result.info, " (cached)" if result.cached else "")
    return result


@task(name="site-carbon", task_run_name="carbon-{site_id}")
def site_carbon(
    site_id: str, habitat: steps.StepResult, soil: steps.StepResult, work_dir: Path
) -> steps.StepResult:
    return steps.site_carbon(site_id, habitat, soil, work_dir)


@task(name="parcels")
def parcels(raw_dir: Path, study: Study, work_dir: Path, hashes: dict[str, str]) -> steps.StepResult:
    return steps.parcels(raw_dir, study.parcels, work_dir, hashes)


@task(name="publish")
def publish(
    store_uri: str,
    catalog_dir: Path,
    study: Study,
    key: str,
    entries: dict[str, Any],
    soil: steps.StepResult,
    habitats: dict[str, steps.StepResult],
    carbon: dict[str, steps.StepResult],
    parcel_result: steps.StepResult,
    root: Path,
) -> dict[str, Any]:
    from bluecarbon.catalog.stac import build_catalog
    from bluecarbon.store import Store

    logger = get_run_logger()
    store = Store.open(store_uri, create=True)
    existing = store.find_by_key(key)
    if existing is None:
        bundle = assemble_bundle(
            study=study,
            key=key,
            entries=entries,
            soil=soil,
            habitats=habitats,
            carbon=carbon,
            parcels=parcel_result,
            flow_run_id=str(flow_run.get_id()),
            git=git_commit(root),
        )
        result = store.publish(bundle, progress=logger.info)
        release, published = result.release, result.published
    else:
        release, published = existing, False
    if not published:
        logger.info("inputs, parameters and version unchanged: release %s already holds them", release.tag)
    build_catalog(store, catalog_dir)
    logger.info("STAC catalog rebuilt in %s", catalog_dir)
    return {"release": release.as_dict(), "published": published}


@flow(name="monitoring")
def monitoring(config: str | None = None) -> dict[str, Any]:
    """Run the monitoring pipeline described by the configured study and publish a release."""
    settings = load_settings(Path(config) if config else None)
    study = load_study(settings.study_file)
    raw_dir, work_dir = settings.raw_dir, settings.work_dir
    files = study.raw_files(raw_dir)
    entries = verify_inputs(raw_dir, files)
    hashes = steps.input_hashes(entries, files)
    soil = soil_cores.submit(raw_dir, study, work_dir, hashes)
    habitat_futures = {s.id: site_habitat.submit(raw_dir, s, work_dir, hashes) for s in study.sites}
    parcel_future = parcels.submit(raw_dir, study, work_dir, hashes)
    habitats = {k: f.result() for k, f in habitat_futures.items()}
    soil_result = soil.result()
    carbon = {k: site_carbon(k, h, soil_result, work_dir) for k, h in habitats.items()}
    key = steps.release_key(study, hashes)
    outcome = publish(
        settings.store_uri,
        settings.catalog_dir,
        study,
        key,
        entries,
        soil_result,
        habitats,
        carbon,
        parcel_future.result(),
        settings.root,
    )
    return outcome | {"steps": {k: asdict(v) for k, v in {"soil": soil_result, **habitats}.items()}}


if __name__ == "__main__":
    monitoring()
