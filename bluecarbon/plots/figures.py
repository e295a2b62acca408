"""From a catalog and a few names to a figure: the thin glue the CLI and notebooks call.

Why a module of its own: it is the only part of :mod:`bluecarbon.plots` that opens a store (a
:class:`~bluecarbon.catalog.api.Catalog`); the figure functions it calls take data and return
figures, with no global plotting state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import xarray as xr
from matplotlib.figure import Figure

from bluecarbon.errors import InputError
from bluecarbon.plots.common import (
    id_label,
    release_site_names,
    site_label,
)
from bluecarbon.plots.language import plot_language
from bluecarbon.plots.maps import (
    habitat_map,
    quantity_map,
)
from bluecarbon.plots.series import (
    class_series,
)

if TYPE_CHECKING:
    from bluecarbon.catalog.api import Catalog


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
    lang: str = "en",
) -> Figure:
    """Map of one layer of a released product (``site/kind``): habitat classes (with the
    subclass layer hatched over them) for a habitat product, else the carbon stock (or
    ``variable``) with water and other non-habitat masked.

    The title names the site by its study name (``site_names``, else the release's
    provenance, else its id in words), the variable in words and the year or period; with
    ``lang="zh"`` every label is Chinese and the site takes its Chinese name where it has one.
    """
    with plot_language(lang):
        info = catalog.release(release)
        ds = catalog.open(product, release=info.tag)
        site = product.split("/")[0]
        name = variable or ("habitat" if "habitat" in ds.data_vars else "carbon_stock")
        da = select_layer(ds, name, year=year, period=period, pool=pool)
        names = {**release_site_names(info, lang), **(site_names or {})}
        what = id_label(name)
        if "pool" in da.coords and da.coords["pool"].size == 1:
            what = f"{what}, {id_label(str(da.coords['pool'].item())).lower()}"
        when = [
            str(da.coords[d].item()) for d in ("year", "period") if d in da.coords and da.coords[d].size == 1
        ]
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
    lang: str = "en",
) -> Figure:
    """Time series with uncertainty bands of a site's classes in a release, with the site
    panel (net flux over all classes: sink or emitter?) when the release has a
    ``site_balance`` table, and the area band labelled from its ``accuracy`` table; labels
    in ``lang`` (see :func:`map_figure`)."""
    with plot_language(lang):
        info = catalog.release(release)
        tables = set(catalog.tables(info.tag))
        totals = catalog.table("class_totals", release=info.tag)
        accuracy = catalog.table("accuracy", release=info.tag) if "accuracy" in tables else None
        balance = catalog.table("site_balance", release=info.tag) if "site_balance" in tables else None
        names = {**release_site_names(info, lang), **(site_names or {})}
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
