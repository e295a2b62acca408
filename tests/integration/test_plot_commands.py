"""`bluecarbon plot` on a real published release: PNG files a person can read.

The PNGs are checked as images (size, share of non-background pixels, more than a handful
of colours) and the figures as objects (legend or colour bar with units; uncertainty bands)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.image import imread
from typer.testing import CliRunner

from bluecarbon.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def _png(path: Path) -> np.ndarray:
    image = imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    return image[..., :3]


def _ink(image: np.ndarray) -> float:
    """Share of pixels that are not white background."""
    return float((image.min(axis=2) < 0.95).mean())


def test_plot_map_of_a_habitat_product(notebook_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "habitat.png"
    config = notebook_project / "bluecarbon.toml"
    args = ["plot", "map", "old_tampa_bay/habitat", "--year", "2022", "-o", str(out), "-c", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    image = _png(out)
    assert image.shape[:2] == (720, 900)  # 7.5 x 6 in at 120 dpi
    assert _ink(image) > 0.3
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 20


def test_habitat_map_legend_matches_the_release(notebook_project: Path) -> None:
    from bluecarbon import open_catalog
    from bluecarbon.plots import map_figure

    cat = open_catalog(notebook_project)
    fig = map_figure(cat, "old_tampa_bay/habitat", year=2022)
    legend = fig.axes[0].get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[-1] == "no data"
    seagrass = next(label for label in labels if label.startswith("seagrass (1): "))
    pixels_ha = float(seagrass.split(": ")[1].removesuffix(" ha").replace(",", ""))
    totals = cat.table("class_totals")
    mapped = totals.query("site == 'old_tampa_bay' and habitat == 'seagrass' and year == 2022")
    # 20 m pixels on UTM against polygon areas on EPSG:6933: within 2 %
    assert pixels_ha == pytest.approx(float(mapped["mapped_area_ha"].iloc[0]), rel=0.02)


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
    colourbar = fig.axes[1]
    assert colourbar.get_ylabel() == "carbon stock (t CO2e ha-1)"
    shown = fig.axes[0].images[0].get_array()
    stock = cat.open("rufiji_delta/carbon")["carbon_stock"].sel(year=2019).to_numpy()
    assert float(shown.max()) == pytest.approx(float(np.nanmax(stock)) * CO2E_PER_C, rel=1e-6)


def test_plot_series_with_bands(notebook_project: Path, tmp_path: Path) -> None:
    from bluecarbon import open_catalog
    from bluecarbon.plots import series_figure

    out = tmp_path / "series.png"
    config = notebook_project / "bluecarbon.toml"
    args = ["plot", "series", "old_tampa_bay", "-o", str(out), "-c", str(config), "--release", "latest"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    image = _png(out)
    assert image.shape[:2] == (888, 960)  # 8 x (2.6 + 2 x 2.4) in at 120 dpi
    assert _ink(image) > 0.05
    fig = series_figure(open_catalog(notebook_project), "old_tampa_bay")
    area, stock = fig.axes
    assert area.get_ylabel() == "habitat area (ha)" and stock.get_ylabel() == "carbon stock (t C)"
    for ax in (area, stock):
        assert any(isinstance(c, PolyCollection) for c in ax.collections), "an uncertainty band"
        assert ax.get_legend().get_texts()[0].get_text() == "seagrass"


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
