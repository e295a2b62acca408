"""Hypothesis properties of core stocks: non-negative, additive over depth, monotone in
depth, and invariant to the units a survey sheet is written in."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bluecarbon.carbon.cores import core_stocks, horizons, integrate, interval_carbon, stocks_from_intervals
from bluecarbon.ingest.survey import read_survey_table
from bluecarbon.params import ParameterSet
from tests.unit.field_data import cores, intervals

SHIPPED = ParameterSet.shipped()

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def core_profiles(draw) -> list[dict[str, float]]:
    """Sorted, non-overlapping intervals (gaps allowed) with valid measurements."""
    n = draw(st.integers(1, 8))
    rows, top = [], draw(st.sampled_from([0.0, 0.0, 2.0]))
    for _ in range(n):
        thick = draw(st.floats(0.5, 30.0))
        dbd = draw(st.floats(0.05, 2.65))
        foc = draw(st.floats(0.0, 0.5))
        fom = draw(st.one_of(st.none(), st.floats(0.0, 1.0)))
        use_loi = draw(st.booleans())
        rows.append(
            {
                "depth_min": top,
                "depth_max": top + thick,
                "dry_bulk_density": dbd,
                "fraction_carbon": np.nan if use_loi and fom is not None else foc,
                "fraction_organic_matter": np.nan if fom is None else fom,
            }
        )
        top = top + thick + draw(st.sampled_from([0.0, 0.0, 5.0]))
    return rows


def _batch(profiles: list[list[dict[str, float]]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = [f"C{i}" for i in range(len(profiles))]
    c = cores(*[("S", n, "marsh") for n in names])
    d = pd.concat([intervals(*p, core=n) for n, p in zip(names, profiles, strict=True)], ignore_index=True)
    return c, d


@SETTINGS
@given(st.lists(core_profiles(), min_size=1, max_size=6), st.floats(1.0, 150.0))
def test_stocks_are_non_negative(profiles, depth) -> None:
    c, d = _batch(profiles)
    out = core_stocks(c, d, depth_cm=depth, extrapolate=True, parameters=SHIPPED)
    assert (out["stock_mg_c_ha"].dropna() >= 0).all()
    assert (out["stock_se_mg_c_ha"].dropna() >= 0).all()


@SETTINGS
@given(st.lists(core_profiles(), min_size=1, max_size=6), st.floats(0.0, 80.0), st.floats(0.0, 80.0))
def test_stocks_are_additive_over_depth(profiles, a, b) -> None:
    c, d = _batch(profiles)
    d1, d2 = sorted([a, a + b])
    h = horizons(interval_carbon(c, d, parameters=SHIPPED), parameters=SHIPPED)
    upper = integrate(h, top_cm=0.0, bottom_cm=d1)["mass_g_cm2"]
    lower = integrate(h, top_cm=d1, bottom_cm=d2)["mass_g_cm2"]
    whole = integrate(h, top_cm=0.0, bottom_cm=d2)["mass_g_cm2"]
    np.testing.assert_allclose(upper + lower, whole, rtol=1e-12, atol=1e-12)
    # and core_stocks is that integral (Mg C ha-1 = 100 x g C cm-2)
    stocks = core_stocks(c, d, depth_cm=d2, parameters=SHIPPED).set_index(["study_id", "core_id"])[
        "stock_mg_c_ha"
    ]
    np.testing.assert_allclose(stocks.reindex(whole.index).to_numpy(), 100 * whole.to_numpy(), rtol=1e-12)


@SETTINGS
@given(st.lists(core_profiles(), min_size=1, max_size=6), st.floats(1.0, 60.0), st.floats(0.0, 60.0))
def test_stocks_grow_with_depth_and_stop_at_the_sampled_bottom(profiles, a, b) -> None:
    c, d = _batch(profiles)
    iv = interval_carbon(c, d, parameters=SHIPPED)
    shallow = stocks_from_intervals(c, iv, depth_cm=a, parameters=SHIPPED)["stock_mg_c_ha"]
    deep = stocks_from_intervals(c, iv, depth_cm=a + b, parameters=SHIPPED)["stock_mg_c_ha"]
    assert ((deep - shallow).dropna() >= -1e-9).all()
    bottom = stocks_from_intervals(c, iv, depth_cm=1000.0, parameters=SHIPPED)
    beyond = stocks_from_intervals(c, iv, depth_cm=2000.0, parameters=SHIPPED)
    np.testing.assert_allclose(bottom["stock_mg_c_ha"], beyond["stock_mg_c_ha"])


@SETTINGS
@given(core_profiles(), st.floats(5.0, 120.0))
def test_stocks_do_not_depend_on_the_units_of_the_survey_sheet(profile, depth) -> None:
    profile = [r | {"fraction_organic_matter": np.nan} for r in profile if not np.isnan(r["fraction_carbon"])]
    if not profile:
        return
    canonical = pd.DataFrame(profile).assign(study_id="S", core_id="A")
    converted = canonical.assign(
        depth_min=canonical["depth_min"] / 100.0,  # metres
        depth_max=canonical["depth_max"] / 100.0,
        dry_bulk_density=canonical["dry_bulk_density"] * 1000.0,  # kg m-3
        fraction_carbon=canonical["fraction_carbon"] * 100.0,  # percent
    )
    columns = ["study_id", "core_id", "depth_min", "depth_max", "dry_bulk_density", "fraction_carbon"]
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, frame, units in (
            ("cm.csv", canonical, ["units", "", "cm", "cm", "g cm-3", "1"]),
            ("m.csv", converted, ["units", "", "m", "m", "kg m-3", "%"]),
        ):
            path = Path(folder) / name
            pd.DataFrame([units], columns=columns).to_csv(path, index=False)
            frame[columns].to_csv(path, mode="a", header=False, index=False, float_format="%.17g")
            paths.append(path)
        a, b = (read_survey_table(p, "depth_intervals").frame for p in paths)
    c = cores(("S", "A", "marsh"))
    sa = core_stocks(c, a, depth_cm=depth, parameters=SHIPPED)["stock_mg_c_ha"].iloc[0]
    sb = core_stocks(c, b, depth_cm=depth, parameters=SHIPPED)["stock_mg_c_ha"].iloc[0]
    np.testing.assert_allclose(sa, sb, rtol=1e-9)
