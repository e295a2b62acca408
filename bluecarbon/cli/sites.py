"""``bluecarbon sites``: the sites of a release and what each holds.

Per site: its gridded products (``<site>/<kind>``, what ``plot map`` and ``export --product``
take), the years its class totals cover (map years for mapped sites, harvest years for
aquaculture), its blue-carbon habitats and the other classes mapped there, and how many
parcels lie in it. Everything comes from the release (its product list and its
``class_totals`` and ``parcels`` tables), so the listing describes that release whatever the
local study file says now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bluecarbon.cli import _common as c

if TYPE_CHECKING:
    import pandas as pd


def sites(
    release: c.ReleaseOption = "latest",
    config: c.ConfigOption = None,
    as_json: c.JsonOption = False,
    wide: c.WideOption = False,
) -> None:
    """List the sites of a release and what they hold.

    Products, years covered, blue-carbon habitats, other classes and parcels per site.
    """
    settings = c.settings(config)
    with c.errors():
        store = c.store(settings)
        info = store.resolve(release)
        totals = store.read_table("class_totals", info) if "class_totals" in info.tables else None
        parcels = store.read_table("parcels", info) if "parcels" in info.tables else None
    rows = site_records(info.products, totals, parcels)
    if as_json:
        c.print_json({"release": info.tag, "sites": rows})
        return
    print_sites(rows, title=f"Sites in release {info.tag} ({len(rows)})", wide=wide)


def _is_blue_carbon(habitat: str) -> bool:
    from bluecarbon.errors import InputError
    from bluecarbon.vocab import Habitat

    try:
        return Habitat.parse(habitat).is_blue_carbon
    except InputError:
        return False


def site_records(
    products: tuple[str, ...] | list[str], totals: pd.DataFrame | None, parcels: pd.DataFrame | None
) -> list[dict[str, Any]]:
    """One dict per site (sorted by id): ``site``, ``products`` (kinds), ``years``,
    ``habitats`` (blue carbon), ``other_classes``, ``parcels`` (count)."""
    kinds: dict[str, list[str]] = {}
    for product in products:
        site, _, kind = product.partition("/")
        kinds.setdefault(site, []).append(kind)
    years: dict[str, list[int]] = {}
    classes: dict[str, list[str]] = {}
    if totals is not None and not totals.empty:
        for site, group in totals.groupby("site", sort=True):
            years[str(site)] = sorted({int(y) for y in group["year"]})
            classes[str(site)] = sorted({str(h) for h in group["habitat"]})
    counts: dict[str, int] = {}
    if parcels is not None and not parcels.empty:
        counts = {str(k): int(v) for k, v in parcels["site"].value_counts().items()}
    out = []
    for site in sorted(set(kinds) | set(years) | set(counts)):
        present = classes.get(site, [])
        out.append(
            {
                "site": site,
                "products": sorted(kinds.get(site, [])),
                "years": years.get(site, []),
                "habitats": [h for h in present if _is_blue_carbon(h)],
                "other_classes": [h for h in present if not _is_blue_carbon(h)],
                "parcels": counts.get(site, 0),
            }
        )
    return out


def year_span(years: list[int]) -> str:
    """``1988-2022 (17)`` for many years, ``2021`` for one, ``-`` for none."""
    if not years:
        return "-"
    if len(years) == 1:
        return str(years[0])
    return f"{years[0]}-{years[-1]} ({len(years)})"


def _words(names: list[str]) -> str:
    return ", ".join(n.replace("_", " ") for n in names) or "-"


def print_sites(rows: list[dict[str, Any]], *, title: str, wide: bool = False) -> None:
    from bluecarbon.cli.tables import Col, print_table

    print_table(
        [
            Col("site", figure=True, justify="left"),
            Col("products"),
            Col("years", figure=True, justify="left"),
            Col("blue-carbon habitats"),
            Col("parcels", figure=True),
            Col("other classes", optional=True),
        ],
        [
            [
                r["site"],
                ", ".join(r["products"]) or "-",
                year_span(r["years"]),
                _words(r["habitats"]),
                str(r["parcels"]),
                _words(r["other_classes"]),
            ]
            for r in rows
        ],
        title=title,
        wide=wide,
    )
