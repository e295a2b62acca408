"""`bluecarbon plot` on a real published release: PNG files a person can read.

The PNGs are checked as images (size, share of non-background pixels, more than a handful
of colours) and the figures as objects (titles in words with the study's site names, legends
inside the figure, colour bars with units, masked water, uncertainty bands and what they
mean, integer years)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.image import imread
from typer.testing import CliRunner

from bluecarbon.cli import app
from bluecarbon.vocab import Habitat

pytestmark = pytest.mark.slow
runner = CliRunner()
NAMES = {"old_tampa_bay": "Old Tampa Bay, Florida, USA", "rufiji_delta": "Rufiji Delta, Tanzania"}


def _png(path: Path) -> np.ndarray:
    image = imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image[..., :3]


def _ink(image: np.ndarray) -> float:
    """Share of pixels that are not white background."""
    return float((image.min(axis=2) < 0.95).mean())


def _inside_the_figure(fig, artists) -> None:  # type: ignore[no-untyped-def]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for artist in artists:
        box = artist.get_window_extent(renderer)
        assert box.x0 >= -1 and box.y0 >= -1, artist
        assert box.x1 <= fig.bbox.x1 + 1 and box.y1 <= fig.bbox.y1 + 1, artist


def test_plot_map_of_a_habitat_product(notebook_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "habitat.png"
    config = notebook_project / "bluecarbon.toml"
    args = ["plot", "map", "old_tampa_bay/habitat", "--year", "2022", "-o", str(out), "-c", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    image = _png(out)
    size = re.search(r"\((\d+) x (\d+) px\)", result.output)
    assert size is not None, result.output
    width, height = int(size.group(1)), int(size.group(2))
    assert abs(image.shape[0] - height) <= 1 and abs(image.shape[1] - width) <= 1
    assert _ink(image) > 0.3
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 20


def test_habitat_map_legend_matches_the_release(notebook_project: Path) -> None:
    from bluecarbon import open_catalog
    from bluecarbon.plots import NODATA_LABEL, map_figure

    cat = open_catalog(notebook_project)
    fig = map_figure(cat, "old_tampa_bay/habitat", year=2022, site_names=NAMES)
    assert fig.get_suptitle() == "Old Tampa Bay, Florida, USA: Habitat, 2022"
    ax = fig.axes[0]
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[-1] == NODATA_LABEL
    assert any(label.startswith("Patchy cover: ") for label in labels), "the subclass layer is drawn"
    seagrass = next(label for label in labels if label.startswith("Seagrass (1): "))
    pixels_ha = float(seagrass.split(": ")[1].removesuffix(" ha").replace(",", ""))
    totals = cat.table("class_totals")
    mapped = totals.query("site == 'old_tampa_bay' and habitat == 'seagrass' and year == 2022")
    # 20 m pixels on UTM against polygon areas on EPSG:6933: within 2 %
    assert pixels_ha == pytest.approx(float(mapped["mapped_area_ha"].iloc[0]), rel=0.02)
    scale_bar = next(a for a in ax.artists if a.get_gid() == "scale bar")
    _inside_the_figure(fig, [legend, ax.xaxis.label, ax.yaxis.label, scale_bar])
    assert ax.get_ylabel() == "northing (km)" and ax.get_xlabel() == "easting (km), EPSG:26917"


def test_plot_map_of_carbon_in_co2e(notebook_project: Path, tmp_path: Path) -> None:
    from bluecarbon import open_catalog
    from bluecarbon.plots import map_figure
    from bluecarbon.units import CO2E_PER_C

    out = tmp_path / "carbon.png"
    config = notebook_project / "bluecarbon.toml"
    args = ["plot", "map", "rufiji_delta/carbon", "--basis", "CO2e", "-o", str(out), "-c", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _ink(_png(out)) > 0.3
    cat = open_catalog(notebook_project)
    fig = map_figure(cat, "rufiji_delta/carbon", basis="CO2e")
    assert fig.get_suptitle() == "Rufiji Delta, Tanzania: Carbon stock, 2019"  # the name the release records
    colourbar = fig.axes[1]
    assert colourbar.get_ylabel() == "Carbon stock (t CO2e ha-1)"
    shown = next(i for i in fig.axes[0].images if i.get_label() == "quantity").get_array()
    stock = cat.open("rufiji_delta/carbon")["carbon_stock"].sel(year=2019).to_numpy()
    assert float(shown.max()) == pytest.approx(float(np.nanmax(stock)) * CO2E_PER_C, rel=1e-6)
    # water holds no carbon: masked (NaN) in the image, drawn as the pale water background
    habitat = cat.open("rufiji_delta/habitat")["habitat"].sel(year=2019).to_numpy()
    water = (habitat == Habitat.WATER.code) & (stock == 0)
    assert water.any() and bool(np.ma.getmaskarray(shown)[water].all())
    _inside_the_figure(fig, [fig.legends[0], colourbar.yaxis.label, fig.axes[0].yaxis.label])


def test_net_sequestration_map_says_per_period(notebook_project: Path) -> None:
    from bluecarbon import open_catalog
    from bluecarbon.plots import map_figure

    cat = open_catalog(notebook_project)
    fig = map_figure(
        cat, "rufiji_delta/carbon", variable="net_sequestration", period="2016-2017", site_names=NAMES
    )
    assert fig.get_suptitle() == "Rufiji Delta, Tanzania: Net sequestration, 2016-2017"
    assert fig.axes[1].get_ylabel() == "Net sequestration (Mg C ha-1 per period 2016-2017)"
    norm = fig.axes[0].images[0].norm
    assert norm.vmin == -norm.vmax


def test_plot_series_with_bands(notebook_project: Path, tmp_path: Path) -> None:
    from bluecarbon import open_catalog
    from bluecarbon.plots import series_figure

    out = tmp_path / "series.png"
    config = notebook_project / "bluecarbon.toml"
    args = ["plot", "series", "old_tampa_bay", "-o", str(out), "-c", str(config), "--release", "latest"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    image = _png(out)
    assert image.shape[:2] == (1224, 1080)  # 9 x (1 + 4 x 2.3) in at 120 dpi
    assert _ink(image) > 0.05
    fig = series_figure(open_catalog(notebook_project), "old_tampa_bay", site_names=NAMES)
    assert fig.get_suptitle().startswith("Old Tampa Bay, Florida, USA (release ")
    site, area, stock, flux = fig.axes
    assert site.get_ylabel().startswith("Site net flux, all classes")
    assert area.get_ylabel() == "Habitat area\n(ha)" and stock.get_ylabel() == "Carbon stock\n(t C)"
    assert flux.get_ylabel() == "Net flux\n(t C yr-1)"
    for ax in (site, area, stock, flux):
        assert any(isinstance(c, PolyCollection) for c in ax.collections), "an uncertainty band"
    fig.draw_without_rendering()
    years = [t.get_text() for t in flux.get_xticklabels() if t.get_text()]  # the shared year axis
    assert years and all(label.isdigit() for label in years), years
    area_labels = [t.get_text() for t in area.get_legend().get_texts()]
    # Old Tampa Bay's maps have no accuracy assessment: the band is an assumed default
    assert area_labels == ["Seagrass", "Seagrass:\nassumed ±10 % (no accuracy assessment)"]
    site_labels = [t.get_text() for t in site.get_legend().get_texts()]
    assert {"sink (net removal)", "emitter (net emission)"} <= set(site_labels)
    _inside_the_figure(fig, [ax.get_legend() for ax in fig.axes])


def test_plot_series_of_harvest_removal(notebook_project: Path) -> None:
    from bluecarbon import open_catalog
    from bluecarbon.plots import series_figure

    fig = series_figure(open_catalog(notebook_project), "chn_mariculture", basis="CO2e")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "Harvest removal\n(t CO2e yr-1)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Shellfish aquaculture: tissue only" in labels and "Shellfish aquaculture: P5-P95" in labels


def test_plot_errors_name_what_exists(notebook_project: Path, tmp_path: Path) -> None:
    config = notebook_project / "bluecarbon.toml"
    out = str(tmp_path / "x.png")
    bad_site = runner.invoke(app, ["plot", "series", "atlantis", "-o", out, "-c", str(config)])
    assert bad_site.exit_code == 1
    assert "old_tampa_bay" in bad_site.output
    no_period = runner.invoke(
        app,
        [
            "plot",
            "map",
            "rufiji_delta/carbon",
            "--variable",
            "net_sequestration",
            "-o",
            out,
            "-c",
            str(config),
        ],
    )
    assert no_period.exit_code == 1
    assert "2016-2017" in no_period.output
    assert not Path(out).exists()
