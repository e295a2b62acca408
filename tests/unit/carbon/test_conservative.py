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


def test_allowable_uncertainty_is_picked_by_the_ci_level_in_one_place() -> None:
    from bluecarbon.carbon.uncertainty import UncertaintySettings, allowable_uncertainty_parameter
    from bluecarbon.errors import InputError
    from bluecarbon.params import ParameterSet

    shipped = ParameterSet.shipped()
    assert allowable_uncertainty_parameter(0.90) == "allowable_uncertainty_ci90"
    assert allowable_uncertainty_parameter(0.95) == "allowable_uncertainty_ci95"
    assert UncertaintySettings.from_parameters(shipped).allowable == 0.20
    assert UncertaintySettings.from_parameters(shipped, ci_level=0.95).allowable == 0.30
    with pytest.raises(InputError, match=r"CI level 0.8 .*expected 0.90 or 0.95"):
        allowable_uncertainty_parameter(0.8)
    # U = 0.5 at A = 0.2: 30 % of 100 t deducted, then a 10 % buffer on the 70 t left
    result = creditable_removals(100.0, 0.5, allowable=0.20, buffer_fraction=0.10)
    assert (
        float(result.uncertainty_deduction),
        float(result.buffer),
        float(result.creditable),
    ) == pytest.approx((30.0, 7.0, 63.0))
