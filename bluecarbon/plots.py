"""Figures for people who would rather look than read: habitat maps, carbon maps and time
series with their uncertainty bands.

Shaped for three callers at once (notebooks, ``bluecarbon plot`` and tests):

- The figure functions take data (a DataArray, a totals DataFrame) and return a
  :class:`matplotlib.figure.Figure`. They never call ``pyplot``, open a store or read the
  configuration, so no global plotting state leaks between calls, they run headless with
  matplotlib's Agg canvas, and a notebook displays the returned figure as it is.
- Labels come from the data, not from the caller: units from the ``units`` attribute, the
  carbon basis from ``carbon_basis`` (``Mg C ha-1``), the period of a per-period quantity
  from its ``period`` coordinate (``Mg C ha-1 per period 2016-2017``), habitat names from the
  CF ``flag_values``/``flag_meanings`` attributes. Identifiers become words in one place
  (:func:`id_label`, :func:`site_label`): a figure never shows ``net_sequestration``. A CO2e
  view converts with :func:`bluecarbon.units.to_basis`, the one C-to-CO2e factor of the code
  base.
- Colours and the "no data" / water / non-habitat rules come from :mod:`bluecarbon.palette`,
  shared with the statement maps.
- Everything a figure shows is inside the figure: legends sit outside the axes (never over
  data or a band) in space the constrained layout reserves, and map figures are sized to the
  map's aspect ratio, so there is no empty band above or beside a map.
- :func:`map_figure` and :func:`series_figure` are the thin glue from a catalog and a few
  names to a figure; :func:`save_png` writes it. That is all the CLI needs.

Maps are computed only at display resolution: large grids are thinned (categorical maps by
taking every k-th pixel, continuous maps by block means) to at most ``max_size`` pixels a
side, and the figure says so. Class areas in a habitat map's legend are counted on the full
grid, lazily, in one pass. Carbon maps mask the pixels that hold no carbon because they are
not habitat (water, and other non-habitat classes where the value is exactly zero) and draw
them as a pale background, so that a zero of the colour scale always means a habitat pixel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import Formatter, MaxNLocator, StrMethodFormatter

from bluecarbon import palette
from bluecarbon.errors import InputError
from bluecarbon.geo import pixel_area_ha
from bluecarbon.report.i18n import HABITAT_NAMES, POOL_NAMES
from bluecarbon.units import mass_and_rest, to_basis
from bluecarbon.vocab import BLUE_CARBON_HABITATS, CarbonBasis, Habitat, flag_attrs

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bluecarbon.catalog.api import Catalog
    from bluecarbon.store.release import ReleaseInfo

#: One colour per habitat class, shared by every map (see :mod:`bluecarbon.palette`).
HABITAT_COLOURS = palette.HABITAT_COLOURS


@dataclass(frozen=True)
class SeriesQuantity:
    """A quantity of the ``class_totals`` table drawn as a line with an uncertainty band.

    ``per_period`` quantities are rates over a period (``flux_period_start`` to
    ``flux_period_end``) and are drawn as steps across it; ``companion`` is a second column
    drawn beside the value (the tissue-only part of a harvest removal).
    """

    name: str
    label: str
    column: str
    low: str | None  # band columns, or None when the band is value -/+ ``half_width``
    high: str | None
    half_width: str | None
    band_label: str
    units: str  # canonical units of the carbon-basis columns (or plain units)
    carbon: bool
    per_period: bool = False
    companion: str | None = None
    companion_label: str = ""


SERIES_QUANTITIES: dict[str, SeriesQuantity] = {
    q.name: q
    for q in (
        SeriesQuantity("area", "Habitat area", "area_ha", None, None, "area_ci_ha", "95 % CI", "ha", False),
        SeriesQuantity(
            "stock", "Carbon stock", "stock_t_c", "stock_p5_t_c", "stock_p95_t_c", None, "P5-P95", "Mg", True
        ),
        SeriesQuantity(
            "net_flux",
            "Net flux",
            "net_flux_t_c_yr",
            "net_flux_p5_t_c_yr",
            "net_flux_p95_t_c_yr",
            None,
            "P5-P95",
            "Mg yr-1",
            True,
            per_period=True,
        ),
        SeriesQuantity(
            "removal",
            "Harvest removal",
            "removal_t_c_yr",
            "removal_p5_t_c_yr",
            "removal_p95_t_c_yr",
            None,
            "P5-P95",
            "Mg yr-1",
            True,
            companion="tissue_removal_t_c_yr",
            companion_label="tissue only",
        ),
    )
}
#: The site panel: net flux over all classes of a site, from the ``site_balance`` table.
SITE_NET_FLUX = "site_net_flux"
QUANTITY_NAMES: tuple[str, ...] = (SITE_NET_FLUX, *SERIES_QUANTITIES)


# ------------------------------------------------------------------------------ labels
#: Words for the variables of the released products.
VARIABLE_LABELS: dict[str, str] = {
    "habitat": "Habitat",
    "subclass": "Habitat subclass",
    "carbon_stock": "Carbon stock",
    "carbon_stock_by_pool": "Carbon stock",
    "carbon_buried": "Carbon buried below the accounting depth",
    "carbon_accumulation": "Carbon accumulation",
    "carbon_emissions": "Carbon emissions",
    "net_sequestration": "Net sequestration",
    "total_net_sequestration": "Net sequestration",
    SITE_NET_FLUX: "Site net flux, all classes",
}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def id_label(identifier: str) -> str:
    """Words for an identifier of the code base: ``net_sequestration`` -> "Net
    sequestration", ``salt_marsh`` -> "Salt marsh", ``soil`` -> "Soil organic carbon (to 1 m)".

    Variables, habitats and pools have their own names (:data:`VARIABLE_LABELS`,
    :data:`bluecarbon.report.i18n.HABITAT_NAMES`, ``POOL_NAMES``); anything else has its
    underscores turned into spaces and its first letter capitalised.
    """
    key = str(identifier)
    if key in VARIABLE_LABELS:
        return VARIABLE_LABELS[key]
    if key in HABITAT_NAMES:
        return _sentence(HABITAT_NAMES[key]["en"])
    if key in POOL_NAMES:
        return _sentence(POOL_NAMES[key]["en"])
    if key in SERIES_QUANTITIES:
        return SERIES_QUANTITIES[key].label
    return _sentence(re.sub(r"[_\s]+", " ", key).strip())


def site_label(site: str, names: Mapping[str, str] | None = None) -> str:
    """The name of a site: ``names[site]`` when given (a study's ``name``), else its id in
    words (``old_tampa_bay`` -> "Old Tampa Bay"; ``chn_mariculture`` -> "CHN mariculture")."""
    if names and names.get(site):
        return str(names[site])
    country = re.fullmatch(r"([a-z]{3})_mariculture", site)
    if country:
        return f"{country.group(1).upper()} mariculture"
    return " ".join(w[:1].upper() + w[1:] for w in re.split(r"[_\-\s]+", site) if w)


def release_site_names(info: ReleaseInfo) -> dict[str, str]:
    """Site id -> name as the release's provenance records them (``study.sites``, as a
    mapping or a list of ``{"id", "name"}``); empty when the release does not."""
    study = (info.provenance or {}).get("study") or {}
    sites = study.get("sites") if isinstance(study, Mapping) else None
    if isinstance(sites, Mapping):
        return {str(k): str(v) for k, v in sites.items() if v}
    if isinstance(sites, list):
        return {str(s["id"]): str(s["name"]) for s in sites if isinstance(s, Mapping) and s.get("name")}
    return {}


def units_label(units: str, *, basis: str | None) -> str:
    """Units for an axis: the carbon basis next to the mass (``Mg C ha-1``, ``t CO2e ha-1``).

    ``basis`` None means the quantity is not a carbon mass: the units are returned as given.
    """
    if basis is None:
        return units
    _, per = mass_and_rest(units, column="units")
    mass = "Mg C" if _basis(basis) is CarbonBasis.C else "t CO2e"
    return f"{mass} {per}".strip()


def _basis(basis: str) -> CarbonBasis:
    for b in CarbonBasis:
        if basis.strip().lower() == b.value.lower():
            return b
    raise InputError(f"unknown carbon basis {basis!r}", column="basis", expected="'C' or 'CO2e'")


class GroupedFormatter(Formatter):
    """Tick labels with thousands separators and as many decimals as the tick spacing needs
    (1,500 / 2.5 / 0.25), never ``-0``; ``scale`` multiplies the values first (metres to km:
    0.001)."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self.decimals = 0

    def set_locs(self, locs: Any) -> None:
        super().set_locs(locs)
        values = np.asarray(locs, dtype=float) * self.scale
        steps = np.diff(np.sort(values))
        step = float(steps[steps > 0].min()) if (steps > 0).any() else 1.0
        # the fewest decimals that write every tick exactly (0.25 needs 2, 1,500 none)
        self.decimals = next(
            (d for d in range(7) if np.allclose(np.round(values, d), values, rtol=0, atol=step * 1e-6)), 6
        )

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = f"{x * self.scale:,.{self.decimals}f}"
        return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text


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


