"""Uncertainty of class and parcel totals, and the VM0033 conservative value.

Why per class and per parcel, not per pixel: the inputs that carry uncertainty are class-level
(a survey mean and its standard error, an IPCC range, a map's area confidence interval), and
their errors are fully correlated across the pixels of a class. Propagating them per pixel
would be both expensive and wrong (independent pixel errors would average away). So the
transition engine reduces the maps to trajectory histograms, and the Monte Carlo here draws
class parameters and class areas, re-evaluates the closed-form kernel on the trajectories
(cheap: a few hundred to a few thousand units) and re-aggregates.

VM0033 v2.1 section 8.5 (METHODS.md section 6): the uncertainty ``U`` is the half-width of the
confidence interval (90 % by default) as a fraction of the central value, reported with every
total; what it is used for (the conservative stock, the deduction from creditable removals)
lives in :mod:`bluecarbon.carbon.conservative`. All settings come from the ``uncertainty``
parameter table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bluecarbon.carbon.transitions.tables import ClassTable
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet

_FRACTION_COLUMNS: Final[tuple[str, ...]] = tuple(
    f"{pool}-{level}-impact-disturb" for pool in ("biomass", "soil") for level in ("low", "med", "high")
)


def allowable_uncertainty_parameter(ci_level: float) -> str:
    """Name of the ``uncertainty`` parameter holding VM0033's allowable uncertainty ``A`` at a
    confidence level (section 8.5: 20 % at 90 %, 30 % at 95 %); the one place the level picks
    it, for the credits table, the settings and the statements alike."""
    if np.isclose(ci_level, 0.90):
        return "allowable_uncertainty_ci90"
    if np.isclose(ci_level, 0.95):
        return "allowable_uncertainty_ci95"
    raise InputError(f"CI level {ci_level}", column="ci_level", expected="0.90 or 0.95 (VM0033)")


@dataclass(frozen=True)
class UncertaintySettings:
    """Monte Carlo size and seed, CI level, VM0033 allowable uncertainty, buffer."""

    draws: int
    seed: int
    ci_level: float
    allowable: float
    buffer: float
    default_area_ci_fraction: float

    @classmethod
    def from_parameters(
        cls, parameters: ParameterSet, *, ci_level: float | None = None, buffer: float | None = None
    ) -> UncertaintySettings:
        """Settings from the ``uncertainty`` table (CI 90 % unless ``ci_level`` is 0.95)."""
        level = float(ci_level if ci_level is not None else parameters.value("uncertainty", "ci_level"))
        allowable = parameters.value("uncertainty", allowable_uncertainty_parameter(level))
        draws = int(parameters.value("uncertainty", "mc_draws"))
        if draws < 1000:
            raise InputError(f"{draws} Monte Carlo draws", column="mc_draws", expected=">= 1000 (VM0033)")
        return cls(
            draws=draws,
            seed=int(parameters.value("uncertainty", "mc_seed")),
            ci_level=level,
            allowable=float(allowable),
            buffer=float(
                buffer if buffer is not None else parameters.value("uncertainty", "buffer_fraction")
            ),
            default_area_ci_fraction=float(parameters.value("uncertainty", "default_area_ci_fraction")),
        )


def se_from_range(low: ArrayLike, high: ArrayLike, *, level: float = 0.95) -> NDArray[np.float64]:
    """Standard error of a normal whose central ``level`` interval is ``[low, high]``.

    Notes
    -----
    .. math:: SE = \\frac{high - low}{2\\, z_{(1+level)/2}}

    (``z = 1.96`` for 95 %).
    """
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    return (np.asarray(high, dtype=np.float64) - np.asarray(low, dtype=np.float64)) / (2.0 * z)


def ci_half_width(se: ArrayLike, n: ArrayLike, *, level: float = 0.90) -> NDArray[np.float64]:
    """Half-width of a ``level`` confidence interval from a sample: ``t((1+level)/2, n-1) x SE``.

    References
    ----------
    Verra VM0033 v2.1 section 8.5 (METHODS.md section 6).
    """
    from scipy import stats  # scipy.stats costs ~1 s to import; only this function needs it

    dof = np.maximum(np.asarray(n, dtype=np.float64) - 1.0, 1.0)
    return stats.t.ppf(0.5 + level / 2.0, dof) * np.asarray(se, dtype=np.float64)


def product_relative_se(*relative_ses: ArrayLike) -> NDArray[np.float64]:
    """Relative SE of a product of independent factors: ``sqrt(sum r_i^2)`` (area x density).

    References
    ----------
    Verra VM0033 v2.1 section 8.5: relative errors of a product add in quadrature.
    """
    squares = [np.square(np.asarray(r, dtype=np.float64)) for r in relative_ses]
    return np.sqrt(np.sum(squares, axis=0))


def relative_uncertainty(
    samples: ArrayLike, central: ArrayLike, *, level: float, axis: int = 0
) -> NDArray[np.float64]:
    """``U``: half-width of the central ``level`` interval of ``samples`` over ``|central|``.

    Zero where the central value is zero and the samples do not spread.
    """
    lo, hi = np.nanquantile(
        np.asarray(samples, dtype=np.float64), [0.5 - level / 2.0, 0.5 + level / 2.0], axis=axis
    )
    half = (hi - lo) / 2.0
    c = np.abs(np.asarray(central, dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(c > 0, half / np.where(c > 0, c, 1.0), np.where(half > 0, np.inf, 0.0))
    return u


def percentiles(samples: ArrayLike, *, axis: int = 0) -> tuple[NDArray[np.float64], ...]:
    """P5, P50 and P95 along ``axis`` (NaN ignored)."""
    p5, p50, p95 = np.nanquantile(np.asarray(samples, dtype=np.float64), [0.05, 0.50, 0.95], axis=axis)
    return p5, p50, p95


def draw_class_table(classes: ClassTable, *, draws: int, rng: np.random.Generator) -> ClassTable:
    """Classes whose columns with a standard error hold ``draws`` normal draws, shape ``(D, K)``.

    Draws are clipped to the physical range (stocks, rates and half-lives >= 0 where the central
    value is >= 0; disturbance fractions to 0..1). Columns without a standard error are left as
    they are (no uncertainty). Classes of one ``draw_groups`` group share their noise.
    """
    out: dict[str, np.ndarray] = {}
    groups = np.arange(classes.n_classes) if classes.draw_groups is None else np.asarray(classes.draw_groups)
    _, groups = np.unique(groups, return_inverse=True)
    n_groups = int(groups.max()) + 1 if groups.size else 0
    for column, se in classes.standard_errors.items():
        se = np.asarray(se, dtype=np.float64)
        if not np.isfinite(se).any() or not (se[np.isfinite(se)] > 0).any():
            continue
        mean = np.asarray(classes.values[column], dtype=np.float64)
        noise = rng.standard_normal((draws, n_groups))[:, groups]
        sample = mean + noise * np.where(np.isfinite(se), se, 0.0)
        if column in _FRACTION_COLUMNS:
            sample = np.clip(sample, 0.0, 1.0)
        else:
            sample = np.where(mean >= 0, np.maximum(sample, 0.0), sample)
        out[column] = sample
    return classes.with_values(out) if out else classes


def draw_area_factors(
    relative_se: Mapping[Any, float], *, draws: int, rng: np.random.Generator
) -> dict[Any, np.ndarray]:
    """Multiplicative area errors per key (class, or (year, class)): ``N(1, r)`` clipped at 0.

    Keys are drawn in sorted order, so each key gets the same draws whatever the mapping's
    order (a set-built mapping iterates in a per-process hash order).
    """
    return {
        key: np.maximum(1.0 + rng.standard_normal(draws) * float(r), 0.0) if r > 0 else np.ones(draws)
        for key, r in sorted(relative_se.items(), key=lambda item: str(item[0]))
    }


def area_relative_se(
    area_ha: ArrayLike, area_ci_ha: ArrayLike, *, level: float = 0.95
) -> NDArray[np.float64]:
    """Relative SE of a mapped area from its ``level`` CI half-width (Olofsson et al. 2014)."""
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    a = np.asarray(area_ha, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, np.asarray(area_ci_ha, dtype=np.float64) / z / np.where(a > 0, a, 1.0), 0.0)
