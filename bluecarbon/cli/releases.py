"""Commands over the release ledger: list, show, verify, withdraw, diff, export, gc, catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from bluecarbon.cli import _common as c
from bluecarbon.cli.headline import print_headline


def releases(
    config: c.ConfigOption = None, as_json: c.JsonOption = False, wide: c.WideOption = False
) -> None:
    """List releases: tag, created, status, sites, stock.

    Snapshot id and content hash join the table when the terminal is wide enough (--wide:
    always); --json gives every field in full.
    """
    settings = c.settings(config)
    with c.errors():
        items = c.store(settings).releases()
    if as_json:
        c.print_json([r.as_dict() for r in items])
        return
    from bluecarbon.cli.tables import Col, print_table
    from bluecarbon.formatting import fmt_number

    rows = []
    for r in items:
        headline = r.summary.get("headline", [])
        stock = sum(x.get("stock_t_co2e") or 0.0 for x in headline)
        status = r.status + (f": {r.withdrawn_reason}" if r.withdrawn else "")
        rows.append(
            [
                r.tag,
                r.snapshot_id,
                r.created.strftime("%Y-%m-%d %H:%M"),
                r.content_hash[:16],
                status,
                str(len({x["site"] for x in headline})),
                fmt_number(stock),
            ]
        )
    print_table(
        [
            Col("tag", figure=True, justify="left"),
            Col("snapshot id", figure=True, justify="left", optional=True),
            Col("created (UTC)", figure=True, justify="left"),
            Col("content hash", figure=True, justify="left", optional=True),
            Col("status"),
            Col("sites", figure=True),
            Col("blue-carbon stock t CO2e", figure=True),
        ],
        rows,
        title=f"Releases in {settings.store_uri}",
        wide=wide,
    )


def show(
    release: Annotated[str, typer.Argument(help="Release tag (YYYY.MM.DD[.N]), 'latest' or snapshot id.")],
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
    wide: c.WideOption = False,
) -> None:
    """Show one release: provenance, tables, headline.

    Provenance, products, tables with their versions, flags, the headline figures per site
    and the licences of the raw inputs.
    """
    settings = c.settings(config)
    with c.errors():
        info = c.store(settings).resolve(release)
    if as_json:
        c.print_json(info.as_dict(full=True))
        return
    if info.withdrawn:
        c.err().print(f"[bold red]WITHDRAWN[/] on {info.withdrawn_at}: {info.withdrawn_reason}")
    c.report(
        f"[bold]Release {info.tag}[/]  snapshot {info.snapshot_id}  created {info.created:%Y-%m-%d %H:%M} UTC"
    )
    c.report(f"content hash {info.content_hash}")
    c.report(
        f"package {info.package_version}, git {info.provenance.get('git_commit')}, "
        f"flow run {info.provenance.get('flow_run_id')}, store format {info.store_format}"
    )
    c.report("products: " + ", ".join(info.products))
    c.report(
        "tables: "
        + ", ".join(f"{k} v{v['version']} ({v['rows']:,} rows)" for k, v in sorted(info.tables.items()))
    )
    for flag in info.flags:
        c.report(f"[yellow]flag:[/] {flag}")
    print_headline(
        info.summary.get("headline", []),
        title="Headline (latest map year per site)",
        depth_cm=info.summary.get("soil_depth_cm"),
        wide=wide,
    )
    inputs = info.provenance.get("inputs", [])
    licences = sorted({(i["dataset"], i["license"]) for i in inputs})
    c.report(f"{len(inputs)} raw inputs (sha256 in `show --json`), licences:")
    for dataset, lic in licences:
        c.report(f"  {lic}: {dataset}")


def verify(
    release: Annotated[str, typer.Argument(help="Release to verify (default latest).")] = "latest",
    config: c.ConfigOption = None,
    quiet: c.QuietOption = False,
) -> None:
    """Recompute a release's content hash and compare.

    The hash is recomputed from the stored data and compared with the one the ledger
    recorded when the release was published; every changed, added or missing object is named.
    """
    from bluecarbon.progress import progress_bar

    settings = c.settings(config)
    with c.errors(), progress_bar("verifying", quiet=quiet, unit="objects") as progress:
        report = c.store(settings).verify(release, progress=progress)
    if report.ok:
        c.console().print(f"release {report.release.tag}: OK, content hash {report.recomputed_hash}")
        return
    c.err().print(f"[bold red]release {report.release.tag} FAILED verification[/]")
    for problem in report.problems:
        c.err().print(f"  {problem}")
    raise typer.Exit(1)


def withdraw(
    release: Annotated[str, typer.Argument(help="Release tag to withdraw.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown wherever the release is shown).")],
    config: c.ConfigOption = None,
) -> None:
    """Mark a release withdrawn. Its data stay readable and unchanged; it is never deleted."""
    settings = c.settings(config)
    with c.errors():
        store = c.store(settings)
        info = store.withdraw(release, reason)
    c.console().print(f"release {info.tag} withdrawn: {info.withdrawn_reason}")
    from bluecarbon.catalog.stac import build_catalog
    from bluecarbon.errors import BlueCarbonError

    try:
        build_catalog(store, settings.catalog_dir)
    except (BlueCarbonError, OSError) as exc:
        raise c.fail(
            f"the withdrawal of {info.tag} is recorded, but the STAC catalog was not rebuilt: {exc}. "
            "Fix that, then run `bluecarbon catalog`"
        ) from None
    c.console().print(f"catalog rebuilt in {settings.catalog_dir}")


def diff(
    a: Annotated[str, typer.Argument(help="Earlier release (tag, 'latest' or snapshot id).")],
    b: Annotated[str, typer.Argument(help="Later release.")],
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Compare two releases quantity by quantity.

    Every changed quantity per class and per parcel, columns added or removed, and every
    changed parameter (table by table, row by row). Lines fit 80 columns; --json lists all.
    """
    settings = c.settings(config)
    from bluecarbon.cli.difftext import render
    from bluecarbon.store.diff import diff_releases

    with c.errors():
        d = diff_releases(c.store(settings), a, b)
    if as_json:
        c.print_json(d.as_json())
        return
    print("\n".join(render(d)))