def _nodata_backdrop(ax: Axes, extent: tuple[float, float, float, float]) -> None:
    """White under a grey hatch beneath the image: pixels without data (masked, drawn
    transparent) show it."""
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
    ax.set_aspect("auto")  # imshow made it equal
    for _ in range(8):
        fig.draw_without_rendering()
        box = ax.get_position()
        width, height = fig.get_size_inches()
        short_w, short_h = m.width - box.width * width, m.height - box.height * height
        legends = [legend.get_window_extent().width / fig.dpi + 0.3 for legend in fig.legends]
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


# ------------------------------------------------------------------------- habitat maps
def habitat_classes(da: xr.DataArray) -> dict[int, str]:
    """Code -> class name from the CF ``flag_values``/``flag_meanings`` attributes (the
    shared vocabulary when the attributes are missing)."""
    attrs = da.attrs if "flag_values" in da.attrs else flag_attrs()
    values = np.atleast_1d(np.asarray(attrs["flag_values"])).tolist()
    meanings = str(attrs.get("flag_meanings", "")).split()
    if len(values) != len(meanings):
        raise InputError(
            f"{len(values)} flag_values but {len(meanings)} flag_meanings",
            column=str(da.name),
            expected="one meaning per flag value (CF conventions)",
        )
    return {int(v): m for v, m in zip(values, meanings, strict=True)}


def _area_text(hectares: float) -> str:
    """Hectares with the digits that matter: 1,825 / 12.5 / 0.12."""
    if hectares >= 100:
        return f"{hectares:,.0f}"
    return f"{hectares:.1f}" if hectares >= 1 else f"{hectares:.2f}"


def _class_colour(name: str, index: int, *, subclass: bool = False) -> str:
    colour = palette.subclass_colour(name) if subclass else palette.habitat_colour(name)
    return colour or palette.series_colour(index)


def _class_counts(da: xr.DataArray, codes: Sequence[int]) -> dict[int, int]:
    """Pixels per code over the full grid, in one (lazy when dask-backed) pass."""
    import dask

    sums = [(da == code).sum() for code in codes]
    counted = dask.compute(*[s.data for s in sums])
    return {code: int(n) for code, n in zip(codes, counted, strict=True)}


def _class_label(name: str, *, subclass: bool) -> str:
    if subclass and name == "none":
        return "No subclass (continuous cover)"
    return id_label(name)


