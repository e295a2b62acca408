"""Closed-form emission equations: disturbance decay, drained soils, rewetting methane.

Why closed form: a disturbance at year ``s`` that puts ``D`` tonnes per hectare at risk emits
``D (0.5^((y-s)/H) - 0.5^((y-s+1)/H))`` in year ``y`` (METHODS.md section 3). The yearly terms
telescope, so the amount emitted over any span of years is one expression in (D, s, H) and the
span's ends. The transition engine therefore never needs a raster per year: every function here
is an element-wise numpy expression usable on a dask block, on a vector of trajectories or on a
scalar.

Half-life 0 means "no emissions" (the InVEST convention the shared inputs rely on): the decay
factor is then 1 and nothing leaves the pool. A half-life is "zero" when ``|H| <= 1e-8``, the
tolerance of ``numpy.isclose`` that InVEST uses for the same test.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Absolute tolerance below which InVEST treats a half-life, a disturbance fraction or a yearly
#: emission as zero (``numpy.isclose(x, 0)`` with its default ``atol``).
ZERO_TOLERANCE: Final[float] = 1e-8

#: kg per Mg.
KG_PER_MG: Final[float] = 1000.0

Array = NDArray[np.float64]


def is_zero(value: ArrayLike) -> NDArray[np.bool_]:
    """True where ``|value| <= 1e-8`` (``numpy.isclose(value, 0)``)."""
    return np.abs(np.asarray(value, dtype=np.float64)) <= ZERO_TOLERANCE


def decay_factor(half_life: ArrayLike) -> Array:
    """Fraction of disturbed carbon still unemitted after one year: ``a = 0.5^(1/H)``.

    Notes
    -----
    ``a = 0.5^(1/H)`` for ``H > 0``; ``a = 1`` (nothing emitted) where the half-life is zero.

    References
    ----------
    InVEST Coastal Blue Carbon User's Guide, "Magnitude and Timing of Loss".
    """
    h = np.asarray(half_life, dtype=np.float64)
    zero = is_zero(h)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.power(0.5, 1.0 / np.where(zero, 1.0, h))
    return np.where(zero, 1.0, a)


def annual_emission(disturbed: ArrayLike, years_since: ArrayLike, half_life: ArrayLike) -> Array:
    """Carbon emitted in the ``years_since``-th year after a disturbance (0 = its first year).

    Notes
    -----
    .. math:: E(y) = D \\left(0.5^{(y-s)/H} - 0.5^{(y-s+1)/H}\\right)

    with ``years_since = y - s``; zero before the disturbance (``y < s``) and where ``H = 0``.

    References
    ----------
    METHODS.md section 3; InVEST ``coastal_blue_carbon._calculate_emissions``.
    """
    t = np.asarray(years_since, dtype=np.float64)
    a = decay_factor(half_life)
    d = np.asarray(disturbed, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = d * (np.power(a, t) - np.power(a, t + 1.0))
    return np.where(t < 0, 0.0, out)


def emitted_between(
    disturbed: ArrayLike, disturbed_in: ArrayLike, start: ArrayLike, end: ArrayLike, half_life: ArrayLike
) -> Array:
    """Carbon emitted in the years ``start <= y < end`` by a disturbance in year ``disturbed_in``.

    Notes
    -----
    The yearly emissions telescope:

    .. math:: \\sum_{y=t_0}^{t_1-1} E(y) = D \\left(0.5^{(t_0-s)/H} - 0.5^{(t_1-s)/H}\\right),
              \\qquad t_0 = \\max(start, s),\\ t_1 = \\max(end, t_0)

    References
    ----------
    METHODS.md section 3 (closed form in D, s, H).
    """
    s = np.asarray(disturbed_in, dtype=np.float64)
    t0 = np.maximum(np.asarray(start, dtype=np.float64), s)
    t1 = np.maximum(np.asarray(end, dtype=np.float64), t0)
    a = decay_factor(half_life)
    d = np.asarray(disturbed, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return d * (np.power(a, t0 - s) - np.power(a, t1 - s))


def remaining_after(disturbed: ArrayLike, years_since: ArrayLike, half_life: ArrayLike) -> Array:
    """Disturbed carbon not yet emitted ``years_since`` years after the disturbance: ``D a^t``."""
    t = np.maximum(np.asarray(years_since, dtype=np.float64), 0.0)
    with np.errstate(invalid="ignore"):
        return np.asarray(disturbed, dtype=np.float64) * np.power(decay_factor(half_life), t)


def invest_first_quiet_year(disturbed: ArrayLike, disturbed_in: ArrayLike, half_life: ArrayLike) -> Array:
    """First year whose emission InVEST treats as zero (``|E(y)| <= 1e-8``), as a float year.

    InVEST 3.20.2 lets a pixel either emit or accumulate in a year, never both: it records
    ``-E(y)`` when ``E(y)`` is not close to zero and the accumulation rate otherwise
    (``_calculate_net_sequestration``). ``E(y) = D (1-a) a^(y-s)`` falls with ``y``, so the
    emitting years form one run ``s <= y < y*`` and this returns ``y*``.

    Notes
    -----
    .. math:: y^* = s + \\max\\left(0, \\left\\lceil \\frac{\\ln(10^{-8} / (D(1-a)))}{\\ln a}
              \\right\\rceil\\right)

    ``y* = s`` where ``D (1-a) <= 1e-8`` (nothing worth emitting, including ``H = 0``).
    """
    d = np.asarray(disturbed, dtype=np.float64)
    s = np.asarray(disturbed_in, dtype=np.float64)
    a = decay_factor(half_life)
    first = np.abs(d) * (1.0 - a)
    loud = first > ZERO_TOLERANCE
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(ZERO_TOLERANCE / np.where(loud, first, 1.0)) / np.log(np.where(loud, a, 0.5))
        steps = np.ceil(ratio - 1e-9)
    # Guard the float boundary: step back while the previous year is already quiet.
    steps = np.where(loud, np.maximum(steps, 0.0), 0.0)
    with np.errstate(invalid="ignore"):
        previous_quiet = loud & (steps > 0) & (first * np.power(a, steps - 1.0) <= ZERO_TOLERANCE)
    steps = np.where(previous_quiet, steps - 1.0, steps)
    return s + steps


def drained_soil_emission(rate_per_year: ArrayLike, years: ArrayLike) -> Array:
    """Carbon lost from drained organic/mineral wetland soil over ``years`` years.

    Notes
    -----
    .. math:: E = EF_{drained} \\cdot \\Delta t

    with ``EF`` in the tables' basis per hectare and year (Tier 1: 7.9 t C ha-1 yr-1 for
    mangrove and tidal marsh).

    References
    ----------
    IPCC 2013 Wetlands Supplement, ch. 4, table 4.13 (METHODS.md section 2).
    """
    return np.asarray(rate_per_year, dtype=np.float64) * np.asarray(years, dtype=np.float64)


def rewetting_methane(ef_kg_ch4: ArrayLike, years: ArrayLike) -> Array:
    """Methane (Mg CH4 ha-1) from soils rewetted at salinity below 18 ppt over ``years`` years.

    Notes
    -----
    .. math:: E_{CH_4} = EF_{CH_4} \\cdot \\Delta t / 1000

    with ``EF`` in kg CH4 ha-1 yr-1 (Tier 1: 193.7).

    References
    ----------
    IPCC 2013 Wetlands Supplement, ch. 4, table 4.14 (METHODS.md section 2).
    """
    return np.asarray(ef_kg_ch4, dtype=np.float64) * np.asarray(years, dtype=np.float64) / KG_PER_MG


def methane_co2e(methane: ArrayLike, *, gwp100: float) -> Array:
    """CO2-equivalent mass of a methane mass: ``CH4 x GWP100``."""
    return np.asarray(methane, dtype=np.float64) * gwp100