def export(
    release: Annotated[str, typer.Argument(help="Release to export (tag, 'latest' or snapshot id).")],
    fmt: Annotated[
        Literal["netcdf", "geotiff", "geoparquet", "gpkg"],
        typer.Option("--format", help="What to write (see docs/export-formats.md)."),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="File (netcdf, gpkg) or folder (geotiff, geoparquet) to create."),
    ],
    product: Annotated[
        list[str] | None, typer.Option("--product", help="Only this product (repeatable).")
    ] = None,
    table_name: Annotated[
        list[str] | None, typer.Option("--table", help="Only this table (repeatable).")
    ] = None,
    config: c.ConfigOption = None,
    quiet: c.QuietOption = False,
) -> None:
    """Export a release as files other tools read.

    CF NetCDF4 (gridded products as groups), Cloud Optimized GeoTIFFs (one per variable and
    year), GeoParquet or GeoPackage (tables).
    """
    from bluecarbon.progress import progress_bar
    from bluecarbon.store.export import export_release

    settings = c.settings(config)
    unit = {"geotiff": "files", "netcdf": "tasks"}.get(fmt)  # tables are quick: no bar
    with (
        c.errors(),
        progress_bar(f"exporting {fmt}", quiet=quiet or unit is None, unit=unit or "") as progress,
    ):
        written = export_release(
            c.store(settings),
            release,
            fmt=fmt,
            output=output,
            products=product or None,
            tables=table_name or None,
            progress=progress,
        )
    c.console().print(f"exported {len(written)} file(s) to {output}")


def gc(
    older_than_hours: Annotated[
        float, typer.Option("--older-than-hours", help="Only remove leftovers older than this.")
    ] = 1.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be removed, remove nothing.")
    ] = False,
    config: c.ConfigOption = None,
    quiet: c.QuietOption = False,
) -> None:
    """Remove data left by failed publishes.

    Never anything a release references: tags and the main branch are the roots.
    """
    from datetime import timedelta

    settings = c.settings(config)
    from bluecarbon.progress import stage_bar
    from bluecarbon.store.gc import STAGES, collect_garbage

    verb = "counting leftovers" if dry_run else "collecting garbage"
    with c.errors(), stage_bar(verb, STAGES, quiet=quiet) as say:
        report = collect_garbage(
            c.store(settings), older_than=timedelta(hours=older_than_hours), dry_run=dry_run, progress=say
        )
    c.console().print(report.summary())


def catalog(config: c.ConfigOption = None) -> None:
    """Rebuild and validate the STAC catalog.

    Built from the store's releases and validated against the STAC core schema.
    """
    settings = c.settings(config)
    from bluecarbon.catalog.stac import build_catalog, validate_catalog

    with c.errors():
        build_catalog(c.store(settings), settings.catalog_dir)
        n = validate_catalog(settings.catalog_dir)
    c.console().print(f"catalog rebuilt in {settings.catalog_dir}: {n} STAC objects valid")
