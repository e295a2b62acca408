from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bluecarbon.errors import InputError
from bluecarbon.habitat.accuracy import area_estimate, error_matrix, proportion_matrix

OLOFSSON = ["deforestation", "forest_gain", "stable_forest", "stable_nonforest"]


def olofsson_example() -> tuple[pd.DataFrame, pd.Series]:
    # Olofsson et al. 2014, section 5, table 8: rows map class, columns reference class;
    # mapped area in 30 m pixels (0.09 ha each).
    counts = pd.DataFrame(
        [[66, 0, 5, 4], [0, 55, 8, 12], [1, 0, 153, 11], [2, 1, 9, 313]], index=OLOFSSON, columns=OLOFSSON
    )
    pixels = pd.Series([200_000, 150_000, 3_200_000, 6_450_000], index=OLOFSSON, dtype="float64")
    return counts, pixels * 0.09


def test_olofsson_worked_example() -> None:
    counts, area_ha = olofsson_example()
    est = area_estimate(counts, area_ha)
    # Section 5.2.2, printed: 21,158 +/- 6,158; 11,686 +/- 3,756; 285,770 +/- 15,510;
    # 581,386 +/- 16,282 ha (printed with z = 1.96; we use 1.95996, hence +/- 1 ha).
    # By hand for deforestation: W = (0.02, 0.015, 0.32, 0.645);
    # p.1 = 0.02*66/75 + 0.32*1/165 + 0.645*2/325 = 0.0176 + 0.0019394 + 0.0039692 = 0.0235086;
    # A = 0.0235086 * 900,000 ha = 21,157.8 ha.
    np.testing.assert_allclose(est["area"], [21158, 11686, 285770, 581386], atol=1.0)
    np.testing.assert_allclose(est["area_ci"], [6158, 3756, 15510, 16282], atol=1.0)
    # Section 5.2.1: user's 0.88 +/- 0.07, 0.73 +/- 0.10, 0.93 +/- 0.04, 0.96 +/- 0.02.
    # By hand: U1 = 66/75 = 0.88, V = 0.88*0.12/74, half-width 1.96*sqrt(.) = 0.0740.
    np.testing.assert_allclose(est["users_accuracy"], [0.88, 0.7333, 0.9273, 0.9631], atol=5e-4)
    np.testing.assert_allclose(est["users_accuracy_ci"], [0.07, 0.10, 0.04, 0.02], atol=5e-3)
    # Producer's 0.75, 0.85, 0.93, 0.96; half-widths printed 0.21, 0.23, 0.03, 0.01 of which
    # 0.23 and 0.01 disagree with the paper's own eq. 7 (0.254 and 0.018, as mapaccuracy).
    np.testing.assert_allclose(est["producers_accuracy"], [0.75, 0.85, 0.93, 0.96], atol=5e-3)
    np.testing.assert_allclose(est["producers_accuracy_ci"], [0.213, 0.254, 0.034, 0.018], atol=1e-3)
    # Overall 0.95 +/- 0.02 (0.9465 +/- 0.0185).
    assert est.attrs["overall_accuracy"] == pytest.approx(0.9465, abs=1e-4)
    assert est.attrs["overall_accuracy_ci"] == pytest.approx(0.0185, abs=1e-4)
    # Table 9: area proportions p_ij to 4 dp.
    p = proportion_matrix(counts, area_ha)
    assert p.loc["deforestation", "deforestation"] == pytest.approx(0.0176, abs=5e-5)
    assert p.loc["stable_nonforest", "stable_forest"] == pytest.approx(0.0179, abs=5e-5)
    assert p.to_numpy().sum() == pytest.approx(1.0)


def gmw_counts(raw_dir: Path) -> pd.DataFrame:
    points = gpd.read_file(raw_dir / "vector/gmw_mangrove_accuracy_points/gmw_acc_set_1_acc_pts.geojson")
    labelled = points[points["Processed"] == 1]
    return error_matrix(labelled["gmw_v25_cls"], labelled["ref_cls"], classes=["Mangrove", "Other"])


