"""The monitoring flow: ingest -> habitat -> estimate -> publish.

Thin on purpose: it loads the configuration and the study, then chains the four flows, each
a thin wrapper over ``bluecarbon.pipeline``. Everything passed between them is a URI, a key
or a small record; no arrays cross a task boundary. Before each, one log line says which of
the four steps starts and what it does (``bluecarbon run`` shows Prefect's log; its
``--quiet`` keeps warnings only).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import flow, get_run_logger

from bluecarbon.compute import compute_on
from bluecarbon.fingerprint import release_key
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.study import load_study
from flows._tasks import settings_for, step_records
from flows.estimate import estimate
from flows.habitat import habitat
from flows.ingest import ingest
from flows.publish import publish


@flow(name="monitoring")
def monitoring(config: str | None = None, dask_address: str | None = None) -> dict[str, Any]:
    """Run the monitoring pipeline for the configured study and publish a release.

    ``dask_address`` overrides the configured dask scheduler ("" = local threads).
    """
    settings = settings_for(config)
    address = settings.dask_address if dask_address is None else dask_address
    study = load_study(settings.study_file)
    # every parameter table, resolved once for the whole run and published with the release
    parameters = ParameterSet.load(settings.params_dir)
    say = get_run_logger().info
    sites = ", ".join(s.id for s in study.sites)
    # one scheduler for the whole run (see bluecarbon.compute)
    with compute_on(address) as where:
        say("step 1/4 ingest: check raw inputs against the MANIFEST; validate cores, plots, harvests")
        ingested = ingest(study, settings.raw_dir, settings.work_dir, settings.on_invalid, parameters)
        say("step 2/4 habitat: extent and its uncertainty for %d site(s): %s", len(study.sites), sites)
        habitats = habitat(study, settings.raw_dir, settings.work_dir, ingested.hashes, parameters)
        say("step 3/4 estimate: carbon stocks, fluxes and their uncertainty per site and parcel")
        carbon = estimate(study, habitats, ingested.soil, ingested.parcels, settings.work_dir, parameters)
        key = release_key(study, ingested.hashes, parameters)
        say("step 4/4 publish: a new release, or the one that holds these inputs; then the catalog")
        # the store is named by the configuration, never by its credentials (see flows.publish)
        outcome = publish(config, study, key, ingested, habitats, carbon, parameters, where)
    records = step_records(ingested, habitats, carbon)
    return outcome | {"steps": {k: asdict(v) for k, v in records.items()}}


if __name__ == "__main__":
    monitoring()
