"""Time series of the ``class_totals`` table: area, stock, net flux or harvest removal per
class with their uncertainty bands, the site's net flux panel (sink or emitter) and releases
compared.

Why a module of its own: series read tables, never grids; what a quantity is (column, band
columns, per-period or not, carbon or not) is declared once in :data:`SERIES_QUANTITIES`, and
:func:`series_table` is the one reduction from release rows to the drawn values (a CO2e view
converts with :func:`bluecarbon.units.to_basis`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from bluecarbon import palette
from bluecarbon.errors import InputError
from bluecarbon.plots.common import (
    QUANTITY_NAMES,
    SERIES_QUANTITIES,
    SITE_NET_FLUX,
    VARIABLE_LABELS,
    GroupedFormatter,
    SeriesQuantity,
    _basis,
    _class_colour,
    id_label,
    site_label,
)
from bluecarbon.plots.language import localise_figure
from bluecarbon.units import mass_and_rest, to_basis
from bluecarbon.vocab import CarbonBasis, Habitat

if TYPE_CHECKING:
    from matplotlib.axes import Axes


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
    return localise_figure(fig)


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
    return localise_figure(fig)
