"""The closed-form kernel, both modes, on single trajectories computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluecarbon.carbon.transitions import Mode, ModelSpec, Timeline, resolve_parameters, unit_outputs
from bluecarbon.carbon.transitions.tables import Action, TransitionMatrix
from bluecarbon.carbon.transitions.valuation import Valuation
from bluecarbon.errors import InputError
from tests.unit.carbon.transitions.cbc_helpers import class_table

MARSH = {
    "lucode": 1,
    "lulc-class": "marsh",
    "biomass-initial": 20,
    "soil-initial": 300,
    "litter-initial": 2,
    "biomass-half-life": 1,
    "soil-half-life": 5,
    "biomass-high-impact-disturb": 1.0,
    "soil-high-impact-disturb": 0.5,
    "biomass-yearly-accumulation": 1,
    "soil-yearly-accumulation": 3,
    "litter-yearly-accumulation": 0.5,
}
DEVELOPED = {"lucode": 2, "lulc-class": "developed"}


def _marsh_world() -> tuple[object, TransitionMatrix]:
    classes = class_table([MARSH, DEVELOPED])
    matrix = TransitionMatrix.empty(2)
    matrix.action[0, 0] = Action.ACCUM
    matrix.action[0, 1] = Action.HIGH
    matrix.action[1, 0] = Action.ACCUM
    return classes, matrix


def _run(traj: list[int], years: list[int], analysis: int, mode: Mode, **kw: object) -> dict[str, np.ndarray]:
    classes, matrix = _marsh_world()
    spec = ModelSpec(timeline=Timeline.build(years, analysis_year=analysis), mode=mode, **kw)  # type: ignore[arg-type]
    idx = np.asarray(traj, dtype=np.int16).reshape(-1, 1)
    return {
        k: v[..., 0] for k, v in unit_outputs(resolve_parameters(idx, classes, matrix, spec), spec).items()
    }


def test_default_mode_marsh_reclaimed_by_hand() -> None:
    out = _run([0, 1], [2000, 2010], 2020, Mode.DEFAULT)
    # 2000: 20 + 300 + 2 (litter stock) = 322
    # 2000-2010 accumulation: (1 + 3 + 0.5) x 10 = 45 -> 2010: 30 + 330 + 7 = 367
    # 2010 high-impact disturbance: biomass 1.0 x 30 = 30 (H 1), soil 0.5 x 330 = 165 (H 5)
    # 2010-2020 emissions: 30 (1 - 0.5^10) + 165 (1 - 0.5^2) = 29.970703 + 123.75 = 153.720703
    # 2020: 367 - 153.720703 = 213.279297
    np.testing.assert_allclose(out["carbon_stock"], [322.0, 367.0, 213.279297], rtol=1e-7)
    np.testing.assert_allclose(out["carbon_stock_by_pool"][:, 2], [0.029297, 206.25, 7.0], atol=1e-6)
    np.testing.assert_allclose(out["carbon_accumulation"], [45.0, 0.0])
    np.testing.assert_allclose(out["carbon_emissions"], [0.0, 153.720703], rtol=1e-7)
    np.testing.assert_allclose(out["net_sequestration"], [45.0, -153.720703], rtol=1e-7)
    assert out["total_net_sequestration"] == pytest.approx(45.0 - 153.720703)


def test_compat_mode_marsh_reclaimed_by_hand() -> None:
    out = _run([0, 1], [2000, 2010], 2020, Mode.INVEST_COMPAT)
    # InVEST adds the litter ACCUMULATION RATE of the current class instead of the litter stock:
    # 2000: 300 + 20 + 0.5 = 320.5; 2010: 330 + 30 + 0 (developed) = 360; 2020: 206.25 + 0.029297 + 0
    np.testing.assert_allclose(out["carbon_stock"], [320.5, 360.0, 206.279297], rtol=1e-7)
    np.testing.assert_allclose(out["net_sequestration"], [45.0, -153.720703], rtol=1e-7)


def test_half_life_switch_after_a_later_snapshot() -> None:
    # marsh 2000 -> developed 2010 -> developed 2020, analysis 2030.
    default = _run([0, 1, 1], [2000, 2010, 2020], 2030, Mode.DEFAULT)
    compat = _run([0, 1, 1], [2000, 2010, 2020], 2030, Mode.INVEST_COMPAT)
    # Default: the disturbed marsh carbon keeps marsh half-lives in 2020-2030:
    #   soil 165 (0.5^2 - 0.5^4) = 30.9375; biomass 30 (0.5^10 - 0.5^20) = 0.02926826
    assert default["carbon_emissions"][2] == pytest.approx(30.9375 + 0.02926826, rel=1e-7)
    # InVEST: after 2020 the half-life is the developed class's (0) -> emissions stop.
    assert compat["carbon_emissions"][2] == 0.0
    assert compat["net_sequestration"][2] == 0.0


def test_npv_both_modes_by_hand() -> None:
    # Marsh stays marsh (accum): 4.5 per year with litter; InVEST's later periods drop litter: 4.
    v = Valuation(prices={2000: 10.0, 2001: 10.0, 2002: 10.0}, discount_rate=0.10)
    default = _run([0, 0], [2000, 2002], 2003, Mode.DEFAULT, valuation=v)
    # Guide: NPV(2002) = 4.5 x (10 + 10/1.1) = 85.909091; NPV(2003) adds 4.5 x 10/1.21 = 37.190083
    np.testing.assert_allclose(default["net_present_value"], [0.0, 85.909091, 123.099174], rtol=1e-7)
    compat = _run([0, 0], [2000, 2002], 2003, Mode.INVEST_COMPAT, valuation=v)
    # InVEST: F(2002) = 10 + 9.090909 = 19.090909 times cumulative net 2 x 4.5 = 9 -> 171.818182
    #         F(2003) = 19.090909 + 8.264463 = 27.355372 times (9 + 4) = 13 -> 355.619835
    #         no NPV at the baseline year.
    assert np.isnan(compat["net_present_value"][0])
    np.testing.assert_allclose(compat["net_present_value"][1:], [171.818182, 355.619835], rtol=1e-7)


def test_compat_emit_or_accumulate_rule_by_hand() -> None:
    # a: biomass 10, H 1, fully disturbed (high) when it becomes b; b accumulates 1/yr and has H 2.
    classes = class_table(
        [
            {
                "lucode": 1,
                "lulc-class": "a",
                "biomass-initial": 10,
                "biomass-half-life": 1,
                "biomass-high-impact-disturb": 1.0,
            },
            {"lucode": 2, "lulc-class": "b", "biomass-yearly-accumulation": 1, "biomass-half-life": 2},
        ]
    )
    matrix = TransitionMatrix.empty(2)
    matrix.action[0, 1] = Action.HIGH
    matrix.action[1, 1] = Action.ACCUM
    idx = np.array([[0], [1], [1]], dtype=np.int16)
    spec = ModelSpec(timeline=Timeline.build([2000, 2001, 2002], analysis_year=2060), mode=Mode.INVEST_COMPAT)
    out = unit_outputs(resolve_parameters(idx, classes, matrix, spec), spec)
    # 2001: V = 10, emits 10 (1 - 0.5) = 5 in 2001 -> stock 5 in 2002.
    # From 2002 InVEST uses b's half-life (2): a = 0.5^0.5, E(y) = 10 (1 - a) a^(y-2001) > 1e-8
    # until y = 2001 + 57 = 2058 (ln(1e-8 / 2.928932) / ln(a) = 56.25), so 2002..2057 emit
    # 10 (a^1 - a^57) and 2058, 2059 accumulate 1 each: 5 - 10 (0.5^0.5 - 0.5^28.5) + 2.
    expected = 5 - 10 * (0.5**0.5 - 0.5**28.5) + 2
    assert out["carbon_stock"][-1, 0] == pytest.approx(expected, rel=1e-9)
    assert expected < 0  # InVEST re-emits more than was disturbed: the stock goes negative
    default_spec = ModelSpec(timeline=spec.timeline, mode=Mode.DEFAULT)
    default = unit_outputs(resolve_parameters(idx, classes, matrix, default_spec), default_spec)
    # Default: the cohort keeps H = 1 and accumulation adds: 10 + 58 - 10 (1 - 0.5^59) = 58
    assert default["carbon_stock"][-1, 0] == pytest.approx(58.0, rel=1e-12)


def test_nodata_in_a_snapshot_gives_nan() -> None:
    out = _run([0, 2], [2000, 2010], 2020, Mode.DEFAULT)  # index 2 = nodata (two classes)
    assert np.isnan(out["carbon_stock"]).all() and np.isnan(out["total_net_sequestration"])


def test_timeline_rules() -> None:
    tl = Timeline.build([2020, 2010], analysis_year=2050, years=[2025])
    assert tl.output_years == (2010, 2020, 2025, 2050)
    assert tl.period_labels == ("2010-2020", "2020-2050")
    assert Timeline.build([2010, 2020]).reported_periods == (0,)
    with pytest.raises(InputError, match="before the last snapshot"):
        Timeline.build([2010, 2020], analysis_year=2015)
    with pytest.raises(InputError, match="required"):
        Timeline.build([2010])
    with pytest.raises(InputError, match="outside"):
        Timeline.build([2010, 2020], years=[2030])


@settings(max_examples=50, deadline=None)
@given(
    traj=st.lists(st.integers(0, 1), min_size=2, max_size=5),
    gap=st.integers(1, 15),
    extra=st.integers(0, 30),
)
def test_default_mode_stock_change_equals_net_sequestration(traj: list[int], gap: int, extra: int) -> None:
    years = [2000 + gap * i for i in range(len(traj))]
    out = _run(traj, years, years[-1] + extra, Mode.DEFAULT)
    stock = out["carbon_stock"]
    first, last = stock[0], stock[-1]
    assert last - first == pytest.approx(float(out["total_net_sequestration"]), abs=1e-6)
    assert (out["carbon_stock_by_pool"] >= 0).all()
    assert (out["carbon_emissions"] >= 0).all()


def test_reset_on_entry_by_hand() -> None:
    # developed 2000 -> marsh 2010 (accum), analysis 2020.
    carried = _run([1, 0], [2000, 2010], 2020, Mode.DEFAULT)
    reset = _run([1, 0], [2000, 2010], 2020, Mode.DEFAULT, reset_on_entry=True)
    # Carried over: 0 in 2010, then 4.5/yr -> 45 in 2020.
    np.testing.assert_allclose(carried["carbon_stock"], [0.0, 0.0, 45.0])
    # Reset: the pixel holds the marsh stock from 2010 (20 + 300 + 2 = 322), then + 45 -> 367;
    # the jump is a reclassification: net sequestration is still 45.
    np.testing.assert_allclose(reset["carbon_stock"], [0.0, 322.0, 367.0])
    np.testing.assert_allclose(reset["net_sequestration"], carried["net_sequestration"])


def test_extra_emissions_when_a_transition_calls_for_them() -> None:
    # marsh -> developed (+drained) in 2010, developed -> marsh (+rewetted) in 2020, analysis 2030.
    classes = class_table(
        [MARSH | {"drained-soil-ef": 5.0, "rewetted-ch4-ef": 193.7}, DEVELOPED | {"drained-soil-ef": 0.0,
         "rewetted-ch4-ef": 0.0}]
    )  # fmt: skip
    matrix = TransitionMatrix.empty(2)
    matrix.action[0, 1], matrix.drained[0, 1] = Action.HIGH, True
    matrix.action[1, 0], matrix.rewetted[1, 0] = Action.ACCUM, True
    spec = ModelSpec(
        timeline=Timeline.build([2000, 2010, 2020], analysis_year=2030),
        drained=True,
        rewetting=True,
        gwp100_ch4=28.0,
    )
    idx = np.array([[0], [1], [0]], dtype=np.int16)
    out = unit_outputs(resolve_parameters(idx, classes, matrix, spec), spec)
    # Drained marsh soil 2010-2020: 5 (tables' basis)/ha/yr x 10 yr = 50; nothing in other periods.
    np.testing.assert_allclose(out["drained_soil_emissions"][:, 0], [0.0, 50.0, 0.0])
    # Rewetted at < 18 ppt 2020-2030: 193.7 kg CH4/ha/yr x 10 / 1000 = 1.937 t CH4; x 28 = 54.236 t CO2e
    np.testing.assert_allclose(out["methane_emissions"][:, 0], [0.0, 0.0, 1.937])
    np.testing.assert_allclose(out["methane_emissions_co2e"][:, 0], [0.0, 0.0, 54.236])
    # Reported on their own: net sequestration is unchanged by them.
    plain = ModelSpec(timeline=spec.timeline)
    base = unit_outputs(resolve_parameters(idx, classes, matrix, plain), plain)
    np.testing.assert_allclose(out["net_sequestration"], base["net_sequestration"])


# ------------------------------------------------------------ soil burial, midpoint dating
def test_soil_burial_keeps_the_fixed_depth_stock_and_books_the_burial() -> None:
    # marsh throughout 2000 -> 2010, analysis 2020, soil burial on.
    out = _run([0, 0], [2000, 2010], 2020, Mode.DEFAULT, soil_burial=True)
    # soil stays 300 (to the fixed depth); biomass 20 + 1/yr; litter 2 + 0.5/yr
    np.testing.assert_allclose(out["carbon_stock_by_pool"][1], [300.0, 300.0, 300.0])
    np.testing.assert_allclose(out["carbon_stock"], [322.0, 337.0, 352.0])
    # burial: 3 t/ha/yr since 2000
    np.testing.assert_allclose(out["carbon_buried"], [0.0, 30.0, 60.0])
    # accumulation still counts burial: (1 + 3 + 0.5) x 10
    np.testing.assert_allclose(out["carbon_accumulation"], [45.0, 45.0])
    # balance: stock + buried changes by accumulation - emissions
    change = (out["carbon_stock"] + out["carbon_buried"])[1:] - (out["carbon_stock"] + out["carbon_buried"])[
        :-1
    ]
    np.testing.assert_allclose(change, out["net_sequestration"])


def test_midpoint_dating_puts_a_loss_inside_the_interval_that_saw_it() -> None:
    # marsh 2000 -> developed 2010, analysis 2020: the change is dated 2005.
    out = _run([0, 1], [2000, 2010], 2020, Mode.DEFAULT, soil_burial=True, change_dating="midpoint")
    # 2000-2005 marsh accumulates: biomass 20 + 5 = 25, litter 2 + 2.5 = 4.5, buried 15; soil 300.
    # 2005 high impact: biomass 1.0 x 25 (H 1), soil 0.5 x 300 = 150 (H 5).
    # by 2010: biomass 25 (1 - 0.5^5) = 24.21875 emitted; soil 150 (1 - 0.5^1) = 75 emitted.
    # 2010 stock: biomass 0.78125 + soil 225 + litter 4.5 = 230.28125
    np.testing.assert_allclose(out["carbon_stock"][:2], [322.0, 230.28125])
    np.testing.assert_allclose(out["carbon_buried"][:2], [0.0, 15.0])
    np.testing.assert_allclose(out["carbon_accumulation"][0], 5 * (1 + 3 + 0.5))
    np.testing.assert_allclose(out["carbon_emissions"][0], 24.21875 + 75.0)
    # 2010-2020: biomass 25 (0.5^5 - 0.5^15) and soil 150 (0.5^1 - 0.5^3) more
    np.testing.assert_allclose(
        out["carbon_emissions"][1], 25 * (0.5**5 - 0.5**15) + 150 * (0.5 - 0.125), rtol=1e-9
    )
    account = out["carbon_stock"] + out["carbon_buried"]
    np.testing.assert_allclose(account[1:] - account[:-1], out["net_sequestration"])
    # snapshot dating (InVEST) shows none of the loss before 2010
    late = _run([0, 1], [2000, 2010], 2020, Mode.DEFAULT, soil_burial=True)
    assert late["carbon_emissions"][0] == 0.0


def test_mapping_noise_cannot_create_carbon() -> None:
    # marsh -> developed -> marsh: without reset the pixel never gets its lost soil back.
    years, analysis = [2000, 2004, 2008], 2012
    noisy = _run([0, 1, 0], years, analysis, Mode.DEFAULT, soil_burial=True, change_dating="midpoint")
    steady = _run([0, 0, 0], years, analysis, Mode.DEFAULT, soil_burial=True, change_dating="midpoint")
    assert (noisy["carbon_stock"] <= steady["carbon_stock"] + 1e-9).all()
    assert noisy["carbon_stock_by_pool"][1, -1] < 300.0  # soil lost and not refilled
    account = noisy["carbon_stock"] + noisy["carbon_buried"]
    np.testing.assert_allclose(account[1:] - account[:-1], noisy["net_sequestration"], atol=1e-9)


def test_default_only_options_are_refused_elsewhere() -> None:
    tl = Timeline.build([2000, 2010], analysis_year=2020)
    with pytest.raises(InputError, match="default mode"):
        ModelSpec(timeline=tl, mode=Mode.INVEST_COMPAT, soil_burial=True)
    with pytest.raises(InputError, match="change_dating"):
        ModelSpec(timeline=tl, change_dating="later")
    with pytest.raises(InputError, match="no valuation"):
        ModelSpec(
            timeline=tl,
            change_dating="midpoint",
            valuation=Valuation(prices={2000: 1.0}, discount_rate=0.0, currency="USD", source="t"),
        )
