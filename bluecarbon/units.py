"""Units that travel with the data: parsed, converted and checked in one place, with pint.

Why pint (through cf-xarray's registry) and not a table of spellings: the first version kept
three tables (here, in the survey reader and in the production reader), each with its own
factors and its own idea of case, and one of them took ``mg`` (milligram) for tonnes. A unit
registry knows that ``Mg`` is a megagram (a tonne) and ``mg`` a milligram, that ``kg m-3`` is
a thousandth of ``g cm-3``, and reads the CF/UDUNITS spellings our NetCDF products carry
(``Mg ha-1``, ``g cm-3``). Case matters everywhere.

What stays ours:

* :data:`LOCAL_SPELLINGS`: words and Chinese units a survey sheet may hold (``吨``, ``亩``,
  ``百分比``, ``tonnes live weight``) and the spelling the registry reads for each; the one
  unit the registry lacks, the Chinese mu (亩, 1/15 ha), is defined on it;
* carbon basis and currency labels inside a units string (``Mg C ha-1``, ``CNY ha-1``) are
  separated from the physical unit (pint would read ``C`` as degrees Celsius);
* one carbon-to-CO2e factor, :data:`CO2E_PER_C` (44.0095/12.0107), and the basis conversion.

Function boundaries: :func:`conversion_factor` (and :func:`convert`) is how a column's stated
units become the units a reader wants; :func:`check_units` is how a function that consumes a
DataArray refuses one in other units. Every failure is a :class:`~bluecarbon.errors.UnitError`
naming the file, row and column when the caller knows them, the value found and what was
expected. The registry is built on first use (importing pint costs about half a second, which
the ``bluecarbon transitions`` start-up does not pay when units are spelled as expected).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import xarray as xr

from bluecarbon.errors import UnitError

if TYPE_CHECKING:
    import pint

#: Molar mass ratio CO2 / C (44.0095 / 12.0107), used everywhere; never 44/12 or 3.67.
CO2E_PER_C: Final[float] = 44.0095 / 12.0107

#: 1 g C cm-2 = 100 Mg C ha-1 (1 ha = 1e8 cm2, 1 Mg = 1e6 g); equals conversion_factor("g cm-2", "Mg ha-1").
MG_HA_PER_G_CM2: Final[float] = 100.0
#: 1 g m-2 = 0.01 Mg ha-1; equals conversion_factor("g m-2", "Mg ha-1").
MG_HA_PER_G_M2: Final[float] = 0.01
#: Square metres per hectare; equals conversion_factor("ha", "m2").
M2_PER_HA: Final[float] = 10_000.0

#: Spellings a survey sheet or a harvest record may use -> a spelling the registry reads.
#: Matched exactly (case and all) after collapsing white space.
LOCAL_SPELLINGS: Final[dict[str, str]] = {
    # mass
    "吨": "t",
    "tonne": "t",
    "tonnes": "t",
    "t live weight": "t",
    "tonnes live weight": "t",
    "千克": "kg",
    "公斤": "kg",
    # area and length
    "公顷": "ha",
    "hectare": "ha",
    "hectares": "ha",
    "亩": "chinese_mu",
    "平方米": "m2",
    "厘米": "cm",
    "米": "m",
    "毫米": "mm",
    "metre": "m",
    "meter": "m",
    # fractions and angles
    "fraction": "1",
    "比例": "1",
    "百分比": "percent",
    "degrees": "degree",
    "deg": "degree",
    "°": "degree",
    "decimal degrees": "degree",
    "度": "degree",
    # time
    "year": "yr",
    "years": "yr",
}
#: Plausible factors between the units an input column states and the units a reader wants:
#: ``mg`` (1e-9 t) in a tonnes column is a mistyped ``Mg``, not a harvest of milligrams.
INPUT_SCALE_LIMITS: Final[tuple[float, float]] = (1e-6, 1e6)
#: Tokens of a units string that state the carbon basis rather than a physical unit.
BASIS_TOKENS: Final[dict[str, str]] = {"C": "C", "CO2e": "CO2e"}
_CURRENCY = re.compile(r"^(?:[A-Z]{3}|currency)$")


@cache
def registry() -> pint.UnitRegistry:
    """The unit registry: cf-xarray's (CF/UDUNITS spellings) plus the Chinese mu."""
    import logging

    pint_log = logging.getLogger("pint.util")
    level = pint_log.level
    pint_log.setLevel(logging.ERROR)  # cf-xarray redefines a few units on purpose; not news to a user
    try:
        import cf_xarray.units
    finally:
        pint_log.setLevel(level)

    reg = cf_xarray.units.units
    if "chinese_mu" not in reg:
        reg.define("chinese_mu = 10000 / 15 * m ** 2")
    return reg


