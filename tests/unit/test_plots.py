"""Figures from small hand-made data: labels in words with units, legends inside the figure
and off the data, scale bars, masked water, bands and what they mean, integer years, PNGs.

The figures from a real release are checked in tests/integration/test_plot_commands.py."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from pyproj import CRS

from bluecarbon import palette, plots
from bluecarbon.errors import InputError
from bluecarbon.plots.language import has_cjk
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import Habitat, Subclass
from tests.conftest import missing_system_package

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


FLAGS = {"flag_values": [1, 4, 7, 8], "flag_meanings": "seagrass tidal_flat water other"}


def _habitat() -> xr.DataArray:
    codes = np.array([[1, 1, 7], [1, 7, np.nan]])
    return _grid(codes, flag_values=[1, 7], flag_meanings="seagrass water", units="1").rename("habitat")


def _ink(path: Path) -> float:
    image = imread(path)[..., :3]
    return float((image.min(axis=2) < 0.95).mean())


def _drawn(fig: Figure) -> Any:
    """The figure drawn by the Agg canvas (layout done); its renderer."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _inside(fig: Figure, artist: Any, renderer: Any) -> bool:
    """The artist's drawn extent lies within the figure (1 px tolerance)."""
    box = artist.get_window_extent(renderer)
    return bool(box.x0 >= -1 and box.y0 >= -1 and box.x1 <= fig.bbox.x1 + 1 and box.y1 <= fig.bbox.y1 + 1)


def _overlaps(a: Bbox, b: Bbox) -> bool:
    return bool(a.x0 < b.x1 - 1 and b.x0 < a.x1 - 1 and a.y0 < b.y1 - 1 and b.y0 < a.y1 - 1)


def _legend_texts(legend: Any) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def _totals() -> pd.DataFrame:
    """Two sites in the release format: a mapped one (seagrass, and 'other' split over two
    rows in 2000; net flux per period 2000-2010 and 2010-2012) and a harvest-only one."""
    mapped = pd.DataFrame(
        {
            "site": ["bay"] * 5,
            "year": [2000, 2000, 2000, 2010, 2010],
            "habitat": ["seagrass", "other", "other", "seagrass", "other"],
            "area_ha": [100.0, 10.0, 5.0, 120.0, 14.0],
            "area_ci_ha": [10.0, 1.0, 2.0, 12.0, 1.5],
            "stock_t_c": [1000.0, 0.0, 0.0, 1200.0, 0.0],
            "stock_p5_t_c": [800.0, 0.0, 0.0, 1000.0, 0.0],
            "stock_p95_t_c": [1250.0, 0.0, 0.0, 1400.0, 0.0],
            "net_flux_t_c_yr": [5.0, 0.0, 0.0, -6.0, 0.0],
            "net_flux_p5_t_c_yr": [3.0, 0.0, 0.0, -9.0, 0.0],
            "net_flux_p95_t_c_yr": [7.0, 0.0, 0.0, -2.0, 0.0],
            "flux_period_start": [2000.0, 2000.0, 2000.0, 2010.0, 2010.0],
            "flux_period_end": [2010.0, 2010.0, 2010.0, 2012.0, 2012.0],
            "pools": ["biomass+soil", "none", "none", "biomass+soil", "none"],
        }
    )
    harvest = pd.DataFrame(
        {
            "site": ["farms"] * 4,
            "year": [2000, 2000, 2001, 2001],
            "habitat": ["shellfish_aquaculture", "seaweed_aquaculture"] * 2,
            "area_ha": np.nan,
            "stock_t_c": np.nan,
            "removal_t_c_yr": [40.0, 10.0, 50.0, 12.0],
            "removal_p5_t_c_yr": [33.0, 8.0, 41.0, 10.0],
            "removal_p95_t_c_yr": [47.0, 12.0, 59.0, 14.0],
            "tissue_removal_t_c_yr": [8.0, 10.0, 10.0, 12.0],  # seaweed: all tissue
            "pools": "harvest",
        }
    )
    return pd.concat([mapped, harvest], ignore_index=True)