def habitat_map(
    habitat: xr.DataArray,
    *,
    title: str | None = None,
    note: str | None = None,
    subclass: xr.DataArray | None = None,
    max_size: int = 1000,
) -> Figure:
    """A habitat class map with a legend of the classes present and their area, a scale bar
    and km ticks.

    Parameters
    ----------
    habitat
        (y, x) habitat codes (NaN = no data) with CF ``flag_values``/``flag_meanings``; a
        ``subclass`` layer is drawn the same way, with its own colours.
    title
        Figure title (default: the variable's name and its year, if any).
    note
        A grey line under the title (e.g. the release); the thinning note is added to it.
    subclass
        The product's ``subclass`` layer on the same grid: patchy cover (and any salt-marsh
        species) is hatched over the classes.
    max_size
        Largest number of pixels drawn along a side; larger maps show every k-th pixel.

    Notes
    -----
    Legend areas are pixel counts times the pixel area (ha) on the full grid; they are
    given only for projected CRSs in metres and are map areas, not the error-adjusted
    estimates of the ``habitat_area`` table. "No data" (outside the mapped area) is white
    under a grey hatch, never a class colour.
    """
    da = _spatial(habitat)
    is_subclass = str(da.name) == "subclass"
    classes = habitat_classes(da)
    counts = _class_counts(da, list(classes))
    present = [c for c in classes if counts[c] > 0]
    crs = _crs(da)
    pixel_ha = _pixel_area_ha(da, crs.metres)
    k = _stride(da, max_size)
    thinned = da.isel(y=slice(None, None, k), x=slice(None, None, k))
    shown = thinned.to_numpy().astype("float64")
    codes = sorted(classes)
    colours = [_class_colour(classes[c], i, subclass=is_subclass) for i, c in enumerate(codes)]
    cmap = ListedColormap(colours).with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    bounds = [codes[0] - 0.5, *[c + 0.5 for c in codes]]
    extent, origin = _extent(thinned)
    handles: list[Any] = []
    for code in present:
        area = f": {_area_text(counts[code] * pixel_ha)} ha" if pixel_ha is not None else ""
        colour = colours[codes.index(code)]
        label = f"{_class_label(classes[code], subclass=is_subclass)} ({code}){area}"
        handles.append(Patch(facecolor=colour, edgecolor=palette.PATCH_EDGE, label=label))
    overlays = _subclass_overlays(subclass, k, pixel_ha) if subclass is not None else []
    handles += [o.patch for o in overlays]
    missing = bool(np.isnan(shown).any())
    if missing:
        handles.append(_nodata_patch())
    ncols = 2 if len(handles) > 3 else len(handles)
    layout = _map_figure(extent, colourbar=False, legend_rows=math.ceil(len(handles) / max(ncols, 1)) + 1)
    fig, ax = layout.fig, layout.ax
    _nodata_backdrop(ax, extent)
    image = ax.imshow(
        np.ma.masked_invalid(shown),
        cmap=cmap,
        norm=BoundaryNorm(bounds, cmap.N),
        extent=extent,
        origin=origin,
        interpolation="nearest",
    )
    image.set_label("habitat")
    for overlay in overlays:
        hatched = ax.contourf(
            thinned["x"].to_numpy(),
            thinned["y"].to_numpy(),
            overlay.mask,
            levels=[0.5, 1.5],
            colors="none",
            hatches=[overlay.patch.get_hatch()],
        )
        hatched.set_label(overlay.patch.get_label())
    what = "Subclass (code): mapped area" if is_subclass else "Habitat (code): mapped area"
    _legend_below(fig, handles, title=what if pixel_ha is not None else what.split(":")[0], ncols=ncols)
    _km_ticks(ax, crs)
    if crs.metres is not None:
        add_scale_bar(ax, metres_per_unit=crs.metres)
    thin = f"drawn with one pixel in {k} along each axis; areas from the full grid" if k > 1 else None
    _titles(
        fig,
        ax,
        title or _default_title(habitat, id_label(str(habitat.name or "habitat"))),
        "; ".join(n for n in (note, thin) if n) or None,
    )
    _fit_to_map(layout)
    return fig


@dataclass(frozen=True)
class _Overlay:
    """A subclass hatched over the class colours: its legend patch and display mask."""

    patch: Patch
    mask: np.ndarray


def _subclass_overlays(subclass: xr.DataArray, k: int, pixel_ha: float | None) -> list[_Overlay]:
    """One hatched overlay per subclass present (patchy cover, salt-marsh species)."""
    da = _spatial(subclass)
    classes = {c: n for c, n in habitat_classes(da).items() if n != "none"}
    counts = _class_counts(da, list(classes))
    thinned = da.isel(y=slice(None, None, k), x=slice(None, None, k)).to_numpy()
    out: list[_Overlay] = []
    for code, name in classes.items():
        if counts[code] == 0:
            continue
        hatch = palette.subclass_hatch(name)
        area = f": {_area_text(counts[code] * pixel_ha)} ha" if pixel_ha is not None else ""
        label = f"{id_label(name)} {'cover' if name == 'patchy' else 'stands'}{area}"
        patch = Patch(facecolor="none", edgecolor=palette.PATCH_EDGE, hatch=hatch, label=label)
        out.append(_Overlay(patch, (thinned == code).astype("float64")))
    return out


# ------------------------------------------------------------------------- carbon maps
@dataclass(frozen=True)
class _Background:
    """Display-resolution masks of pixels without carbon because they are not habitat."""

    water: np.ndarray
    other: np.ndarray

    @property
    def any(self) -> np.ndarray:
        return self.water | self.other


def _no_carbon_background(values: xr.DataArray, habitat: xr.DataArray, k: int) -> _Background:
    """Blocks (k x k pixels) whose pixels are non-habitat classes (not blue carbon) holding
    exactly zero, or no data: water where most of them are water, else other non-habitat."""
    hab = habitat.transpose("y", "x")
    if hab.shape != values.shape or not (
        np.allclose(hab["x"], values["x"]) and np.allclose(hab["y"], values["y"])
    ):
        hab = hab.sel(x=values["x"], y=values["y"], method="nearest")
    codes = hab.to_numpy()
    raw = values.to_numpy()
    blue = np.isin(codes, [h.code for h in BLUE_CARBON_HABITATS])
    empty = (~blue) & np.isfinite(codes) & (raw == 0)
    water = codes == Habitat.WATER.code

    def block(mask: np.ndarray) -> np.ndarray:
        frame = xr.DataArray(mask.astype("float64"), dims=("y", "x"))
        return (frame.coarsen(y=k, x=k, boundary="trim").mean() if k > 1 else frame).to_numpy()

    share = block(empty)
    # a block is masked when it holds no value but empty pixels (and no data at the edges)
    masked = (block(empty | ~np.isfinite(raw)) == 1.0) & (share > 0)
    mostly_water = block(water & empty) >= 0.5 * share
    return _Background(water=masked & mostly_water, other=masked & ~mostly_water)


