"""Figures for people who would rather look than read: habitat maps, carbon maps and time
series with their uncertainty bands.

Shaped for three callers at once (notebooks, ``bluecarbon plot`` and tests):

- The figure functions take data (a DataArray, a totals DataFrame) and return a
  :class:`matplotlib.figure.Figure`. They never call ``pyplot``, open a store or read the
  configuration, so no global plotting state leaks between calls, they run headless with
  matplotlib's Agg canvas, and a notebook displays the returned figure as it is.
- Labels come from the data, not from the caller: units from the ``units`` attribute, the
  carbon basis from ``carbon_basis`` (``Mg C ha-1``), habitat names from the CF
  ``flag_values``/``flag_meanings`` attributes. A CO2e view converts with
  :func:`bluecarbon.units.to_basis`, the one C-to-CO2e factor of the code base.
- :func:`map_figure` and :func:`series_figure` are the thin glue from a catalog and a few
  names to a figure; :func:`save_png` writes it. That is all the CLI needs.

Maps are computed only at display resolution: large grids are thinned (categorical maps by
taking every k-th pixel, continuous maps by block means) to at most ``max_size`` pixels a
side, and the figure says so. Class areas in a habitat map's legend are counted on the full
grid, lazily, in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import StrMethodFormatter

from bluecarbon.errors import InputError
from bluecarbon.units import M2_PER_HA, canonical_units, to_basis
from bluecarbon.vocab import CarbonBasis, Habitat, flag_attrs

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bluecarbon.catalog.api import Catalog

#: One colour per habitat class, shared by every map.
HABITAT_COLOURS: dict[Habitat, str] = {
    Habitat.SEAGRASS: "#1b9e77",
    Habitat.SALT_MARSH: "#a6d854",
    Habitat.MANGROVE: "#00441b",
    Habitat.TIDAL_FLAT: "#d9b365",
    Habitat.SHELLFISH_AQUACULTURE: "#e6550d",
    Habitat.SEAWEED_AQUACULTURE: "#7b4fa6",
    Habitat.WATER: "#6baed6",
    Habitat.OTHER: "#bdbdbd",
}
#: Colour of pixels without data (outside the mapped area).
NODATA_COLOUR = "#f4f4f4"
_EXTRA_COLOURS = ("#e41a1c", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999")


@dataclass(frozen=True)
class SeriesQuantity:
    """A quantity of the ``class_totals`` table drawn as a line with an uncertainty band."""

    name: str
    label: str
    column: str
    low: str | None  # band columns, or None when the band is value -/+ ``half_width``
    high: str | None
    half_width: str | None
    band_label: str
    units: str  # canonical units of the carbon-basis columns (or plain units)
    carbon: bool


SERIES_QUANTITIES: dict[str, SeriesQuantity] = {
    q.name: q
    for q in (
        SeriesQuantity("area", "habitat area", "area_ha", None, None, "area_ci_ha", "95 % CI", "ha", False),
        SeriesQuantity(
            "stock", "carbon stock", "stock_t_c", "stock_p5_t_c", "stock_p95_t_c", None, "P5-P95", "Mg", True
        ),
        SeriesQuantity(
            "sequestration",
            "net sequestration",
            "sequestration_t_c_yr",
            "sequestration_p5_t_c_yr",
            "sequestration_p95_t_c_yr",
            None,
            "P5-P95",
            "Mg yr-1",
            True,
        ),
    )
}


# ------------------------------------------------------------------------------ labels
def units_label(units: str, *, basis: str | None) -> str:
    """Units for an axis: the carbon basis next to the mass (``Mg C ha-1``, ``t CO2e ha-1``).

    ``basis`` None means the quantity is not a carbon mass: the units are returned as given.
    """
    if basis is None:
        return units
    canonical = canonical_units(units)
    if not canonical.startswith("Mg"):
        raise InputError(f"units {units!r} are not a mass", column="units", expected="Mg ... (t ...)")
    mass = "Mg C" if _basis(basis) is CarbonBasis.C else "t CO2e"
    return mass + canonical[2:]


def _basis(basis: str) -> CarbonBasis:
    for b in CarbonBasis:
        if basis.strip().lower() == b.value.lower():
            return b
    raise InputError(f"unknown carbon basis {basis!r}", column="basis", expected="'C' or 'CO2e'")


def _crs_label(da: xr.DataArray) -> tuple[str, str, float | None]:
    """Axis labels and the metres per CRS unit (None when not a projected CRS in metres)."""
    wkt = da.coords["spatial_ref"].attrs.get("crs_wkt") if "spatial_ref" in da.coords else None
    if not wkt:
        return "x", "y", None
    from pyproj import CRS

    crs = CRS.from_wkt(wkt)
    epsg = crs.to_epsg()
    name = f"EPSG:{epsg}" if epsg else crs.name
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if crs.is_projected and unit in ("metre", "meter"):
        return f"easting (m, {name})", f"northing (m, {name})", 1.0
    return f"x ({unit}, {name})", f"y ({unit}, {name})", None


# -------------------------------------------------------------------------------- maps
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
    if metres is None or da.sizes["x"] < 2 or da.sizes["y"] < 2:
        return None
    dx = abs(float(da["x"][1] - da["x"][0])) * metres
    dy = abs(float(da["y"][1] - da["y"][0])) * metres
    return dx * dy / M2_PER_HA


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


def _class_colour(name: str, index: int) -> str:
    try:
        return HABITAT_COLOURS[Habitat(name)]
    except ValueError:
        return _EXTRA_COLOURS[index % len(_EXTRA_COLOURS)]


def _class_counts(da: xr.DataArray, codes: Sequence[int]) -> dict[int, int]:
    """Pixels per code over the full grid, in one (lazy when dask-backed) pass."""
    import dask

    sums = [(da == code).sum() for code in codes]
    counted = dask.compute(*[s.data for s in sums])
    return {code: int(n) for code, n in zip(codes, counted, strict=True)}


def _titles(fig: Figure, ax: Axes, title: str, note: str | None) -> None:
    """Title above the figure; a note on how the map was drawn, in grey, above the axes."""
    fig.suptitle(title, fontsize=11)
    if note:
        ax.set_title(note, fontsize=8, color="#555555")


def _new_figure(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def habitat_map(
    habitat: xr.DataArray,
    *,
    title: str | None = None,
    max_size: int = 1000,
    figsize: tuple[float, float] = (7.5, 6.0),
) -> Figure:
    """A habitat class map with a legend of the classes present and their area.

    Parameters
    ----------
    habitat
        (y, x) habitat codes (NaN = no data) with CF ``flag_values``/``flag_meanings``.
    title
        Figure title (default: the variable's long name and its year, if any).
    max_size
        Largest number of pixels drawn along a side; larger maps show every k-th pixel.

    Notes
    -----
    Legend areas are pixel counts times the pixel area (ha) on the full grid; they are
    given only for projected CRSs in metres and are map areas, not the error-adjusted
    estimates of the ``habitat_area`` table.
    """
    da = _spatial(habitat)
    classes = habitat_classes(da)
    counts = _class_counts(da, list(classes))
    present = [c for c in classes if counts[c] > 0]
    xlabel, ylabel, metres = _crs_label(da)
    pixel_ha = _pixel_area_ha(da, metres)
    k = _stride(da, max_size)
    shown = da.isel(y=slice(None, None, k), x=slice(None, None, k)).to_numpy().astype("float64")
    codes = sorted(classes)
    colours = [_class_colour(classes[c], i) for i, c in enumerate(codes)]
    cmap = ListedColormap(colours).with_extremes(bad=NODATA_COLOUR)
    bounds = [codes[0] - 0.5, *[c + 0.5 for c in codes]]
    norm = BoundaryNorm(bounds, cmap.N)
    fig, ax = _new_figure(figsize)
    extent, origin = _extent(da.isel(y=slice(None, None, k), x=slice(None, None, k)))
    ax.imshow(
        np.ma.masked_invalid(shown),
        cmap=cmap,
        norm=norm,
        extent=extent,
        origin=origin,
        interpolation="nearest",
    )
    handles: list[Patch] = []
    for code in present:
        area = f": {_area_text(counts[code] * pixel_ha)} ha" if pixel_ha is not None else ""
        colour = colours[codes.index(code)]
        handles.append(Patch(facecolor=colour, edgecolor="#333333", label=f"{classes[code]} ({code}){area}"))
    if np.isnan(shown).any():
        handles.append(Patch(facecolor=NODATA_COLOUR, edgecolor="#333333", label="no data"))
    ax.legend(handles=handles, title="habitat (code): map area", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=7)
    note = f"drawn with one pixel in {k} along each axis; areas from the full grid" if k > 1 else None
    _titles(fig, ax, title or _default_title(habitat, "habitat class"), note)
    return fig


def quantity_map(
    data: xr.DataArray,
    *,
    basis: str | None = None,
    title: str | None = None,
    max_size: int = 1000,
    figsize: tuple[float, float] = (7.5, 6.0),
    cmap: str | None = None,
) -> Figure:
    """A continuous (y, x) quantity, e.g. carbon stock per hectare, with a labelled colorbar.

    Carbon quantities (``carbon_basis`` attribute) are shown in ``basis`` ("C" or "CO2e",
    default the data's own): ``Mg C ha-1`` or ``t CO2e ha-1``. Signed quantities (net
    sequestration) get a diverging colour scale centred on zero; others run from zero (or
    the minimum) to the 99th percentile, with values beyond drawn in the top colour.
    """
    da = _spatial(data)
    units = str(da.attrs.get("units", ""))
    source_basis = da.attrs.get("carbon_basis")
    shown_basis = basis or source_basis
    if source_basis is not None and shown_basis is not None:
        label = units_label(units, basis=shown_basis)
        factor = to_basis(1.0, from_basis=str(source_basis), to_basis=str(shown_basis))
    else:
        if basis is not None:
            raise InputError(
                f"{da.name!r} is not a carbon quantity (no carbon_basis attribute)",
                column="carbon_basis",
                expected="a variable with carbon_basis 'C' or 'CO2e'",
            )
        label, factor = units, 1.0
    xlabel, ylabel, _ = _crs_label(da)
    k = _stride(da, max_size)
    coarse = da.coarsen(y=k, x=k, boundary="trim").mean() if k > 1 else da
    values = coarse.to_numpy().astype("float64") * factor
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(np.percentile(finite, 99)) if finite.size else 1.0
    if lo < 0 < hi:
        bound = max(abs(float(np.percentile(finite, 1))), hi)
        vmin, vmax, default_cmap = -bound, bound, "RdBu"
    else:
        vmin, vmax, default_cmap = min(lo, 0.0), hi if hi > min(lo, 0.0) else min(lo, 0.0) + 1.0, "viridis"
    colours = ListedColormap(_colours(cmap or default_cmap)).with_extremes(bad=NODATA_COLOUR)
    fig, ax = _new_figure(figsize)
    extent, origin = _extent(coarse)
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap=colours,
        vmin=vmin,
        vmax=vmax,
        extent=extent,
        origin=origin,
        interpolation="nearest",
    )
    name = str(da.name or da.attrs.get("long_name", "value")).replace("_", " ")
    bar = fig.colorbar(
        image, ax=ax, shrink=0.85, extend="max" if finite.size and finite.max() > vmax else "neither"
    )
    bar.set_label(f"{name} ({label})")
    if np.isnan(values).any():
        ax.legend(
            handles=[Patch(facecolor=NODATA_COLOUR, edgecolor="#333333", label="no data")],
            loc="lower left",
            fontsize=7,
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.ticklabel_format(style="plain", useOffset=False)
    ax.tick_params(labelsize=7)
    _titles(
        fig, ax, title or _default_title(data, name), f"drawn as means of {k} x {k} pixels" if k > 1 else None
    )
    return fig


def _colours(name: str) -> list[Any]:
    from matplotlib import colormaps

    return list(colormaps[name](np.linspace(0.0, 1.0, 256)))


def _default_title(da: xr.DataArray, what: str) -> str:
    where = [
        f"{d} {da.coords[d].item()}"
        for d in ("year", "period", "pool")
        if d in da.coords and da.coords[d].size == 1
    ]
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


def available_quantities(totals: pd.DataFrame, *, site: str) -> list[str]:
    """The series quantities with any value for ``site`` (area and stock for mapped sites,
    sequestration for harvest statistics)."""
    rows = _site_rows(totals, site)
    mapped = [q for q in ("area", "stock") if rows[SERIES_QUANTITIES[q].column].fillna(0).ne(0).any()]
    return mapped or ["sequestration"]


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


def series_table(
    totals: pd.DataFrame, *, site: str, habitat: str, quantity: str, basis: str = "C"
) -> pd.DataFrame:
    """``year``, ``value``, ``low``, ``high`` of one quantity of one site and habitat.

    Rows repeated for a (year, habitat) (the same class from two sources) are added up,
    bounds included: the band then assumes the parts fully correlated, which never makes
    it narrower than it is. Carbon quantities are converted to ``basis``.
    """
    q = _quantity(quantity)
    rows = _site_rows(totals, site)
    rows = rows[rows["habitat"] == habitat]
    if q.half_width is not None:
        low = rows[q.column] - rows[q.half_width]
        high = rows[q.column] + rows[q.half_width]
    else:
        low, high = rows[q.low], rows[q.high]
    frame = pd.DataFrame({"year": rows["year"], "value": rows[q.column], "low": low, "high": high})
    out = frame.groupby("year", sort=True).sum(min_count=1).reset_index()
    if q.carbon:
        factor = to_basis(1.0, from_basis="C", to_basis=basis)
        out[["value", "low", "high"]] = out[["value", "low", "high"]] * factor
    return out


def _quantity(name: str) -> SeriesQuantity:
    try:
        return SERIES_QUANTITIES[name]
    except KeyError:
        raise InputError(
            f"unknown quantity {name!r}", column="quantity", expected="one of " + ", ".join(SERIES_QUANTITIES)
        ) from None


def _draw_series(ax: Axes, table: pd.DataFrame, *, label: str, colour: str, band_label: str) -> None:
    ax.plot(table["year"], table["value"], marker="o", markersize=3, color=colour, label=label)
    band = table.dropna(subset=["low", "high"])
    if not band.empty:
        ax.fill_between(
            band["year"], band["low"], band["high"], color=colour, alpha=0.25, label=f"{label} {band_label}"
        )


def _axis_units(q: SeriesQuantity, basis: str) -> str:
    """Totals read better in tonnes: ``t C``, ``t CO2e yr-1`` (1 t = 1 Mg)."""
    if not q.carbon:
        return q.units
    mass = "t C" if _basis(basis) is CarbonBasis.C else "t CO2e"
    return mass + canonical_units(q.units)[2:]


def class_series(
    totals: pd.DataFrame,
    *,
    site: str,
    habitats: Sequence[str] | None = None,
    quantities: Sequence[str] | None = None,
    basis: str = "C",
    title: str | None = None,
) -> Figure:
    """Time series per habitat class of one site, one panel per quantity, each line with
    its uncertainty band (area: 95 % CI; stock and sequestration: P5-P95).

    Parameters
    ----------
    totals
        A release's ``class_totals`` table.
    habitats
        Classes to draw (default: the blue-carbon classes of the site, else all).
    quantities
        Any of ``area``, ``stock``, ``sequestration`` (default: what the site has).
    basis
        ``"C"`` (t C) or ``"CO2e"`` (t CO2e) for carbon quantities.
    """
    quantities = list(quantities or available_quantities(totals, site=site))
    specs = [_quantity(q) for q in quantities]
    rows = _site_rows(totals, site)
    chosen = _pick_habitats(rows, habitats)
    fig = Figure(figsize=(8.0, 2.6 + 2.4 * len(specs)), layout="constrained")
    axes = fig.subplots(len(specs), 1, sharex=True, squeeze=False)[:, 0]
    for ax, q in zip(axes, specs, strict=True):
        for i, habitat in enumerate(chosen):
            table = series_table(totals, site=site, habitat=habitat, quantity=q.name, basis=basis)
            _draw_series(ax, table, label=habitat, colour=_class_colour(habitat, i), band_label=q.band_label)
        ax.set_ylabel(f"{q.label} ({_axis_units(q, basis)})")
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    axes[-1].set_xlabel("year")
    fig.suptitle(title or f"{site}: " + ", ".join(q.label for q in specs))
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
    fig, ax = _new_figure((8.0, 4.0))
    for i, (label, frame) in enumerate(totals.items()):
        table = series_table(frame, site=site, habitat=habitat, quantity=quantity, basis=basis)
        _draw_series(
            ax, table, label=label, colour=_EXTRA_COLOURS[i % len(_EXTRA_COLOURS)], band_label=q.band_label
        )
    ax.set_xlabel("year")
    ax.set_ylabel(f"{q.label} ({_axis_units(q, basis)})")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, title="release")
    ax.set_title(title or f"{site}, {habitat}: {q.label} by release")
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
) -> Figure:
    """Map of one layer of a released product (``site/kind``): habitat classes for a
    habitat product, else the carbon stock (or ``variable``)."""
    info = catalog.release(release)
    ds = catalog.open(product, release=info.tag)
    name = variable or ("habitat" if "habitat" in ds.data_vars else "carbon_stock")
    da = select_layer(ds, name, year=year, period=period, pool=pool)
    where = ", ".join(
        f"{d} {da.coords[d].item()}"
        for d in ("year", "period", "pool")
        if d in da.coords and da.coords[d].size == 1
    )
    title = f"{product}: {name}, {where} (release {info.tag})"
    if "flag_meanings" in da.attrs:
        return habitat_map(da, title=title, max_size=max_size)
    return quantity_map(da, basis=basis, title=title, max_size=max_size)


def series_figure(
    catalog: Catalog,
    site: str,
    *,
    release: str = "latest",
    habitats: Sequence[str] | None = None,
    quantities: Sequence[str] | None = None,
    basis: str = "C",
) -> Figure:
    """Time series with uncertainty bands of a site's classes in a release."""
    info = catalog.release(release)
    totals = catalog.table("class_totals", release=info.tag)
    return class_series(
        totals,
        site=site,
        habitats=habitats,
        quantities=quantities,
        basis=basis,
        title=f"{site} (release {info.tag})",
    )


def save_png(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG (Agg canvas; parent folders are created)."""
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise InputError("the output must be a .png file", file=out, expected="a path ending in .png")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, format="png", facecolor="white")
    return out


__all__ = [
    "HABITAT_COLOURS",
    "SERIES_QUANTITIES",
    "available_quantities",
    "class_series",
    "habitat_classes",
    "habitat_map",
    "map_figure",
    "quantity_map",
    "release_series",
    "save_png",
    "select_layer",
    "series_figure",
    "series_table",
    "units_label",
]