def _accuracy(status: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"site": "bay", "year": [2000, 2010], "habitat": "seagrass", "status": [status, status]}
    )


def _balance() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site": ["bay", "bay", "bay"],
            "period_start": [2000, 2010, 2012],
            "period_end": [2010, 2012, 2013],
            "after_last_map": [False, False, True],
            "net_flux_t_c_yr": [5.0, -6.0, -1.0],
            "net_flux_p5_t_c_yr": [2.0, -9.0, -3.0],
            "net_flux_p95_t_c_yr": [8.0, -2.0, 1.0],
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


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("net_sequestration", "Net sequestration"),
        ("total_net_sequestration", "Net sequestration"),
        ("carbon_stock_by_pool", "Carbon stock"),
        ("salt_marsh", "Salt marsh"),
        ("other", "Other / not mapped as habitat"),
        ("soil", "Soil organic carbon (to 1 m)"),
        ("net_flux", "Net flux"),
        ("some_new_thing", "Some new thing"),
    ],
)
def test_id_label_turns_identifiers_into_words(identifier: str, expected: str) -> None:
    assert plots.id_label(identifier) == expected


def test_site_label_prefers_the_study_name() -> None:
    assert plots.site_label("old_tampa_bay") == "Old Tampa Bay"
    assert plots.site_label("chn_mariculture") == "CHN mariculture"
    names = {"old_tampa_bay": "Old Tampa Bay, Florida, USA"}
    assert plots.site_label("old_tampa_bay", names) == "Old Tampa Bay, Florida, USA"
    info = SimpleNamespace(provenance={"study": {"name": "demo", "sites": [{"id": "a_b", "name": "A B"}]}})
    assert plots.release_site_names(info) == {"a_b": "A B"}  # type: ignore[arg-type]
    assert plots.release_site_names(SimpleNamespace(provenance={"study": {"name": "demo"}})) == {}  # type: ignore[arg-type]


def test_habitat_classes_from_flags_or_the_shared_vocabulary() -> None:
    assert plots.habitat_classes(_habitat()) == {1: "seagrass", 7: "water"}
    bare = _habitat().copy()
    bare.attrs = {}
    assert plots.habitat_classes(bare)[5] == "shellfish_aquaculture"
    broken = _habitat().copy()
    broken.attrs["flag_meanings"] = "seagrass"
    with pytest.raises(InputError, match="one meaning per flag value"):
        plots.habitat_classes(broken)


@pytest.mark.parametrize(
    ("locs", "expected"),
    [
        ([0.0, 500.0, 1000.0, 1500.0], ["0", "500", "1,000", "1,500"]),
        ([-0.5, 0.0, 0.5], ["-0.5", "0.0", "0.5"]),
        ([0.25, 0.5], ["0.25", "0.50"]),
    ],
)
def test_grouped_formatter_uses_the_decimals_the_ticks_need(locs: list[float], expected: list[str]) -> None:
    assert plots.GroupedFormatter().format_ticks(locs) == expected
    assert plots.GroupedFormatter(scale=0.001).format_ticks([329000.0, 330000.0]) == ["329", "330"]


def test_one_palette_for_plots_and_statement_maps() -> None:
    from bluecarbon.report import maps

    assert plots.HABITAT_COLOURS is palette.HABITAT_COLOURS
    assert not hasattr(maps, "COLOURS"), "statement maps take their colours from bluecarbon.palette"
    assert palette.habitat_colour("marsh") == palette.HABITAT_COLOURS[Habitat.SALT_MARSH]
    # 'other' and 'no data' are told apart: different colours and a hatch on no data
    assert palette.HABITAT_COLOURS[Habitat.OTHER] != palette.NODATA_FACE and palette.NODATA_HATCH


