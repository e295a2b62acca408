"""``bluecarbon transitions``: the carbon engine on InVEST Coastal Blue Carbon inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from bluecarbon.cli import _common as c
from bluecarbon.formatting import fmt_number


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
    basis: Annotated[
        Literal["c", "co2e"], typer.Option("--basis", case_sensitive=False, help="Basis of the tables.")
    ] = "co2e",
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
    params_dir: Annotated[
        Path | None,
        typer.Option(
            "--params-dir",
            help="Folder of parameter tables overriding the shipped ones by file name (IPCC factors, "
            "uncertainty settings).",
        ),
    ] = None,
    quiet: c.QuietOption = False,
) -> None:
    """Carbon engine on InVEST Coastal Blue Carbon inputs.

    Carbon stocks, accumulation, emissions, net sequestration and value from land-cover
    snapshots. Reads the InVEST Coastal Blue Carbon inputs unchanged and writes one CF NetCDF4 file
    (per-hectare values in the tables' basis) plus a CSV of per-class and per-parcel totals in
    tonnes with P5/P50/P95 and VM0033 conservative values. Rates are in percent, as in InVEST.
    """
    from bluecarbon.carbon.transitions import Mode
    from bluecarbon.carbon.transitions.workflow import invest_transition_analysis, valuation_settings
    from bluecarbon.params import ParameterSet
    from bluecarbon.progress import progress_bar

    with c.errors(), progress_bar("computing and writing", quiet=quiet, unit="windows") as progress:
        year_list = _year_list(years)
        from bluecarbon.carbon.transitions.tables import read_snapshots

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
            parameters=ParameterSet.load(params_dir),
            progress=progress,
        )
    report = outcome.report
    b = "co2e" if outcome.spec.basis.value == "CO2e" else "c"
    totals = outcome.totals
    c.console().print(f"wrote {outcome.output} ({outcome.spec.mode} mode, basis {outcome.spec.basis.value})")
    c.console().print(f"wrote {outcome.summary} ({len(totals)} rows)")
    c.console().print(
        f"pixels: {report.valid:,} valid, {report.nodata_all:,} nodata in every snapshot, "
        f"{report.nodata_some:,} nodata in some snapshot ({report.policy})"
    )
    from bluecarbon.cli.tables import Col, print_table

    stocks = totals[(totals["scope"] == "class") & (totals["kind"] == "stock")]
    print_table(
        [
            Col("year", figure=True),
            Col(f"stock t {b.upper()}", figure=True),
            Col(f"conservative t {b.upper()}", figure=True),
        ],
        [
            [
                str(year),
                fmt_number(float(rows[f"stock_t_{b}"].sum())),
                fmt_number(float(rows[f"stock_conservative_t_{b}"].sum())),
            ]
            for year, rows in stocks.groupby("year")
        ],
        title="Whole map",
    )
    flows = totals[(totals["scope"] == "class") & (totals["kind"] == "flow")]
    c.console().print(
        f"total net sequestration: {fmt_number(float(flows[f'net_sequestration_t_{b}'].sum()))} t {b.upper()}"
    )
