"""Figures from small hand-made data: labels with units, legends with areas, bands, PNGs.

The figures from a real release are checked in tests/integration/test_plot_commands.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.image import imread
from pyproj import CRS

from bluecarbon import plots
from bluecarbon.errors import InputError
from bluecarbon.units import CO2E_PER_C

UTM = CRS.from_epsg(32618).to_wkt()


def _grid(values: np.ndarray, *, pixel: float = 100.0, **attrs: object) -> xr.DataArray:
    """(y, x) layer on a north-up UTM grid of ``pixel`` metres, CRS in ``spatial_ref``."""
    ny, nx = values.shape
    return xr.DataArray(
        values.astype("float32"),
        dims=("y", "x"),
        coords={
            "y": 5000.0 - pixel * (np.arange(ny) + 0.5),
            "x": 1000.0 + pixel * (np.arange(nx) + 0.5),
            "spatial_ref": xr.DataArray(0, attrs={"crs_wkt": UTM}),
        },
        attrs=attrs,
    )


def _habitat() -> xr.DataArray:
    codes = np.array([[1, 1, 7], [1, 7, np.nan]])
    return _grid(codes, flag_values=[1, 7], flag_meanings="seagrass water", units="1").rename("habitat")


def _ink(path: Path) -> float:
    image = imread(path)[..., :3]
    return float((image.min(axis=2) < 0.95).mean())


def _totals() -> pd.DataFrame:
    """Two sites: a mapped one (seagrass, and 'other' split over two rows in 2000) and a
    harvest-only one."""
    return pd.DataFrame(
        {
            "site": ["bay", "bay", "bay", "bay", "bay", "farms"],
            "year": [2000, 2000, 2000, 2010, 2010, 2000],
            "habitat": ["seagrass", "other", "other", "seagrass", "other", "shellfish_aquaculture"],
            "area_ha": [100.0, 10.0, 5.0, 120.0, 14.0, np.nan],
            "area_ci_ha": [10.0, 1.0, 2.0, 12.0, 1.5, np.nan],
            "stock_t_c": [1000.0, 0.0, 0.0, 1200.0, 0.0, 0.0],
            "stock_p5_t_c": [800.0, 0.0, 0.0, 1000.0, 0.0, np.nan],
            "stock_p95_t_c": [1250.0, 0.0, 0.0, 1400.0, 0.0, np.nan],
            "sequestration_t_c_yr": [5.0, 0.0, 0.0, 6.0, 0.0, 40.0],
            "sequestration_p5_t_c_yr": [3.0, 0.0, 0.0, 4.0, 0.0, 33.0],
            "sequestration_p95_t_c_yr": [7.0, 0.0, 0.0, 8.0, 0.0, 47.0],
        }
    )


# ------------------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    ("units", "basis", "expected"),
    [
        ("Mg ha-1", "C", "Mg C ha-1"),
        ("t/ha", "CO2e", "t CO2e ha-1"),
        ("Mg ha-1 yr-1", "c", "Mg C ha-1 yr-1"),
        ("Mg", "co2e", "t CO2e"),
        ("ha", None, "ha"),
    ],
)
def test_units_label_puts_the_basis_next_to_the_mass(units: str, basis: str | None, expected: str) -> None:
    assert plots.units_label(units, basis=basis) == expected


def test_units_label_refuses_a_carbon_basis_on_an_area_and_an_unknown_basis() -> None:
    with pytest.raises(InputError, match="not a mass"):
        plots.units_label("ha", basis="C")
    with pytest.raises(InputError, match="unknown carbon basis"):
        plots.units_label("Mg ha-1", basis="CO2")


def test_habitat_classes_from_flags_or_the_shared_vocabulary() -> None:
    assert plots.habitat_classes(_habitat()) == {1: "seagrass", 7: "water"}
    bare = _habitat().copy()
    bare.attrs = {}
    assert plots.habitat_classes(bare)[5] == "shellfish_aquaculture"
    broken = _habitat().copy()
    broken.attrs["flag_meanings"] = "seagrass"
    with pytest.raises(InputError, match="one meaning per flag value"):
        plots.habitat_classes(broken)


# -------------------------------------------------------------------------------- maps
def test_habitat_map_legend_lists_present_classes_with_their_area(tmp_path: Path) -> None:
    fig = plots.habitat_map(_habitat(), title="test bay")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # 100 m pixels are 1 ha: 3 seagrass pixels, 2 water pixels, 1 without data
    assert labels == ["seagrass (1): 3.0 ha", "water (7): 2.0 ha", "no data"]
    assert ax.get_xlabel() == "easting (m, EPSG:32618)"
    assert fig.get_suptitle() == "test bay"
    # pixel edges: x from 1000 to 1300 m, y from 4800 (bottom) to 5000 (top), north up
    assert ax.images[0].get_extent() == pytest.approx([1000.0, 1300.0, 4800.0, 5000.0])
    out = plots.save_png(fig, tmp_path / "figures" / "habitat.png", dpi=50)
    assert imread(out).shape[:2] == (300, 375)  # 7.5 x 6 in at 50 dpi
    assert _ink(out) > 0.1


def test_habitat_map_thins_large_grids_and_says_so() -> None:
    codes = np.ones((50, 40))
    codes[:25] = 7
    da = _grid(codes, pixel=20.0, flag_values=[1, 7], flag_meanings="seagrass water")
    fig = plots.habitat_map(da, max_size=10)
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (10, 8)  # one pixel in 5 along each axis
    assert "one pixel in 5" in fig.axes[0].get_title()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # areas from the full grid: 1000 pixels of 400 m2 = 40 ha each class
    assert labels == ["seagrass (1): 40.0 ha", "water (7): 40.0 ha"]


def test_habitat_map_is_computed_from_a_lazy_array() -> None:
    lazy = _habitat().chunk({"y": 1})
    labels = [t.get_text() for t in plots.habitat_map(lazy).axes[0].get_legend().get_texts()]
    assert labels[0] == "seagrass (1): 3.0 ha"


def test_quantity_map_labels_units_and_converts_to_co2e() -> None:
    stock = _grid(
        np.array([[100.0, 50.0], [0.0, np.nan]]),
        units="Mg ha-1",
        carbon_basis="C",
        long_name="carbon stock",
    ).rename("carbon_stock")
    in_c = plots.quantity_map(stock)
    assert in_c.axes[1].get_ylabel() == "carbon stock (Mg C ha-1)"
    in_co2e = plots.quantity_map(stock, basis="CO2e")
    assert in_co2e.axes[1].get_ylabel() == "carbon stock (t CO2e ha-1)"
    shown = in_co2e.axes[0].images[0].get_array()
    # 100 Mg C ha-1 x 44.0095 / 12.0107 = 366.42 t CO2e ha-1
    assert float(shown[0, 0]) == pytest.approx(366.42, abs=0.01)
    assert bool(shown.mask[1, 1]), "no data stays masked"
    assert in_co2e.axes[0].images[0].norm.vmin == 0.0


def test_quantity_map_centres_signed_values_on_zero() -> None:
    flux = _grid(np.array([[-2.0, 1.0], [3.0, 0.5]]), units="Mg ha-1", carbon_basis="C").rename("net")
    norm = plots.quantity_map(flux).axes[0].images[0].norm
    assert norm.vmin == -norm.vmax


def test_quantity_map_refuses_a_basis_on_a_non_carbon_quantity_and_extra_dims() -> None:
    area = _grid(np.ones((2, 2)), units="ha").rename("area")
    with pytest.raises(InputError, match="not a carbon quantity"):
        plots.quantity_map(area, basis="CO2e")
    cube = xr.concat([area, area], dim="year")
    with pytest.raises(InputError, match="select one year first"):
        plots.quantity_map(cube)


def test_select_layer_defaults_to_the_last_snapshot_and_names_choices() -> None:
    stock = xr.concat([_grid(np.full((2, 2), v), units="Mg ha-1") for v in (1.0, 2.0, 3.0)], dim="year")
    ds = xr.Dataset({"carbon_stock": stock.assign_coords(year=[2016, 2019, 2020])})
    ds.attrs["snapshot_years"] = [2016, 2019]  # 2020 is the analysis year
    assert float(plots.select_layer(ds, "carbon_stock").mean()) == 2.0
    assert float(plots.select_layer(ds, "carbon_stock", year=2020).mean()) == 3.0
    with pytest.raises(InputError, match="2016, 2019, 2020"):
        plots.select_layer(ds, "carbon_stock", year=1999)
    with pytest.raises(InputError, match="one of carbon_stock"):
        plots.select_layer(ds, "stock")


def test_save_png_wants_a_png(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.png"):
        plots.save_png(plots.habitat_map(_habitat()), tmp_path / "map.pdf")


# ------------------------------------------------------------------------------ series
def test_series_table_adds_repeated_rows_bounds_included() -> None:
    table = plots.series_table(_totals(), site="bay", habitat="other", quantity="area")
    first = table.iloc[0]
    # 2000: areas 10 + 5 = 15 ha; low (10 - 1) + (5 - 2) = 12; high (10 + 1) + (5 + 2) = 18
    assert (first["year"], first["value"], first["low"], first["high"]) == (2000, 15.0, 12.0, 18.0)


def test_series_table_converts_carbon_but_not_area() -> None:
    stock = plots.series_table(_totals(), site="bay", habitat="seagrass", quantity="stock", basis="CO2e")
    # 1000 t C x 44.0095 / 12.0107 = 3664.19 t CO2e; P5 800 t C = 2931.35 t CO2e
    assert stock.iloc[0]["value"] == pytest.approx(3664.19, abs=0.01)
    assert stock.iloc[0]["low"] == pytest.approx(2931.35, abs=0.01)
    area = plots.series_table(_totals(), site="bay", habitat="seagrass", quantity="area", basis="CO2e")
    assert area.iloc[0]["value"] == 100.0


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1e7), st.floats(0, 0.5), st.floats(0, 0.5)),
        min_size=1,
        max_size=6,
    )
)
def test_series_in_co2e_is_series_in_c_times_the_factor(rows: list[tuple[float, float, float]]) -> None:
    totals = pd.DataFrame(
        {
            "site": "s",
            "habitat": "seagrass",
            "year": np.arange(len(rows)) + 2000,
            "sequestration_t_c_yr": [r[0] for r in rows],
            "sequestration_p5_t_c_yr": [r[0] * (1 - r[1]) for r in rows],
            "sequestration_p95_t_c_yr": [r[0] * (1 + r[2]) for r in rows],
        }
    )
    kwargs = {"site": "s", "habitat": "seagrass", "quantity": "sequestration"}
    in_c = plots.series_table(totals, basis="C", **kwargs)
    in_co2e = plots.series_table(totals, basis="CO2e", **kwargs)
    for column in ("value", "low", "high"):
        np.testing.assert_allclose(in_co2e[column], in_c[column] * CO2E_PER_C, rtol=1e-12)
    assert (in_c["low"] <= in_c["value"]).all() and (in_c["value"] <= in_c["high"]).all()


def test_class_series_draws_blue_carbon_classes_with_bands(tmp_path: Path) -> None:
    fig = plots.class_series(_totals(), site="bay", basis="CO2e")
    area, stock = fig.axes
    assert area.get_ylabel() == "habitat area (ha)"
    assert stock.get_ylabel() == "carbon stock (t CO2e)"
    for ax in (area, stock):
        assert [line.get_label() for line in ax.get_lines()] == ["seagrass"]  # not 'other'
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1
    assert [t.get_text() for t in stock.get_legend().get_texts()] == ["seagrass", "seagrass P5-P95"]
    assert _ink(plots.save_png(fig, tmp_path / "series.png", dpi=40)) > 0.02


def test_class_series_of_a_harvest_site_shows_removal() -> None:
    assert plots.available_quantities(_totals(), site="farms") == ["sequestration"]
    fig = plots.class_series(_totals(), site="farms")
    assert fig.axes[0].get_ylabel() == "net sequestration (t C yr-1)"


def test_class_series_errors_name_what_exists() -> None:
    with pytest.raises(InputError, match="bay, farms"):
        plots.class_series(_totals(), site="nowhere")
    with pytest.raises(InputError, match="one of other, seagrass"):
        plots.class_series(_totals(), site="bay", habitats=["mangrove"])
    with pytest.raises(InputError, match="area, stock, sequestration"):
        plots.class_series(_totals(), site="bay", quantities=["value"])


def test_release_series_draws_one_line_per_release() -> None:
    later = _totals().assign(stock_t_c=lambda f: f["stock_t_c"] * 1.5)
    fig = plots.release_series({"2026.01.01": _totals(), "2026.02.01": later}, site="bay", habitat="seagrass")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["2026.01.01", "2026.02.01"]
    assert ax.get_lines()[1].get_ydata()[0] == 1500.0
    assert ax.get_legend().get_title().get_text() == "release"
