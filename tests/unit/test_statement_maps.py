"""The parcel map of a statement, drawn from hand-made map data: Chinese glyphs from a CJK
font (or a clear refusal), north arrow, legend and scale bar off the parcel and inside the
image, the shared palette, no global matplotlib state left behind."""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.font_manager import findfont

from bluecarbon import palette
from bluecarbon.errors import BlueCarbonError
from bluecarbon.plots import fonts
from bluecarbon.report import maps
from bluecarbon.report.i18n import t
from bluecarbon.vocab import HABITAT_NAMES, Habitat
from tests.conftest import missing_system_package


def _map_data(*, grid: bool = True) -> dict[str, Any]:
    """A 20 x 30 cell class grid (100 m cells, UTM), seagrass in a parcel, no data in a
    corner, and the parcel outline."""
    cells = [[8] * 30 for _ in range(20)]
    for row in range(5, 15):
        for col in range(8, 22):
            cells[row][col] = 1
    for row in range(0, 3):
        for col in range(0, 4):
            cells[row][col] = None  # type: ignore[call-overload]
    outline = {
        "type": "Polygon",
        "coordinates": [
            [
                (500700.0, 4000500.0),
                (502300.0, 4000500.0),
                (502300.0, 4001600.0),
                (500700.0, 4001600.0),
                (500700.0, 4000500.0),
            ]
        ],
    }
    data: dict[str, Any] = {
        "crs": "EPSG:32651",
        "year": 2022,
        "bounds": [500700.0, 4000500.0, 502300.0, 4001600.0],
        "outline": outline,
        "classes": {"1": "seagrass", "8": "other"},
        "transform": [100.0, 0.0, 500000.0, 0.0, -100.0, 4002000.0],
        "grid": cells,
    }
    if not grid:
        data.update(grid=None, transform=None, year=None, classes={})
    return data


def _renderer(fig: Any) -> Any:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _boxes(fig: Any) -> dict[str, Any]:
    renderer = _renderer(fig)
    ax = fig.axes[0]
    north = next(text for text in ax.texts if text.get_text() in (t("north", "en"), t("north", "zh")))
    bar = next(a for a in ax.artists if a.get_gid() == "scale bar")
    return {
        "axes": ax.get_window_extent(renderer),
        "north": north.get_window_extent(renderer),
        "legend": ax.get_legend().get_window_extent(renderer),
        "scale bar": bar.get_window_extent(renderer),
        "figure": fig.bbox,
    }


def _disjoint(a: Any, b: Any) -> bool:
    return bool(a.x1 <= b.x0 + 1 or b.x1 <= a.x0 + 1 or a.y1 <= b.y0 + 1 or b.y1 <= a.y0 + 1)


@pytest.mark.parametrize("grid", [True, False])
def test_north_legend_and_scale_bar_are_off_the_map_and_inside_the_figure(grid: bool) -> None:
    boxes = _boxes(maps.parcel_map_figure(_map_data(grid=grid), "en"))
    figure = boxes.pop("figure")
    axes = boxes.pop("axes")
    for name, box in boxes.items():
        assert _disjoint(box, axes), f"the {name} must not cover the parcel"
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= figure.x1 and box.y1 <= figure.y1, name


def test_map_uses_the_shared_palette_and_hatches_no_data() -> None:
    fig = maps.parcel_map_figure(_map_data(), "en")
    ax = fig.axes[0]
    image = next(i for i in ax.images if i.get_label() == "habitat")
    assert to_hex(image.cmap(image.norm(Habitat.SEAGRASS.code))) == palette.HABITAT_COLOURS[Habitat.SEAGRASS]
    assert to_hex(image.cmap(image.norm(Habitat.OTHER.code))) == palette.HABITAT_COLOURS[Habitat.OTHER]
    assert bool(image.get_array().mask[0, 0]), "no data is masked, shown as the hatched backdrop"
    legend = ax.get_legend()
    labels = [text.get_text() for text in legend.get_texts()]
    assert labels == [
        HABITAT_NAMES["seagrass"]["en"],
        HABITAT_NAMES["other"]["en"],
        t("no_data", "en"),
        "Parcel",
    ]
    assert legend.legend_handles[2].get_hatch() == palette.NODATA_HATCH
    assert all(text.get_fontsize() >= 9 for text in legend.get_texts()), "readable on an A4 page"


def test_chinese_map_draws_with_a_cjk_font() -> None:
    if fonts.cjk_font_file() is None:
        with pytest.raises(BlueCarbonError, match=fonts.CJK_PACKAGE):
            maps.parcel_map_figure(_map_data(), "zh")
        missing_system_package(
            "no CJK font installed (Debian: fonts-noto-cjk): the refusal was checked instead"
        )
    before = list(matplotlib.rcParams["font.family"])
    fig = maps.parcel_map_figure(_map_data(), "zh")
    texts = [*fig.axes[0].get_legend().get_texts(), fig.axes[0].title]
    for text in texts:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text.get_text())
        font = findfont(text.get_fontproperties(), fallback_to_default=False)
        assert "CJK" in font or "Han" in font or "WenQuanYi" in font, f"{text.get_text()}: {font}"
    assert list(matplotlib.rcParams["font.family"]) == before, "no global font change"
    png = maps.render_map_png(_map_data(), "zh")
    assert png.startswith(b"\x89PNG")


def test_chinese_map_without_a_cjk_font_is_refused_naming_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(maps, "cjk_font_family", lambda: None)
    with pytest.raises(BlueCarbonError, match="apt install fonts-noto-cjk"):
        maps.render_map_png(_map_data(), "zh")
    assert maps.render_map_png(_map_data(), "en").startswith(b"\x89PNG"), "English needs no CJK font"


def test_png_is_cropped_to_the_drawing() -> None:
    from io import BytesIO

    from PIL import Image

    image = np.asarray(Image.open(BytesIO(maps.render_map_png(_map_data(), "en"))).convert("L"))
    for edge in (image[:3], image[-3:], image[:, :3], image[:, -3:]):
        assert edge.min() > 200, "a thin white margin only"
