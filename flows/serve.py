"""Schedules in code: deployments of the monitoring flow, served by Prefect's ``serve``.

``bluecarbon serve`` calls :func:`serve_monitoring`. Runs of one deployment never overlap
(deployment concurrency limit 1), and the store's writer lock serialises publishing across
deployments and machines sharing a local store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import serve

from flows.monitoring import monitoring

DEPLOYMENT = "bluecarbon-monitoring"


def cron_problem(expression: str) -> str | None:
    """None when Prefect accepts ``expression`` as a cron schedule, else what is wrong."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=expression)
    except ValidationError:
        return (
            f"{expression!r} is not a cron schedule (five fields: minute hour day month weekday, "
            "e.g. '0 6 1 * *' for 06:00 on the first of every month)"
        )
    return None


def next_cron_run(expression: str, *, after: datetime | None = None) -> datetime:
    """When Prefect's scheduler starts the next run of the cron schedule ``expression`` at or
    after ``after`` (default now), in UTC.

    The deployment's schedule names no time zone, so Prefect reads it in UTC. The dates come
    from the cron engine Prefect itself validates and schedules with (its vendored croniter);
    ``CronSchedule.get_dates`` is not called because it needs the server's time-zone types.
    """
    from prefect._vendor.croniter import croniter

    start = (after or datetime.now(UTC)).astimezone(UTC) - timedelta(seconds=1)  # "at or after"
    return croniter(expression, start, day_or=True).get_next(datetime).astimezone(UTC)


def monitoring_deployment(
    *, config: str | None, cron: str | None, interval_s: float | None, dask_address: str | None = None
):  # -> RunnerDeployment
    """A deployment of the monitoring flow on a cron or interval schedule."""
    schedule = {"cron": cron} if cron else {"interval": timedelta(seconds=float(interval_s or 3600))}
    return monitoring.to_deployment(
        name=DEPLOYMENT,
        parameters={"config": config, "dask_address": dask_address},
        concurrency_limit=1,
        description="bluecarbon monitoring: ingest, habitat, estimate, publish",
        tags=["bluecarbon", "monitoring"],
        **schedule,
    )


def serve_monitoring(
    *,
    config: str | None,
    cron: str | None,
    interval_s: float | None,
    dask_address: str | None = None,
    limit: int | None = None,
) -> None:
    """Register the deployment and run scheduled flow runs until interrupted."""
    serve(
        monitoring_deployment(config=config, cron=cron, interval_s=interval_s, dask_address=dask_address),
        limit=limit,
        print_starting_message=True,
    )
