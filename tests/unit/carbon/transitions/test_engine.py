"""The raster engine: numpy == dask at any chunking, lazy until computed, all paths agree."""

from __future__ import annotations

import threading

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bluecarbon.carbon.transitions import (
    Mode,
    ModelSpec,
    NodataPolicy,
    Timeline,
    compute_histogram,
    nodata_report,
    resolve_parameters,
    run_transitions,
    unit_outputs,
    write_netcdf,
)
from bluecarbon.carbon.transitions import run as engine_run
from bluecarbon.carbon.transitions.tables import BIOPHYSICAL_COLUMNS, ClassTable, TransitionMatrix
from bluecarbon.carbon.transitions.valuation import Valuation
from bluecarbon.errors import InputError, UnitError
from tests.unit.carbon.transitions.cbc_helpers import class_table


def random_world(seed: int, n_classes: int) -> tuple[ClassTable, TransitionMatrix]:
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_classes):
        row: dict[str, object] = {"lucode": 10 + 3 * k, "lulc-class": f"c{k}"}
        for column in BIOPHYSICAL_COLUMNS:
            if "disturb" in column:
                row[column] = float(rng.uniform(0, 1))
            elif "half-life" in column:
                row[column] = float(rng.choice([0.0, rng.uniform(0.2, 10)]))
            else:
                row[column] = float(rng.uniform(0, 50))
        rows.append(row)
    classes = class_table(rows)
    matrix = TransitionMatrix.empty(n_classes)
    matrix.action[:n_classes, :n_classes] = rng.integers(0, 5, (n_classes, n_classes))
    return classes, matrix


def grid(maps: np.ndarray, years: list[int], *, chunks: tuple[int, int] | None) -> xr.DataArray:
    _, ny, nx = maps.shape
    data = da.from_array(maps, chunks=(len(years), *chunks)) if chunks else maps
    arr = xr.DataArray(
        data,
        dims=("year", "y", "x"),
        coords={
            "year": years,
            "y": 4300000.0 - 10.0 * np.arange(ny) - 5,
            "x": 380000.0 + 10.0 * np.arange(nx) + 5,
        },
    )
    arr = arr.rio.write_crs("EPSG:32618").rio.write_transform(
        Affine(10.0, 0.0, 380000.0, 0.0, -10.0, 4300000.0)
    )
    arr.attrs["nodata"] = [255] * len(years)
    return arr


def _maps(
    seed: int, classes: ClassTable, n_snap: int, shape: tuple[int, int], nodata_share: float
) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    codes = rng.choice(classes.lucodes, size=(n_snap, *shape)).astype(np.uint8)
    codes[rng.random(codes.shape) < nodata_share] = 255
    return codes


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    n_snap = draw(st.integers(1, 4))
    ny, nx = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    return {
        "seed": draw(st.integers(0, 10_000)),
        "n_classes": draw(st.integers(1, 4)),
        "n_snap": n_snap,
        "gaps": draw(st.lists(st.integers(1, 12), min_size=n_snap, max_size=n_snap)),
        "shape": (ny, nx),
        "chunks": (draw(st.integers(1, ny)), draw(st.integers(1, nx))),
        "mode": draw(st.sampled_from(list(Mode))),
        "nodata_share": draw(st.sampled_from([0.0, 0.15])),
        "policy": draw(st.sampled_from(list(NodataPolicy))),
        "dense": draw(st.booleans()),
    }


def _spec(s: dict, *, valued: bool = True) -> ModelSpec:
    years = list(np.cumsum([2000, *s["gaps"][:-1]]).astype(int)) if s["n_snap"] > 1 else [2000]
    analysis = years[-1] + s["gaps"][-1]
    prices = {y: 10.0 + 0.5 * (y - 2000) for y in range(2000, analysis + 1)}
    return ModelSpec(
        timeline=Timeline.build(years, analysis_year=analysis),
        mode=s["mode"],
        valuation=Valuation(prices, 0.03) if valued else None,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=scenarios())
