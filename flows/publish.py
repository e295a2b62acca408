"""Publish flow: assemble the release, publish it atomically, rebuild the catalog, and leave
artifacts an analyst can read (run summary, per-class totals).

The store is named by the configuration file (``config``), never by its credentials: flow
and task parameters are recorded in Prefect's database (and sent to a shared Prefect server),
so the S3 secret is read from the settings inside each task and is never an argument.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.runtime import flow_run

from bluecarbon.catalog.stac import build_catalog
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.assemble import assemble_bundle, git_commit
from bluecarbon.pipeline.cache import StepResult
from bluecarbon.pipeline.report import class_totals_rows, rejected_rows, run_summary_markdown
from bluecarbon.pipeline.study import Study
from bluecarbon.register.alerts import alerts_markdown, monitor_release
from bluecarbon.store import Store
from flows._tasks import TASK, Ingested, settings_for, step_records


def open_store(config: str | None) -> Store:
    """The configured store, credentials from the settings (file or BLUECARBON_S3_*)."""
    settings = settings_for(config)
    return Store.open(settings.store_uri, s3=settings.store_s3(), create=True)


@task(name="publish-release", **TASK)
def publish_release(
    config: str | None,
    study: Study,
    key: str,
    ingested: Ingested,
    habitats: dict[str, StepResult],
    carbon: dict[str, StepResult],
    parameters: ParameterSet,
) -> dict[str, Any]:
    logger = get_run_logger()
    store = open_store(config)
    latest = store.latest_or_none()  # None after every release was withdrawn: publish anew
    previous = latest.as_dict() if latest is not None else None
    existing = store.find_by_key(key)
    if existing is not None:
        logger.info("inputs, parameters and code unchanged: release %s already holds them", existing.tag)
        return {"release": existing.as_dict(), "published": False, "previous": previous}
    bundle = assemble_bundle(
        study=study,
        key=key,
        entries=ingested.entries,
        soil=ingested.soil,
        habitats=habitats,
        carbon=carbon,
        parcels=ingested.parcels,
        field_results=ingested.surveys,
        parameters=parameters,
        flow_run_id=str(flow_run.get_id()),
        git=git_commit(settings_for(config).root),
    )
    result = store.publish(bundle, progress=logger.info)  # products are lazy: publishing computes them
    return {"release": result.release.as_dict(), "published": result.published, "previous": previous}


@task(name="rebuild-catalog", **TASK)
def rebuild_catalog(config: str | None) -> None:
    catalog_dir = settings_for(config).catalog_dir
    build_catalog(open_store(config), catalog_dir)
    get_run_logger().info("STAC catalog rebuilt in %s", catalog_dir)


@task(name="post-loan-monitoring", **TASK)
def post_loan_monitoring(config: str | None, outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """Alerts for pledged parcels after a new release: the _alerts table, an artifact, and one
    Prefect event per alert (``bluecarbon.register.alert``) for automations to notify on."""
    if not outcome["published"]:
        return []
    tag = outcome["release"]["tag"]
    drop_fraction = settings_for(config).register_alert_drop_fraction
    alerts = monitor_release(open_store(config), tag, drop_fraction=drop_fraction)
    create_markdown_artifact(
        alerts_markdown(tag, alerts, drop_fraction=drop_fraction),
        key="post-loan-monitoring",
        description="alerts for parcels with pledged sink units",
    )
    for alert in alerts:
        emit_event(
            event="bluecarbon.register.alert",
            resource={
                "prefect.resource.id": f"bluecarbon.parcel.{alert.parcel_id}",
                "prefect.resource.name": alert.parcel_id,
                "bluecarbon.alert.kind": alert.kind,
                "bluecarbon.release": tag,
            },
            payload=alert.as_dict(),
        )
    return [a.as_dict() for a in alerts]


@flow(name="publish")
def publish(
    config: str | None,
    study: Study,
    key: str,
    ingested: Ingested,
    habitats: dict[str, StepResult],
    carbon: dict[str, StepResult],
    parameters: ParameterSet,
    compute: str = "local threads",
) -> dict[str, Any]:
    """Publish (or report the existing release), rebuild the catalog, write artifacts, and alert
    on parcels with pledged units (post-loan monitoring)."""
    outcome = publish_release(config, study, key, ingested, habitats, carbon, parameters)
    alerts = post_loan_monitoring(config, outcome)
    rejected = rejected_rows(ingested.quarantine_files)
    if rejected:
        create_table_artifact(
            rejected[:1000], key="quarantine", description="input rows held back by validation"
        )
    rebuild_catalog(config)
    records = step_records(ingested, habitats, carbon)
    markdown = run_summary_markdown(
        release=outcome["release"],
        published=outcome["published"],
        previous=outcome["previous"],
        inputs=[e.as_dict() for e in ingested.entries.values()],
        steps={k: {"info": v.info, "cached": v.cached} for k, v in records.items()},
        rejected=rejected,
        compute=compute,
    )
    create_markdown_artifact(
        markdown, key="monitoring-summary", description="bluecarbon monitoring run summary"
    )
    # per-class totals as published (harvest removal included)
    totals = open_store(config).read_table("class_totals", outcome["release"]["tag"])
    create_table_artifact(
        class_totals_rows(totals), key="class-totals", description="per-class totals of this run"
    )
    return outcome | {"summary_markdown": markdown, "alerts": alerts}
