"""Class and parcel totals from the engine's histograms, checked by hand and against zonal sums."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import box

from bluecarbon.carbon.totals import rollup, summarise
from bluecarbon.carbon.transitions.workflow import invest_transition_analysis
from bluecarbon.carbon.uncertainty import UncertaintySettings
from bluecarbon.carbon.zonal import parcel_totals, read_parcels
from bluecarbon.params import ParameterSet
from tests.unit.carbon.transitions.cbc_helpers import write_snapshots, write_tables
from tests.unit.carbon.transitions.test_transitions_kernel import DEVELOPED, MARSH

SHIPPED = ParameterSet.shipped()

MATRIX = {
    "marsh": {"marsh": "accum", "developed": "high-impact-disturb"},
    "developed": {"marsh": "accum", "developed": "NCC"},
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    marsh = {**MARSH, "soil-initial-se": 30.0}
    write_tables(tmp_path, [marsh, DEVELOPED], MATRIX)
    (tmp_path / "biophysical.csv").write_text(
        pd.read_csv(tmp_path / "biophysical.csv")
        .assign(**{"soil-initial-se": [30.0, 0.0]})
        .to_csv(index=False)
    )
    write_snapshots(
        tmp_path, {2000: np.array([[1, 1, 1], [2, 2, 2]]), 2010: np.array([[1, 1, 2], [2, 2, 1]])}
    )
    # p1: the top row, p2: the bottom row (10 m pixels from (380000, 4300000)).
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2"]},
        geometry=[box(380000, 4299990, 380030, 4300000), box(380000, 4299980, 380030, 4299990)],
        crs="EPSG:32618",
    )
    parcels.to_file(tmp_path / "parcels.geojson", driver="GeoJSON")
    return tmp_path


def _analysis(folder: Path, **kw: object):
    return invest_transition_analysis(
        snapshots_csv=folder / "snapshots.csv",
        biophysical_csv=folder / "biophysical.csv",
        transitions_csv=folder / "transitions.csv",
        output=folder / "out.nc",
        analysis_year=2020,
        parcels=folder / "parcels.geojson",
        parameters=SHIPPED,
        **kw,  # type: ignore[arg-type]
    )


def test_class_and_parcel_totals_by_hand(tiny: Path) -> None:
    totals = _analysis(tiny).totals
    stock = totals[(totals["kind"] == "stock") & (totals["year"] == 2020)].set_index(
        ["parcel_id", "lulc_class"]
    )
    # Pixel stocks in 2020 (Mg CO2e/ha): marsh->marsh 412 (322 + 2 x 45), marsh->developed
    # 213.279297, developed->marsh 45 (4.5/yr from 2010), developed->developed 0.
    # Whole map, class at 2020: marsh (412 + 412 + 45) x 0.01 ha = 8.69 t on 0.03 ha;
    # developed (213.279297 + 0 + 0) x 0.01 = 2.13279297 t.
    assert stock.loc[("", "marsh"), "stock_t_co2e"] == pytest.approx(8.69)
    assert stock.loc[("", "marsh"), "area_ha"] == pytest.approx(0.03)
    assert stock.loc[("", "developed"), "stock_t_co2e"] == pytest.approx(2.13279297, rel=1e-6)
    # Parcel p1 (top row): marsh 2 x 412 x 0.01 = 8.24 t; p2 (bottom row): marsh 0.45 t.
    assert stock.loc[("p1", "marsh"), "stock_t_co2e"] == pytest.approx(8.24)
    assert stock.loc[("p2", "marsh"), "stock_t_co2e"] == pytest.approx(0.45)
    flows = totals[(totals["kind"] == "flow") & (totals["scope"] == "class")]
    reclaimed = flows[(flows["from_class"] == "marsh") & (flows["lulc_class"] == "developed")].iloc[0]
    # One reclaimed pixel emits 153.720703 Mg/ha over 2010-2020 -> 1.53720703 t.
    assert reclaimed["emissions_t_co2e"] == pytest.approx(1.53720703, rel=1e-6)


def test_totals_agree_with_raster_and_zonal_sums(tiny: Path) -> None:
    outcome = _analysis(tiny)
    totals = outcome.totals
    ds = xr.open_dataset(outcome.output, decode_coords="all")
    classes = totals[totals["scope"] == "class"]
    for year in ds["year"].values:
        raster = float(ds["carbon_stock"].sel(year=year).astype("float64").sum()) * 0.01
        rows = classes[(classes["kind"] == "stock") & (classes["year"] == year)]
        assert rows["stock_t_co2e"].sum() == pytest.approx(raster, rel=1e-6)
    net = float(ds["total_net_sequestration"].astype("float64").sum()) * 0.01
    assert classes.loc[classes["kind"] == "flow", "net_sequestration_t_co2e"].sum() == pytest.approx(
        net, rel=1e-6
    )
    zonal = parcel_totals(ds, read_parcels(str(tiny / "parcels.geojson")), variables=["carbon_stock"])
    parcels = totals[(totals["scope"] == "parcel") & (totals["kind"] == "stock")]
    by_parcel = parcels.groupby(["parcel_id", "year"])["stock_t_co2e"].sum()
    for row in zonal.itertuples():
        assert by_parcel.loc[(row.parcel_id, row.year)] == pytest.approx(row.total, rel=1e-6)
        assert row.units == "Mg" and row.area_ha == pytest.approx(0.03)


def test_uncertainty_columns(tiny: Path) -> None:
    totals = _analysis(tiny, uncertainty=UncertaintySettings.from_parameters(SHIPPED)).totals
    marsh = totals[
        (totals["kind"] == "stock") & (totals["scope"] == "class") & (totals["lulc_class"] == "marsh")
    ]
    first = marsh[marsh["year"] == 2000].iloc[0]
    # Soil 300 +- 30 (SE) on 3 marsh pixels fully correlated: total 322 x 0.03 = 9.66 t, SD 0.9 t
    # -> U90 = 1.645 x 0.9 / 9.66 = 0.153; P5 = 9.66 - 1.645 x 0.9 = 8.18; the conservative stock
    # is that P5 (no VM0033 deduction or buffer on a stock).
    assert first["stock_t_co2e"] == pytest.approx(9.66)
    assert first["stock_p5_t_co2e"] < first["stock_t_co2e"] < first["stock_p95_t_co2e"]
    assert first["stock_uncertainty"] == pytest.approx(0.153, abs=0.01)
    assert first["stock_p5_t_co2e"] == pytest.approx(9.66 - 1.645 * 0.9, rel=0.03)
    assert first["stock_conservative_t_co2e"] == pytest.approx(first["stock_p5_t_co2e"])
    assert "stock_vm0033_t_co2e" not in totals.columns


def test_rollup_sums_draws_so_percentiles_are_those_of_the_total(tiny: Path) -> None:
    """Grouping rows sums their draws: P5 of a total is not the sum of the members' P5."""
    from bluecarbon.carbon.transitions import (
        ModelSpec,
        Timeline,
        compute_histogram,
        open_snapshots,
        run_transitions,
    )
    from tests.unit.carbon.transitions.cbc_helpers import class_table

    marsh = dict(MARSH, **{"lucode": 1})
    classes = class_table([marsh, DEVELOPED])
    classes = classes.with_values({})
    import dataclasses

    se = {"soil-initial": np.asarray([30.0, np.nan]), "biomass-initial": np.asarray([5.0, np.nan])}
    classes = dataclasses.replace(classes, standard_errors=se)
    from bluecarbon.carbon.transitions.tables import read_transitions

    matrix = read_transitions(tiny / "transitions.csv", classes)
    spec = ModelSpec(timeline=Timeline.build([2000, 2010], analysis_year=2020))
    snaps = {2000: tiny / "lulc_2000.tif", 2010: tiny / "lulc_2010.tif"}
    run = run_transitions(open_snapshots(snaps), classes, matrix, spec)
    summary = summarise(run, compute_histogram(run), uncertainty=UncertaintySettings.from_parameters(SHIPPED))
    both = rollup(summary, {"marsh": "all", "developed": "all"})
    per_class = rollup(summary, {"marsh": "marsh", "developed": "developed"})
    stock = both[(both["kind"] == "stock") & (both["scope"] == "class")].set_index("year")
    parts = per_class[(per_class["kind"] == "stock") & (per_class["scope"] == "class")]
    central = parts.groupby("year")["stock_t_co2e"].sum()
    assert stock["stock_t_co2e"].to_numpy() == pytest.approx(central.to_numpy())
    assert (stock["stock_conservative_t_co2e"] <= stock["stock_p5_t_co2e"] + 1e-12).all()
    # one member carries all the uncertainty here, so the total's spread equals the member's
    marsh_rows = parts[parts["group"] == "marsh"].set_index("year")
    spread = (stock["stock_p95_t_co2e"] - stock["stock_p5_t_co2e"]).loc[2000]
    assert spread == pytest.approx((marsh_rows["stock_p95_t_co2e"] - marsh_rows["stock_p5_t_co2e"]).loc[2000])


