"""Prices and NPV in the guide's form and in InVEST 3.20.2's form, by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bluecarbon.carbon.transitions.valuation import (
    Valuation,
    guide_npv,
    invest_valuation_factor,
    price_series,
    read_price_table,
    weight_array,
)
from bluecarbon.errors import InputError


def test_price_series_by_hand() -> None:
    # 15 x 1.02^k: 15, 15.3, 15.606
    assert price_series(price=15.0, inflation_rate=0.02, first_year=2010, last_year=2012) == pytest.approx(
        {2010: 15.0, 2011: 15.3, 2012: 15.606}
    )


def test_invest_factor_and_guide_npv_by_hand() -> None:
    v = Valuation(prices={2010: 10.0, 2011: 12.0}, discount_rate=0.10)
    # F(2012) = 10 / 1.1^0 + 12 / 1.1^1 = 10 + 10.909091 = 20.909091
    assert invest_valuation_factor(v, baseline=2010, target_year=2012) == pytest.approx(20.909091, rel=1e-7)
    # Guide: 5 t in 2010, -2 t in 2011: 10 x 5 + 12 x (-2) / 1.1 = 50 - 21.818182 = 28.181818
    assert guide_npv({2010: 5.0, 2011: -2.0}, v, baseline=2010, target_year=2012) == pytest.approx(28.181818)
    # InVEST would value the same 3 t of cumulative net sequestration as 3 x 20.909091 = 62.727273.
    np.testing.assert_allclose(weight_array(v, baseline=2010, last_year=2012), [10.0, 10.909091], rtol=1e-7)


def test_inflation_equal_to_discount_gives_years_times_price() -> None:
    # Price 2 growing 5 %/yr, discounted 5 %/yr: each year is worth 2, so F(2013) = 3 x 2 = 6.
    v = Valuation(price_series(price=2.0, inflation_rate=0.05, first_year=2010, last_year=2013), 0.05)
    assert invest_valuation_factor(v, baseline=2010, target_year=2013) == pytest.approx(6.0)


def test_missing_price_year_is_an_input_error() -> None:
    v = Valuation(prices={2010: 1.0}, discount_rate=0.0, source="prices.csv")
    with pytest.raises(InputError, match="no carbon price for year 2011"):
        invest_valuation_factor(v, baseline=2010, target_year=2012)


def test_read_price_table(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("Year,Price\n2010,40\n2011,40.8\n")
    assert read_price_table(path) == {2010: 40.0, 2011: 40.8}
    path.write_text("year,price\n2010,40\n2010,41\n")
    with pytest.raises(InputError, match="appears twice") as info:
        read_price_table(path)
    assert info.value.location.row == 3
    path.write_text("year,cost\n2010,40\n")
    with pytest.raises(InputError) as info:
        read_price_table(path)
    assert info.value.location.column == "price"
