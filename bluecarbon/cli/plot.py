"""``bluecarbon plot``: figures of a release as PNG files.

The choices of ``--quantity``, ``--basis`` and ``--pool`` are spelled out in the option types
(typer lists them in the help and refuses anything else before a store is opened); they are
the names :mod:`bluecarbon.plots` accepts, which a unit test holds them to.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from bluecarbon.cli import _common as c

OutputOption = Annotated[Path, typer.Option("--output", "-o", help="PNG file to write.")]
BasisOption = Annotated[
    Literal["C", "CO2e"] | None,
    typer.Option("--basis", case_sensitive=False, help="Carbon basis of the values shown."),
]


class Quantity(enum.StrEnum):
    """Panels of ``plot series`` (``bluecarbon.plots.QUANTITY_NAMES``, dashes for underscores)."""

    SITE_NET_FLUX = "site-net-flux"
    AREA = "area"
    STOCK = "stock"
    NET_FLUX = "net-flux"
    REMOVAL = "removal"


LangOption = Annotated[
    Literal["en", "zh"],
    typer.Option("--lang", help="Language of the labels: en or zh (Chinese, with the sites' Chinese names)."),
]


def _site_names(settings: Any, lang: str = "en") -> dict[str, str]:
    """Site id -> name from the configured study, for figure titles (labels only: an
    unreadable study leaves the ids in words); in Chinese a site's ``name_zh`` where given."""
    from bluecarbon.errors import InputError
    from bluecarbon.pipeline.study import load_study

    try:
        sites = load_study(settings.study_file).sites
    except InputError:
        return {}
    return {site.id: (site.name_zh or site.name) if lang == "zh" else site.name for site in sites}


def _saved(fig: Any, output: Path, dpi: int) -> None:
    from bluecarbon.plots import save_png

    path = save_png(fig, output, dpi=dpi)
    width, height = fig.get_size_inches() * dpi
    c.console().print(f"wrote {path} ({width:.0f} x {height:.0f} px)")


def plot_map(
    product: Annotated[str, typer.Argument(help="Product 'site/kind', e.g. old_tampa_bay/habitat.")],
    output: OutputOption,
    release: c.ReleaseOption = "latest",
    variable: Annotated[
        str | None, typer.Option("--variable", help="Variable (default: habitat or carbon_stock).")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Year (default: last snapshot year).")] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Period of a per-period variable, e.g. 2016-2017.")
    ] = None,
    pool: Annotated[
        Literal["biomass", "soil", "litter"] | None,
        typer.Option("--pool", help="Pool of carbon_stock_by_pool."),
    ] = None,
    basis: BasisOption = None,
    dpi: Annotated[int, typer.Option("--dpi", help="Resolution of the PNG.")] = 120,
    lang: LangOption = "en",
    config: c.ConfigOption = None,
) -> None:
    """Map one layer of a released product.

    Habitat classes with their legend and areas, or a carbon quantity per hectare (Mg C ha-1,
    or t CO2e ha-1 with --basis CO2e; per period for per-period variables) with water and
    non-habitat masked; km ticks and a scale bar.
    """
    settings = c.settings(config)
    from bluecarbon.catalog.api import Catalog
    from bluecarbon.plots import map_figure

    with c.errors():
        fig = map_figure(
            Catalog(c.store(settings)),
            product,
            release=release,
            variable=variable,
            year=year,
            period=period,
            pool=pool,
            basis=basis,
            site_names=_site_names(settings, lang),
            lang=lang,
        )
        _saved(fig, output, dpi)


def plot_series(
    site: Annotated[str, typer.Argument(help="Site id, e.g. old_tampa_bay or chn_mariculture.")],
    output: OutputOption,
    release: c.ReleaseOption = "latest",
    habitat: Annotated[
        list[str] | None,
        typer.Option(
            "--habitat", help="Habitat class (repeatable; default: the site's blue-carbon classes)."
        ),
    ] = None,
    quantity: Annotated[
        list[Quantity] | None,
        typer.Option("--quantity", help="Panel to draw (repeatable; default: what the site has)."),
    ] = None,
    basis: BasisOption = "C",
    dpi: Annotated[int, typer.Option("--dpi", help="Resolution of the PNG.")] = 120,
    lang: LangOption = "en",
    config: c.ConfigOption = None,
) -> None:
    """Time series of a site's habitat classes, with bands.

    From the release's class totals: area with its 95 % CI (or the assumed default where the
    map has no accuracy assessment), stock, net flux per year and harvest removal (total and
    tissue only) with their P5-P95 band; above them the site's net flux over all classes
    (sink or emitter).
    """
    settings = c.settings(config)
    from bluecarbon.catalog.api import Catalog
    from bluecarbon.plots import series_figure

    with c.errors():
        fig = series_figure(
            Catalog(c.store(settings)),
            site,
            release=release,
            habitats=habitat or None,
            quantities=[q.value for q in quantity] if quantity else None,
            basis=basis or "C",
            site_names=_site_names(settings, lang),
            lang=lang,
        )
        _saved(fig, output, dpi)
