"""The headline tables printed after a run and by ``show``.

Per site and latest map year: each blue-carbon habitat's area, stock and conservative stock to
the accounting depth and its net flux; the site's net flux over all classes (lost habitat
included, so a shrinking meadow shows as the emitter it is). Harvested aquaculture has no
area or stock here (a harvest is a flow, not a stock): its annual removal, with the tissue-only
part, is a second small table, so both fit 80 columns and no figure is hidden at that width
(see :mod:`bluecarbon.cli.tables`).
"""

from __future__ import annotations

from typing import Any

from bluecarbon.cli.tables import Col, print_table
from bluecarbon.formatting import fmt_number


def _habitat(row: dict[str, Any]) -> str:
    return str(row["habitat"]).replace("_", " ")


def _has_stock_or_flux(row: dict[str, Any]) -> bool:
    keys = ("area_ha", "stock_t_co2e", "stock_conservative_t_co2e", "net_flux_t_co2e_yr")
    return any(row.get(k) is not None for k in keys)


def _flux_cell(value: float | None) -> Any:
    from rich.text import Text

    return Text(fmt_number(value), style="red" if value is not None and value < 0 else "")


def print_headline(
    rows: list[dict[str, Any]], *, title: str, depth_cm: float | None = None, wide: bool = False
) -> None:
    """Headline tables (see the module docstring)."""
    depth = f" to {depth_cm:g} cm" if depth_cm else ""
    stocks = [r for r in rows if _has_stock_or_flux(r)]
    removals = [r for r in rows if r.get("removal_t_co2e_yr") is not None]
    if stocks or not removals:
        print_table(
            [
                Col("site", figure=True, justify="left"),
                Col("year", figure=True),
                Col("habitat"),
                Col("area ha", figure=True),
                Col(f"stock{depth} t CO2e", figure=True),
                Col("conservative t CO2e", figure=True),
                Col("net flux t CO2e/yr", figure=True),
                Col("flux period", figure=True, justify="left", optional=True),
            ],
            [
                [
                    str(r["site"]),
                    str(r["year"]),
                    _habitat(r),
                    fmt_number(r.get("area_ha")),
                    fmt_number(r.get("stock_t_co2e")),
                    fmt_number(r.get("stock_conservative_t_co2e")),
                    _flux_cell(r.get("net_flux_t_co2e_yr")),
                    str(r.get("flux_period") or ""),
                ]
                for r in stocks
            ],
            title=title,
            wide=wide,
        )
    if removals:
        print_table(
            [
                Col("site", figure=True, justify="left"),
                Col("year", figure=True),
                Col("habitat"),
                Col("harvest removal t CO2e/yr", figure=True),
                Col("of which tissue t CO2e/yr", figure=True),
            ],
            [
                [
                    str(r["site"]),
                    str(r["year"]),
                    _habitat(r),
                    fmt_number(r.get("removal_t_co2e_yr")),
                    fmt_number(r.get("tissue_removal_t_co2e_yr")),
                ]
                for r in removals
            ],
            title="Harvest removal (a yearly flow, not a stock)",
            wide=wide,
        )