def test_gmw_error_matrix_and_accuracies(raw_dir: Path) -> None:
    counts = gmw_counts(raw_dir)
    # Map v2.5 (rows) x reference (columns): 870 / 30 / 70 / 830. The README lists the same
    # four numbers as 870/70/30/830 with the off-diagonals swapped; the file says map
    # "Mangrove" + reference "Other" = 30, and each map class has 900 points (equal allocation).
    assert counts.to_numpy().tolist() == [[870, 30], [70, 830]]
    assert counts.sum(axis=1).tolist() == [900, 900]
    # No GMW map ships with the points, so take the sample's own allocation as mapped weights
    # (W = 900/1800 = 0.5 each): p_mm = 0.5*870/900, p_om = 0.5*70/900.
    weights = counts.sum(axis=1).astype("float64")
    est = area_estimate(counts, weights)
    assert est.attrs["overall_accuracy"] == pytest.approx(1700 / 1800)  # 0.944444
    assert est.loc["Mangrove", "users_accuracy"] == pytest.approx(870 / 900)  # 0.966667
    assert est.loc["Other", "users_accuracy"] == pytest.approx(830 / 900)  # 0.922222
    assert est.loc["Mangrove", "producers_accuracy"] == pytest.approx(870 / 940)  # 0.925532
    assert est.loc["Other", "producers_accuracy"] == pytest.approx(830 / 860)  # 0.965116
    # V(U_m) = 0.966667 * 0.033333 / 899 = 3.58424e-5; half-width 1.959964 * 0.0059868 = 0.011734.
    assert est.loc["Mangrove", "users_accuracy_ci"] == pytest.approx(0.011734, abs=1e-6)
    # Area of mangrove: (0.5*870/900 + 0.5*70/900) * 1800 = 940 (of 1800).
    assert est.loc["Mangrove", "area"] == pytest.approx(940.0)
    # V(O) = sum W_i^2 U_i (1 - U_i) / (n_i - 1)
    #      = 0.25 * 0.966667*0.033333/899 + 0.25 * 0.922222*0.077778/899
    #      = 8.96060e-6 + 1.99468e-5 = 2.89074e-5; half-width 1.959964 * 0.0053766 = 0.010538.
    assert est.attrs["overall_accuracy_ci"] == pytest.approx(0.010538, abs=1e-6)
    # User's accuracy does not depend on the mapped areas; producer's does. With mangrove
    # mapped on 10 % of the area: PA_m = 0.1*870/900 / (0.1*870/900 + 0.9*70/900) = 0.580.
    other = area_estimate(counts, pd.Series({"Mangrove": 10.0, "Other": 90.0}))
    np.testing.assert_allclose(other["users_accuracy"], est["users_accuracy"])
    assert other.loc["Mangrove", "producers_accuracy"] == pytest.approx(87 / 150)


def test_bad_inputs_are_named() -> None:
    counts, area = olofsson_example()
    with pytest.raises(InputError, match=r"missing \[.stable_nonforest.\]"):
        area_estimate(counts, area.drop("stable_nonforest"))
    with pytest.raises(InputError, match=r"rows .* and columns .* differ"):
        area_estimate(counts.rename(columns={"forest_gain": "gain"}), area)
    unsampled = counts.copy()
    unsampled.loc["forest_gain"] = 0
    with pytest.raises(InputError, match="have mapped area but no sample points"):
        area_estimate(unsampled, area)
    with pytest.raises(InputError, match="non-negative"):
        area_estimate(counts * -1, area)
    with pytest.raises(InputError, match="confidence"):
        area_estimate(counts, area, confidence=1.5)