# -------------------------------------------------------------------------------- maps
def test_habitat_map_legend_lists_present_classes_with_their_area(tmp_path: Path) -> None:
    fig = plots.habitat_map(_habitat(), title="Test bay")
    ax = fig.axes[0]
    legend = fig.legends[0]
    # 100 m pixels are 1 ha: 3 seagrass pixels, 2 water pixels, 1 without data
    assert _legend_texts(legend) == ["Seagrass (1): 3.0 ha", "Water (7): 2.0 ha", plots.NODATA_LABEL]
    nodata = legend.legend_handles[-1]
    assert nodata.get_hatch() == palette.NODATA_HATCH
    assert ax.get_xlabel() == "easting (km), EPSG:32618" and ax.get_ylabel() == "northing (km)"
    assert fig.get_suptitle() == "Test bay"
    # pixel edges: x from 1000 to 1300 m, y from 4800 (bottom) to 5000 (top), north up
    assert ax.images[0].get_extent() == pytest.approx([1000.0, 1300.0, 4800.0, 5000.0])
    out = plots.save_png(fig, tmp_path / "figures" / "habitat.png", dpi=50)
    width, height = fig.get_size_inches() * 50
    rows, cols = imread(out).shape[:2]
    assert abs(rows - height) <= 1 and abs(cols - width) <= 1
    assert _ink(out) > 0.1


def test_map_legends_labels_and_scale_bar_are_inside_the_figure_and_off_the_map() -> None:
    wide = _grid(np.tile([[1.0, 1.0, 4.0, 7.0, 8.0, np.nan]], (20, 20)), **FLAGS).rename("habitat")
    stock = _grid(np.tile([[100.0, 0.0, 3.0, 0.0, 0.0, np.nan]], (25, 20)), units="Mg ha-1", carbon_basis="C")
    carbon = plots.quantity_map(stock.rename("carbon_stock"), habitat=wide[:, :100].assign_attrs(**FLAGS))
    for fig in (plots.habitat_map(wide), plots.habitat_map(_habitat()), carbon):
        renderer = _drawn(fig)
        ax = fig.axes[0]
        legend = fig.legends[0]
        assert _inside(fig, fig.axes[-1].yaxis.label, renderer), "colour bar label (or y label) inside"
        assert _inside(fig, legend, renderer)
        assert not _overlaps(legend.get_window_extent(renderer), ax.get_window_extent(renderer))
        assert _inside(fig, ax.xaxis.label, renderer) and _inside(fig, ax.yaxis.label, renderer)
        assert ax.yaxis.label.get_text()
        bar = next(a for a in ax.artists if a.get_gid() == "scale bar")
        assert _inside(fig, bar, renderer)
        # tick labels in km: the tick positions (m) over 1000
        ticks = [(t.get_position()[0], t.get_text()) for t in ax.get_xticklabels() if t.get_text()]
        assert ticks and all(float(text) == pytest.approx(x / 1000) for x, text in ticks)


def test_map_figures_have_no_empty_band_around_the_map() -> None:
    """The figure is sized to the map: an equal-aspect map fills its layout box (a very
    tall map may leave room at its sides: the figure is never narrower than its legend)."""
    for shape in ((10, 60), (20, 30), (30, 30), (30, 20), (60, 10)):
        da = _grid(np.ones(shape), units="Mg ha-1", carbon_basis="C").rename("carbon_stock")
        for fig in (plots.quantity_map(da), plots.habitat_map(da.assign_attrs(**FLAGS))):
            fig.draw_without_rendering()
            ax = fig.axes[0]
            box, shown = ax.get_position(original=True), ax.get_position()
            width, height = fig.get_size_inches()
            above = (box.height - shown.height) * height
            assert above < 0.1, f"{shape}: {above:.2f} in of empty space above and below the map"
            if shape[0] <= 1.5 * shape[1]:
                beside = (box.width - shown.width) * width
                assert beside < 0.1, f"{shape}: {beside:.2f} in of empty space beside the map"


def test_habitat_map_thins_large_grids_and_says_so() -> None:
    codes = np.ones((50, 40))
    codes[:25] = 7
    da = _grid(codes, pixel=20.0, flag_values=[1, 7], flag_meanings="seagrass water")
    fig = plots.habitat_map(da, max_size=10, note="release x")
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (10, 8)  # one pixel in 5 along each axis
    assert fig.axes[0].get_title().startswith("release x; drawn with one pixel in 5")
    # areas from the full grid: 1000 pixels of 400 m2 = 40 ha each class
    assert _legend_texts(fig.legends[0]) == ["Seagrass (1): 40.0 ha", "Water (7): 40.0 ha"]


