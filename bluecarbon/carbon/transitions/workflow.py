"""One call from InVEST Coastal Blue Carbon inputs to a NetCDF product and a totals table.

Why a separate module: the ``bluecarbon transitions`` command and notebooks need the same
sequence (read the tables, fill extra-emission factors, open the snapshots lazily, burn parcels,
run, write, summarise); keeping it here keeps the CLI a thin argument parser and the engine free
of file formats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from bluecarbon.carbon.defaults import gwp100_ch4, with_extra_emission_factors
from bluecarbon.carbon.totals import order_columns, summary_table
from bluecarbon.carbon.transitions import (
    DEFAULT_CHUNK,
    Mode,
    ModelSpec,
    NodataPolicy,
    NodataReport,
    Timeline,
    check_parameter_columns,
    nodata_report,
    open_parameter_raster,
    open_snapshots,
    run_transitions,
    write_netcdf,
)
from bluecarbon.carbon.transitions.tables import read_biophysical, read_snapshots, read_transitions
from bluecarbon.carbon.transitions.valuation import Valuation, price_series, read_price_table
from bluecarbon.carbon.uncertainty import UncertaintySettings
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import CarbonBasis

SUMMARY_FIRST_COLUMNS = (
    "scope",
    "parcel_id",
    "kind",
    "pool",
    "year",
    "period_start",
    "period_end",
    "from_lucode",
    "from_class",
    "lucode",
    "lulc_class",
    "area_ha",
    "excluded_ha",
)


@dataclass(frozen=True)
class TransitionOutcome:
    """Where the outputs went, the nodata report and the totals table."""

    output: Path
    summary: Path
    report: NodataReport
    totals: pd.DataFrame
    spec: ModelSpec


def valuation_settings(
    *,
    price: float | None,
    inflation_rate_percent: float | None,
    price_table: str | Path | None,
    discount_rate_percent: float | None,
    first_year: int,
    last_year: int,
    currency: str = "currency",
) -> Valuation | None:
    """Valuation from InVEST-style options (rates in percent); None when no price is given."""
    if price is None and price_table is None:
        if inflation_rate_percent is not None:
            raise InputError("--inflation-rate needs --price", column="inflation_rate")
        if discount_rate_percent is not None:
            raise InputError("--discount-rate needs --price or --price-table", column="discount_rate")
        return None
    if price is not None and price_table is not None:
        raise InputError("give --price or --price-table, not both", column="price")
    if discount_rate_percent is None:
        raise InputError("valuation needs --discount-rate (percent)", column="discount_rate")
    if price is not None:
        if inflation_rate_percent is None:
            raise InputError("--price needs --inflation-rate (percent)", column="inflation_rate")
        prices = price_series(
            price=price,
            inflation_rate=inflation_rate_percent / 100.0,
            first_year=first_year,
            last_year=last_year,
        )
        source = ""
    else:
        if inflation_rate_percent is not None:
            raise InputError(
                "--inflation-rate applies to --price, not to --price-table", column="inflation_rate"
            )
        assert price_table is not None
        prices = read_price_table(price_table)
        source = str(price_table)
    return Valuation(
        prices=prices, discount_rate=discount_rate_percent / 100.0, currency=currency, source=source
    )


def invest_transition_analysis(
    *,
    snapshots_csv: str | Path,
    biophysical_csv: str | Path,
    transitions_csv: str | Path,
    output: str | Path,
    summary: str | Path | None = None,
    analysis_year: int | None = None,
    valuation: Valuation | None = None,
    basis: CarbonBasis | str = CarbonBasis.CO2E,
    years: Sequence[int] = (),
    mode: Mode | str = Mode.DEFAULT,
    parcels: str | Path | None = None,
    nodata_policy: NodataPolicy | str = NodataPolicy.EXCLUDE,
    parameter_rasters: Mapping[str, xr.DataArray | str | Path] | None = None,
    uncertainty: UncertaintySettings | None = None,
    chunks: int = DEFAULT_CHUNK,
    complevel: int = 1,
    parameters: ParameterSet,
    progress: Callable[[int, int], None] | None = None,
) -> TransitionOutcome:
    """Run the engine on InVEST CBC inputs; write ``output`` (NetCDF4) and ``summary`` (CSV).

    ``parameters`` supplies what the InVEST tables do not hold: IPCC Tier 1 drained-soil and
    rewetting factors, the GWP100 of methane and the uncertainty settings.
    ``parameter_rasters`` maps biophysical columns (e.g. ``soil-initial``) to rasters, or paths
    of rasters on the snapshots' grid, whose finite pixels override the class value.
    ``progress(done, total)`` is called as output windows are written.
    """
    snapshots = read_snapshots(snapshots_csv)
    classes = read_biophysical(biophysical_csv, basis=basis)
    matrix = read_transitions(transitions_csv, classes)
    classes = with_extra_emission_factors(classes, matrix, parameters=parameters)
    timeline = Timeline.build(list(snapshots), analysis_year=analysis_year, years=years)
    spec = ModelSpec(
        timeline=timeline,
        mode=Mode(mode),
        basis=classes.basis,
        valuation=valuation,
        drained=matrix.calls_for_drained,
        rewetting=matrix.calls_for_rewetting,
        gwp100_ch4=gwp100_ch4(parameters=parameters) if matrix.calls_for_rewetting else None,
    )
    maps = open_snapshots(snapshots, chunks=chunks)
    check_parameter_columns(parameter_rasters or {}, classes)
    first_snapshot = snapshots[min(snapshots)]
    rasters = {
        column: raster
        if isinstance(raster, xr.DataArray)
        else open_parameter_raster(raster, column=column, reference=first_snapshot, chunks=chunks)
        for column, raster in (parameter_rasters or {}).items()
    }
    zones: xr.DataArray | None = None
    zone_ids: tuple[str, ...] = ()
    if parcels is not None:
        from bluecarbon.carbon.zonal import read_parcels, zone_raster

        zones, zone_ids = zone_raster(read_parcels(str(parcels)), maps.isel(year=0))
    run = run_transitions(
        maps,
        classes,
        matrix,
        spec,
        nodata_policy=nodata_policy,
        parameter_rasters=rasters,
        zones=zones,
        zone_ids=zone_ids,
        attrs={
            "source_snapshots": str(snapshots_csv),
            "source_biophysical_table": str(biophysical_csv),
            "source_transition_matrix": str(transitions_csv),
        },
    )
    output = Path(output)
    histogram = write_netcdf(run, output, complevel=complevel, progress=progress)
    settings = uncertainty if uncertainty is not None else UncertaintySettings.from_parameters(parameters)
    totals = order_columns(summary_table(run, histogram, uncertainty=settings), SUMMARY_FIRST_COLUMNS)
    summary_path = Path(summary) if summary is not None else output.with_name(f"{output.stem}_summary.csv")
    summary_path.parent.mkdir(parents=True, exist_ok=True)
    totals.to_csv(summary_path, index=False)
    return TransitionOutcome(
        output=output, summary=summary_path, report=nodata_report(histogram, run), totals=totals, spec=spec
    )