def test_unsampled_class_without_area_and_single_point_strata() -> None:
    classes = ["a", "b", "c"]
    counts = pd.DataFrame([[9, 1, 0], [0, 1, 0], [0, 0, 0]], index=classes, columns=classes)
    est = area_estimate(counts, pd.Series({"a": 80.0, "b": 20.0, "c": 0.0}))
    # Class c: no mapped area, no sample: contributes nothing, user's accuracy undefined.
    assert np.isnan(est.loc["c", "users_accuracy"]) and est.loc["c", "area"] == 0.0
    # Class b has one sample point: its variance (n - 1 = 0) is undefined, so CIs are NaN.
    assert np.isnan(est.loc["b", "users_accuracy_ci"]) and np.isnan(est.loc["a", "area_ci"])
    # Areas: a = 80 * 9/10 = 72; b = 80 * 1/10 + 20 * 1 = 28.
    assert est["area"].tolist() == pytest.approx([72.0, 28.0, 0.0])


counts_strategy = st.integers(2, 4).flatmap(
    lambda k: st.tuples(
        st.lists(st.lists(st.integers(0, 40), min_size=k, max_size=k), min_size=k, max_size=k),
        st.lists(st.floats(1.0, 1e6), min_size=k, max_size=k),
    )
)


def _frame(rows: list[list[int]]) -> pd.DataFrame:
    """Counts with every stratum sampled at least twice (two extra correct points each)."""
    labels = [f"c{i}" for i in range(len(rows))]
    values = np.asarray(rows, dtype="int64") + 2 * np.eye(len(rows), dtype="int64")
    return pd.DataFrame(values, index=labels, columns=labels)


@settings(max_examples=60, deadline=None)
@given(counts_strategy, st.floats(1e-3, 1e3))
def test_properties_additive_unit_invariant_bounded(
    data: tuple[list[list[int]], list[float]], factor: float
) -> None:
    rows, areas = data
    counts = _frame(rows)
    area = pd.Series(areas, index=counts.index)
    est = area_estimate(counts, area)
    # Areas add up to the mapped total and are non-negative.
    assert est["area"].sum() == pytest.approx(area.sum(), rel=1e-9)
    assert (est["area"] >= 0).all() and (est["area_ci"].dropna() >= 0).all()
    # Accuracies are proportions.
    for column in ("users_accuracy", "producers_accuracy"):
        values = est[column].dropna()
        assert ((values >= 0) & (values <= 1 + 1e-12)).all()
    assert 0.0 <= est.attrs["overall_accuracy"] <= 1.0 + 1e-12
    # Unit invariance: areas scale with the unit, accuracies do not move.
    scaled = area_estimate(counts, area * factor)
    np.testing.assert_allclose(scaled["area"], est["area"] * factor, rtol=1e-9)
    np.testing.assert_allclose(scaled["area_ci"], est["area_ci"] * factor, rtol=1e-9)
    np.testing.assert_allclose(
        scaled["producers_accuracy_ci"], est["producers_accuracy_ci"], rtol=1e-7, atol=1e-10
    )
    # Class order does not matter.
    order = list(reversed(counts.index))
    flipped = area_estimate(counts.loc[order, order], area[order])
    pd.testing.assert_frame_equal(flipped.loc[counts.index], est, check_exact=False, rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(2, 50), min_size=2, max_size=5),
    st.lists(st.floats(1.0, 1e5), min_size=5, max_size=5),
)
def test_perfect_map_returns_mapped_area_with_zero_ci(sizes: list[int], areas: list[float]) -> None:
    labels = [f"c{i}" for i in range(len(sizes))]
    counts = pd.DataFrame(np.diag(sizes), index=labels, columns=labels)
    area = pd.Series(areas[: len(sizes)], index=labels)
    est = area_estimate(counts, area)
    np.testing.assert_allclose(est["area"], area)
    np.testing.assert_allclose(est["area_ci"], 0.0, atol=1e-9)
    assert est["users_accuracy"].eq(1.0).all() and est["producers_accuracy"].eq(1.0).all()
