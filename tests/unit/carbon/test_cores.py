"""Hand-computed checks of core carbon v2: origins, site regressions, carbon type, compaction,
horizons, SE, extrapolation, flags (METHODS.md section 1)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bluecarbon.carbon.cores import (
    core_stocks,
    fit_site_regressions,
    horizons,
    integrate,
    interval_carbon,
)
from bluecarbon.errors import ValidationFailed
from bluecarbon.params import ParameterSet
from tests.unit.field_data import cores, intervals, layered

SHIPPED = ParameterSet.shipped()

# relative SEs of params/core_uncertainty.csv used below
R_OC_MEASURED, R_DBD_MEASURED, R_IDEAL, R_EQ_MARSH, R_EXTRAP = 0.05, 0.10, 0.32, 0.29, 0.37


def _one(c: pd.DataFrame, d: pd.DataFrame, depth: float, **kw) -> pd.Series:
    out = core_stocks(c, d, depth_cm=depth, parameters=SHIPPED, **kw)
    assert len(out) == len(c)
    return out.iloc[0]


def test_measured_stock_and_its_standard_error() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10), (10, 20)], dbd=0.5, foc=0.04)
    row = _one(c, d, 20)
    # mass per interval 0.5 * 0.04 * 10 = 0.2 g cm-2; total 0.4 g cm-2 = 40 Mg C ha-1
    assert row["stock_mg_c_ha"] == pytest.approx(40.0)
    # independent errors: sqrt(2 * 0.2^2 * (0.10^2 + 0.05^2)) g cm-2 x 100
    assert row["stock_se_mg_c_ha"] == pytest.approx(100 * math.sqrt(2 * 0.04 * 0.0125))
    assert (row["oc_origin"], row["dbd_origin"], row["flags"]) == ("measured", "measured", "")
    assert row["reached_depth"] and not row["extrapolated"]


def test_loi_equation_error_is_systematic_within_the_core() -> None:
    c = cores(("S", "A", "marsh"))
    d = intervals(
        {"depth_min": 0, "depth_max": 10, "dry_bulk_density": 1.0, "fraction_organic_matter": 0.2},
        {"depth_min": 10, "depth_max": 20, "dry_bulk_density": 1.0, "fraction_organic_matter": 0.2},
    )
    row = _one(c, d, 20)
    foc = 0.427 * 0.2 + 0.0635 * 0.2**2  # Holmquist 2018: 0.0879
    m = 1.0 * foc * 10  # per interval, g cm-2
    assert row["stock_mg_c_ha"] == pytest.approx(100 * 2 * m)
    # independent DBD part in quadrature, equation part summed linearly
    se = math.sqrt(2 * m**2 * R_DBD_MEASURED**2 + (2 * m * R_EQ_MARSH) ** 2)
    assert row["stock_se_mg_c_ha"] == pytest.approx(100 * se)
    assert row["oc_origin"] == "habitat_equation"


def test_dbd_gap_fill_by_ideal_mixing() -> None:
    c = cores(("S", "A", "marsh"))
    d = intervals({"depth_min": 0, "depth_max": 10, "fraction_organic_matter": 0.2, "fraction_carbon": 0.09})
    row = _one(c, d, 10)
    dbd = 1 / (0.2 / 0.098 + 0.8 / 1.67)  # 0.39528 g cm-3
    assert row["stock_mg_c_ha"] == pytest.approx(100 * dbd * 0.09 * 10)
    assert row["dbd_origin"] == "ideal_mixing"
    m = dbd * 0.09 * 10
    assert row["stock_se_mg_c_ha"] == pytest.approx(100 * math.hypot(m * R_OC_MEASURED, m * R_IDEAL))


def test_site_regression_is_fitted_from_ten_pairs_and_used_before_the_equation() -> None:
    fom = np.linspace(0.05, 0.5, 10)
    paired = [
        {
            "depth_min": 2 * i,
            "depth_max": 2 * i + 2,
            "dry_bulk_density": 1.0,
            "fraction_organic_matter": x,
            "fraction_carbon": 0.3 * x + 0.1 * x**2,
        }
        for i, x in enumerate(fom)
    ]
    loi_only = {"depth_min": 20, "depth_max": 30, "dry_bulk_density": 1.0, "fraction_organic_matter": 0.3}
    c = cores(("S", "A", "marsh"))
    iv = interval_carbon(c, intervals(*paired, loi_only), parameters=SHIPPED)
    last = iv.iloc[-1]
    # exact data: b1 = 0.3, b2 = 0.1, so fOC(0.3) = 0.09 + 0.009 = 0.099 (Holmquist would give 0.1338)
    assert last["oc_origin"] == "site_regression"
    assert last["f_oc"] == pytest.approx(0.099)
    # nine pairs are not enough: the habitat equation is used
    iv9 = interval_carbon(c, intervals(*paired[:9], loi_only), parameters=SHIPPED)
    assert iv9.iloc[-1]["oc_origin"] == "habitat_equation"
    assert iv9.iloc[-1]["f_oc"] == pytest.approx(0.427 * 0.3 + 0.0635 * 0.09)


def test_site_regression_coefficients_by_hand() -> None:
    x = pd.Series([0.1, 0.2, 0.3])
    y = pd.Series([0.05, 0.08, 0.15])
    fit = fit_site_regressions(x, y, pd.Series(["g"] * 3), min_n=3).loc["g"]
    # S2 = .14, S3 = .036, S4 = .0098, Sxy = .005+.016+.045 = .066, Sx2y = .0005+.0032+.0135 = .0172
    # D = .14*.0098 - .036^2 = .000076; b1 = (.0098*.066 - .036*.0172)/D = .0000276/.000076 = 0.363158
    # b2 = (.14*.0172 - .036*.066)/D = .000032/.000076 = 0.421053
    assert fit["b1"] == pytest.approx(0.0000276 / 0.000076)
    assert fit["b2"] == pytest.approx(0.000032 / 0.000076)
    # residuals 0.009474, -0.009474, 0.003158: s = sqrt(SSR / (3 - 2))
    b1, b2 = 0.0000276 / 0.000076, 0.000032 / 0.000076
    ssr = sum(
        (yi - b1 * xi - b2 * xi**2) ** 2 for xi, yi in zip([0.1, 0.2, 0.3], [0.05, 0.08, 0.15], strict=True)
    )
    assert fit["s"] == pytest.approx(math.sqrt(ssr)) and ssr == pytest.approx(0.0001895, rel=1e-3)
    assert fit["n"] == 3 and bool(fit["valid"])


def test_total_carbon_is_not_organic_unless_carbonates_were_removed() -> None:
    c = cores(("S", "A", "marsh"))
    d = intervals(
        {
            "depth_min": 0,
            "depth_max": 10,
            "dry_bulk_density": 1.0,
            "fraction_carbon": 0.05,
            "fraction_organic_matter": 0.1,
        }
    ).assign(method_id="m1")
    methods = pd.DataFrame({"study_id": ["S"], "method_id": ["m1"], "fraction_carbon_type": ["total carbon"]})
    row = _one(c, d, 10, methods=methods)
    foc = 0.427 * 0.1 + 0.0635 * 0.01  # LOI instead of the total carbon
    assert row["stock_mg_c_ha"] == pytest.approx(100 * foc * 10)
    assert "total_carbon_excluded" in row["flags"]
    removed = methods.assign(carbonates_removed="TRUE")
    assert _one(c, d, 10, methods=removed)["stock_mg_c_ha"] == pytest.approx(50.0)  # 1.0*0.05*10*100
    low = methods.assign(carbonate_removal_method="low carbonate soil")
    assert _one(c, d, 10, methods=low)["stock_mg_c_ha"] == pytest.approx(50.0)


def test_template_carbon_type_column_marks_total_carbon() -> None:
    c = cores(("S", "A", "seagrass"))
    d = intervals(
        {
            "depth_min": 0,
            "depth_max": 10,
            "dry_bulk_density": 1.0,
            "fraction_carbon": 0.12,
            "fraction_carbon_type": "total carbon",
        }
    )
    row = _one(c, d, 10)
    assert np.isnan(row["stock_mg_c_ha"]) and "no_carbon_data" in row["flags"]


def test_author_modeled_carbon_keeps_its_origin() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10)], foc=0.03).assign(method_id="m")
    methods = pd.DataFrame({"study_id": ["S"], "method_id": ["m"], "carbon_measured_or_modeled": ["modeled"]})
    assert _one(c, d, 10, methods=methods)["oc_origin"] == "author_modeled"


def test_compaction_stretches_depths_and_keeps_carbon_mass() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10)], dbd=1.0, foc=0.1).assign(compaction_fraction=0.2)
    # in situ 0-12.5 cm, density 1.0*0.1*(1-0.2) = 0.08 g cm-3
    assert _one(c, d, 10)["stock_mg_c_ha"] == pytest.approx(100 * 0.08 * 10)
    full = _one(c, d, 12.5)
    assert full["stock_mg_c_ha"] == pytest.approx(100.0)  # = 1.0*0.1*10 g cm-2: mass conserved
    assert full["reached_depth"] and "compaction_corrected" in full["flags"]


def test_representative_depths_define_the_horizons() -> None:
    c = cores(("S", "A", "marsh"))
    d = intervals(
        {
            "depth_min": 5,
            "depth_max": 10,
            "representative_depth_min": 0,
            "representative_depth_max": 15,
            "dry_bulk_density": 1.0,
            "fraction_carbon": 0.02,
        },
        {
            "depth_min": 20,
            "depth_max": 25,
            "representative_depth_min": 15,
            "representative_depth_max": 30,
            "dry_bulk_density": 1.0,
            "fraction_carbon": 0.01,
        },
    )
    # 0.02*15 + 0.01*15 = 0.45 g cm-2
    assert _one(c, d, 30)["stock_mg_c_ha"] == pytest.approx(45.0)


def test_replicates_are_averaged() -> None:
    c = cores(("S", "A", "marsh"))
    d = pd.concat([layered([(0, 10)], foc=0.02), layered([(0, 10)], foc=0.04)], ignore_index=True)
    row = _one(c, d, 10)
    assert row["stock_mg_c_ha"] == pytest.approx(30.0)  # mean 0.03 * 1.0 * 10 * 100
    assert "replicates_averaged" in row["flags"]


def test_missing_interval_is_bridged_by_its_neighbours_and_flagged() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10), (10, 20), (20, 30)], foc=0.02)
    d.loc[1, ["dry_bulk_density", "fraction_carbon"]] = [1.0, np.nan]  # DBD only: no carbon
    row = _one(c, d, 30)
    # horizons [0,15) and [15,30): 0.02 * 30 = 0.6 g cm-2
    assert row["stock_mg_c_ha"] == pytest.approx(60.0)
    assert "intervals_without_carbon" in row["flags"]


def test_first_sample_far_below_surface_gives_no_stock() -> None:
    c = cores(("S", "A", "marsh"), ("S", "B", "marsh"))
    d = pd.concat([layered([(20, 30)], core="A"), layered([(5, 10)], core="B")], ignore_index=True)
    out = core_stocks(c, d, depth_cm=30, parameters=SHIPPED)
    a, b = out.set_index("core_id").loc["A"], out.set_index("core_id").loc["B"]
    assert np.isnan(a["stock_mg_c_ha"]) and "no_surface_sample" in a["flags"]
    assert b["stock_mg_c_ha"] == pytest.approx(100 * 0.02 * 10) and "surface_extended" in b["flags"]


def test_integration_between_depths() -> None:
    c = cores(("S", "A", "marsh"))
    iv = interval_carbon(c, layered([(0, 10), (10, 30)], foc=0.01), parameters=SHIPPED)
    h = horizons(iv, parameters=SHIPPED)
    # 5-25 cm: 0.01*5 + 0.01*15 = 0.2 g cm-2
    assert integrate(h, top_cm=5, bottom_cm=25)["mass_g_cm2"].iloc[0] == pytest.approx(0.2)


def test_extrapolation_of_a_constant_density_core() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10), (10, 20), (20, 30), (30, 40)], dbd=1.0, foc=0.02)
    short = _one(c, d, 100)
    assert short["stock_mg_c_ha"] == pytest.approx(80.0) and not short["reached_depth"]
    assert short["flags"] == "not_reached"
    row = _one(c, d, 100, extrapolate=True)
    # cumulative mass M(z) = 0.02 z exactly: ln M = ln 0.02 + 1 * ln z, so M(100) = 2 g cm-2
    assert row["stock_mg_c_ha"] == pytest.approx(200.0)
    assert row["extrapolated"] and row["extrapolated_mg_c_ha"] == pytest.approx(120.0)
    assert row["extrapolation_se_mg_c_ha"] == pytest.approx(120.0 * R_EXTRAP)
    assert row["stock_se_mg_c_ha"] == pytest.approx(math.hypot(short["stock_se_mg_c_ha"], 120 * R_EXTRAP))
    assert row["flags"] == "not_reached;extrapolated"


def test_no_extrapolation_from_too_shallow_or_too_few_samples() -> None:
    c = cores(("S", "A", "marsh"), ("S", "B", "marsh"))
    shallow = layered([(0, 5), (5, 10), (10, 20)], core="A")  # 20 cm * 4 < 100 cm
    few = layered([(0, 20), (20, 40)], core="B")  # two horizons
    out = core_stocks(
        c, pd.concat([shallow, few], ignore_index=True), depth_cm=100, extrapolate=True, parameters=SHIPPED
    )
    assert not out["extrapolated"].any()


def test_every_core_gets_a_row_even_without_data() -> None:
    c = cores(("S", "A", "marsh"), ("S", "B", "marsh"))
    out = core_stocks(c, layered([(0, 10)], core="A"), depth_cm=30, parameters=SHIPPED)
    assert list(out["core_id"]) == ["A", "B"]
    assert out.set_index("core_id").loc["B", "flags"] == "no_carbon_data"


def test_core_stocks_refuses_invalid_input() -> None:
    c = cores(("S", "A", "marsh"))
    with pytest.raises(ValidationFailed, match="inverted interval"):
        core_stocks(c, layered([(10, 0)]), depth_cm=30, parameters=SHIPPED)
