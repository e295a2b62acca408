"""The ``bluecarbon`` command.

The CLI is the only place (with ``flows/``) that reads configuration; it turns settings into
explicit arguments for library calls. Commands that run flows import them lazily, so
``bluecarbon --help`` and read-only commands never pay for importing Prefect. Every
:class:`~bluecarbon.errors.BlueCarbonError` becomes a one-paragraph message and exit code 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bluecarbon import __version__
from bluecarbon.config import Settings, load_settings
from bluecarbon.errors import BlueCarbonError, StoreError
from bluecarbon.pipeline.report import fmt_number

app = typer.Typer(
    name="bluecarbon",
    help=(
        "Monitor blue-carbon sinks (seagrass, salt marsh, shellfish aquaculture) and publish "
        "versioned, citable releases.\n\n"
        "Start with `bluecarbon run` (the monitoring pipeline on the configured study), then "
        "`bluecarbon releases` and `bluecarbon show latest`. Configuration: bluecarbon.toml, "
        "overridden by BLUECARBON_* variables."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
console = Console(width=None if sys.stdout.isatty() else 170)
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="bluecarbon.toml to use (default: nearest one).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except BlueCarbonError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _settings(config: Path | None) -> Settings:
    with _errors():
        return load_settings(config)


def _store(settings: Settings, *, create: bool = False) -> Any:
    from bluecarbon.store import S3Options, Store

    s3 = S3Options(**vars(settings.s3)) if settings.store_uri.startswith("s3://") else None
    try:
        return Store.open(settings.store_uri, s3=s3, create=create)
    except StoreError as exc:
        if settings.config_file is None:  # most likely run outside the project folder
            raise StoreError(
                f"{exc}\n(no bluecarbon.toml in {Path.cwd()} or above: run from the project folder, "
                "pass --config PATH/bluecarbon.toml or set BLUECARBON_STORE_URI)"
            ) from None
        raise


def _prefect_env(settings: Settings) -> None:
    for key, value in settings.prefect_environment().items():
        os.environ.setdefault(key, value)


def print_headline(rows: list[dict[str, Any]], *, title: str) -> None:
    """Headline table: stocks of mapped habitats, annual removal of harvested aquaculture."""
    table = Table(title=title, title_justify="left")
    for column, justify in (
        ("site", "left"),
        ("year", "right"),
        ("habitat", "left"),
        ("area ha", "right"),
        ("stock t C", "right"),
        ("stock t CO2e", "right"),
        ("conservative t CO2e", "right"),
        ("sequestration t CO2e/yr", "right"),
        ("basis", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        flow_only = r["area_ha"] is None or r["area_ha"] != r["area_ha"]  # harvest removal: no stock
        table.add_row(
            str(r["site"]),
            str(r["year"]),
            str(r["habitat"]),
            fmt_number(r["area_ha"]),
            "-" if flow_only else fmt_number(r["stock_t_c"]),
            "-" if flow_only else fmt_number(r["stock_t_co2e"]),
            "-" if flow_only else fmt_number(r.get("stock_conservative_t_co2e")),
            fmt_number(r["sequestration_t_co2e_yr"]),
            str(r.get("density_source", "")).replace(
                "hy_t_0305_harvest_removal", "harvest removal, HY/T 0305"
            ),
        )
    console.print(table)


DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask-address", help="dask.distributed scheduler address (overrides [dask] address; '' = local)."
    ),
]


@app.command()
def run(config: ConfigOption = None, dask_address: DaskOption = None) -> None:
    """Run the monitoring pipeline as a Prefect flow and publish a release.

    Uses the study in bluecarbon.toml ([study] file), verifies raw inputs against
    data/raw/MANIFEST, computes habitat extent and carbon, publishes a release into the
    store and rebuilds the STAC catalog. With nothing changed, reports the existing release.
    """
    settings = _settings(config)
    _prefect_env(settings)
    console.print(
        f"bluecarbon {__version__}: monitoring run, study {settings.study_file.name}, "
        f"store {settings.store_uri}"
    )
    console.print("Starting Prefect (embedded server; the first start takes ~20-30 s) ...")
    from flows.monitoring import monitoring

    with _errors():
        outcome = monitoring(config=str(config) if config else None, dask_address=dask_address)
    release = outcome["release"]
    verb = "published new release" if outcome["published"] else "nothing changed; existing release"
    console.print(
        f"\n[bold]{verb} {release['tag']}[/] (snapshot {release['snapshot_id']}, "
        f"content {release['content_hash'][:16]})"
    )
    print_headline(
        release["summary"].get("headline", []), title=f"Release {release['tag']}: latest survey year per site"
    )
    console.print(f"Catalog: {settings.catalog_dir}/catalog.json")


@app.command()
def serve(
    config: ConfigOption = None,
    cron: Annotated[
        str | None, typer.Option("--cron", help="Cron schedule (default: [pipeline] schedule_cron, monthly).")
    ] = None,
    interval: Annotated[
        float | None, typer.Option("--interval", help="Run every N seconds instead of a cron schedule.")
    ] = None,
    dask_address: DaskOption = None,
) -> None:
    """Register the monitoring deployment with its schedule and run it with Prefect's serve.

    Without PREFECT_API_URL this uses Prefect's embedded server; to watch runs in the UI,
    start `prefect server start --host 127.0.0.1` first and export
    PREFECT_API_URL=http://127.0.0.1:4200/api (see the README).
    """
    settings = _settings(config)
    _prefect_env(settings)
    from flows.serve import serve_monitoring

    schedule = f"every {interval:g} s" if interval else f"cron '{cron or settings.schedule_cron}'"
    console.print(f"serving bluecarbon monitoring ({schedule}); Ctrl-C stops and pauses the schedule")
    with _errors():
        serve_monitoring(
            config=str(config.resolve()) if config else None,
            cron=None if interval else (cron or settings.schedule_cron),
            interval_s=interval,
            dask_address=dask_address,
        )


@app.command()
def releases(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List releases: tag, snapshot id, created, content hash, status."""
    settings = _settings(config)
    with _errors():
        items = _store(settings).releases()
    if as_json:
        print(json.dumps([r.as_dict() for r in items], indent=2, default=str))
        return
    table = Table(title=f"Releases in {settings.store_uri}", title_justify="left")
    for column in ("tag", "snapshot id", "created (UTC)", "content hash", "status", "summary"):
        table.add_column(column)
    for r in items:
        rows = r.summary.get("headline", [])
        stock = sum(x["stock_t_co2e"] for x in rows)
        status = r.status + (f": {r.withdrawn_reason}" if r.withdrawn else "")
        table.add_row(
            r.tag,
            r.snapshot_id,
            r.created.strftime("%Y-%m-%d %H:%M"),
            r.content_hash[:16],
            status,
            f"{len(rows)} site-habitats, {stock:,.0f} t CO2e",
        )
    console.print(table)


