"""What every figure shares: words for identifiers and units, tick labels, the PNG writer.

Why a module of its own: a figure never shows ``net_sequestration`` or ``Mg ha-1`` without its
basis; identifiers become words (:func:`id_label`, :func:`site_label`) and units labels
(:func:`units_label`, through :func:`bluecarbon.units.mass_and_rest`) in one place for maps
and series alike. Names with a leading underscore are shared inside :mod:`bluecarbon.plots`
only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

from bluecarbon import palette
from bluecarbon.errors import InputError
from bluecarbon.units import mass_and_rest
from bluecarbon.vocab import HABITAT_NAMES, POOL_NAMES, CarbonBasis

if TYPE_CHECKING:
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
    :data:`bluecarbon.vocab.HABITAT_NAMES`, ``POOL_NAMES``); anything else has its
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


def release_site_names(info: ReleaseInfo, lang: str = "en") -> dict[str, str]:
    """Site id -> name as the release's provenance records them (``study.sites``, as a
    mapping or a list of ``{"id", "name", "name_zh"}``; in Chinese the ``name_zh`` where a site
    has one); empty when the release does not."""
    study = (info.provenance or {}).get("study") or {}
    sites = study.get("sites") if isinstance(study, Mapping) else None
    if isinstance(sites, Mapping):
        return {str(k): str(v) for k, v in sites.items() if v}
    if isinstance(sites, list):
        return {
            str(s["id"]): str(s.get(f"name_{lang}") or s["name"])
            for s in sites
            if isinstance(s, Mapping) and s.get("name")
        }
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


def _class_colour(name: str, index: int, *, subclass: bool = False) -> str:
    colour = palette.subclass_colour(name) if subclass else palette.habitat_colour(name)
    return colour or palette.series_colour(index)


def save_png(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG (Agg canvas; parent folders are created)."""
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise InputError("the output must be a .png file", file=out, expected="a path ending in .png")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, format="png", facecolor=palette.PAPER)
    return out