def _period_text(da: xr.DataArray) -> str | None:
    """``per period 2016-2017`` for a per-period layer (``cell_methods`` ``period: sum``)."""
    if "period" in da.coords and da.coords["period"].size == 1:
        return f"per period {da.coords['period'].item()}"
    return None


def quantity_map(
    data: xr.DataArray,
    *,
    basis: str | None = None,
    title: str | None = None,
    note: str | None = None,
    label: str | None = None,
    per: str | None = None,
    habitat: xr.DataArray | None = None,
    max_size: int = 1000,
    cmap: str | None = None,
) -> Figure:
    """A continuous (y, x) quantity, e.g. carbon stock per hectare, with a labelled colour
    bar, a scale bar and km ticks.

    Carbon quantities (``carbon_basis`` attribute) are shown in ``basis`` ("C" or "CO2e",
    default the data's own): ``Mg C ha-1`` or ``t CO2e ha-1``, followed by ``per``
    (default for a per-period layer: ``per period 2016-2017``). Signed quantities (net
    sequestration) get a diverging colour scale centred on zero (green sink, pink
    emission); others run from zero (or the minimum) to the 99th percentile, with values
    beyond drawn in the end colours.

    ``habitat`` (the habitat codes on the same grid) masks the pixels that hold no carbon
    because they are not habitat: water and other non-habitat classes where the value is
    zero are NaN in the image and drawn as a pale background (water blue, other grey);
    no data is white under a grey hatch.
    """
    da = _spatial(data)
    units = str(da.attrs.get("units", ""))
    source_basis = da.attrs.get("carbon_basis")
    shown_basis = basis or source_basis
    if source_basis is not None and shown_basis is not None:
        unit_text = units_label(units, basis=shown_basis)
        factor = to_basis(1.0, from_basis=str(source_basis), to_basis=str(shown_basis))
    else:
        if basis is not None:
            raise InputError(
                f"{da.name!r} is not a carbon quantity (no carbon_basis attribute)",
                column="carbon_basis",
                expected="a variable with carbon_basis 'C' or 'CO2e'",
            )
        unit_text, factor = units, 1.0
    per = per or _period_text(da)
    if per:
        unit_text = f"{unit_text} {per}"
    crs = _crs(da)
    k = _stride(da, max_size)
    coarse = da.coarsen(y=k, x=k, boundary="trim").mean() if k > 1 else da
    values = coarse.to_numpy().astype("float64") * factor
    background = _no_carbon_background(da, _spatial(habitat), k) if habitat is not None else None
    if background is not None:
        values[background.any] = np.nan
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(np.percentile(finite, 99)) if finite.size else 1.0
    if lo < 0 < hi:
        bound = max(abs(float(np.percentile(finite, 1))), hi)
        vmin, vmax, default_cmap = -bound, bound, palette.DIVERGING_CMAP
    else:
        vmin = min(lo, 0.0)
        vmax, default_cmap = (hi if hi > vmin else vmin + 1.0), palette.SEQUENTIAL_CMAP
    extend = _extend(finite, vmin, vmax)
    colours = ListedColormap(_colours(cmap or default_cmap)).with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    extent, origin = _extent(coarse)
    handles: list[Patch] = []
    if background is not None and background.water.any():
        handles.append(
            Patch(facecolor=palette.WATER_BACKGROUND, edgecolor=palette.PATCH_EDGE, label="Water (no carbon)")
        )
    if background is not None and background.other.any():
        handles.append(
            Patch(
                facecolor=palette.NON_HABITAT_BACKGROUND,
                edgecolor=palette.PATCH_EDGE,
                label="Not habitat (no carbon)",
            )
        )
    nodata = np.isnan(coarse.to_numpy())
    if nodata.any():
        handles.append(_nodata_patch())
    layout = _map_figure(extent, colourbar=bool(finite.size), legend_rows=1 if handles else 0)
    fig, ax = layout.fig, layout.ax
    _nodata_backdrop(ax, extent)
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap=colours,
        vmin=vmin,
        vmax=vmax,
        extent=extent,
        origin=origin,
        interpolation="nearest",
        zorder=0,
    )
    image.set_label("quantity")
    if background is not None and background.any.any():
        rgba = np.zeros((*values.shape, 4))
        rgba[background.water] = to_rgba(palette.WATER_BACKGROUND)
        rgba[background.other] = to_rgba(palette.NON_HABITAT_BACKGROUND)
        context = ax.imshow(rgba, extent=extent, origin=origin, interpolation="nearest", zorder=-1)
        context.set_label("no-carbon background")
    name = label or id_label(str(da.name or da.attrs.get("long_name", "value")))
    if finite.size:
        bar = fig.colorbar(image, ax=ax, shrink=0.9, extend=extend)
        bar.set_label(f"{name} ({unit_text})", fontsize=9)
        bar.ax.yaxis.set_major_formatter(GroupedFormatter())
        bar.ax.tick_params(labelsize=8)
    else:  # nothing but water, non-habitat or no data: no colour scale to read
        ax.text(
            0.5,
            0.5,
            f"{name} ({unit_text}): no value to show,\nno blue-carbon habitat in this map",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            bbox={"facecolor": palette.PAPER, "edgecolor": palette.FRAME_EDGE, "alpha": 0.9},
        )
    if handles:
        _legend_below(fig, handles, title=None, ncols=len(handles))
    _km_ticks(ax, crs)
    if crs.metres is not None:
        add_scale_bar(ax, metres_per_unit=crs.metres)
    thin = f"drawn as means of {k} x {k} pixels" if k > 1 else None
    _titles(fig, ax, title or _default_title(data, name), "; ".join(n for n in (note, thin) if n) or None)
    _fit_to_map(layout)
    return fig


