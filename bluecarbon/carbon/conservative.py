"""The two conservative figures a lender may rely on, each defined once.

Why one module: the first version computed "conservative" in three places, two ways, and one of
them came out above the lower bound of its own Monte Carlo. Every table and statement now takes
its conservative values from these two functions:

* :func:`conservative_stock`: a standing stock is collateral at most up to the lower bound of
  what is there. It is ``min(P5, central)`` of a Monte Carlo that includes area, density and
  core-representativeness uncertainty, less stocks at risk (e.g. Spartina alterniflora under the
  national eradication campaign), never below zero. No VM0033 deduction and no buffer: those
  apply to credits, and a stock is not a credit.
* :func:`creditable_removals`: credits are net removals against a baseline over a crediting
  period (VM0033 v2.1): the uncertainty deduction of equation 92 (``max(U - A, 0)`` of the net
  removals), then the non-permanence buffer on what is left; zero when net removals are not
  positive (a net emitter earns nothing, and a deduction never turns into a credit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


def conservative_stock(central: ArrayLike, p5: ArrayLike, *, at_risk: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Conservative stock: the lower of P5 and the central value, less stocks at risk, >= 0.

    Notes
    -----
    .. math:: S_{cons} = \\max(\\min(P_5, S) - S_{risk},\\, 0)

    So ``S_cons <= P5`` in every row by construction.
    """
    c = np.asarray(central, dtype=np.float64)
    lower = np.fmin(np.asarray(p5, dtype=np.float64), c)
    return np.maximum(lower - np.asarray(at_risk, dtype=np.float64), 0.0)


@dataclass(frozen=True)
class Creditable:
    """Net removals against a baseline and what is creditable after VM0033's deductions
    (same units as the inputs, e.g. t CO2e over the crediting period)."""

    net_removals: NDArray[np.float64]
    uncertainty: NDArray[np.float64]
    uncertainty_deduction: NDArray[np.float64]
    buffer: NDArray[np.float64]
    creditable: NDArray[np.float64]


def creditable_removals(
    project: ArrayLike,
    uncertainty: ArrayLike,
    *,
    allowable: float,
    buffer_fraction: float,
    baseline: ArrayLike = 0.0,
) -> Creditable:
    """Creditable quantity from project and baseline net removals over a crediting period.

    Parameters
    ----------
    project, baseline
        Net removals (removals positive, emissions negative) of the project and the baseline
        scenario over the crediting period.
    uncertainty
        ``U``, the half-width of the confidence interval of the net removals over their value
        (VM0033 section 8.5: 90 % CI with allowable ``A`` = 20 %).
    allowable, buffer_fraction
        ``A`` and the non-permanence buffer share ``b``.

    Notes
    -----
    .. math::
        NR = P - B;\\quad D = NR \\max(U - A, 0);\\quad Buf = (NR - D)\\, b;\\quad
        C = NR - D - Buf \\quad (NR > 0), \\qquad D = Buf = C = 0 \\quad (NR \\le 0)

    References
    ----------
    Verra VM0033 v2.1 section 8.5, equation 92; VCS AFOLU Non-Permanence Risk Tool.
    """
    nr = np.asarray(project, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    u = np.asarray(uncertainty, dtype=np.float64)
    positive = nr > 0
    excess = np.where(np.isfinite(u), np.maximum(u - allowable, 0.0), 1.0)
    deduction = np.where(positive, np.minimum(nr * excess, nr), 0.0)
    buffer = np.where(positive, (nr - deduction) * buffer_fraction, 0.0)
    creditable = np.where(positive, nr - deduction - buffer, 0.0)
    return Creditable(
        net_removals=nr,
        uncertainty=np.broadcast_to(u, nr.shape).astype(np.float64),
        uncertainty_deduction=deduction,
        buffer=buffer,
        creditable=creditable,
    )
