"""The parcel map of a statement: data in the JSON, pixels only at render time.

A statement must be verifiable, so its map is data, not an image: the habitat classes of the
release clipped to the parcel's bounding box (nearest-neighbour resampled to at most
``MAX_CELLS`` cells on the long side), the grid's CRS and transform, and the parcel outline
in that CRS. :func:`render_map_png` draws it with a legend, a scale bar and a north arrow;
verification compares the data, which does not depend on the plotting library's version.

Drawing follows the figures of :mod:`bluecarbon.plots` (colours and the "no data" rule from
:mod:`bluecarbon.palette`, the same scale bar) with everything that is not data off the map:
the north arrow and the legend to its right, the scale bar under it, so none can cover the
parcel. Chinese labels need a font with CJK glyphs: fontconfig finds one
(:func:`bluecarbon.plots.fonts.cjk_font_file`) and matplotlib is told about it at render time, since its font cache
may predate the font's installation; without one a Chinese map is refused with the Debian
package to install, never drawn with boxes for glyphs.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
from shapely.geometry import mapping, shape

from bluecarbon import palette
from bluecarbon.errors import BlueCarbonError
from bluecarbon.plots.fonts import CJK_PACKAGE, cjk_font_family
from bluecarbon.plots.layout import nodata_backdrop
from bluecarbon.report.i18n import t
from bluecarbon.store import Store
from bluecarbon.store.release import ReleaseInfo
from bluecarbon.vocab import HABITAT_CODES, HABITAT_NAMES, Habitat

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_CELLS = 160
MARGIN = 0.05


def parcel_map(
    store: Store, info: ReleaseInfo, product: str | None, parcel: gpd.GeoDataFrame, year: int | None
) -> dict[str, Any]:
    """Map data for one parcel: class grid (codes, None = no data), transform, outline."""
    if product is None or year is None:  # no habitat map (e.g. a farm): the outline alone
        return _outline_only(parcel.to_crs(parcel.estimate_utm_crs()), year=None, tolerance=1.0)
    habitat = store.open_product(product, info)["habitat"].sel(year=year)
    crs = habitat.rio.crs
    outline = parcel.to_crs(crs)
    minx, miny, maxx, maxy = outline.total_bounds
    dx, dy = (maxx - minx) * MARGIN, (maxy - miny) * MARGIN
    xs, ys = habitat["x"].values, habitat["y"].values
    res = float(abs(xs[1] - xs[0])) if xs.size > 1 else 1.0
    x0, x1 = max(minx - dx, xs.min() - res / 2), min(maxx + dx, xs.max() + res / 2)
    y0, y1 = max(miny - dy, ys.min() - res / 2), min(maxy + dy, ys.max() + res / 2)
    if x1 <= x0 or y1 <= y0:  # parcel outside the mapped area
        return _outline_only(outline, year=year, tolerance=res / 2)
    cell = max((x1 - x0) / MAX_CELLS, (y1 - y0) / MAX_CELLS, res)
    nx, ny = max(1, math.ceil((x1 - x0) / cell)), max(1, math.ceil((y1 - y0) / cell))
    cx = x0 + cell * (np.arange(nx) + 0.5)
    cy = y1 - cell * (np.arange(ny) + 0.5)
    sampled = habitat.sel(x=cx, y=cy, method="nearest").values
    grid = [[None if not np.isfinite(v) else int(v) for v in row] for row in sampled]
    present = sorted({v for row in grid for v in row if v is not None})
    names = {str(code): Habitat.from_code(code).value for code in present}
    return {
        "crs": crs.to_string(),
        "year": year,
        "transform": [float(cell), 0.0, float(x0), 0.0, -float(cell), float(y1)],
        "grid": grid,
        "classes": names,
        "bounds": [float(minx), float(miny), float(maxx), float(maxy)],
        "outline": mapping(outline.geometry.iloc[0].simplify(res / 2)),
    }


def _outline_only(outline: gpd.GeoDataFrame, *, year: int | None, tolerance: float) -> dict[str, Any]:
    """Map data without a class grid: the parcel outline in its (projected) CRS."""
    minx, miny, maxx, maxy = outline.total_bounds
    return {
        "crs": outline.crs.to_string(),
        "grid": None,
        "transform": None,
        "year": year,
        "bounds": [float(minx), float(miny), float(maxx), float(maxy)],
        "outline": mapping(outline.geometry.iloc[0].simplify(tolerance)),
        "classes": {},
    }


def map_font_family(lang: str) -> str | None:
    """The font family of a map in ``lang`` (None: matplotlib's default); Chinese needs CJK
    glyphs and raises :class:`BlueCarbonError` naming the package to install without them."""
    if lang != "zh":
        return None
    family = cjk_font_family()
    if family is None:
        raise BlueCarbonError(
            "no font with Chinese glyphs found for the statement map: install one (Debian/Ubuntu: "
            f"apt install {CJK_PACKAGE}); fontconfig's fc-match :lang=zh-cn must name it"
        )
    return family


def _grid_array(data: dict[str, Any]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in data["grid"]], dtype=float)


def _grid_extent(data: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """(left, right, bottom, top) of the class grid, None without one."""
    if not data.get("grid") or not data.get("transform"):
        return None
    a, _, c, _, e, f = data["transform"]
    rows, cols = len(data["grid"]), len(data["grid"][0])
    return (c, c + a * cols, f + e * rows, f)


def _map_size(data: dict[str, Any]) -> tuple[float, float]:
    """Figure size: a 4 in wide map (height by its aspect, 2.6 to 5.6 in) and a 2.6 in
    column to its right for the north arrow and the legend: shown at about its size on an A4
    page, so its 9-10 pt labels stay readable."""
    left, right, bottom, top = _view(data, _grid_extent(data))
    aspect = (top - bottom) / max(right - left, 1e-9)
    map_h = min(max(4.0 * aspect, 2.6), 5.6)
    return 4.0 + 2.6, map_h + 1.1


def _view(
    data: dict[str, Any], extent: tuple[float, float, float, float] | None
) -> tuple[float, float, float, float]:
    """Map limits: the parcel's bounds with a margin, and the class grid's extent."""
    minx, miny, maxx, maxy = data["bounds"]
    pad = (MARGIN if extent is not None else 0.1) * max(maxx - minx, maxy - miny)
    view = (minx - pad, maxx + pad, miny - pad, maxy + pad)
    if extent is None:
        return view
    return (
        min(view[0], extent[0]),
        max(view[1], extent[1]),
        min(view[2], extent[2]),
        max(view[3], extent[3]),
    )


def parcel_map_figure(data: dict[str, Any], lang: str, *, dpi: int = 110) -> Figure:
    """The parcel map (classes, outline, legend, scale bar, north arrow) as a figure whose
    every artist lies inside it; the north arrow, legend and scale bar sit off the map."""
    from matplotlib import rc_context
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from bluecarbon.plots import add_scale_bar

    family = map_font_family(lang)
    with rc_context({"font.family": [family, "DejaVu Sans"]} if family else {}):
        fig = Figure(figsize=_map_size(data), dpi=dpi, layout="constrained")
        ax = fig.add_subplot()
        handles: list[Any] = []
        extent = _grid_extent(data)
        if extent is not None:
            grid = _grid_array(data)
            codes = sorted(HABITAT_CODES.values())
            cmap = ListedColormap(
                [palette.HABITAT_COLOURS[Habitat.from_code(code)] for code in codes]
            ).with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
            bounds = [codes[0] - 0.5, *[code + 0.5 for code in codes]]
            # no data wherever the habitat map has no class, around the grid too
            nodata_backdrop(ax, _view(data, extent))
            image = ax.imshow(
                np.ma.masked_invalid(grid),
                extent=extent,
                cmap=cmap,
                norm=BoundaryNorm(bounds, cmap.N),
                interpolation="nearest",
            )
            image.set_label("habitat")
            for _code, name in sorted(data["classes"].items(), key=lambda kv: int(kv[0])):
                colour = palette.HABITAT_COLOURS[Habitat(name)]
                handles.append(
                    Patch(facecolor=colour, edgecolor=palette.PATCH_EDGE, label=HABITAT_NAMES[name][lang])
                )
            if np.isnan(grid).any():
                handles.append(
                    Patch(
                        facecolor=palette.NODATA_FACE,
                        edgecolor=palette.NODATA_EDGE,
                        hatch=palette.NODATA_HATCH,
                        label=t("no_data", lang),
                    )
                )
        outline = shape(data["outline"])
        for poly in getattr(outline, "geoms", [outline]):
            x, y = poly.exterior.xy
            ax.plot(x, y, color=palette.PARCEL_OUTLINE, linewidth=1.6)
        handles.append(
            Patch(facecolor="none", edgecolor=palette.PARCEL_OUTLINE, linewidth=1.6, label=t("parcel", lang))
        )
        left, right, bottom, top = _view(data, extent)
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        add_scale_bar(ax, fontsize=10, outside=True)
        ax.annotate(
            "",
            xy=(1.07, 1.0),
            xytext=(1.07, 0.86),
            xycoords="axes fraction",
            arrowprops={"arrowstyle": "-|>", "color": palette.INK, "linewidth": 1.6, "mutation_scale": 16},
        )
        ax.text(1.03, 0.84, t("north", lang), transform=ax.transAxes, ha="left", va="top", fontsize=9.5)
        legend = ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.03, 0.74),
            borderaxespad=0.0,
            fontsize=10,
            frameon=False,
        )
        legend.set_gid("map legend")
        year = f", {data['year']}" if data.get("year") else ""
        ax.set_title(f"{t('map', lang)} ({data['crs']}{year})", fontsize=11)
        fig.draw_without_rendering()
    return fig


def render_map_png(data: dict[str, Any], lang: str, *, dpi: int = 110) -> bytes:
    """Draw the parcel map (classes, outline, legend, scale bar, north arrow) as PNG bytes."""
    from matplotlib import rc_context

    fig = parcel_map_figure(data, lang, dpi=dpi)
    family = map_font_family(lang)
    buffer = io.BytesIO()
    with rc_context({"font.family": [family, "DejaVu Sans"]} if family else {}):
        fig.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.08, facecolor=palette.PAPER)
    return buffer.getvalue()