@dataclass(frozen=True)
class Units:
    """A parsed units string: the physical unit, and the carbon basis or currency it names."""

    text: str
    unit: Any  # pint.Unit
    basis: str | None = None
    currency: str | None = None

    def cf(self) -> str:
        """The physical unit in CF/UDUNITS spelling (``Mg ha-1``, ``g cm-3``, ``1``)."""
        return f"{self.unit:cf}"


def parse_units(
    text: str,
    *,
    file: str | Path | None = None,
    row: int | None = None,
    column: str | None = None,
) -> Units:
    """Parse a units string; :class:`UnitError` naming ``file``/``row``/``column`` and the
    value when the registry does not know it. Case matters (``Mg`` is a tonne, ``mg`` a
    milligram)."""
    cleaned = re.sub(r"\s+", " ", str(text).strip())
    physical = LOCAL_SPELLINGS.get(cleaned, cleaned)
    basis = currency = None
    tokens = []
    for token in physical.split(" "):
        if token in BASIS_TOKENS and basis is None:
            basis = BASIS_TOKENS[token]
        elif _CURRENCY.match(token) and currency is None:
            currency = token
        else:
            tokens.append(LOCAL_SPELLINGS.get(token, token))
    spelled = " ".join(tokens) or "1"
    import pint

    try:
        unit = registry().Unit(spelled)
    except (pint.errors.PintError, AttributeError, ValueError, TypeError, ZeroDivisionError):
        raise UnitError(
            f"unknown units {text!r}",
            file=file,
            row=row,
            column=column,
            expected="units such as Mg ha-1, g cm-3, kg, t, ha, m2, cm, % (case matters: Mg is a tonne, "
            "mg a milligram)",
        ) from None
    return Units(text=str(text), unit=unit, basis=basis, currency=currency)


def _tidy(factor: float) -> float:
    """A factor between decimal units is a short decimal: remove pint's last-bit residue
    (``1.0000000000000002`` -> ``1.0``), keep any other factor (1/15) as computed."""
    short = float(f"{factor:.12g}")
    if short != factor and math.isclose(short, factor, rel_tol=4 * 2.0**-52, abs_tol=0.0):
        return short
    return factor


def conversion_factor(
    given: str,
    to: str,
    *,
    file: str | Path | None = None,
    row: int | None = None,
    column: str | None = None,
    within: tuple[float, float] | None = None,
) -> float:
    """The factor that turns values in units ``given`` into values in units ``to``.

    Raises :class:`UnitError` (naming ``file``, ``row``, ``column`` and both units) when either
    is unknown, when they measure different things (``kg m-2`` is not a density), when they
    state different carbon bases or currencies, or when the factor lies outside ``within``
    (readers pass :data:`INPUT_SCALE_LIMITS`, so ``mg`` is never read as tonnes).
    """
    source = parse_units(given, file=file, row=row, column=column)
    target = parse_units(to, file=file, row=row, column=column)
    if source.basis and target.basis and source.basis != target.basis:
        raise UnitError(
            f"units {given!r} are on carbon basis {source.basis}",
            file=file,
            row=row,
            column=column,
            expected=f"{to!r} (basis {target.basis}; convert with to_basis)",
        )
    if source.currency and target.currency and source.currency != target.currency:
        raise UnitError(
            f"units {given!r} are in {source.currency}", file=file, row=row, column=column, expected=to
        )
    if source.unit.dimensionality != target.unit.dimensionality:
        raise UnitError(
            f"units {given!r} cannot be converted to {to!r} ({source.unit.dimensionality} is not "
            f"{target.unit.dimensionality})",
            file=file,
            row=row,
            column=column,
            expected=f"units of the same kind as {to!r}",
        )
    import pint

    try:
        factor = registry().Quantity(1.0, source.unit).to(target.unit).magnitude
    except pint.errors.DimensionalityError:  # pragma: no cover - checked above
        raise UnitError(f"units {given!r} cannot be converted to {to!r}", file=file, column=column) from None
    factor = _tidy(float(factor))
    if within is not None and not within[0] <= factor <= within[1]:
        raise UnitError(
            f"units {given!r} are {factor:g} {to}: an implausible scale for this column"
            + (" (mg is a milligram; a tonne is Mg or t)" if "mg" in given.split() else ""),
            file=file,
            row=row,
            column=column,
            expected=f"{to!r} or units within a factor of {within[1]:g} of it",
        )
    return factor