def test_numpy_and_dask_give_identical_results(s: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    if not s["dense"]:
        monkeypatch.setattr(engine_run, "DENSE_LIMIT", 0)
    classes, matrix = random_world(s["seed"], s["n_classes"])
    spec = _spec(s)
    maps = _maps(s["seed"], classes, s["n_snap"], s["shape"], s["nodata_share"])
    years = list(spec.timeline.snapshot_years)
    eager = run_transitions(grid(maps, years, chunks=None), classes, matrix, spec, nodata_policy=s["policy"])
    lazy = run_transitions(
        grid(maps, years, chunks=s["chunks"]), classes, matrix, spec, nodata_policy=s["policy"]
    )
    assert all(isinstance(v.data, da.Array) for v in lazy.dataset.data_vars.values() if v.ndim >= 2)
    computed = lazy.dataset.compute()
    for name in eager.dataset.data_vars:
        np.testing.assert_array_equal(eager.dataset[name].values, computed[name].values, err_msg=name)
    h_eager = compute_histogram(eager).sort_values(list(compute_histogram(eager).columns[:-2]))
    h_lazy = compute_histogram(lazy)
    keys = [c for c in h_eager.columns if c not in ("count", "flagged")]
    pd.testing.assert_frame_equal(
        h_eager.sort_values(keys).reset_index(drop=True),
        h_lazy.sort_values(keys).reset_index(drop=True)[h_eager.columns],
        check_dtype=False,
    )


@settings(max_examples=25, deadline=None)
@given(s=scenarios())
def test_dense_lookup_per_trajectory_and_per_pixel_paths_agree(s: dict) -> None:
    classes, matrix = random_world(s["seed"], s["n_classes"])
    spec = _spec(s)
    maps = _maps(s["seed"], classes, s["n_snap"], s["shape"], 0.0)
    years = list(spec.timeline.snapshot_years)
    table_run = run_transitions(grid(maps, years, chunks=None), classes, matrix, spec)
    # A parameter raster equal to the class value everywhere must change nothing.
    lut = dict(zip(classes.lucodes.tolist(), classes.values["soil-initial"].tolist(), strict=True))
    soil = np.vectorize(lut.get)(maps[0]).astype(np.float64)
    raster = xr.DataArray(soil, dims=("y", "x"))
    pixel_run = run_transitions(
        grid(maps, years, chunks=None), classes, matrix, spec, parameter_rasters={"soil-initial": raster}
    )
    for name in table_run.dataset.data_vars:
        np.testing.assert_allclose(
            table_run.dataset[name].values, pixel_run.dataset[name].values, rtol=1e-6, atol=1e-4, err_msg=name
        )
    # And each pixel equals the kernel on its own trajectory.
    idx = np.searchsorted(np.sort(classes.lucodes), maps.reshape(len(years), -1))
    order = np.argsort(classes.lucodes)
    params = resolve_parameters(order[idx], classes, matrix, spec)
    direct = unit_outputs(params, spec)["carbon_stock"].reshape(-1, *s["shape"]).astype(np.float32)
    np.testing.assert_array_equal(direct, table_run.dataset["carbon_stock"].values)


def test_parameter_rasters_override_where_finite() -> None:
    classes, matrix = random_world(3, 2)
    spec = ModelSpec(timeline=Timeline.build([2000, 2010]), mode=Mode.DEFAULT)
    maps = np.full((2, 2, 2), classes.lucodes[0], dtype=np.uint8)
    soil = xr.DataArray(np.array([[100.0, np.nan], [50.0, np.nan]]), dims=("y", "x"))
    ds = run_transitions(
        grid(maps, [2000, 2010], chunks=None), classes, matrix, spec, parameter_rasters={"soil-initial": soil}
    ).dataset
    stock = ds["carbon_stock_by_pool"].sel(pool="soil", year=2000).values
    np.testing.assert_allclose(
        stock, [[100.0, classes.values["soil-initial"][0]], [50.0, classes.values["soil-initial"][0]]]
    )


def test_graph_is_lazy_and_blocks_are_independent() -> None:
    classes, matrix = random_world(5, 3)
    spec = ModelSpec(timeline=Timeline.build([2000, 2010], analysis_year=2020), mode=Mode.DEFAULT)
    maps = _maps(5, classes, 2, (8, 8), 0.0)
    reads: list[tuple[int, ...]] = []
    lock = threading.Lock()

    def counted(block: np.ndarray, block_info: dict | None = None) -> np.ndarray:
        with lock:
            reads.append(tuple(block_info[0]["chunk-location"]) if block_info else ())
        return block

    data = da.from_array(maps, chunks=(2, 4, 4)).map_blocks(
        counted, dtype=maps.dtype, meta=np.empty((0, 0, 0), dtype=maps.dtype)
    )
    arr = grid(maps, [2000, 2010], chunks=None).copy(data=data)
    run = run_transitions(arr, classes, matrix, spec)
    assert reads == []  # nothing computed while building the graph
    one = run.dataset["carbon_stock"].isel(x=slice(0, 4), y=slice(0, 4)).compute()
    assert len(reads) == 1 and one.shape == (3, 4, 4)


def test_unknown_codes_and_grid_checks_raise_input_errors() -> None:
    classes, matrix = random_world(1, 2)
    spec = ModelSpec(timeline=Timeline.build([2000, 2010]))
    maps = np.full((2, 2, 2), 99, dtype=np.uint8)
    with pytest.raises(InputError, match=r"codes \[99\]"):
        run_transitions(grid(maps, [2000, 2010], chunks=None), classes, matrix, spec)
    with pytest.raises(InputError, match="differ from the snapshot years"):
        run_transitions(grid(maps, [2000, 2011], chunks=None), classes, matrix, spec)


def test_nodata_policies_and_report(tmp_path) -> None:
    classes, matrix = random_world(2, 2)
    spec = ModelSpec(timeline=Timeline.build([2000, 2010, 2020]))
    c = int(classes.lucodes[0])
    maps = np.array([[[c, 255, 255]], [[c, c, 255]], [[c, c, 255]]], dtype=np.uint8)
    years = [2000, 2010, 2020]
    excl = run_transitions(grid(maps, years, chunks=None), classes, matrix, spec, nodata_policy="exclude")
    fill = run_transitions(grid(maps, years, chunks=None), classes, matrix, spec, nodata_policy="fill")
    assert np.isnan(excl.dataset["carbon_stock"].values[:, 0, 1]).all()
    # Filled: the leading gap takes the next valid class, so pixel 1 equals pixel 0.
    np.testing.assert_array_equal(
        fill.dataset["carbon_stock"].values[:, 0, 1], fill.dataset["carbon_stock"].values[:, 0, 0]
    )
    assert np.isnan(fill.dataset["carbon_stock"].values[:, 0, 2]).all()
    report = nodata_report(compute_histogram(fill), fill)
    assert (report.valid, report.nodata_all, report.nodata_some) == (1, 1, 1)


@pytest.mark.parametrize("chunks", [None, (300, 256)])
def test_netcdf_writer_stores_exactly_the_dataset(tmp_path, chunks) -> None:
    """Direct chunk writes (padded edges, skipped all-NaN chunks) read back as the Dataset."""
    classes, matrix = random_world(11, 3)
    spec = ModelSpec(
        timeline=Timeline.build([2000, 2007], analysis_year=2015),
        valuation=Valuation({y: 5.0 for y in range(2000, 2016)}, 0.02),
    )
    maps = _maps(11, classes, 2, (700, 530), 0.0)
    maps[:, :520, :] = 255  # the first HDF5 chunk row is all nodata -> not stored
    run = run_transitions(grid(maps, [2000, 2007], chunks=chunks), classes, matrix, spec)
    histogram = write_netcdf(run, tmp_path / "out.nc", window=512, workers=2)
    back = xr.open_dataset(tmp_path / "out.nc", engine="netcdf4")
    expected = run.dataset.compute()
    for name in expected.data_vars:
        np.testing.assert_array_equal(back[name].values, expected[name].values, err_msg=name)
    assert back.attrs["pixels_nodata_all_snapshots"] == 520 * 530
    assert int(histogram["count"].sum()) == 700 * 530


def test_parameter_raster_units_are_checked_against_its_column() -> None:
    classes, matrix = random_world(3, 2)
    spec = ModelSpec(timeline=Timeline.build([2000, 2010]), mode=Mode.DEFAULT)
    maps = np.full((2, 2, 2), classes.lucodes[0], dtype=np.uint8)
    soil = xr.DataArray(np.full((2, 2), 100.0), dims=("y", "x"), attrs={"units": "t/ha"})
    same = run_transitions(
        grid(maps, [2000, 2010], chunks=None), classes, matrix, spec, parameter_rasters={"soil-initial": soil}
    )
    np.testing.assert_allclose(same.dataset["carbon_stock_by_pool"].sel(pool="soil", year=2000).values, 100.0)
    in_kg = soil.assign_attrs(units="kg ha-1", source_file="soil.tif")
    with pytest.raises(
        UnitError, match=r"soil.tif, column 'soil-initial': variable 'soil-initial' is in 'kg ha-1'"
    ):
        run_transitions(
            grid(maps, [2000, 2010], chunks=None),
            classes,
            matrix,
            spec,
            parameter_rasters={"soil-initial": in_kg},
        )


def test_totals_refuse_a_run_whose_stocks_are_not_per_hectare_in_tonnes() -> None:
    from bluecarbon.carbon.totals import summarise

    classes, matrix = random_world(3, 2)
    spec = ModelSpec(timeline=Timeline.build([2000, 2010]), mode=Mode.DEFAULT)
    maps = np.full((2, 2, 2), classes.lucodes[0], dtype=np.uint8)
    run = run_transitions(grid(maps, [2000, 2010], chunks=None), classes, matrix, spec)
    run.dataset["carbon_stock"].attrs["units"] = "g m-2"
    with pytest.raises(UnitError, match="'carbon_stock' is in 'g m-2'"):
        summarise(run, compute_histogram(run))
