"""The parts of a map figure: CRS-aware axes in km, the scale bar, the "no data" backdrop, a
figure sized to the map's aspect ratio and legends below it.

Why a module of its own: habitat maps, carbon maps and the statement maps
(:mod:`bluecarbon.report.maps`, which borrows :func:`add_scale_bar`) draw the same frame, so
the frame is built once here and the map modules only choose colours and legends. Pixel areas
come from :func:`bluecarbon.geo.pixel_area_ha` (None off a projected CRS in metres, so no area
is shown rather than a wrong one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import xarray as xr
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from bluecarbon import palette
from bluecarbon.errors import InputError
from bluecarbon.geo import pixel_area_ha
from bluecarbon.plots.common import (
    GroupedFormatter,
)
from bluecarbon.plots.language import localise_figure, suptitle

if TYPE_CHECKING:
    from matplotlib.axes import Axes


# ---------------------------------------------------------------------------- map parts
@dataclass(frozen=True)
class _Crs:
    xlabel: str
    ylabel: str
    metres: float | None  # metres per CRS unit; None when not a projected CRS in metres


def _crs(da: xr.DataArray) -> _Crs:
    """Axis labels (km for projected CRSs in metres) and the metres per CRS unit."""
    wkt = da.coords["spatial_ref"].attrs.get("crs_wkt") if "spatial_ref" in da.coords else None
    if not wkt:
        return _Crs("x", "y", None)
    from pyproj import CRS

    crs = CRS.from_wkt(wkt)
    epsg = crs.to_epsg()
    name = f"EPSG:{epsg}" if epsg else crs.name
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    # the CRS is named once, under the map: a short y label fits beside a wide map
    if crs.is_projected and unit in ("metre", "meter"):
        return _Crs(f"easting (km), {name}", "northing (km)", 1.0)
    if crs.is_geographic:
        return _Crs(f"longitude (degrees), {name}", "latitude (degrees)", None)
    return _Crs(f"x ({unit}), {name}", f"y ({unit})", None)


def _spatial(da: xr.DataArray) -> xr.DataArray:
    extra = [str(d) for d in da.dims if d not in ("y", "x")]
    if extra or set(da.dims) != {"y", "x"}:
        raise InputError(
            f"a map needs a (y, x) layer; {da.name!r} has dims {da.dims}",
            column=str(da.name),
            expected="select one " + ", ".join(extra) + " first" if extra else "dims y and x",
        )
    return da.transpose("y", "x")


def _stride(da: xr.DataArray, max_size: int) -> int:
    return max(1, math.ceil(max(da.sizes["y"], da.sizes["x"]) / max_size))


def _extent(
    da: xr.DataArray,
) -> tuple[tuple[float, float, float, float], Literal["upper", "lower"]]:
    x, y = da["x"].to_numpy(), da["y"].to_numpy()
    dx = float(x[1] - x[0]) if x.size > 1 else 1.0
    dy = float(y[1] - y[0]) if y.size > 1 else -1.0
    left, right = float(x[0]) - dx / 2, float(x[-1]) + dx / 2
    first, last = float(y[0]) - dy / 2, float(y[-1]) + dy / 2
    # imshow draws row 0 at the top with origin "upper": the extent lists bottom then top.
    if dy < 0:
        return (left, right, last, first), "upper"
    return (left, right, first, last), "lower"


def _pixel_area_ha(da: xr.DataArray, metres: float | None) -> float | None:
    """Pixel area for legend areas; None (no areas shown) off a projected CRS in metres."""
    if metres is None or da.sizes["x"] < 2 or da.sizes["y"] < 2:
        return None
    return pixel_area_ha(da)


def nice_length(span: float) -> float:
    """A round scale-bar length near a quarter of ``span`` (1, 2 or 5 x 10^k)."""
    target = span / 4.0
    exponent = math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * 10**exponent <= target:
            return float(step * 10**exponent)
    return float(10**exponent)


def add_scale_bar(
    ax: Axes,
    *,
    metres_per_unit: float = 1.0,
    fontsize: float = 8.0,
    loc: str = "lower right",
    outside: bool = False,
) -> Any:
    """A scale bar (``5 km``, ``500 m``) in data units of a projected map.

    ``outside`` puts it under the axes' lower-left corner, off the data, without a frame.
    """
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length_m = nice_length(abs(x1 - x0) * metres_per_unit)
    label = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    where = {"loc": "upper left", "bbox_to_anchor": (0.0, -0.01), "bbox_transform": ax.transAxes}
    bar = AnchoredSizeBar(
        ax.transData,
        length_m / metres_per_unit,
        label,
        **(where if outside else {"loc": loc}),
        pad=0.35,
        borderpad=0.1 if outside else 0.6,
        sep=3,
        frameon=not outside,
        size_vertical=abs(y1 - y0) / 120,
        color=palette.INK,
        fontproperties=FontProperties(size=fontsize),
    )
    if not outside:
        bar.patch.set_alpha(0.85)
        bar.patch.set_edgecolor(palette.FRAME_EDGE)
    bar.set_gid("scale bar")
    ax.add_artist(bar)
    return bar


def _km_ticks(ax: Axes, crs: _Crs) -> None:
    """Axis labels, with tick labels in km on projected maps in metres."""
    ax.set_xlabel(crs.xlabel, fontsize=9)
    ax.set_ylabel(crs.ylabel, fontsize=9)
    if crs.metres is not None:
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
            axis.set_major_formatter(GroupedFormatter(scale=crs.metres / 1000.0))
    else:
        ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=7)


def nodata_backdrop(ax: Axes, extent: tuple[float, float, float, float]) -> None:
    """White under a grey hatch beneath the image: pixels without data (masked, drawn
    transparent) show it. The statement maps draw theirs with it too."""
    left, right, bottom, top = extent
    ax.add_patch(
        Rectangle(
            (left, bottom),
            right - left,
            top - bottom,
            facecolor=palette.NODATA_FACE,
            edgecolor=palette.NODATA_EDGE,
            hatch=palette.NODATA_HATCH,
            linewidth=0,
            zorder=-2,
        )
    )


NODATA_LABEL = "No data (outside the mapped area)"


def _nodata_patch() -> Patch:
    return Patch(
        facecolor=palette.NODATA_FACE,
        edgecolor=palette.NODATA_EDGE,
        hatch=palette.NODATA_HATCH,
        label=NODATA_LABEL,
    )


_TITLE_IN, _AXIS_IN, _LEGEND_ROW_IN = 0.95, 0.6, 0.24


@dataclass(frozen=True)
class _MapAxes:
    """A map's figure and axes, and the size (inches) its data area should have."""

    fig: Figure
    ax: Axes
    width: float
    height: float


