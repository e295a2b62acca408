"""Publish flow: assemble the release, publish it atomically, rebuild the catalog, and leave
artifacts an analyst can read (run summary, per-class totals)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.runtime import flow_run

from bluecarbon.catalog.stac import build_catalog
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline import steps
from bluecarbon.pipeline.assemble import assemble_bundle, git_commit
from bluecarbon.pipeline.report import class_totals_rows, run_summary_markdown
from bluecarbon.pipeline.study import Study
from bluecarbon.register.alerts import DEFAULT_DROP_FRACTION, alerts_markdown, monitor_release
from bluecarbon.store import S3Options, Store
from flows.ingest import TASK, Ingested


def rejected_rows(ingested: Ingested) -> list[dict[str, Any]]:
    """Validation errors held back by the field steps (from their quarantine reports)."""
    frames = [
        pd.read_parquet(r.uris["quarantine"]) for r in ingested.field_results() if "quarantine" in r.uris
    ]
    if not frames:
        return []
    issues = pd.concat(frames, ignore_index=True)
    issues = issues[issues["severity"] == "error"] if "severity" in issues.columns else issues
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in issues.astype(object).to_dict("records")
    ]


def open_store(store_uri: str, s3: dict[str, Any] | None) -> Store:
    return Store.open(store_uri, s3=S3Options(**s3) if s3 else None, create=True)


@task(name="publish-release", **TASK)
def publish_release(
    store_uri: str,
    s3: dict[str, Any] | None,
    study: Study,
    key: str,
    ingested: Ingested,
    habitats: dict[str, steps.StepResult],
    carbon: dict[str, steps.StepResult],
    root: Path,
    parameters: ParameterSet,
) -> dict[str, Any]:
    logger = get_run_logger()
    store = open_store(store_uri, s3)
    previous = store.resolve("latest").as_dict() if store.releases() else None
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
        field_results=ingested.field_results()[1:],
        parameters=parameters,
        flow_run_id=str(flow_run.get_id()),
        git=git_commit(root),
    )
    result = store.publish(bundle, progress=logger.info)  # products are lazy: publishing computes them
    return {"release": result.release.as_dict(), "published": result.published, "previous": previous}


@task(name="rebuild-catalog", **TASK)
def rebuild_catalog(store_uri: str, s3: dict[str, Any] | None, catalog_dir: Path) -> None:
    build_catalog(open_store(store_uri, s3), catalog_dir)
    get_run_logger().info("STAC catalog rebuilt in %s", catalog_dir)


@task(name="post-loan-monitoring", **TASK)
def post_loan_monitoring(
    store_uri: str, s3: dict[str, Any] | None, outcome: dict[str, Any], drop_fraction: float
) -> list[dict[str, Any]]:
    """Alerts for pledged parcels after a new release: the _alerts table, an artifact, and one
    Prefect event per alert (``bluecarbon.register.alert``) for automations to notify on."""
    if not outcome["published"]:
        return []
    tag = outcome["release"]["tag"]
    alerts = monitor_release(open_store(store_uri, s3), tag, drop_fraction=drop_fraction)
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
    store_uri: str,
    s3: dict[str, Any] | None,
    catalog_dir: Path,
    study: Study,
    key: str,
    ingested: Ingested,
    habitats: dict[str, steps.StepResult],
    carbon: dict[str, steps.StepResult],
    root: Path,
    parameters: ParameterSet,
    compute: str = "local threads",
    alert_drop_fraction: float = DEFAULT_DROP_FRACTION,
) -> dict[str, Any]:
    """Publish (or report the existing release), rebuild the catalog, write artifacts, and alert
    on parcels with pledged units (post-loan monitoring)."""
    outcome = publish_release(store_uri, s3, study, key, ingested, habitats, carbon, root, parameters)
    alerts = post_loan_monitoring(store_uri, s3, outcome, alert_drop_fraction)
    rejected = rejected_rows(ingested)
    if rejected:
        create_table_artifact(
            rejected[:1000], key="quarantine", description="input rows held back by validation"
        )
    rebuild_catalog(store_uri, s3, catalog_dir)
    field_steps = {
        f"{r.step.replace('_', ' ')} {i}": r for i, r in enumerate(ingested.field_results()[1:], 1)
    }
    step_records = {
        "soil cores": ingested.soil,
        "parcels": ingested.parcels,
        **field_steps,
        **{f"habitat {k}": v for k, v in habitats.items()},
        **{f"carbon {k}": v for k, v in carbon.items()},
    }
    markdown = run_summary_markdown(
        release=outcome["release"],
        published=outcome["published"],
        previous=outcome["previous"],
        inputs=[e.as_dict() for e in ingested.entries.values()],
        steps={k: {"info": v.info, "cached": v.cached} for k, v in step_records.items()},
        rejected=rejected,
        compute=compute,
    )
    create_markdown_artifact(
        markdown, key="monitoring-summary", description="bluecarbon monitoring run summary"
    )
    # per-class totals as published (harvest removal included)
    totals = open_store(store_uri, s3).read_table("class_totals", outcome["release"]["tag"])
    create_table_artifact(
        class_totals_rows(totals), key="class-totals", description="per-class totals of this run"
    )
    return outcome | {"summary_markdown": markdown, "alerts": alerts}
