"""The headline table printed after a run and by ``show``.

Per site and latest map year: each blue-carbon habitat's area, stock and conservative stock to
the accounting depth and its net flux; the site's net flux over all classes (lost habitat
included, so a shrinking meadow shows as the emitter it is); and for harvested aquaculture the
annual removal with its tissue-only part. Stock columns stay empty for removals: a harvest is
a flow, not a stock.
"""

from __future__ import annotations

from typing import Any

from bluecarbon.cli import _common as c
from bluecarbon.formatting import fmt_number


def print_headline(rows: list[dict[str, Any]], *, title: str, depth_cm: float | None = None) -> None:
    """Headline table (see the module docstring)."""
    from rich.table import Table

    depth = f" to {depth_cm:g} cm" if depth_cm else ""
    table = Table(title=title, title_justify="left")
    for column, justify in (
        ("site", "left"),
        ("year", "right"),
        ("habitat", "left"),
        ("area ha", "right"),
        (f"stock{depth} t CO2e", "right"),
        ("conservative t CO2e", "right"),
        ("net flux t CO2e/yr", "right"),
        ("removal t CO2e/yr (tissue)", "right"),
        ("period", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        removal = r.get("removal_t_co2e_yr")
        flux = r.get("net_flux_t_co2e_yr")
        table.add_row(
            str(r["site"]),
            str(r["year"]),
            str(r["habitat"]),
            fmt_number(r.get("area_ha")),
            fmt_number(r.get("stock_t_co2e")),
            fmt_number(r.get("stock_conservative_t_co2e")),
            ("[red]" if flux is not None and flux < 0 else "") + fmt_number(flux),
            "-"
            if removal is None
            else f"{fmt_number(removal)} ({fmt_number(r.get('tissue_removal_t_co2e_yr'))})",
            str(r.get("flux_period") or ""),
        )
    c.console().print(table)