def test_habitat_map_hatches_subclasses_over_the_classes() -> None:
    subclass = _grid(
        np.array([[1, 0, 0], [0, 0, np.nan]]),
        flag_values=[0, 1, 2, 3, 4],
        flag_meanings="none patchy spartina suaeda phragmites",
    ).rename("subclass")
    fig = plots.habitat_map(_habitat(), subclass=subclass)
    labels = _legend_texts(fig.legends[0])
    assert "Patchy cover: 1.0 ha" in labels
    patch = fig.legends[0].legend_handles[labels.index("Patchy cover: 1.0 ha")]
    assert patch.get_hatch() == palette.SUBCLASS_HATCHES[Subclass.PATCHY]
    # the subclass layer on its own: 'none' in words, its own colours
    alone = _legend_texts(plots.habitat_map(subclass).legends[0])
    assert alone[:2] == ["No subclass (continuous cover) (0): 4.0 ha", "Patchy (1): 1.0 ha"]


def test_habitat_map_is_computed_from_a_lazy_array() -> None:
    lazy = _habitat().chunk({"y": 1})
    assert _legend_texts(plots.habitat_map(lazy).legends[0])[0] == "Seagrass (1): 3.0 ha"


def test_quantity_map_labels_units_and_converts_to_co2e() -> None:
    stock = _grid(
        np.array([[100.0, 50.0], [0.0, np.nan]]),
        units="Mg ha-1",
        carbon_basis="C",
        long_name="carbon stock",
    ).rename("carbon_stock")
    in_c = plots.quantity_map(stock)
    assert in_c.axes[1].get_ylabel() == "Carbon stock (Mg C ha-1)"
    in_co2e = plots.quantity_map(stock, basis="CO2e")
    assert in_co2e.axes[1].get_ylabel() == "Carbon stock (t CO2e ha-1)"
    shown = in_co2e.axes[0].images[0].get_array()
    # 100 Mg C ha-1 x 44.0095 / 12.0107 = 366.42 t CO2e ha-1
    assert float(shown[0, 0]) == pytest.approx(366.42, abs=0.01)
    assert bool(shown.mask[1, 1]), "no data stays masked"
    assert in_co2e.axes[0].images[0].norm.vmin == 0.0
    assert _legend_texts(in_co2e.legends[0]) == [plots.NODATA_LABEL]


def test_quantity_map_masks_water_and_empty_non_habitat_but_not_a_habitat_zero() -> None:
    stock = _grid(np.array([[80.0, 0.0, 0.0], [0.0, 5.0, np.nan]]), units="Mg ha-1", carbon_basis="C")
    habitat = _grid(np.array([[1, 1, 7], [8, 8, np.nan]]), **FLAGS)
    fig = plots.quantity_map(stock.rename("carbon_stock"), habitat=habitat)
    ax = fig.axes[0]
    image = next(i for i in ax.images if i.get_label() == "quantity")
    shown = image.get_array()
    assert bool(shown.mask[0, 2]), "water holds no carbon: masked, not a dark 0"
    assert bool(shown.mask[1, 0]), "'other' with no carbon: masked"
    assert not shown.mask[0, 1] and float(shown[0, 1]) == 0.0, "a seagrass pixel at 0 is a value"
    assert not shown.mask[1, 1] and float(shown[1, 1]) == 5.0, "carbon left in lost habitat is shown"
    background = next(i for i in ax.images if i.get_label() == "no-carbon background").get_array()
    assert to_hex(background[0, 2]) == palette.WATER_BACKGROUND
    assert to_hex(background[1, 0]) == palette.NON_HABITAT_BACKGROUND
    assert _legend_texts(fig.legends[0]) == [
        "Water (no carbon)",
        "Not habitat (no carbon)",
        plots.NODATA_LABEL,
    ]


