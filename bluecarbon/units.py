"""Units that travel with the data, and the few conversions the accounting needs.

We do not pull in pint/cf-xarray for this: the pipeline handles a dozen unit strings, all
known in advance. A small canonical table keeps the checks explicit and the error messages
precise. Units are checked at function boundaries with :func:`check_units`; conversions go
through :func:`convert` so that there is exactly one carbon-to-CO2e factor in the code base.
"""

from __future__ import annotations

from typing import Final

import xarray as xr

from bluecarbon.errors import UnitError

#: Molar mass ratio CO2 / C (44.0095 / 12.0107), used everywhere; never 44/12 or 3.67.
CO2E_PER_C: Final[float] = 44.0095 / 12.0107

#: 1 g C cm-2 = 100 Mg C ha-1 (1 ha = 1e8 cm2, 1 Mg = 1e6 g).
MG_HA_PER_G_CM2: Final[float] = 100.0
#: 1 g m-2 = 0.01 Mg ha-1.
MG_HA_PER_G_M2: Final[float] = 0.01
#: Square metres per hectare.
M2_PER_HA: Final[float] = 10_000.0

# Canonical spelling -> accepted aliases. Canonical spellings follow CF/UDUNITS style.
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "Mg ha-1": ("Mg ha-1", "Mg/ha", "t ha-1", "t/ha", "Mg C ha-1", "t C ha-1"),
    "Mg ha-1 yr-1": ("Mg ha-1 yr-1", "Mg/ha/yr", "t ha-1 yr-1", "t/ha/yr", "Mg C ha-1 yr-1"),
    "Mg": ("Mg", "t", "tonne", "tonnes"),
    "Mg yr-1": ("Mg yr-1", "t yr-1", "t/yr"),
    "ha": ("ha", "hectare", "hectares"),
    "g cm-3": ("g cm-3", "g/cm3", "g cm^-3"),
    "g cm-2": ("g cm-2", "g/cm2"),
    "g m-2": ("g m-2", "g/m2", "g m^-2"),
    "1": ("1", "fraction", "g g-1", "g/g", ""),
    "percent": ("percent", "%"),
    "cm": ("cm",),
    "m": ("m", "metre", "meter"),
    "yr": ("yr", "year", "years", "a"),
    "kg ha-1 yr-1": ("kg ha-1 yr-1", "kg/ha/yr"),
}
_CANONICAL: Final[dict[str, str]] = {alias: canon for canon, aliases in _ALIASES.items() for alias in aliases}


def canonical_units(units: str) -> str:
    """Return the canonical spelling of ``units`` or raise :class:`UnitError`."""
    try:
        return _CANONICAL[units.strip()]
    except KeyError:
        raise UnitError(
            f"unknown units {units!r}", expected="one of " + ", ".join(sorted(_ALIASES))
        ) from None


def check_units(da: xr.DataArray, expected: str, *, name: str | None = None) -> None:
    """Raise :class:`UnitError` unless ``da.attrs['units']`` means ``expected``."""
    label = name or da.name or "<unnamed>"
    if "units" not in da.attrs:
        raise UnitError(f"variable {label!r} has no 'units' attribute", expected=expected)
    if canonical_units(str(da.attrs["units"])) != canonical_units(expected):
        raise UnitError(
            f"variable {label!r} is in {da.attrs['units']!r}", column=str(label), expected=expected
        )


def c_to_co2e(value: float) -> float:
    """Carbon mass to CO2-equivalent mass: ``value * 44.0095/12.0107``."""
    return value * CO2E_PER_C


def co2e_to_c(value: float) -> float:
    """CO2-equivalent mass to carbon mass."""
    return value / CO2E_PER_C


def to_basis(value: float, *, from_basis: str, to_basis: str) -> float:
    """Convert between carbon bases ``"C"`` and ``"CO2e"`` (case-insensitive)."""
    src, dst = _basis(from_basis), _basis(to_basis)
    if src == dst:
        return value
    return c_to_co2e(value) if dst == "CO2e" else co2e_to_c(value)


def _basis(basis: str) -> str:
    b = basis.strip().lower()
    if b == "c":
        return "C"
    if b == "co2e":
        return "CO2e"
    raise UnitError(f"unknown carbon basis {basis!r}", expected="'C' or 'CO2e'")
