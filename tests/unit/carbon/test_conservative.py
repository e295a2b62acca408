"""The two conservative figures, by hand and as properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bluecarbon.carbon.conservative import conservative_stock, creditable_removals

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


def test_conservative_stock_by_hand() -> None:
    assert conservative_stock(100.0, 80.0) == pytest.approx(80.0)  # P5 below central
    assert conservative_stock(100.0, 120.0) == pytest.approx(100.0)  # never above central either
    assert conservative_stock(100.0, 80.0, at_risk=30.0) == pytest.approx(50.0)
    assert conservative_stock(100.0, 80.0, at_risk=95.0) == 0.0  # never negative


@given(central=finite, p5=finite, at_risk=st.floats(min_value=0, max_value=1e6))
def test_conservative_stock_is_never_above_p5(central: float, p5: float, at_risk: float) -> None:
    value = float(conservative_stock(central, p5, at_risk=at_risk))
    assert value <= max(p5, 0.0) + 1e-9
    assert value >= 0.0


def test_creditable_by_hand() -> None:
    # NR 100, U 25 % > A 20 %: deduction 100 x 0.05 = 5; buffer 10 % of 95 = 9.5; creditable 85.5
    c = creditable_removals(100.0, 0.25, allowable=0.20, buffer_fraction=0.10)
    assert (float(c.uncertainty_deduction), float(c.buffer), float(c.creditable)) == pytest.approx(
        (5.0, 9.5, 85.5)
    )
    # U within A: no deduction
    c = creditable_removals(100.0, 0.15, allowable=0.20, buffer_fraction=0.10)
    assert float(c.creditable) == pytest.approx(90.0)
    # against a baseline: project 130, baseline 30 -> NR 100
    c = creditable_removals(130.0, 0.15, allowable=0.20, buffer_fraction=0.10, baseline=30.0)
    assert float(c.net_removals) == pytest.approx(100.0)
    # a net emitter earns nothing, and nothing is deducted from it
    c = creditable_removals(-53.6, 0.4, allowable=0.20, buffer_fraction=0.10)
    assert (float(c.uncertainty_deduction), float(c.buffer), float(c.creditable)) == (0.0, 0.0, 0.0)
    # a deduction larger than the removals gives zero, never a negative credit
    c = creditable_removals(10.0, 5.0, allowable=0.20, buffer_fraction=0.10)
    assert float(c.creditable) == 0.0


@given(nr=finite, u=st.floats(min_value=0, max_value=10), b=st.floats(min_value=0, max_value=1))
def test_creditable_lies_between_zero_and_net_removals(nr: float, u: float, b: float) -> None:
    c = creditable_removals(nr, u, allowable=0.2, buffer_fraction=b)
    assert 0.0 <= float(c.creditable) <= max(nr, 0.0) + 1e-9
    np.testing.assert_allclose(
        float(c.creditable + c.uncertainty_deduction + c.buffer), max(nr, 0.0), rtol=1e-9, atol=1e-9
    )
