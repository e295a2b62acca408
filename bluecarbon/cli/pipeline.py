"""Commands that run the monitoring flow: ``run`` (once) and ``serve`` (on a schedule).

Prefect and the flows are imported inside the commands, never at module level, so every other
command starts without paying for them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bluecarbon import __version__
from bluecarbon.cli import _common as c
from bluecarbon.cli.headline import print_headline


def run(config: c.ConfigOption = None, dask_address: c.DaskOption = None) -> None:
    """Run the monitoring pipeline as a Prefect flow and publish a release.

    Uses the study in bluecarbon.toml ([study] file), verifies raw inputs against
    data/raw/MANIFEST, computes habitat extent and carbon, publishes a release into the
    store and rebuilds the STAC catalog. With nothing changed, reports the existing release.
    """
    settings = c.settings(config)
    c.prefect_env(settings)
    c.console().print(
        f"bluecarbon {__version__}: monitoring run, study {settings.study_file.name}, "
        f"store {settings.store_uri}"
    )
    c.console().print("Starting Prefect (embedded server; the first start takes ~20-30 s) ...")
    from flows.monitoring import monitoring

    with c.errors():
        outcome = monitoring(config=str(config) if config else None, dask_address=dask_address)
    release = outcome["release"]
    verb = "published new release" if outcome["published"] else "nothing changed; existing release"
    c.console().print(
        f"\n[bold]{verb} {release['tag']}[/] (snapshot {release['snapshot_id']}, "
        f"content {release['content_hash'][:16]})"
    )
    print_headline(
        release["summary"].get("headline", []),
        title=f"Release {release['tag']}: latest map year per site",
        depth_cm=release["summary"].get("soil_depth_cm"),
    )
    c.console().print(f"Catalog: {settings.catalog_dir}/catalog.json")


def serve(
    config: c.ConfigOption = None,
    cron: Annotated[
        str | None, typer.Option("--cron", help="Cron schedule (default: [pipeline] schedule_cron, monthly).")
    ] = None,
    interval: Annotated[
        float | None, typer.Option("--interval", help="Run every N seconds instead of a cron schedule.")
    ] = None,
    dask_address: c.DaskOption = None,
) -> None:
    """Register the monitoring deployment with its schedule and run it with Prefect's serve.

    Without PREFECT_API_URL this uses Prefect's embedded server; to watch runs in the UI,
    start `prefect server start --host 127.0.0.1` first and export
    PREFECT_API_URL=http://127.0.0.1:4200/api (see the README).
    """
    settings = c.settings(config)
    c.prefect_env(settings)
    from flows.serve import serve_monitoring

    schedule = f"every {interval:g} s" if interval else f"cron '{cron or settings.schedule_cron}'"
    c.console().print(f"serving bluecarbon monitoring ({schedule}); Ctrl-C stops and pauses the schedule")
    with c.errors():
        serve_monitoring(
            config=str(config.resolve()) if config else None,
            cron=None if interval else (cron or settings.schedule_cron),
            interval_s=interval,
            dask_address=dask_address,
        )