def _extend(finite: np.ndarray, vmin: float, vmax: float) -> Literal["neither", "both", "min", "max"]:
    below = bool(finite.size and finite.min() < vmin)
    above = bool(finite.size and finite.max() > vmax)
    return "both" if below and above else "min" if below else "max" if above else "neither"


def _colours(name: str) -> list[Any]:
    from matplotlib import colormaps

    return list(colormaps[name](np.linspace(0.0, 1.0, 256)))


def _default_title(da: xr.DataArray, what: str) -> str:
    where = [
        str(da.coords[d].item()) for d in ("year", "period") if d in da.coords and da.coords[d].size == 1
    ]
    if "pool" in da.coords and da.coords["pool"].size == 1:
        what = f"{what}, {id_label(str(da.coords['pool'].item())).lower()}"
    return ", ".join([what, *where])


# ------------------------------------------------------------------------------ series
def _site_rows(totals: pd.DataFrame, site: str) -> pd.DataFrame:
    rows = totals[totals["site"] == site]
    if rows.empty:
        raise InputError(
            f"no rows for site {site!r}",
            column="site",
            expected="one of " + ", ".join(sorted(map(str, totals["site"].unique()))),
        )
    return rows


def _has_values(rows: pd.DataFrame, column: str) -> bool:
    return column in rows and bool(rows[column].fillna(0).ne(0).any())


def available_quantities(totals: pd.DataFrame, *, site: str) -> list[str]:
    """The series quantities with any value for ``site``: area, stock and net flux for
    mapped sites, removal for harvest statistics."""
    rows = _site_rows(totals, site)
    found = [
        q for q in ("area", "stock", "net_flux", "removal") if _has_values(rows, SERIES_QUANTITIES[q].column)
    ]
    return found or ["area"]


def _pick_habitats(rows: pd.DataFrame, habitats: Sequence[str] | None) -> list[str]:
    present = sorted(map(str, rows["habitat"].unique()))
    if habitats:
        wanted = [Habitat.parse(h).value for h in habitats]
        missing = [h for h in wanted if h not in present]
        if missing:
            raise InputError(
                f"habitat {missing[0]!r} has no rows for this site",
                column="habitat",
                expected="one of " + ", ".join(present),
            )
        return wanted
    blue = [h for h in present if Habitat.parse(h).is_blue_carbon]
    return blue or present


def _quantity(name: str) -> SeriesQuantity:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return SERIES_QUANTITIES[key]
    except KeyError:
        raise InputError(
            f"unknown quantity {name!r}",
            column="quantity",
            expected="one of " + ", ".join(QUANTITY_NAMES),
        ) from None