def test_quantity_map_says_per_period_and_centres_signed_values_on_zero() -> None:
    flux = (
        _grid(np.array([[-2.0, 1.0], [3.0, 0.5]]), units="Mg ha-1", carbon_basis="C")
        .rename("net_sequestration")
        .assign_coords(period="2020-2022")
    )
    fig = plots.quantity_map(flux)
    norm = fig.axes[0].images[0].norm
    assert norm.vmin == -norm.vmax
    diverging = colormaps[palette.DIVERGING_CMAP]
    assert fig.axes[0].images[0].get_cmap()(1.0) == pytest.approx(diverging(1.0))  # green: a sink
    assert fig.axes[1].get_ylabel() == "Net sequestration (Mg C ha-1 per period 2020-2022)"
    assert fig.get_suptitle() == "Net sequestration, 2020-2022"


def test_quantity_map_without_any_value_has_no_colour_scale() -> None:
    stock = _grid(np.zeros((2, 2)), units="Mg ha-1", carbon_basis="C").rename("carbon_stock")
    habitat = _grid(np.full((2, 2), 7.0), **FLAGS)
    fig = plots.quantity_map(stock, habitat=habitat)
    assert len(fig.axes) == 1, "no colour bar for nothing"
    assert any("no value to show" in t.get_text() for t in fig.axes[0].texts)


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


@pytest.mark.parametrize(("span", "expected"), [(33000.0, 5000.0), (3200.0, 500.0), (800.0, 200.0)])
def test_scale_bar_length_is_a_round_quarter_of_the_map(span: float, expected: float) -> None:
    assert plots.nice_length(span) == expected


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


def test_series_table_of_net_flux_carries_its_periods_and_of_removal_its_tissue_part() -> None:
    flux = plots.series_table(_totals(), site="bay", habitat="seagrass", quantity="net flux")
    assert flux[["year", "end", "value"]].to_numpy().tolist() == [[2000, 2010, 5.0], [2010, 2012, -6.0]]
    removal = plots.series_table(_totals(), site="farms", habitat="shellfish_aquaculture", quantity="removal")
    assert removal[["year", "value", "companion"]].to_numpy().tolist() == [
        [2000, 40.0, 8.0],
        [2001, 50.0, 10.0],
    ]


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
            "habitat": "shellfish_aquaculture",
            "year": np.arange(len(rows)) + 2000,
            "removal_t_c_yr": [r[0] for r in rows],
            "removal_p5_t_c_yr": [r[0] * (1 - r[1]) for r in rows],
            "removal_p95_t_c_yr": [r[0] * (1 + r[2]) for r in rows],
            "tissue_removal_t_c_yr": [r[0] * 0.2 for r in rows],
        }
    )
    kwargs = {"site": "s", "habitat": "shellfish_aquaculture", "quantity": "removal"}
    in_c = plots.series_table(totals, basis="C", **kwargs)
    in_co2e = plots.series_table(totals, basis="CO2e", **kwargs)
    for column in ("value", "low", "high", "companion"):
        np.testing.assert_allclose(in_co2e[column], in_c[column] * CO2E_PER_C, rtol=1e-12)
    assert (in_c["low"] <= in_c["value"]).all() and (in_c["value"] <= in_c["high"]).all()


def _check_series_layout(fig: Figure) -> None:
    """Legends inside the figure and beside (never over) their axes; integer year ticks."""
    renderer = _drawn(fig)
    for ax in fig.axes:
        legend = ax.get_legend()
        assert legend is not None
        assert _inside(fig, legend, renderer), "legend inside the figure"
        assert not _overlaps(legend.get_window_extent(renderer), ax.get_window_extent(renderer)), (
            "the legend never covers a line or a band"
        )
        assert _inside(fig, ax.yaxis.label, renderer)
        locs = ax.get_xticks()
        assert np.allclose(locs, np.round(locs)), "ticks on whole years"
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert all(label.isdigit() for label in labels), labels