def _map_figure(extent: tuple[float, float, float, float], *, colourbar: bool, legend_rows: int) -> _MapAxes:
    """A constrained-layout figure, first guess of a size that fits the map's aspect ratio
    (:func:`_fit_to_map` makes it exact once everything is drawn)."""
    left_in, right_in = 0.95, (1.35 if colourbar else 0.25)
    aspect = abs(extent[3] - extent[2]) / max(abs(extent[1] - extent[0]), 1e-12)
    map_w = 7.5 - left_in - right_in
    map_h = map_w * aspect
    if map_h > 7.0:  # tall maps: keep the height, narrow the figure
        map_h = 7.0
        map_w = map_h / aspect
    elif map_h < 2.0:  # wide maps: a wider figure, so the map stays readable
        map_w = min(2.0 / aspect, 10.0)
        map_h = max(map_w * aspect, 1.4)  # never lower than its y label
    legend_in = (0.35 + _LEGEND_ROW_IN * legend_rows) if legend_rows else 0.0
    size = (max(left_in + map_w + right_in, 5.0), _TITLE_IN + map_h + _AXIS_IN + legend_in)
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    return _MapAxes(fig, ax, map_w, map_h)


def _fit_to_map(m: _MapAxes) -> None:
    """Size the figure so that the map's data area is exactly ``m.width`` x ``m.height``
    inches, then freeze the layout and make the aspect equal.

    Constrained layout and an equal-aspect axes disagree (the layout measures the axes
    before the aspect shrinks it, so margins lag a draw behind): the layout is run with a
    free aspect while the figure is sized, and frozen before the aspect is fixed, which then
    moves nothing but a rounding. The figure is never narrower than its legends: a tall map
    may have room at its sides.
    """
    fig, ax = m.fig, m.ax
    localise_figure(fig)
    ax.set_aspect("auto")  # imshow made it equal
    for _ in range(8):
        fig.draw_without_rendering()
        box = ax.get_position()
        width, height = fig.get_size_inches()
        short_w, short_h = m.width - box.width * width, m.height - box.height * height
        legends = [legend.get_window_extent().width / fig.dpi + 0.3 for legend in fig.legends]
        if (title := suptitle(fig)) is not None:  # never narrower than its (wrapped) title
            legends.append(title.get_window_extent().width / fig.dpi + 0.3)
        new_w = max(width + short_w, 4.0, *legends)
        if abs(new_w - width) < 0.005 and abs(short_h) < 0.005:
            break
        fig.set_size_inches(new_w, height + short_h)
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    ax.set_aspect("equal")


def _titles(fig: Figure, ax: Axes, title: str, note: str | None) -> None:
    """Title above the figure; a note on the release and how the map was drawn, in grey."""
    fig.suptitle(title, fontsize=11)
    if note:
        ax.set_title(note, fontsize=8, color=palette.NOTE_TEXT)


def _legend_below(fig: Figure, handles: Sequence[Any], *, title: str | None, ncols: int) -> Any:
    legend = fig.legend(
        handles=list(handles),
        loc="outside lower center",
        ncols=max(1, ncols),
        fontsize=8,
        title=title,
        title_fontsize=8,
        frameon=False,
    )
    legend.set_gid("map legend")
    return legend