def _quantity_name(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    return SITE_NET_FLUX if key in (SITE_NET_FLUX, "site") else _quantity(key).name


def series_table(
    totals: pd.DataFrame, *, site: str, habitat: str, quantity: str, basis: str = "C"
) -> pd.DataFrame:
    """``year``, ``value``, ``low``, ``high`` of one quantity of one site and habitat; a
    per-period quantity (net flux) adds ``end`` (the period is ``year`` to ``end``), a
    removal adds ``companion`` (its tissue-only part).

    Rows repeated for a (year, habitat) (the same class from two sources) are added up,
    bounds included: the band then assumes the parts fully correlated, which never makes
    it narrower than it is. Carbon quantities are converted to ``basis``.
    """
    q = _quantity(quantity)
    rows = _site_rows(totals, site)
    rows = rows[rows["habitat"] == habitat]
    missing = [c for c in (q.column, q.low, q.high, q.half_width) if c is not None and c not in rows]
    if missing:
        raise InputError(
            f"class_totals has no column {missing[0]!r}",
            column=missing[0],
            expected="a class_totals table of the current release format",
        )
    if q.half_width is not None:
        low = rows[q.column] - rows[q.half_width]
        high = rows[q.column] + rows[q.half_width]
    else:
        low, high = rows[q.low], rows[q.high]
    frame = pd.DataFrame({"year": rows["year"], "value": rows[q.column], "low": low, "high": high})
    sums = ["value", "low", "high"]
    if q.companion is not None and q.companion in rows:
        frame["companion"] = rows[q.companion]
        sums.append("companion")
    if q.per_period:
        start = rows["flux_period_start"].fillna(rows["year"])
        frame["year"] = start.astype("int64")
        frame["end"] = rows["flux_period_end"].fillna(start + 1).astype("int64")
        frame = frame.dropna(subset=["value"])
    grouped = frame.groupby("year", sort=True)
    out = grouped[sums].sum(min_count=1)
    if "end" in frame:
        out["end"] = grouped["end"].max()
    out = out.reset_index()
    if q.carbon:
        factor = to_basis(1.0, from_basis="C", to_basis=basis)
        out[sums] = out[sums] * factor
    return out


def site_balance_table(balance: pd.DataFrame, *, site: str, basis: str = "C") -> pd.DataFrame:
    """``year`` (period start), ``end``, ``value``, ``low``, ``high`` and ``after_last_map``
    of a site's net flux over all classes (``site_balance``), in ``basis`` per year."""
    rows = balance[balance["site"] == site].sort_values("period_start")
    factor = to_basis(1.0, from_basis="C", to_basis=basis)
    after = rows["after_last_map"] if "after_last_map" in rows else pd.Series(False, index=rows.index)
    return pd.DataFrame(
        {
            "year": rows["period_start"].astype("int64").to_numpy(),
            "end": rows["period_end"].astype("int64").to_numpy(),
            "value": rows["net_flux_t_c_yr"].to_numpy() * factor,
            "low": rows["net_flux_p5_t_c_yr"].to_numpy() * factor,
            "high": rows["net_flux_p95_t_c_yr"].to_numpy() * factor,
            "after_last_map": after.fillna(False).astype(bool).to_numpy(),
        }
    )


def _axis_units(q: SeriesQuantity, basis: str) -> str:
    """Totals read better in tonnes: ``t C``, ``t CO2e yr-1`` (1 t = 1 Mg)."""
    if not q.carbon:
        return q.units
    mass = "t C" if _basis(basis) is CarbonBasis.C else "t CO2e"
    return f"{mass} {mass_and_rest(q.units)[1]}".strip()


def _percent(value: float) -> str:
    return f"{value:.0f}" if value >= 1 else f"{value:.1g}"


def area_band_label(rows: pd.DataFrame, *, accuracy: pd.DataFrame | None, site: str, habitat: str) -> str:
    """What an area band is: a 95 % CI from an accuracy assessment, or an assumed default
    (``assumed ±10 % (no accuracy assessment)``), from the release's ``accuracy`` table."""
    mine = rows[(rows["habitat"] == habitat) & (rows["area_ha"] > 0)]
    relative = (mine["area_ci_ha"] / mine["area_ha"] * 100).dropna()
    if relative.empty:
        width = "±?"
    elif relative.max() - relative.min() < 0.5:
        width = f"±{_percent(float(relative.median()))} %"
    else:
        width = f"±{_percent(float(relative.min()))}-{_percent(float(relative.max()))} %"
    statuses: set[str] = set()
    if accuracy is not None and {"site", "habitat", "status"} <= set(accuracy.columns):
        chosen = accuracy[(accuracy["site"] == site) & (accuracy["habitat"] == habitat)]
        statuses = set(map(str, chosen["status"].dropna()))
    if statuses == {"assessed"}:
        return "95 % CI (accuracy assessed)"
    if statuses and "assessed" not in statuses:
        return f"assumed {width} (no accuracy assessment)"
    if statuses:
        return f"95 % CI where assessed, else assumed {width}"
    return f"{width} (accuracy status not given)"


def _steps(table: pd.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """x and values of a per-period table as steps: each period's value held from its start
    (``year``) to its ``end``, two points per period, so a band or a shading per sign can be
    filled period by period."""
    x = np.column_stack([table["year"].to_numpy(dtype=float), table["end"].to_numpy(dtype=float)]).ravel()
    held = {c: np.repeat(table[c].to_numpy(dtype=float), 2) for c in ("value", "low", "high") if c in table}
    return x, held


def _draw_series(
    ax: Axes,
    table: pd.DataFrame,
    *,
    label: str,
    colour: str,
    band_label: str,
    companion_label: str = "",
) -> list[Any]:
    """A line (steps for per-period values) with its band; returns the legend handles."""
    handles: list[Any] = []
    if table.empty:
        return handles
    band: Any
    if "end" in table:
        x, held = _steps(table)
        (line,) = ax.plot(x, held["value"], color=colour, linewidth=1.6, label=label)
        ok = np.isfinite(held["low"]) & np.isfinite(held["high"])
        band = ax.fill_between(x, held["low"], held["high"], where=ok, color=colour, alpha=0.22, linewidth=0)
    else:
        (line,) = ax.plot(table["year"], table["value"], marker="o", markersize=3, color=colour, label=label)
        ok_rows = table.dropna(subset=["low", "high"])
        if len(ok_rows) == 1:  # one year: a band has no width, draw it as an error bar
            row = ok_rows.iloc[0]
            band = ax.errorbar(
                [row["year"]],
                [row["value"]],
                yerr=[[row["value"] - row["low"]], [row["high"] - row["value"]]],
                fmt="none",
                ecolor=colour,
                elinewidth=6,
                alpha=0.35,
            )
        else:
            band = ax.fill_between(
                ok_rows["year"], ok_rows["low"], ok_rows["high"], color=colour, alpha=0.22, linewidth=0
            )
    band.set_label(f"{label}: {band_label}" if len(band_label) < 24 else f"{label}:\n{band_label}")
    drawn = not hasattr(band, "get_paths") or len(band.get_paths()) > 0
    handles += [line, band] if drawn else [line]
    if "companion" in table and companion_label:
        part = table.dropna(subset=["companion"])
        if not part.empty and not np.allclose(part["companion"], part["value"], equal_nan=True):
            (tissue,) = ax.plot(
                part["year"],
                part["companion"],
                linestyle="--",
                marker="^",
                markersize=3,
                color=colour,
                label=f"{label}: {companion_label}",
            )
            handles.append(tissue)
    return handles


def _draw_site_balance(ax: Axes, table: pd.DataFrame) -> list[Any]:
    """Site net flux as steps with its P5-P95 band, the area between zero and the central
    value green where the site is a sink and pink where it is an emitter, and the period
    after the last map dashed."""
    if table.empty:
        return []
    x, held = _steps(table)
    value = held["value"]
    band = ax.fill_between(
        x,
        held["low"],
        held["high"],
        where=np.isfinite(held["low"]),
        color=palette.BAND_FILL,
        alpha=0.3,
        linewidth=0,
    )
    band.set_label("P5-P95")
    handles: list[Any] = []
    for part, style, label in (
        (table[~table["after_last_map"]], "-", "Net flux, all classes"),
        (table[table["after_last_map"]], "--", "after the last map"),
    ):
        if not part.empty:
            px, ph = _steps(part)
            (line,) = ax.plot(px, ph["value"], color=palette.INK, linewidth=1.6, linestyle=style, zorder=3)
            line.set_label(label)
            handles.append(line)
    handles.append(band)
    for sign, colour, label in (
        (value > 0, palette.SINK_FILL, "sink (net removal)"),
        (value < 0, palette.EMITTER_FILL, "emitter (net emission)"),
    ):
        if sign.any():
            fill = ax.fill_between(x, 0, value, where=sign, color=colour, linewidth=0, zorder=2)
            fill.set_label(label)
            handles.append(fill)
    ax.axhline(0.0, color=palette.ZERO_LINE, linewidth=0.8, zorder=2.5)
    return handles


def _year_axis(ax: Axes) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:.0f}"))


def _legend_right(ax: Axes, handles: Sequence[Any], *, title: str | None = None) -> Any:
    """A legend outside the axes, to their right: never over a line or a band."""
    legend = ax.legend(
        handles=list(handles),
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        fontsize=7.5,
        title=title,
        title_fontsize=8,
        frameon=False,
    )
    return legend


def class_series(
    totals: pd.DataFrame,
    *,
    site: str,
    habitats: Sequence[str] | None = None,
    quantities: Sequence[str] | None = None,
    basis: str = "C",
    title: str | None = None,
    accuracy: pd.DataFrame | None = None,
    balance: pd.DataFrame | None = None,
) -> Figure:
    """Time series per habitat class of one site, one panel per quantity, each line with
    its uncertainty band: area (95 % CI, or the assumed default when the release's
    ``accuracy`` says "not assessed"), stock, net flux per year (steps across each period)
    and harvest removal (with its tissue-only part dashed), all with P5-P95.

    Parameters
    ----------
    totals
        A release's ``class_totals`` table.
    habitats
        Classes to draw (default: the blue-carbon classes of the site, else all).
    quantities
        Any of ``site_net_flux``, ``area``, ``stock``, ``net_flux``, ``removal`` (default:
        what the site has; the site panel first when ``balance`` has the site).
    basis
        ``"C"`` (t C) or ``"CO2e"`` (t CO2e) for carbon quantities.
    accuracy
        The release's ``accuracy`` table, for the meaning of the area band.
    balance
        The release's ``site_balance`` table: the site panel, net flux over all classes
        (sink above zero, emitter below).
    """
    rows = _site_rows(totals, site)
    has_balance = balance is not None and bool((balance["site"] == site).any())
    if quantities:
        names = [_quantity_name(q) for q in quantities]
    else:
        names = ([SITE_NET_FLUX] if has_balance else []) + available_quantities(totals, site=site)
    if SITE_NET_FLUX in names and not has_balance:
        raise InputError(
            f"no site_balance rows for site {site!r}",
            column="quantity",
            expected="a mapped site of a release with a site_balance table",
        )
    chosen = _pick_habitats(rows, habitats)
    fig = Figure(figsize=(9.0, 1.0 + 2.3 * len(names)), layout="constrained")
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, names, strict=True):
        if name == SITE_NET_FLUX:
            assert balance is not None
            handles = _draw_site_balance(ax, site_balance_table(balance, site=site, basis=basis))
            q = SERIES_QUANTITIES["net_flux"]
            ax.set_ylabel(f"{VARIABLE_LABELS[SITE_NET_FLUX]}\n({_axis_units(q, basis)})", fontsize=9)
            _legend_right(ax, handles, title="Sink or emitter?")
        else:
            q = SERIES_QUANTITIES[name]
            handles = []
            for i, habitat in enumerate(chosen):
                table = series_table(totals, site=site, habitat=habitat, quantity=name, basis=basis)
                band = (
                    area_band_label(rows, accuracy=accuracy, site=site, habitat=habitat)
                    if name == "area"
                    else q.band_label
                )
                handles += _draw_series(
                    ax,
                    table,
                    label=id_label(habitat),
                    colour=_class_colour(habitat, i),
                    band_label=band,
                    companion_label=q.companion_label,
                )
            if q.per_period or q.name == "removal":
                ax.axhline(0.0, color=palette.ZERO_LINE, linewidth=0.8, zorder=1)
            ax.set_ylabel(f"{q.label}\n({_axis_units(q, basis)})", fontsize=9)
            _legend_right(ax, handles)
        ax.yaxis.set_major_formatter(GroupedFormatter())
        ax.grid(alpha=0.3)
        _year_axis(ax)
    axes[-1].set_xlabel("year")
    fig.suptitle(title or f"{site_label(site)}: " + ", ".join(id_label(n).lower() for n in names))
    return fig


