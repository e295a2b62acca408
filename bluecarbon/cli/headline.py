"""The headline table printed after a run and by ``show``: stocks of mapped habitats and the
annual removal of harvested aquaculture, per site."""

from __future__ import annotations

from typing import Any

from bluecarbon.cli import _common as c
from bluecarbon.formatting import fmt_number


def print_headline(rows: list[dict[str, Any]], *, title: str) -> None:
    """Headline table: stocks of mapped habitats, annual removal of harvested aquaculture."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column, justify in (
        ("site", "left"),
        ("year", "right"),
        ("habitat", "left"),
        ("area ha", "right"),
        ("stock t C", "right"),
        ("stock t CO2e", "right"),
        ("conservative t CO2e", "right"),
        ("sequestration t CO2e/yr", "right"),
        ("basis", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        flow_only = r["area_ha"] is None or r["area_ha"] != r["area_ha"]  # harvest removal: no stock
        table.add_row(
            str(r["site"]),
            str(r["year"]),
            str(r["habitat"]),
            fmt_number(r["area_ha"]),
            "-" if flow_only else fmt_number(r["stock_t_c"]),
            "-" if flow_only else fmt_number(r["stock_t_co2e"]),
            "-" if flow_only else fmt_number(r.get("stock_conservative_t_co2e")),
            fmt_number(r["sequestration_t_co2e_yr"]),
            str(r.get("density_source", "")).replace(
                "hy_t_0305_harvest_removal", "harvest removal, HY/T 0305"
            ),
        )
    c.console().print(table)
