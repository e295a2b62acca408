"""Register quantities and serial numbers: integers, so sums never drift.

One register unit is one kilogram of CO2e (0.001 t CO2e), so every quantity a user types in
t CO2e with up to three decimals is a whole number of units, and every balance is a sum of
integers. Serial numbers count the units of one parcel and crediting period from 1; a run of
consecutive units is written

    BC-<parcel>-<period start>-<period end>-<first>-<last>

e.g. ``BC-qd-jzb-oyster-01-2023-2024-1-20000`` is the first 20 t CO2e issued for the farm's
2023 harvest year. The issue text's ``BC-<parcel>-<period>-<start>-<end>`` is this format with
the period written ``<start year>-<end year>``. Parcel ids may contain ``-``; the last four
fields are always numbers, so a serial reads back unambiguously from its end.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from bluecarbon.errors import InputError

#: Register units per t CO2e (one unit = 1 kg CO2e).
UNITS_PER_T: Final[int] = 1000
SERIAL_PREFIX: Final[str] = "BC"
_SERIAL_RE: Final = re.compile(
    r"^BC-(?P<parcel>.+)-(?P<start>\d{4})-(?P<end>\d{4})-(?P<first>\d+)-(?P<last>\d+)$"
)
_PERIOD_RE: Final = re.compile(r"^\s*(?P<start>\d{4})\s*-\s*(?P<end>\d{4})\s*$")


def units_from_t(quantity_t: float | str | Decimal, *, what: str = "quantity") -> int:
    """Units in a quantity a user gave in t CO2e: positive, at most three decimals, exact."""
    try:
        value = Decimal(str(quantity_t).strip().replace(",", ""))
    except InvalidOperation:
        raise InputError(f"{what} {quantity_t!r}", expected="a number of t CO2e, e.g. 12.5") from None
    if not value.is_finite() or value <= 0:
        raise InputError(f"{what} {quantity_t} t CO2e", expected="a positive number of t CO2e")
    units = value * UNITS_PER_T
    if units != units.to_integral_value():
        raise InputError(
            f"{what} {quantity_t} t CO2e has more than three decimals",
            expected="t CO2e to at most 0.001 (one register unit is 1 kg CO2e)",
        )
    return int(units)


def units_issuable(creditable_t: float) -> int:
    """Whole units in a creditable figure, rounded down (never issue a fraction of a unit that
    is not there); a float error below 1e-6 units is not a missing unit."""
    if not math.isfinite(creditable_t) or creditable_t <= 0:
        return 0
    return math.floor(round(creditable_t * UNITS_PER_T, 6))


def t_from_units(units: int) -> float:
    """t CO2e (three decimals exact) of a number of units."""
    return round(units / UNITS_PER_T, 3)


def fmt_t(units: int) -> str:
    """``12,345.678``: t CO2e with thousands separators and three decimals."""
    sign = "-" if units < 0 else ""
    whole, rest = divmod(abs(units), UNITS_PER_T)
    return f"{sign}{whole:,}.{rest:03d}"


@dataclass(frozen=True, order=True)
class Period:
    """A crediting period ``start``-``end`` (years, end exclusive: 2023-2024 is harvest year 2023)."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD_RE.match(str(text))
        if match is None or int(match["end"]) <= int(match["start"]):
            raise InputError(f"crediting period {text!r}", expected="START-END years, e.g. 2023-2024")
        return cls(int(match["start"]), int(match["end"]))


@dataclass(frozen=True, order=True)
class SerialRange:
    """Units ``first``..``last`` (inclusive) of one parcel and crediting period."""

    parcel_id: str
    period: Period
    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first < 1 or self.last < self.first:
            raise InputError(f"serial range {self.first}-{self.last}", expected="1 <= first <= last")

    @property
    def units(self) -> int:
        return self.last - self.first + 1

    def __str__(self) -> str:
        return f"{SERIAL_PREFIX}-{self.parcel_id}-{self.period}-{self.first}-{self.last}"

    @classmethod
    def parse(cls, text: str) -> SerialRange:
        match = _SERIAL_RE.match(str(text).strip())
        if match is None:
            raise InputError(
                f"serial {text!r}", expected="BC-<parcel>-<period start>-<period end>-<first>-<last>"
            )
        return cls(
            match["parcel"],
            Period(int(match["start"]), int(match["end"])),
            int(match["first"]),
            int(match["last"]),
        )