def release_series(
    totals: Mapping[str, pd.DataFrame],
    *,
    site: str,
    habitat: str,
    quantity: str = "stock",
    basis: str = "C",
    title: str | None = None,
) -> Figure:
    """One quantity of one site and habitat as given by several releases (label -> that
    release's ``class_totals``), each with its band: what changed between releases."""
    q = _quantity(quantity)
    fig = Figure(figsize=(9.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    handles: list[Any] = []
    for i, (label, frame) in enumerate(totals.items()):
        table = series_table(frame, site=site, habitat=habitat, quantity=q.name, basis=basis)
        handles += _draw_series(
            ax, table, label=label, colour=palette.series_colour(i), band_label=q.band_label
        )
    ax.set_xlabel("year")
    ax.set_ylabel(f"{q.label} ({_axis_units(q, basis)})")
    ax.yaxis.set_major_formatter(GroupedFormatter())
    ax.grid(alpha=0.3)
    _year_axis(ax)
    _legend_right(ax, handles, title="Release")
    ax.set_title(title or f"{site_label(site)}, {id_label(habitat).lower()}: {q.label.lower()} by release")
    return fig


# --------------------------------------------------------------------- catalog -> figure
def select_layer(
    ds: xr.Dataset,
    variable: str,
    *,
    year: int | None = None,
    period: str | None = None,
    pool: str | None = None,
) -> xr.DataArray:
    """One (y, x) layer of a product variable. The year defaults to the last snapshot year
    (``snapshot_years`` attribute) or the last year; period and pool must be named when the
    variable has them."""
    if variable not in ds.data_vars:
        raise InputError(
            f"no variable {variable!r} in this product",
            column="variable",
            expected="one of " + ", ".join(sorted(map(str, ds.data_vars))),
        )
    da = ds[variable]
    choices: dict[str, Any] = {"year": year, "period": period, "pool": pool}
    for dim, value in choices.items():
        if dim not in da.dims:
            continue
        labels = da[dim].to_numpy().tolist()
        if value is None and dim == "year":
            snapshots = [y for y in ds.attrs.get("snapshot_years", []) if y in labels]
            value = (snapshots or labels)[-1]
        if value is None or value not in labels:
            raise InputError(
                f"{variable} needs a {dim}" + ("" if value is None else f"; {value!r} is not one"),
                column=dim,
                expected="one of " + ", ".join(map(str, labels)),
            )
        da = da.sel({dim: value})
    return da


def _layer_year(da: xr.DataArray, ds: xr.Dataset) -> int | None:
    """The year a layer shows: its year, its period's end, else the analysis year."""
    if "year" in da.coords and da.coords["year"].size == 1:
        return int(da.coords["year"].item())
    if "period" in da.coords and da.coords["period"].size == 1:
        return int(str(da.coords["period"].item()).split("-")[-1])
    analysis = ds.attrs.get("analysis_year")
    return int(analysis) if analysis is not None else None


def _span(ds: xr.Dataset) -> str | None:
    """``1988-2023``: first snapshot to analysis year (``total_net_sequestration``)."""
    years = list(ds.attrs.get("snapshot_years", []))
    analysis = ds.attrs.get("analysis_year")
    return f"{years[0]}-{analysis}" if years and analysis is not None else None


def _habitat_for(catalog: Catalog, site: str, tag: str, year: int | None) -> xr.DataArray | None:
    """The habitat layer of ``site`` mapped last at or before ``year`` (None without one)."""
    product = f"{site}/habitat"
    if product not in catalog.products(tag):
        return None
    habitat = catalog.open(product, release=tag)["habitat"]
    years = [int(y) for y in habitat["year"].to_numpy()]
    usable = [y for y in years if year is None or y <= year] or years[:1]
    return habitat.sel(year=usable[-1])


def map_figure(
    catalog: Catalog,
    product: str,
    *,
    release: str = "latest",
    variable: str | None = None,
    year: int | None = None,
    period: str | None = None,
    pool: str | None = None,
    basis: str | None = None,
    max_size: int = 1000,
    site_names: Mapping[str, str] | None = None,
) -> Figure:
    """Map of one layer of a released product (``site/kind``): habitat classes (with the
    subclass layer hatched over them) for a habitat product, else the carbon stock (or
    ``variable``) with water and other non-habitat masked.

    The title names the site by its study name (``site_names``, else the release's
    provenance, else its id in words), the variable in words and the year or period.
    """
    info = catalog.release(release)
    ds = catalog.open(product, release=info.tag)
    site = product.split("/")[0]
    name = variable or ("habitat" if "habitat" in ds.data_vars else "carbon_stock")
    da = select_layer(ds, name, year=year, period=period, pool=pool)
    names = {**release_site_names(info), **(site_names or {})}
    what = id_label(name)
    if "pool" in da.coords and da.coords["pool"].size == 1:
        what = f"{what}, {id_label(str(da.coords['pool'].item())).lower()}"
    when = [str(da.coords[d].item()) for d in ("year", "period") if d in da.coords and da.coords[d].size == 1]
    per = None
    if name == "total_net_sequestration" and _span(ds):
        when, per = [str(_span(ds))], f"over {_span(ds)}"
    title = f"{site_label(site, names)}: {what}" + (f", {', '.join(when)}" if when else "")
    note = f"release {info.tag}"
    if "flag_meanings" in da.attrs:
        subclass = None
        if name == "habitat" and "subclass" in ds.data_vars:
            subclass = select_layer(ds, "subclass", year=year, period=period, pool=pool)
        return habitat_map(da, title=title, note=note, subclass=subclass, max_size=max_size)
    habitat = _habitat_for(catalog, site, info.tag, _layer_year(da, ds))
    return quantity_map(
        da,
        basis=basis,
        title=title,
        note=note,
        label=what,
        per=per,
        habitat=habitat,
        max_size=max_size,
    )


def series_figure(
    catalog: Catalog,
    site: str,
    *,
    release: str = "latest",
    habitats: Sequence[str] | None = None,
    quantities: Sequence[str] | None = None,
    basis: str = "C",
    site_names: Mapping[str, str] | None = None,
) -> Figure:
    """Time series with uncertainty bands of a site's classes in a release, with the site
    panel (net flux over all classes: sink or emitter?) when the release has a
    ``site_balance`` table, and the area band labelled from its ``accuracy`` table."""
    info = catalog.release(release)
    tables = set(catalog.tables(info.tag))
    totals = catalog.table("class_totals", release=info.tag)
    accuracy = catalog.table("accuracy", release=info.tag) if "accuracy" in tables else None
    balance = catalog.table("site_balance", release=info.tag) if "site_balance" in tables else None
    names = {**release_site_names(info), **(site_names or {})}
    return class_series(
        totals,
        site=site,
        habitats=habitats,
        quantities=quantities,
        basis=basis,
        title=f"{site_label(site, names)} (release {info.tag})",
        accuracy=accuracy,
        balance=balance,
    )


def save_png(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG (Agg canvas; parent folders are created)."""
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise InputError("the output must be a .png file", file=out, expected="a path ending in .png")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, format="png", facecolor=palette.PAPER)
    return out


__all__ = [
    "HABITAT_COLOURS",
    "QUANTITY_NAMES",
    "SERIES_QUANTITIES",
    "SITE_NET_FLUX",
    "VARIABLE_LABELS",
    "GroupedFormatter",
    "add_scale_bar",
    "area_band_label",
    "available_quantities",
    "class_series",
    "habitat_classes",
    "habitat_map",
    "id_label",
    "map_figure",
    "nice_length",
    "quantity_map",
    "release_series",
    "release_site_names",
    "save_png",
    "select_layer",
    "series_figure",
    "series_table",
    "site_balance_table",
    "site_label",
    "units_label",
]
