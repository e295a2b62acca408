"""Habitat maps (classes from CF flags, hatched subclasses, legend areas) and carbon maps
(stocks or signed fluxes, water and empty non-habitat masked as a pale background).

Why together: both are (y, x) layers on the frame of :mod:`bluecarbon.plots.layout`, thinned to
display resolution (categorical maps by taking every k-th pixel, continuous maps by block
means), and both draw "no data" and non-habitat by the rules of :mod:`bluecarbon.palette`.
Class areas in a habitat map's legend are counted on the full grid, lazily, in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import xarray as xr
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bluecarbon import palette
from bluecarbon.errors import InputError
from bluecarbon.plots.common import (
    GroupedFormatter,
    _class_colour,
    id_label,
    units_label,
)
from bluecarbon.plots.layout import (
    _crs,
    _extent,
    _fit_to_map,
    _km_ticks,
    _legend_below,
    _map_figure,
    _nodata_patch,
    _pixel_area_ha,
    _spatial,
    _stride,
    _titles,
    add_scale_bar,
    nodata_backdrop,
)
from bluecarbon.units import to_basis
from bluecarbon.vocab import BLUE_CARBON_HABITATS, Habitat, flag_attrs

if TYPE_CHECKING:
    pass


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
    nodata_backdrop(ax, extent)
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
    nodata_backdrop(ax, extent)
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