def test_class_series_draws_blue_carbon_classes_with_bands(tmp_path: Path) -> None:
    fig = plots.class_series(_totals(), site="bay", basis="CO2e", accuracy=_accuracy("not assessed"))
    area, stock, flux = fig.axes
    assert area.get_ylabel() == "Habitat area\n(ha)"
    assert stock.get_ylabel() == "Carbon stock\n(t CO2e)"
    assert flux.get_ylabel() == "Net flux\n(t CO2e yr-1)"
    for ax in (area, stock, flux):
        lines = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
        assert lines == ["Seagrass"]  # not 'other'
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1
    # the area band is an assumed default, not a CI: the map has no accuracy assessment
    assert _legend_texts(area.get_legend()) == [
        "Seagrass",
        "Seagrass:\nassumed ±10 % (no accuracy assessment)",
    ]
    assert _legend_texts(stock.get_legend()) == ["Seagrass", "Seagrass: P5-P95"]
    # net flux is a rate over each period: steps from 2000 to 2010 and 2010 to 2012
    assert flux.get_lines()[0].get_xdata().tolist() == [2000.0, 2010.0, 2010.0, 2012.0]
    _check_series_layout(fig)
    assert _ink(plots.save_png(fig, tmp_path / "series.png", dpi=40)) > 0.02


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("assessed", "95 % CI (accuracy assessed)"),
        ("not assessed", "assumed ±10 % (no accuracy assessment)"),
        (None, "±10 % (accuracy status not given)"),
    ],
)
def test_area_band_says_what_it_is(status: str | None, expected: str) -> None:
    accuracy = _accuracy(status) if status else None
    assert plots.area_band_label(_totals(), accuracy=accuracy, site="bay", habitat="seagrass") == expected


def test_class_series_of_a_harvest_site_shows_removal_and_its_tissue_part() -> None:
    assert plots.available_quantities(_totals(), site="farms") == ["removal"]
    fig = plots.class_series(_totals(), site="farms")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "Harvest removal\n(t C yr-1)"
    labels = _legend_texts(ax.get_legend())
    assert "Shellfish aquaculture: tissue only" in labels
    assert "Seaweed aquaculture: tissue only" not in labels  # a seaweed harvest is all tissue
    _check_series_layout(fig)


def test_site_panel_says_sink_or_emitter() -> None:
    fig = plots.class_series(_totals(), site="bay", balance=_balance(), accuracy=_accuracy("assessed"))
    site = fig.axes[0]
    assert len(fig.axes) == 4
    assert site.get_ylabel() == "Site net flux, all classes\n(t C yr-1)"
    labels = _legend_texts(site.get_legend())
    assert labels == [
        "Net flux, all classes",
        "after the last map",
        "P5-P95",
        "sink (net removal)",
        "emitter (net emission)",
    ]
    _check_series_layout(fig)
    only = plots.class_series(_totals(), site="bay", balance=_balance(), quantities=["site-net-flux"])
    assert len(only.axes) == 1
    with pytest.raises(InputError, match="no site_balance rows"):
        plots.class_series(_totals(), site="bay", quantities=["site_net_flux"])


def test_class_series_errors_name_what_exists() -> None:
    with pytest.raises(InputError, match="bay, farms"):
        plots.class_series(_totals(), site="nowhere")
    with pytest.raises(InputError, match="one of other, seagrass"):
        plots.class_series(_totals(), site="bay", habitats=["mangrove"])
    with pytest.raises(InputError, match="site_net_flux, area, stock, net_flux, removal"):
        plots.class_series(_totals(), site="bay", quantities=["sequestration"])


def test_release_series_draws_one_line_per_release() -> None:
    later = _totals().assign(stock_t_c=lambda f: f["stock_t_c"] * 1.5)
    fig = plots.release_series({"2026.01.01": _totals(), "2026.02.01": later}, site="bay", habitat="seagrass")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["2026.01.01", "2026.02.01"]
    assert ax.get_lines()[1].get_ydata()[0] == 1500.0
    assert ax.get_legend().get_title().get_text() == "Release"
    _check_series_layout(fig)


