"""Closed-form emission equations against hand-computed values (and InVEST's kernel style)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluecarbon.carbon.transitions import emissions as em


def test_annual_emission_by_hand() -> None:
    # D = 10, H = 4, third year (t = y - s = 2): 10 * (0.5**(2/4) - 0.5**(3/4))
    #   = 10 * (0.7071068 - 0.5946036) = 1.125032
    assert em.annual_emission(10.0, 2, 4.0) == pytest.approx(1.125032, rel=1e-6)


def test_kernel_like_invest_test_emissions() -> None:
    # InVEST-style kernel check with our own numbers: disturbed 8 Mg/ha in 2020, H = 2 yr,
    # emission in 2023 (t = 3): 8 * (0.5**1.5 - 0.5**2) = 8 * (0.3535534 - 0.25) = 0.8284271;
    # a second pixel disturbed in 2024 emits nothing in 2023; a zero half-life emits nothing.
    disturbed = np.array([8.0, 8.0, 8.0])
    year_disturbed = np.array([2020, 2024, 2020])
    half_life = np.array([2.0, 2.0, 0.0])
    out = em.annual_emission(disturbed, 2023 - year_disturbed, half_life)
    np.testing.assert_allclose(out, [0.8284271, 0.0, 0.0], rtol=1e-6)


def test_emitted_between_by_hand() -> None:
    # D = 100 disturbed in 2020, H = 5: 2020..2029 emits 100 * (1 - 0.5**2) = 75;
    # 2025..2029 emits 100 * (0.5**1 - 0.5**2) = 25; a window before the disturbance emits 0.
    assert em.emitted_between(100.0, 2020, 2020, 2030, 5.0) == pytest.approx(75.0)
    assert em.emitted_between(100.0, 2020, 2025, 2030, 5.0) == pytest.approx(25.0)
    assert em.emitted_between(100.0, 2020, 2015, 2018, 5.0) == pytest.approx(0.0)
    assert em.remaining_after(100.0, 10, 5.0) == pytest.approx(25.0)


def test_zero_half_life_means_no_emission() -> None:
    assert em.decay_factor(0.0) == 1.0
    assert em.emitted_between(50.0, 2000, 2000, 2100, 0.0) == 0.0
    assert bool(em.is_zero(5e-9)) and not bool(em.is_zero(2e-8))


def test_invest_first_quiet_year_by_hand() -> None:
    # D = 1, H = 1: E(t) = 0.5 * 0.5**t; E <= 1e-8 from t >= log2(0.5 / 1e-8) = 25.58 -> t = 26.
    # E(25) = 1.49e-8 (still emitting), E(26) = 7.45e-9 (quiet).
    assert em.invest_first_quiet_year(1.0, 2000, 1.0) == 2026
    # Nothing worth emitting: quiet from the disturbance year on.
    assert em.invest_first_quiet_year(1e-9, 2000, 1.0) == 2000
    assert em.invest_first_quiet_year(5.0, 2000, 0.0) == 2000


def test_extra_emissions_by_hand() -> None:
    # Drained tidal marsh: 7.9 t C/ha/yr x 10 yr = 79 t C/ha (IPCC 2013 table 4.13).
    assert em.drained_soil_emission(7.9, 10) == pytest.approx(79.0)
    # Rewetted, salinity < 18 ppt: 193.7 kg CH4/ha/yr x 10 yr / 1000 = 1.937 t CH4/ha;
    # with GWP100 = 28: 54.236 t CO2e/ha.
    ch4 = em.rewetting_methane(193.7, 10)
    assert ch4 == pytest.approx(1.937)
    assert em.methane_co2e(ch4, gwp100=28.0) == pytest.approx(54.236)


@settings(max_examples=60, deadline=None)
@given(
    d=st.floats(0.0, 1e4),
    s=st.integers(1990, 2030),
    h=st.floats(0.05, 50.0),
    start=st.integers(1980, 2050),
    length=st.integers(0, 60),
)
def test_yearly_emissions_telescope_to_the_closed_form(
    d: float, s: int, h: float, start: int, length: int
) -> None:
    years = np.arange(start, start + length)
    yearly = em.annual_emission(d, years - s, h).sum()
    closed = em.emitted_between(d, s, start, start + length, h)
    assert closed == pytest.approx(yearly, rel=1e-9, abs=1e-9)
    assert 0.0 <= closed <= d + 1e-9


@settings(max_examples=40, deadline=None)
@given(d=st.floats(1e-6, 1e4), h=st.floats(0.05, 30.0))
def test_first_quiet_year_separates_loud_and_quiet_years(d: float, h: float) -> None:
    y = em.invest_first_quiet_year(d, 0, h)
    if y > 0:
        assert em.annual_emission(d, y - 1, h) > em.ZERO_TOLERANCE
    assert em.annual_emission(d, y, h) <= em.ZERO_TOLERANCE * (1 + 1e-9)
