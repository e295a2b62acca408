"""Commands that run the monitoring flow: ``run`` (once) and ``serve`` (on a schedule).

Prefect and the flows are imported inside the commands, never at module level, so every other
command starts without paying for them. Before Prefect starts (~20 s, and a ``.prefect``
folder), the project is checked: configuration, study file, raw folder, catalog folder and
schedule, so a mistake costs a second, not half a minute. Prefect's embedded server dies
with the command however it ends (:mod:`bluecarbon.watchdog`), and Prefect's console
logging shows bluecarbon's own errors as one line, not as a traceback: those are bad input,
reported once more as the command's one-paragraph error.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Annotated

import typer

from bluecarbon import __version__
from bluecarbon.cli import _common as c
from bluecarbon.cli.headline import print_headline

if TYPE_CHECKING:
    from bluecarbon.config import Settings


def run(
    config: c.ConfigOption = None,
    dask_address: c.DaskOption = None,
    study: c.StudyOption = None,
    params_dir: c.ParamsDirOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Say what the run would do (as `bluecarbon status`); run nothing."),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only warnings and errors from the pipeline steps.")
    ] = False,
) -> None:
    """Run the monitoring pipeline and publish a release.

    Uses the study in bluecarbon.toml ([study] file, or --study), verifies raw inputs against
    data/raw/MANIFEST, computes habitat extent and carbon, publishes a release into the
    store and rebuilds the STAC catalog. With nothing changed, reports the existing release
    (`bluecarbon status` says beforehand which it will be). Each step logs one line saying
    what it does.
    """
    settings = c.settings(config, study=study, params_dir=params_dir)
    with c.errors():
        check_project(settings)
    if dry_run:
        from bluecarbon.cli.status import print_status

        print_status(settings)
        print("dry run: nothing was computed or published")
        return
    if quiet:
        os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    c.prefect_env(settings)
    c.console().print(
        f"bluecarbon {__version__}: monitoring run, study {settings.study_file.name}, "
        f"store {settings.store_uri}"
    )
    c.console().print("Starting Prefect (embedded server; the first start takes ~20-30 s) ...")
    from bluecarbon.watchdog import guard_children

    guard_children()
    from flows.monitoring import monitoring

    quiet_known_errors()
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
    """Run the monitoring pipeline on a schedule.

    Registers the monitoring deployment with its schedule, prints when the next run starts
    and runs it with Prefect's serve. Without PREFECT_API_URL this uses Prefect's embedded
    server; to watch runs in the UI, start `prefect server start --host 127.0.0.1` first and
    export PREFECT_API_URL=http://127.0.0.1:4200/api (see the README).
    """
    settings = c.settings(config)
    if interval is not None and not interval > 0:
        raise c.fail(f"--interval {interval:g}: expected a number of seconds above 0", code=2)
    schedule_cron = None if interval else (cron or settings.schedule_cron)
    with c.errors():
        check_project(settings)
    c.prefect_env(settings)
    from flows.serve import cron_problem, next_cron_run, serve_monitoring

    if schedule_cron is not None and (problem := cron_problem(schedule_cron)) is not None:
        where = "--cron" if cron else f"[pipeline] schedule_cron in {settings.config_file or 'the defaults'}"
        raise c.fail(f"{where}: {problem}", code=2)
    from bluecarbon.watchdog import guard_children

    guard_children()
    quiet_known_errors()
    schedule = f"every {interval:g} s" if interval else f"cron '{schedule_cron}'"
    c.console().print(f"serving bluecarbon monitoring ({schedule}); Ctrl-C stops and pauses the schedule")
    if schedule_cron is not None:
        c.console().print(f"next scheduled run: {next_cron_run(schedule_cron):%Y-%m-%d %H:%M} UTC")
    with c.errors():
        serve_monitoring(
            config=str(config.resolve()) if config else None,
            cron=schedule_cron,
            interval_s=interval,
            dask_address=dask_address,
        )


def check_project(settings: Settings) -> None:
    """What a run needs before Prefect starts: the study (parsed and validated), the raw
    folder with its MANIFEST, the parameter folder, a catalog folder bluecarbon may write.
    Outside a project (no bluecarbon.toml found), the error says so."""
    from bluecarbon.catalog.folder import check_catalog_dir
    from bluecarbon.errors import BlueCarbonError, ConfigError, InputError
    from bluecarbon.pipeline.study import load_study

    try:
        load_study(settings.study_file)
        if not (settings.raw_dir / "MANIFEST").is_file():
            raise InputError(
                "raw input folder has no MANIFEST (sha256 and licence of every input)",
                file=settings.raw_dir,
                expected="[raw] dir pointing at a folder like data/raw",
            )
        if settings.params_dir is not None and not settings.params_dir.is_dir():
            raise InputError("parameter folder not found", file=settings.params_dir, expected="[params] dir")
        check_catalog_dir(settings.catalog_dir)
    except BlueCarbonError as exc:
        if settings.config_file is None:
            from pathlib import Path

            raise ConfigError(
                f"{exc}. No bluecarbon.toml in {Path.cwd()} or above: run from the project folder, "
                "pass --config PATH/bluecarbon.toml or set BLUECARBON_CONFIG"
            ) from None
        raise


class KnownErrorFilter(logging.Filter):
    """Drop the traceback from log records about bluecarbon's own errors (bad input, a
    locked store): the command reports them as one paragraph. Other exceptions are bugs and
    keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        from bluecarbon.errors import BlueCarbonError

        exc = record.exc_info[1] if record.exc_info else None
        seen = 0
        while exc is not None and seen < 10:
            if isinstance(exc, BlueCarbonError):
                record.exc_info, record.exc_text = None, None
                break
            exc, seen = exc.__cause__ or exc.__context__, seen + 1
        return True


def quiet_known_errors() -> None:
    """Attach :class:`KnownErrorFilter` to the console handlers Prefect configured."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, KnownErrorFilter) for f in handler.filters):
            handler.addFilter(KnownErrorFilter())