# ------------------------------------------------------------------ language and glyphs
@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("Old Tampa Bay: Habitat, 2022", 40, "Old Tampa Bay: Habitat, 2022"),
        (
            "Jiaozhou Bay, Qingdao, Shandong (illustrative habitat): Habitat, 2023",
            30,
            "Jiaozhou Bay, Qingdao,\nShandong (illustrative\nhabitat): Habitat, 2023",
        ),
        ("山东青岛胶州湾（示意生境）：生境, 2023", 16, "山东青岛胶州湾（\n示意生境）：生境\n, 2023"),
    ],
)
def test_wrap_label_counts_a_chinese_character_as_two_columns(text: str, width: int, expected: str) -> None:
    wrapped = plots.wrap_label(text, width)
    assert wrapped == expected
    for line in wrapped.splitlines():
        assert sum(2 if has_cjk(c) else 1 for c in line) <= width or " " not in line


def test_translate_label_replaces_phrases_before_their_words() -> None:
    zh = plots.translate_label
    assert zh("Salt marsh (2): 156 ha", "zh") == "盐沼 (2): 156 ha"
    assert zh("Site net flux, all classes\n(t C yr-1)", "zh") == "站点各类别合计净通量\n(t C yr-1)"
    assert zh("Net flux, all classes", "zh") == "各类别合计净通量"
    assert (
        zh("Salt marsh:\nassumed ±10 % (no accuracy assessment)", "zh") == "盐沼:\n假定 ±10 %（未经精度评估）"
    )
    assert zh("Bay (release 2026.12.04)", "zh") == "Bay （数据版本 2026.12.04）"
    assert zh("year", "zh") == "年份" and zh("yearly", "zh") == "yearly"
    assert zh("Salt marsh", "en") == "Salt marsh"


def test_a_chinese_figure_says_everything_in_chinese_and_an_english_one_keeps_its_words() -> None:
    with plots.plot_language("zh"):
        fig = plots.habitat_map(_habitat(), title="胶州湾：Habitat, 2023")
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    assert "海草床 (1): 3.0 ha" in texts and "无数据（制图范围外）" in texts
    assert fig.get_suptitle() == "胶州湾：生境, 2023"
    assert fig.axes[0].get_ylabel() == "北向坐标（公里）"
    english = plots.habitat_map(_habitat(), title="Test bay")
    assert _legend_texts(english.legends[0])[0] == "Seagrass (1): 3.0 ha"
    with pytest.raises(InputError), plots.plot_language("fr"):
        pass


def test_chinese_text_gets_a_cjk_fallback_font_and_latin_text_keeps_dejavu() -> None:
    from bluecarbon.plots.fonts import cjk_font_family

    fig = plots.habitat_map(_habitat(), title="山东青岛胶州湾 Jiaozhou Bay")
    title = fig.findobj(lambda a: isinstance(a, Text) and a.get_text().startswith("山东"))[0]
    legend_text = fig.legends[0].get_texts()[0]
    assert "DejaVu Sans" in title.get_fontfamily()[0:1]
    if cjk_font_family() is None:
        missing_system_package(
            "no CJK font installed (Debian: apt install fonts-noto-cjk): no fallback to check"
        )
    assert cjk_font_family() in title.get_fontfamily()
    assert cjk_font_family() not in legend_text.get_fontfamily()


def test_no_figure_module_spells_a_colour() -> None:
    """Colours are decided in bluecarbon/palette.py only (research plots and statement maps)."""
    import re

    import bluecarbon

    root = Path(bluecarbon.__file__).parent
    modules = [*sorted((root / "plots").glob("*.py")), root / "report" / "maps.py"]
    spelled = re.compile(r"""["'](#[0-9a-fA-F]{3,8}|black|white|gr[ae]y|red|green|blue)["']""")
    found = {
        f"{p.relative_to(root)}:{n}": m.group(1)
        for p in modules
        for n, line in enumerate(p.read_text().splitlines(), start=1)
        if (m := spelled.search(line))
    }
    assert found == {}
    assert len(modules) == 9