@app.command()
def show(
    release: Annotated[str, typer.Argument(help="Release tag (YYYY.MM.DD[.N]), 'latest' or snapshot id.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one release: provenance, products, tables, headline numbers and flags."""
    settings = _settings(config)
    with _errors():
        info = _store(settings).resolve(release)
    if as_json:
        print(json.dumps(info.as_dict(full=True), indent=2, default=str))
        return
    if info.withdrawn:
        err.print(f"[bold red]WITHDRAWN[/] on {info.withdrawn_at}: {info.withdrawn_reason}")
    console.print(
        f"[bold]Release {info.tag}[/]  snapshot {info.snapshot_id}  created {info.created:%Y-%m-%d %H:%M} UTC"
    )
    console.print(f"content hash {info.content_hash}")
    console.print(
        f"package {info.package_version}, git {info.provenance.get('git_commit')}, "
        f"flow run {info.provenance.get('flow_run_id')}, store format {info.store_format}"
    )
    console.print("products: " + ", ".join(info.products))
    console.print(
        "tables: "
        + ", ".join(f"{k} v{v['version']} ({v['rows']} rows)" for k, v in sorted(info.tables.items()))
    )
    for flag in info.flags:
        console.print(f"[yellow]flag:[/] {flag}")
    print_headline(info.summary.get("headline", []), title="Headline (latest survey year per site)")
    inputs = info.provenance.get("inputs", [])
    licences = sorted({(i["dataset"], i["license"]) for i in inputs})
    console.print(f"{len(inputs)} raw inputs (sha256 in `show --json`), licences:")
    for dataset, lic in licences:
        console.print(f"  {lic}: {dataset}")


@app.command()
def verify(
    release: Annotated[str, typer.Argument(help="Release to verify (default latest).")] = "latest",
    config: ConfigOption = None,
) -> None:
    """Recompute a release's content hash from the stored data and compare with the ledger."""
    settings = _settings(config)
    with _errors():
        report = _store(settings).verify(release)
    if report.ok:
        console.print(f"release {report.release.tag}: OK, content hash {report.recomputed_hash}")
        return
    err.print(f"[bold red]release {report.release.tag} FAILED verification[/]")
    for problem in report.problems:
        err.print(f"  {problem}")
    raise typer.Exit(1)


@app.command()
def withdraw(
    release: Annotated[str, typer.Argument(help="Release tag to withdraw.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown wherever the release is shown).")],
    config: ConfigOption = None,
) -> None:
    """Mark a release withdrawn. Its data stay readable and unchanged; it is never deleted."""
    settings = _settings(config)
    with _errors():
        info = _store(settings).withdraw(release, reason)
        from bluecarbon.catalog.stac import build_catalog

        build_catalog(_store(settings), settings.catalog_dir)
    console.print(f"release {info.tag} withdrawn: {info.withdrawn_reason}")


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="Earlier release (tag, 'latest' or snapshot id).")],
    b: Annotated[str, typer.Argument(help="Later release.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare two releases per class and per parcel (area, stock, sequestration)."""
    from bluecarbon.store.diff import PARCEL_KEYS, diff_releases

    settings = _settings(config)
    with _errors():
        d = diff_releases(_store(settings), a, b)
    if as_json:
        print(
            json.dumps(
                {
                    "a": d.a.tag,
                    "b": d.b.tag,
                    "identical": d.identical,
                    "changed_objects": list(d.changed_objects),
                    "changed_inputs": list(d.changed_inputs),
                    "classes": json.loads(d.classes.to_json(orient="records")),
                    "parcels": json.loads(d.parcels.to_json(orient="records")),
                },
                indent=2,
            )
        )
        return
    console.print(
        f"[bold]{d.a.tag} -> {d.b.tag}[/]: "
        + (
            "identical content"
            if d.identical
            else f"{len(d.changed_objects)} changed object(s), {len(d.changed_inputs)} changed input(s)"
        )
    )
    for path in d.changed_inputs:
        console.print(f"  input changed: {path}")
    for title, frame, keys in (
        ("per class", d.classes, ["site", "year", "habitat"]),
        ("per parcel", d.parcels, [k for k in PARCEL_KEYS if k in d.parcels.columns]),
    ):
        if frame.empty:
            continue
        changed = frame[(frame["stock_t_c_change"].abs() > 1e-9) | (frame["presence"] != "both")]
        if changed.empty:
            console.print(f"no changes {title} ({len(frame)} rows compared)")
            continue
        table = Table(title=f"Changes {title} ({len(changed)} of {len(frame)} rows)", title_justify="left")
        for column in [*keys, "stock t C before", "stock t C after", "change", "change %"]:
            table.add_column(column)
        for r in changed.itertuples():
            pct = r.stock_t_c_change_pct
            table.add_row(
                *[str(getattr(r, k)) for k in keys],
                fmt_number(r.stock_t_c_a) if r.stock_t_c_a == r.stock_t_c_a else "-",
                fmt_number(r.stock_t_c_b) if r.stock_t_c_b == r.stock_t_c_b else "-",
                fmt_number(r.stock_t_c_change),
                f"{pct:+.1f}" if pct == pct else "-",
            )
        console.print(table)


@app.command()
def export(
    release: Annotated[str, typer.Argument(help="Release to export (tag, 'latest' or snapshot id).")],
    fmt: Annotated[str, typer.Option("--format", help="netcdf | geotiff | geoparquet | gpkg")],
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
    config: ConfigOption = None,
) -> None:
    """Export a release for other tools: CF NetCDF4 (gridded products as groups), Cloud
    Optimized GeoTIFFs (one per variable and year), GeoParquet or GeoPackage (tables)."""
    from bluecarbon.store.export import export_release

    settings = _settings(config)
    with _errors():
        written = export_release(
            _store(settings),
            release,
            fmt=fmt,  # type: ignore[arg-type]
            output=output,
            products=product or None,
            tables=table_name or None,
        )
    console.print(f"exported {len(written)} file(s) to {output}")


@app.command()
def gc(
    older_than_hours: Annotated[
        float, typer.Option("--older-than-hours", help="Only remove leftovers older than this.")
    ] = 1.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be removed, remove nothing.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Remove data left by failed publishes; never anything a release references."""
    from datetime import timedelta

    from bluecarbon.store.gc import collect_garbage

    settings = _settings(config)
    with _errors():
        report = collect_garbage(
            _store(settings), older_than=timedelta(hours=older_than_hours), dry_run=dry_run
        )
    console.print(report.summary())


@app.command()
def catalog(config: ConfigOption = None) -> None:
    """Rebuild the STAC catalog from the store and validate it against the core schema."""
    settings = _settings(config)
    from bluecarbon.catalog.stac import build_catalog, validate_catalog

    with _errors():
        build_catalog(_store(settings), settings.catalog_dir)
        n = validate_catalog(settings.catalog_dir)
    console.print(f"catalog rebuilt in {settings.catalog_dir}: {n} STAC objects valid")


@app.command()
def statement(
    parcel_id: Annotated[
        str, typer.Argument(help="Parcel id as stored in the release (see `bluecarbon show`).")
    ],
    release: Annotated[
        str, typer.Option("--release", help="Release tag, 'latest' or snapshot id.")
    ] = "latest",
    price: Annotated[
        float | None, typer.Option("--price", help="CNY per t CO2e (default: params carbon_prices.csv).")
    ] = None,
    buffer: Annotated[
        float | None, typer.Option("--buffer", help="Non-permanence buffer, percent (default: params).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json | html | pdf")] = "json",
    lang: Annotated[str, typer.Option("--lang", help="zh | en")] = "en",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout for json).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Issue a sink statement for one parcel of a published release (conservative value,
    uncertainty, provenance). JSON is the source of truth; HTML and PDF render from it."""
    from bluecarbon.report.render import render_html, render_pdf
    from bluecarbon.report.statement import build_statement

    if fmt not in ("json", "html", "pdf"):
        err.print(f"[bold red]error:[/] --format {fmt!r}: expected json, html or pdf")
        raise typer.Exit(2)
    if fmt == "pdf" and output is None:
        err.print("[bold red]error:[/] --format pdf needs --output FILE.pdf")
        raise typer.Exit(2)
    settings = _settings(config)
    with _errors():
        doc = build_statement(
            _store(settings), parcel_id, release=release, price=price, buffer_pct=buffer, lang=lang
        )
        if fmt == "json":
            text = json.dumps(doc, ensure_ascii=False, indent=1)
            if output is None:
                print(text)
                return
            output.write_text(text + "\n", encoding="utf-8")
        elif fmt == "html":
            html = render_html(doc)
            if output is None:
                print(html)
                return
            output.write_text(html, encoding="utf-8")
        else:
            assert output is not None
            engine = render_pdf(doc, output)
            console.print(f"PDF rendered with {engine}")
    status = " (WITHDRAWN RELEASE)" if doc["release"]["status"] == "withdrawn" else ""
    figures = [f"conservative stock {doc['conservative']['conservative_t_co2e']:,.0f} t CO2e"]
    harvest = (doc.get("shellfish") or {}).get("latest")
    if harvest:  # a farm: its sink is the annual harvest removal, not a stock
        figures.append(
            f"harvest removal {harvest['year']} conservative {harvest['conservative_t_co2e']:,.0f} t CO2e/yr"
        )
    console.print(
        f"statement for {parcel_id} at release {doc['release']['tag']}{status}: "
        f"{'; '.join(figures)} -> {output}"
    )


@app.command("verify-statement")
def verify_statement_cmd(
    file: Annotated[Path, typer.Argument(help="Statement JSON file.")],
    shallow: Annotated[
        bool, typer.Option("--shallow", help="Skip re-hashing the release's stored data.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Recompute a statement from its release and confirm its hashes; any edit is reported."""
    from bluecarbon.report.statement import validate_statement, verify_statement

    settings = _settings(config)
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        err.print(f"[bold red]error:[/] {file}: not a readable JSON statement ({exc})")
        raise typer.Exit(1) from None
    problems = validate_statement(doc)
    with _errors():
        check = verify_statement(_store(settings), doc, deep=not shallow)
    problems += list(check.problems)
    if problems:
        err.print(f"[bold red]statement {file} FAILED verification[/] ({len(problems)} problem(s)):")
        for p in problems[:40]:
            err.print(f"  {p}", highlight=False)
        raise typer.Exit(1)
    console.print(
        f"statement {file}: OK, every figure recomputed from release {check.release}; "
        f"sha256 {doc['integrity']['sha256']}"
    )


@app.command()
def api(
    config: ConfigOption = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Interface to bind (default [api] host, loopback).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default [api] port).")] = None,
) -> None:
    """Serve releases, parcels and statements over a read-only HTTP API (token auth)."""
    import uvicorn

    from bluecarbon.server import AccessPolicy, ApiConfig, create_app

    settings = _settings(config)
    with _errors():
        policy = AccessPolicy.from_config(settings.api_tokens, settings.api_public_releases)
        app_ = create_app(
            ApiConfig(
                store=_store(settings),
                policy=policy,
                max_request_bytes=settings.api_max_request_bytes,
                **_statement_hooks(),
            )
        )
    bind = host or settings.api_host
    if bind not in ("127.0.0.1", "::1", "localhost"):
        err.print(f"[yellow]warning:[/] serving on {bind}, not loopback: put it behind TLS and a firewall")
    uvicorn.run(app_, host=bind, port=port or settings.api_port, log_level="info", server_header=False)


def _statement_hooks() -> dict[str, Any]:
    """Statement builder and HTML renderer for the API (absent until the report module exists)."""
    try:
        from bluecarbon.report.render import render_html
        from bluecarbon.report.statement import build_statement
    except ImportError:
        return {}
    return {"build_statement": build_statement, "render_html": render_html}


def _year_list(values: list[str] | None) -> list[int]:
    years: list[int] = []
    for value in values or []:
        for part in value.replace(",", " ").split():
            try:
                years.append(int(part))
            except ValueError:
                raise typer.BadParameter(f"{part!r} is not a year", param_hint="--years") from None
    return years


def _parameter_rasters(specs: list[str]) -> dict[str, Path]:
    """``COLUMN=PATH`` options as a mapping; a malformed or repeated column is an error."""
    out: dict[str, Path] = {}
    for spec in specs:
        column, sep, path = (part.strip() for part in spec.partition("="))
        if not (sep and column and path):
            raise typer.BadParameter(
                f"{spec!r}: expected COLUMN=RASTER, e.g. soil-initial=soil.tif",
                param_hint="--parameter-raster",
            )
        if column in out:
            raise typer.BadParameter(f"column {column!r} given twice", param_hint="--parameter-raster")
        out[column] = Path(path)
    return out


@app.command()
def transitions(
    snapshots: Annotated[
        Path, typer.Option("--snapshots", help="InVEST snapshot CSV (snapshot_year, raster_path).")
    ],
    biophysical: Annotated[Path, typer.Option("--biophysical", help="InVEST biophysical table (CSV).")],
    transitions_table: Annotated[Path, typer.Option("--transitions", help="InVEST transition matrix (CSV).")],
    output: Annotated[Path, typer.Option("--output", help="NetCDF4 file to write.")],
    analysis_year: Annotated[
        int | None, typer.Option("--analysis-year", help="Last year modelled (default: last snapshot).")
    ] = None,
    price: Annotated[
        float | None, typer.Option("--price", help="Price per t CO2e at the first snapshot.")
    ] = None,
    inflation_rate: Annotated[
        float | None, typer.Option("--inflation-rate", help="Yearly price increase, percent (with --price).")
    ] = None,
    price_table: Annotated[
        Path | None, typer.Option("--price-table", help="InVEST price table (year, price per t CO2e).")
    ] = None,
    discount_rate: Annotated[
        float | None, typer.Option("--discount-rate", help="Discount rate, percent.")
    ] = None,
    basis: Annotated[str, typer.Option("--basis", help="Basis of the tables: c or co2e.")] = "co2e",
    years: Annotated[
        list[str] | None, typer.Option("--years", help="Extra years for stocks (repeat, or comma-separated).")
    ] = None,
    invest_compat: Annotated[
        bool,
        typer.Option(
            "--invest-compat", help="Reproduce natcap.invest 3.20.2 (see docs/invest-differences.md)."
        ),
    ] = False,
    summary: Annotated[
        Path | None, typer.Option("--summary", help="Totals CSV (default: <output>_summary.csv).")
    ] = None,
    parcels: Annotated[
        Path | None,
        typer.Option("--parcels", help="Parcel polygons with a parcel_id column, for per-parcel totals."),
    ] = None,
    parameter_raster: Annotated[
        list[str] | None,
        typer.Option(
            "--parameter-raster",
            help="COLUMN=RASTER: a raster on the snapshots' grid whose pixels replace a biophysical "
            "column's class values (e.g. soil-initial=soil_survey.tif; nodata keeps the table value). "
            "Repeat for several columns.",
        ),
    ] = None,
) -> None:
    """Carbon stocks, accumulation, emissions, net sequestration and value from land-cover snapshots.

    Reads the InVEST Coastal Blue Carbon inputs unchanged and writes one CF NetCDF4 file
    (per-hectare values in the tables' basis) plus a CSV of per-class and per-parcel totals in
    tonnes with P5/P50/P95 and VM0033 conservative values. Rates are in percent, as in InVEST.
    """
    from bluecarbon.carbon.transitions import Mode
    from bluecarbon.carbon.workflow import invest_transition_analysis, valuation_settings

    with _errors():
        year_list = _year_list(years)
        from bluecarbon.carbon.cbc_tables import read_snapshots

        snapshot_years = sorted(read_snapshots(snapshots))
        last = max([analysis_year or snapshot_years[-1], *year_list, snapshot_years[-1]])
        valuation = valuation_settings(
            price=price,
            inflation_rate_percent=inflation_rate,
            price_table=price_table,
            discount_rate_percent=discount_rate,
            first_year=snapshot_years[0],
            last_year=last,
        )
        outcome = invest_transition_analysis(
            snapshots_csv=snapshots,
            biophysical_csv=biophysical,
            transitions_csv=transitions_table,
            output=output,
            summary=summary,
            analysis_year=analysis_year,
            valuation=valuation,
            basis=basis,
            years=year_list,
            mode=Mode.INVEST_COMPAT if invest_compat else Mode.DEFAULT,
            parcels=parcels,
            parameter_rasters=_parameter_rasters(parameter_raster or []),
        )
    report = outcome.report
    b = "co2e" if outcome.spec.basis.value == "CO2e" else "c"
    totals = outcome.totals
    console.print(f"wrote {outcome.output} ({outcome.spec.mode} mode, basis {outcome.spec.basis.value})")
    console.print(f"wrote {outcome.summary} ({len(totals)} rows)")
    console.print(
        f"pixels: {report.valid:,} valid, {report.nodata_all:,} nodata in every snapshot, "
        f"{report.nodata_some:,} nodata in some snapshot ({report.policy})"
    )
    table = Table(title="Whole map", title_justify="left")
    for column in ("year", f"stock t {b.upper()}", f"conservative t {b.upper()}"):
        table.add_column(column, justify="right")
    stocks = totals[(totals["scope"] == "class") & (totals["kind"] == "stock")]
    for year, rows in stocks.groupby("year"):
        table.add_row(
            str(year),
            fmt_number(float(rows[f"stock_t_{b}"].sum())),
            fmt_number(float(rows[f"stock_conservative_t_{b}"].sum())),
        )
    console.print(table)
    flows = totals[(totals["scope"] == "class") & (totals["kind"] == "flow")]
    console.print(
        f"total net sequestration: {fmt_number(float(flows[f'net_sequestration_t_{b}'].sum()))} t {b.upper()}"
    )


plot_app = typer.Typer(
    help="Save figures of a release as PNG: habitat and carbon maps, time series with uncertainty bands.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(plot_app, name="plot")
ReleaseOption = Annotated[
    str, typer.Option("--release", "-r", help="Release tag (YYYY.MM.DD[.N]), 'latest' or snapshot id.")
]
OutputOption = Annotated[Path, typer.Option("--output", "-o", help="PNG file to write.")]
BasisOption = Annotated[
    str | None, typer.Option("--basis", help="Carbon basis of the values shown: C or CO2e.")
]


def _saved(fig: Any, output: Path, dpi: int) -> None:
    from bluecarbon.plots import save_png

    path = save_png(fig, output, dpi=dpi)
    width, height = fig.get_size_inches() * dpi
    console.print(f"wrote {path} ({width:.0f} x {height:.0f} px)")


@plot_app.command("map")
def plot_map(
    product: Annotated[str, typer.Argument(help="Product 'site/kind', e.g. old_tampa_bay/habitat.")],
    output: OutputOption,
    release: ReleaseOption = "latest",
    variable: Annotated[
        str | None, typer.Option("--variable", help="Variable (default: habitat or carbon_stock).")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Year (default: last snapshot year).")] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Period of a per-period variable, e.g. 2016-2017.")
    ] = None,
    pool: Annotated[
        str | None, typer.Option("--pool", help="Pool of carbon_stock_by_pool: biomass, soil or litter.")
    ] = None,
    basis: BasisOption = None,
    dpi: Annotated[int, typer.Option("--dpi", help="Resolution of the PNG.")] = 120,
    config: ConfigOption = None,
) -> None:
    """Map one layer of a released product: habitat classes with their legend and areas, or
    a carbon quantity per hectare (Mg C ha-1, or t CO2e ha-1 with --basis CO2e)."""
    from bluecarbon.catalog.api import Catalog
    from bluecarbon.plots import map_figure

    settings = _settings(config)
    with _errors():
        fig = map_figure(
            Catalog(_store(settings)),
            product,
            release=release,
            variable=variable,
            year=year,
            period=period,
            pool=pool,
            basis=basis,
        )
        _saved(fig, output, dpi)


@plot_app.command("series")
def plot_series(
    site: Annotated[str, typer.Argument(help="Site id, e.g. old_tampa_bay or chn_mariculture.")],
    output: OutputOption,
    release: ReleaseOption = "latest",
    habitat: Annotated[
        list[str] | None,
        typer.Option(
            "--habitat", help="Habitat class (repeatable; default: the site's blue-carbon classes)."
        ),
    ] = None,
    quantity: Annotated[
        list[str] | None,
        typer.Option(
            "--quantity", help="area, stock or sequestration (repeatable; default: what the site has)."
        ),
    ] = None,
    basis: BasisOption = "C",
    dpi: Annotated[int, typer.Option("--dpi", help="Resolution of the PNG.")] = 120,
    config: ConfigOption = None,
) -> None:
    """Time series of a site's habitat classes from the release's class totals: area with
    its 95 % CI, stock and sequestration with their P5-P95 band."""
    from bluecarbon.catalog.api import Catalog
    from bluecarbon.plots import series_figure

    settings = _settings(config)
    with _errors():
        fig = series_figure(
            Catalog(_store(settings)),
            site,
            release=release,
            habitats=habitat or None,
            quantities=quantity or None,
            basis=basis or "C",
        )
        _saved(fig, output, dpi)


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"bluecarbon {__version__}")
        raise typer.Exit()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