def convert(values: Any, given: str, to: str, **where: Any) -> Any:
    """``values`` (number, array, Series, DataArray) in units ``given``, converted to ``to``;
    ``where`` (``file``, ``row``, ``column``) names the place in errors."""
    factor = conversion_factor(given, to, **where)
    return values if factor == 1.0 else values * factor


def same_units(given: str, expected: str) -> bool:
    """Whether ``given`` means exactly ``expected`` (same kind, factor 1, same basis); unknown
    units raise :class:`UnitError`."""
    if given.strip() == expected.strip():
        return True
    try:
        return conversion_factor(given, expected) == 1.0
    except UnitError:
        parse_units(given)  # unknown units raise; known but different ones are just different
        return False


def check_units(da: xr.DataArray, expected: str, *, name: str | None = None, file: str | None = None) -> None:
    """Raise :class:`UnitError` unless ``da.attrs['units']`` means ``expected``.

    The check a function runs on a DataArray it consumes: the spelling may differ (``t ha-1``
    for ``Mg ha-1``), the quantity and scale may not. A matching spelling costs nothing; any
    other is parsed.
    """
    label = str(name or da.name or "<unnamed>")
    if "units" not in da.attrs:
        raise UnitError(
            f"variable {label!r} has no 'units' attribute", file=file, column=label, expected=expected
        )
    given = str(da.attrs["units"])
    if not same_units(given, expected):
        raise UnitError(f"variable {label!r} is in {given!r}", file=file, column=label, expected=expected)


def canonical_units(units: str) -> str:
    """The CF spelling of ``units`` (``t/ha`` -> ``t ha-1``); :class:`UnitError` when unknown."""
    return parse_units(units).cf()


def mass_and_rest(units: str, *, column: str | None = None) -> tuple[str, str]:
    """Split a tonne-based unit into the mass and what it is per: ``t/ha/yr`` ->
    ``("Mg", "ha-1 yr-1")``, ``Mg`` -> ``("Mg", "")``. Raises :class:`UnitError` unless the
    units are one tonne (Mg or t) per something (figure labels put the carbon basis between
    the two)."""
    parsed = parse_units(units, column=column)
    reg = registry()
    mass_names = [
        n for n, e in parsed.unit._units.items() if e == 1 and reg.Unit(n).dimensionality == {"[mass]": 1}
    ]
    if len(mass_names) != 1 or conversion_factor(mass_names[0], "Mg") != 1.0:
        raise UnitError(f"units {units!r} are not a mass in tonnes", column=column, expected="Mg ... (t ...)")
    rest = parsed.unit / reg.Unit(mass_names[0])
    return "Mg", ("" if rest.dimensionless else f"{rest:cf}")


def per_area_total_units(units: str, *, column: str | None = None) -> str:
    """Units of a per-hectare quantity summed over hectares: ``Mg ha-1`` -> ``Mg``,
    ``CNY ha-1`` -> ``CNY``, ``Mg ha-1 yr-1`` -> ``Mg yr-1``. Raises :class:`UnitError` for a
    quantity that is not per hectare (a total of it would be meaningless)."""
    parsed = parse_units(units, column=column)
    reg = registry()
    if parsed.unit._units.get("hectare") != -1:
        raise UnitError(f"units {units!r} are not per hectare", column=column, expected="a quantity per ha")
    total = parsed.unit * reg.Unit("ha")
    labels = [x for x in (parsed.currency, parsed.basis) if x]
    physical = "" if total.dimensionless else f"{total:cf}"
    if parsed.basis and physical:
        mass, _, rest = physical.partition(" ")
        physical = " ".join(x for x in (mass, parsed.basis, rest) if x)
        labels = [x for x in labels if x != parsed.basis]
    return " ".join([*labels, physical]).strip()


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
