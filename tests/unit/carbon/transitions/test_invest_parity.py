"""invest_compat mode against natcap.invest 3.20.2, from committed fixtures.

The fixtures (tests/fixtures/invest_parity/*.json) were produced by running the peer itself:

    /work/peers/invest-venv/bin/python benchmarks/invest_parity.py \\
        --inputs data/raw/peers/invest_coastal_blue_carbon --out tests/fixtures/invest_parity

CI does not install the peer; these tests read the recorded sums (and, for ``random_small``,
the per-pixel values) and require a relative error <= 1e-4 on the sum of every output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from bluecarbon.carbon.transitions import Mode
from bluecarbon.carbon.transitions.workflow import invest_transition_analysis, valuation_settings
from bluecarbon.params import ParameterSet

SHIPPED = ParameterSet.shipped()

ROOT = Path(__file__).resolve().parents[4]
FIXTURES = ROOT / "tests" / "fixtures" / "invest_parity"
SHARED = ROOT / "data" / "raw" / "peers" / "invest_coastal_blue_carbon"
RTOL = 1e-4


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _run(tmp_path: Path, inputs: Path, settings: dict, *, price_table: Path | None = None) -> xr.Dataset:
    snapshots = inputs / "snapshots.csv"
    years = [int(line.split(",")[0]) for line in snapshots.read_text().splitlines()[1:]]
    analysis = settings.get("analysis_year")
    valuation = None
    if settings.get("do_economic_analysis"):
        valuation = valuation_settings(
            price=settings.get("price"),
            inflation_rate_percent=settings.get("inflation_rate"),
            price_table=price_table,
            discount_rate_percent=settings["discount_rate"],
            first_year=min(years),
            last_year=analysis or max(years),
        )
    outcome = invest_transition_analysis(
        snapshots_csv=snapshots,
        biophysical_csv=inputs / "biophysical_table.csv",
        transitions_csv=inputs / "transitions.csv",
        output=tmp_path / "out.nc",
        analysis_year=analysis,
        valuation=valuation,
        mode=Mode.INVEST_COMPAT,
        chunks=128,
        parameters=SHIPPED,
    )
    return xr.open_dataset(outcome.output)


def _ours(ds: xr.Dataset, name: str) -> xr.DataArray:
    """Our variable for an InVEST output or intermediate file name."""
    if m := re.fullmatch(r"carbon-stock-at-(\d+)", name):
        return ds["carbon_stock"].sel(year=int(m[1]))
    if m := re.fullmatch(r"net-present-value-at-(\d+)", name):
        return ds["net_present_value"].sel(year=int(m[1]))
    if m := re.fullmatch(r"stocks-(soil|biomass)-(\d+)", name):
        return ds["carbon_stock_by_pool"].sel(pool=m[1], year=int(m[2]))
    if name == "total-net-carbon-sequestration":
        return ds["total_net_sequestration"]
    m = re.fullmatch(
        r"(carbon-accumulation|carbon-emissions|total-net-carbon-sequestration)-between-(\d+)-and-(\d+)", name
    )
    assert m, f"no bluecarbon variable for InVEST output {name}"
    variable = {
        "carbon-accumulation": "carbon_accumulation",
        "carbon-emissions": "carbon_emissions",
        "total-net-carbon-sequestration": "net_sequestration",
    }[m[1]]
    return ds[variable].sel(period=f"{m[2]}-{m[3]}")


@pytest.mark.parametrize("run", ["valuation_2050", "no_valuation", "price_table_2050"])
def test_compat_matches_invest_sums_on_shared_inputs(tmp_path: Path, run: str) -> None:
    fixture = _fixture(run)
    table = SHARED / fixture["settings"]["price_table"] if "price_table" in fixture["settings"] else None
    ds = _run(tmp_path, SHARED, fixture["settings"], price_table=table)
    recorded = {**fixture["outputs"], **fixture["intermediate_stocks"]}
    assert len(fixture["outputs"]) >= 9
    for name, expected in recorded.items():
        ours = float(_ours(ds, name).astype("float64").sum())
        assert ours == pytest.approx(expected["sum"], rel=RTOL), name
    # Every InVEST output has a counterpart and nothing InVEST writes is missing from ours.
    npv_years = {int(n.rsplit("-", 1)[1]) for n in fixture["outputs"] if n.startswith("net-present-value")}
    if "net_present_value" in ds:
        defined = {
            int(y) for y in ds["year"].values if np.isfinite(ds["net_present_value"].sel(year=y)).any()
        }
        assert defined == npv_years


def test_compat_matches_invest_pixel_by_pixel_on_an_awkward_scenario(tmp_path: Path) -> None:
    fixture = _fixture("random_small")
    inputs = FIXTURES / "random_small"
    ds = _run(tmp_path, inputs, fixture["settings"], price_table=inputs / "price_table.csv")
    valid = np.ones((12, 10), dtype=bool)
    valid[0, 0] = valid[5, 5] = False  # nodata in every snapshot / in one snapshot only
    assert np.isnan(ds["carbon_stock"].values[:, ~valid]).all()
    for name, grid in fixture["pixels"].items():
        theirs = np.array([[np.nan if v is None else v for v in row] for row in grid])
        ours = _ours(ds, name).values.astype(np.float64)
        both = valid & np.isfinite(theirs)
        # InVEST writes nodata instead of 0 where no pool was ever disturbed (emissions only).
        if not name.startswith("carbon-emissions"):
            assert both.sum() == valid.sum(), name
        np.testing.assert_allclose(ours[both], theirs[both], rtol=2e-5, atol=2e-3, err_msg=name)
        assert ours[valid].sum() == pytest.approx(np.nansum(np.where(valid, theirs, 0.0)), rel=RTOL), name
