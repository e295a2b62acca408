"""`bluecarbon transitions` on the shared InVEST inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from typer.testing import CliRunner

from bluecarbon.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "data" / "raw" / "peers" / "invest_coastal_blue_carbon"


def _args(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "transitions",
        "--snapshots", str(SHARED / "snapshots.csv"),
        "--biophysical", str(SHARED / "biophysical_table.csv"),
        "--transitions", str(SHARED / "transitions.csv"),
        "--output", str(tmp_path / "cbc.nc"),
        *extra,
    ]  # fmt: skip


def test_transitions_compat_writes_cf_netcdf_and_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        _args(tmp_path, "--analysis-year", "2050", "--price", "15", "--inflation-rate", "2",
              "--discount-rate", "3", "--invest-compat", "--years", "2025,2040"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ds = xr.open_dataset(tmp_path / "cbc.nc", decode_coords="all")
    assert ds.attrs["Conventions"] == "CF-1.8" and ds.rio.crs.to_epsg() == 32618
    assert list(ds["year"].values) == [2010, 2020, 2025, 2030, 2040, 2050]
    assert list(ds["period_start"].values) == [2010, 2020, 2030]
    assert list(ds["period_end"].values) == [2020, 2030, 2050]
    for name in ("carbon_stock", "carbon_stock_by_pool", "carbon_accumulation", "carbon_emissions",
                 "net_sequestration", "total_net_sequestration", "net_present_value"):  # fmt: skip
        assert {"units", "long_name"} <= set(ds[name].attrs), name
        assert ds[name].encoding["grid_mapping"] == "spatial_ref"
    assert ds["carbon_stock"].attrs["carbon_basis"] == "CO2e"
    assert ds["net_present_value"].sel(year=2025).isnull().all()  # InVEST defines no NPV there
    assert int(ds["carbon_stock"].sel(year=2010).isnull().sum()) == 2370  # the nodata notch
    expected = json.loads((ROOT / "tests/fixtures/invest_parity/valuation_2050.json").read_text())
    total = float(ds["total_net_sequestration"].astype("float64").sum())
    assert total == pytest.approx(expected["outputs"]["total-net-carbon-sequestration"]["sum"], rel=1e-4)
    summary = pd.read_csv(tmp_path / "cbc_summary.csv")
    assert {"scope", "kind", "area_ha", "stock_t_co2e", "net_sequestration_t_co2e", "stock_p5_t_co2e",
            "stock_conservative_t_co2e"} <= set(summary.columns)  # fmt: skip
    stock_2010 = summary[(summary["kind"] == "stock") & (summary["year"] == 2010)]
    assert stock_2010["area_ha"].sum() == pytest.approx(1176.3)  # 117,630 valid 10 m pixels
    assert "total net sequestration" in result.output


def test_transitions_option_errors_are_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, _args(tmp_path, "--inflation-rate", "2"))
    assert result.exit_code == 1 and "--inflation-rate needs --price" in result.output
    result = runner.invoke(app, _args(tmp_path, "--price", "15", "--inflation-rate", "2"))
    assert result.exit_code == 1 and "--discount-rate" in result.output
    result = runner.invoke(app, _args(tmp_path, "--analysis-year", "2020"))
    assert result.exit_code == 1 and "before the last snapshot" in result.output


def test_transitions_with_extra_emission_modifiers(tmp_path: Path) -> None:
    text = (SHARED / "transitions.csv").read_text()
    lines = text.splitlines()
    header = lines[0].split(",")
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    rows["salt-marsh"][header.index("developed")] = "high-impact-disturb+drained"
    rows["upland"][header.index("salt-marsh")] = "accum+rewetted-low-salinity"
    table = tmp_path / "transitions.csv"
    table.write_text("\n".join([lines[0], *(",".join(r) for r in rows.values())]) + "\n")
    args = _args(tmp_path)
    args[args.index("--transitions") + 1] = str(table)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    ds = xr.open_dataset(tmp_path / "cbc.nc")
    drained = ds["drained_soil_emissions"].sel(period="2020-2030")
    # 2,622 reclaimed marsh pixels drained from 2020: 7.9 t C x 3.664191 t CO2e/t C x 10 yr
    assert float(drained.max()) == pytest.approx(7.9 * 44.0095 / 12.0107 * 10, rel=1e-6)
    assert int((drained > 0).sum()) == 2622
    assert ds["methane_emissions"].attrs["gas"] == "CH4"
    assert ds["methane_emissions_co2e"].attrs["carbon_basis"] == "CO2e"
    # 4,506 upland pixels become marsh in 2030 (rewetted): nothing before the analysis year
    assert float(ds["methane_emissions"].sum()) == 0.0
    summary = pd.read_csv(tmp_path / "cbc_summary.csv")
    assert {"drained_soil_emissions_t_co2e", "methane_emissions_t_ch4"} <= set(summary.columns)


def _soil_raster(tmp_path: Path, *, shift: float = 0.0) -> tuple[Path, np.ndarray, np.ndarray]:
    """A soil-initial raster on the 2010 snapshot grid: 1,234 Mg CO2e/ha in the top rows."""
    with rasterio.open(SHARED / "lulc_2010.tif") as src:
        profile, classes = src.profile, src.read(1)
    values = np.full(classes.shape, -9999.0, dtype="float32")
    values[:20] = 1234.0
    path = tmp_path / "soil.tif"
    profile.update(dtype="float32", nodata=-9999.0, count=1)
    profile["transform"] = profile["transform"] * Affine.translation(shift, 0)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    return path, classes, values


def test_transitions_parameter_raster_overrides_the_table_where_it_has_data(tmp_path: Path) -> None:
    soil, classes, values = _soil_raster(tmp_path)
    result = runner.invoke(app, _args(tmp_path, "--parameter-raster", f"soil-initial={soil}"))
    assert result.exit_code == 0, result.output
    stock = xr.open_dataset(tmp_path / "cbc.nc")["carbon_stock_by_pool"].sel(pool="soil", year=2010).values
    table = pd.read_csv(SHARED / "biophysical_table.csv").set_index("lucode")["soil-initial"]
    expected = np.where(values > 0, 1234.0, table.reindex(classes.ravel()).to_numpy().reshape(classes.shape))
    valid = np.isfinite(stock)
    assert valid.sum() == 117_630
    np.testing.assert_allclose(stock[valid], expected[valid], rtol=1e-6)
    assert (stock[:20][valid[:20]] == np.float32(1234.0)).all()


def test_transitions_parameter_raster_errors_name_the_option_or_file(tmp_path: Path) -> None:
    soil, _, _ = _soil_raster(tmp_path, shift=0.5)
    result = runner.invoke(app, _args(tmp_path, "--parameter-raster", f"soil-initial={soil}"))
    assert result.exit_code == 1 and "grid differs" in result.output and "soil.tif" in result.output
    result = runner.invoke(app, _args(tmp_path, "--parameter-raster", f"soil-carbon={soil}"))
    assert result.exit_code == 1 and "unknown column 'soil-carbon'" in result.output
    assert "soil-initial" in result.output  # the valid columns are listed
    result = runner.invoke(app, _args(tmp_path, "--parameter-raster", str(soil)))
    assert result.exit_code == 2 and "COLUMN=RASTER" in result.output
    assert not (tmp_path / "cbc.nc").exists()
