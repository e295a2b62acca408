"""Carbon prices and net present value, in the user's guide form and in InVEST 3.20.2's form.

Why two forms: the InVEST Coastal Blue Carbon user's guide values each year's net
sequestration at that year's price, discounted to the baseline,
``V = sum_t p_t N_t / (1+d)^t``; InVEST 3.20.2's code instead multiplies the *cumulative* net
sequestration by the *sum* of discounted prices (``_calculate_npv``), which overstates value by
10-40x on long horizons (METHODS.md section 3). The default mode uses the guide; the
compatibility mode reproduces the code. Both need only a few scalars per year (the discounted
price weights), which the transition engine combines with closed-form emissions; no raster per
year is ever written.

Prices are per tonne of CO2e. Rates are fractions here (0.03); the CLI converts InVEST's
percent inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bluecarbon.errors import InputError


@dataclass(frozen=True)
class Valuation:
    """Valuation settings: price per t CO2e by year, a discount rate (fraction) and a currency."""

    prices: Mapping[int, float]
    discount_rate: float
    currency: str = "currency"
    source: str = ""

    def price(self, year: int) -> float:
        try:
            return float(self.prices[year])
        except KeyError:
            raise InputError(
                f"no carbon price for year {year}",
                file=self.source or None,
                column="price",
                expected=f"a price for every year from {min(self.prices)} to the last valued year",
            ) from None


def price_series(*, price: float, inflation_rate: float, first_year: int, last_year: int) -> dict[int, float]:
    """Yearly price from a base price growing at ``inflation_rate`` (fraction) per year.

    Notes
    -----
    .. math:: p_y = p_0 (1 + i)^{y - y_0}, \\quad y_0 \\le y \\le y_1

    References
    ----------
    InVEST Coastal Blue Carbon ``execute`` (price and interest rate option).
    """
    if last_year < first_year:
        raise InputError(f"price series ends ({last_year}) before it starts ({first_year})")
    return {y: price * (1.0 + inflation_rate) ** (y - first_year) for y in range(first_year, last_year + 1)}


def read_price_table(path: str | Path) -> dict[int, float]:
    """InVEST price table: columns ``year`` and ``price`` (case-insensitive), one row per year."""
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise InputError("price table not found", file=path) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for column in ("year", "price"):
        if column not in frame.columns:
            raise InputError("missing column", file=path, column=column, expected="columns year, price")
    out: dict[int, float] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        year, value = row.year, row.price
        if pd.isna(year) or pd.isna(value):
            raise InputError("empty cell", file=path, row=i, expected="a year and a price")
        try:
            year_i, value_f = int(year), float(value)
        except (TypeError, ValueError):
            raise InputError(f"not a number: {year!r}, {value!r}", file=path, row=i) from None
        if year_i in out:
            raise InputError(f"year {year_i} appears twice", file=path, row=i, column="year")
        out[year_i] = value_f
    return out


def discounted_price_weights(
    valuation: Valuation, *, baseline: int, years: Iterable[int]
) -> dict[int, float]:
    """Discounted price of each year: ``w_y = p_y / (1 + d)^(y - baseline)``."""
    d = valuation.discount_rate
    return {y: valuation.price(y) / (1.0 + d) ** (y - baseline) for y in years}


def invest_valuation_factor(valuation: Valuation, *, baseline: int, target_year: int) -> float:
    """InVEST 3.20.2's multiplier of cumulative net sequestration for the NPV at ``target_year``.

    Notes
    -----
    .. math:: F(T) = \\sum_{k=0}^{T - y_0 - 1} \\frac{p_{y_0 + k}}{(1 + d)^k}

    and InVEST writes ``NPV(T) = F(T) \\cdot \\sum_{periods\\ ending \\le T} N``.

    References
    ----------
    natcap.invest 3.20.2, ``coastal_blue_carbon._calculate_npv``.
    """
    weights = discounted_price_weights(valuation, baseline=baseline, years=range(baseline, target_year))
    return float(sum(weights.values()))


def guide_npv(
    net_by_year: Mapping[int, float] | pd.Series, valuation: Valuation, *, baseline: int, target_year: int
) -> float:
    """User's guide NPV of yearly net sequestration up to (not including) ``target_year``.

    Notes
    -----
    .. math:: V(T) = \\sum_{y=y_0}^{T-1} \\frac{p_y N_y}{(1+d)^{y-y_0}}

    References
    ----------
    InVEST Coastal Blue Carbon User's Guide, "Net Present Value of Sequestration".
    """
    weights = discounted_price_weights(valuation, baseline=baseline, years=range(baseline, target_year))
    return float(sum(weights[y] * float(net_by_year.get(y, 0.0)) for y in weights))


def weight_array(valuation: Valuation, *, baseline: int, last_year: int) -> np.ndarray:
    """Discounted price weights for years ``baseline .. last_year - 1`` as an array (index = y - baseline)."""
    weights = discounted_price_weights(valuation, baseline=baseline, years=range(baseline, last_year))
    return np.asarray([weights[y] for y in range(baseline, last_year)], dtype=np.float64)