def test_linear_monte_carlo_equals_brute_force(tmp_path: Path) -> None:
    """Default-mode outputs are affine in stocks and rates: f(0) + X J gives the same draws."""
    import dataclasses

    from bluecarbon.carbon import totals as tt
    from bluecarbon.carbon.transitions import (
        ModelSpec,
        Timeline,
        compute_histogram,
        open_snapshots,
        run_transitions,
    )
    from bluecarbon.carbon.uncertainty import draw_class_table
    from tests.unit.carbon.transitions.test_engine import random_world

    classes, matrix = random_world(4, 3)
    se = {
        c: np.abs(np.asarray(classes.values[c])) * 0.2
        for c in ("soil-initial", "biomass-yearly-accumulation")
    }
    classes = dataclasses.replace(classes, standard_errors=se)
    rng = np.random.default_rng(3)
    maps = {y: rng.choice(classes.lucodes, size=(6, 7)) for y in (2000, 2006, 2013)}
    write_snapshots(tmp_path, maps)
    spec = ModelSpec(timeline=Timeline.build([2000, 2006, 2013], analysis_year=2020, years=[2010]))
    run = run_transitions(
        open_snapshots({y: tmp_path / f"lulc_{y}.tif" for y in maps}), classes, matrix, spec
    )
    tc = tt.trajectory_counts(compute_histogram(run), n_snapshots=3, n_zones=0)
    stock_rows, flow_rows = tt._build_rows(tc, run)
    frames = [stock_rows.frame, flow_rows.frame]
    targets = [(r, n, lab, [], f) for r, n, lab, _, f in tt._targets(stock_rows, flow_rows, frames)]
    drawn = draw_class_table(classes, draws=150, rng=np.random.default_rng(5))
    linear = tt._linear_samples(drawn, classes, tc, run, targets, 150)
    brute = tt._brute_force_samples(drawn, tc, run, targets, 150)
    for name in linear:
        np.testing.assert_allclose(linear[name], brute[name], rtol=1e-9, atol=1e-6)
