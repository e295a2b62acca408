"""The parcel map of a statement: data in the JSON, pixels only at render time.

A statement must be verifiable, so its map is data, not an image: the habitat classes of the
release clipped to the parcel's bounding box (nearest-neighbour resampled to at most
``MAX_CELLS`` cells on the long side), the grid's CRS and transform, and the parcel outline
in that CRS. :func:`render_map_png` draws it with a legend, a scale bar and a north arrow;
verification compares the data, which does not depend on the plotting library's version.
"""

from __future__ import annotations

import io
import math
from typing import Any

import geopandas as gpd
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
from shapely.geometry import mapping, shape

from bluecarbon.report.i18n import HABITAT_NAMES, t
from bluecarbon.store import Store
from bluecarbon.store.release import ReleaseInfo
from bluecarbon.vocab import HABITAT_CODES, Habitat

MAX_CELLS = 160
MARGIN = 0.05
COLOURS = {
    "seagrass": "#2e8b57",
    "salt_marsh": "#9acd32",
    "mangrove": "#006400",
    "tidal_flat": "#d2b48c",
    "shellfish_aquaculture": "#cd853f",
    "seaweed_aquaculture": "#8fbc8f",
    "water": "#a6cee3",
    "other": "#e8e8e8",
}


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


def _nice_length(span: float) -> float:
    """A round scale-bar length near a quarter of ``span`` (1, 2 or 5 x 10^k)."""
    target = span / 4.0
    exponent = math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * 10**exponent <= target:
            return float(step * 10**exponent)
    return float(10**exponent)


def render_map_png(data: dict[str, Any], lang: str, *, dpi: int = 110) -> bytes:
    """Draw the parcel map (classes, outline, legend, scale bar, north arrow) as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import FancyArrow, Patch

    from bluecarbon.report.render import cjk_font_family

    family = cjk_font_family()
    if family:
        plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=dpi)
    handles = []
    if data.get("grid"):
        grid = np.array([[np.nan if v is None else v for v in row] for row in data["grid"]], dtype=float)
        a, _, c, _, e, f = data["transform"]
        extent = (c, c + a * grid.shape[1], f + e * grid.shape[0], f)
        codes = sorted(HABITAT_CODES.values())
        cmap = ListedColormap([COLOURS[Habitat.from_code(code).value] for code in codes])
        ax.imshow(
            grid,
            extent=extent,
            cmap=cmap,
            vmin=min(codes) - 0.5,
            vmax=max(codes) + 0.5,
            interpolation="nearest",
        )
        for _code, name in sorted(data["classes"].items(), key=lambda kv: int(kv[0])):
            handles.append(
                Patch(facecolor=COLOURS[name], edgecolor="#555555", label=HABITAT_NAMES[name][lang])
            )
    outline = shape(data["outline"])
    polys = getattr(outline, "geoms", [outline])
    for poly in polys:
        x, y = poly.exterior.xy
        ax.plot(x, y, color="#c00000", linewidth=1.6)
    handles.append(Patch(facecolor="none", edgecolor="#c00000", label=t("parcel", lang)))
    minx, miny, maxx, maxy = data["bounds"]
    if not data.get("grid"):
        pad = 0.1 * max(maxx - minx, maxy - miny)
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    length = _nice_length(x_hi - x_lo)
    bx, by = x_lo + 0.05 * (x_hi - x_lo), y_lo + 0.06 * (y_hi - y_lo)
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + 0.02 * (y_hi - y_lo), label, ha="center", va="bottom", fontsize=8)
    nx, ny = x_hi - 0.07 * (x_hi - x_lo), y_hi - 0.2 * (y_hi - y_lo)
    ax.add_patch(
        FancyArrow(
            nx,
            ny,
            0,
            0.1 * (y_hi - y_lo),
            width=0.012 * (x_hi - x_lo),
            head_width=0.04 * (x_hi - x_lo),
            head_length=0.04 * (y_hi - y_lo),
            color="black",
        )
    )
    ax.text(nx, ny - 0.03 * (y_hi - y_lo), t("north", lang), ha="center", va="top", fontsize=7)
    ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    ax.set_title(
        f"{t('map', lang)} ({data['crs']}{', ' + str(data['year']) if data.get('year') else ''})", fontsize=9
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()
