"""VM0033 rules, error propagation and the Monte Carlo, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from bluecarbon.carbon.uncertainty import (
    UncertaintySettings,
    area_relative_se,
    ci_half_width,
    draw_area_factors,
    draw_class_table,
    percentiles,
    product_relative_se,
    relative_uncertainty,
    se_from_range,
)
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from tests.unit.carbon.transitions.cbc_helpers import class_table

SHIPPED = ParameterSet.shipped()


def test_error_propagation_by_hand() -> None:
    # IPCC seagrass soil range 84-139 as a 95 % interval: (139 - 84) / (2 x 1.959964) = 14.03087
    assert se_from_range(84.0, 139.0) == pytest.approx(14.03087, rel=1e-6)
    # Area x density: relative errors in quadrature: sqrt(0.03^2 + 0.04^2) = 0.05
    assert product_relative_se(0.03, 0.04) == pytest.approx(0.05)
    # 90 % CI half-width from 10 samples: t(0.95, 9) = 1.833113 x SE 2 = 3.666226
    assert ci_half_width(2.0, 10, level=0.90) == pytest.approx(3.666226, rel=1e-6)
    # Map accuracy: 95 % CI +-19.6 ha on 100 ha -> relative SE 19.6 / 1.959964 / 100 = 0.100002
    assert area_relative_se(100.0, 19.6) == pytest.approx(0.100002, rel=1e-5)


def test_relative_uncertainty_of_a_normal_sample() -> None:
    # N(100, 10): the 90 % interval is 100 +- 1.644854 x 10 -> U = 0.1645.
    rng = np.random.default_rng(1)
    sample = rng.normal(100.0, 10.0, 200_000)
    assert relative_uncertainty(sample, 100.0, level=0.90) == pytest.approx(0.1645, rel=0.01)
    p5, p50, p95 = percentiles(sample)
    assert (p5, p50, p95) == pytest.approx((83.55, 100.0, 116.45), rel=0.005)
    assert relative_uncertainty(np.zeros(10), 0.0, level=0.9) == 0.0


def test_draws_are_seeded_clipped_and_only_where_an_error_is_given() -> None:
    classes = class_table(
        [
            {"lucode": 1, "lulc-class": "a", "soil-initial": 100.0, "soil-initial-se": 10.0},
            {"lucode": 2, "lulc-class": "b", "soil-initial": 1.0, "soil-initial-se": 50.0},
        ]
    )
    assert classes.standard_errors["soil-initial"].tolist() == [10.0, 50.0]
    one = draw_class_table(classes, draws=1000, rng=np.random.default_rng(7))
    two = draw_class_table(classes, draws=1000, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(one.values["soil-initial"], two.values["soil-initial"])
    assert one.values["soil-initial"].shape == (1000, 2)
    assert (one.values["soil-initial"] >= 0).all()
    assert np.ndim(one.values["biomass-initial"]) == 1  # no error given: unchanged


def test_settings_come_from_the_parameter_table() -> None:
    s = UncertaintySettings.from_parameters(SHIPPED)
    assert s.draws >= 1000 and s.allowable == pytest.approx(0.20) and s.ci_level == pytest.approx(0.90)
    assert UncertaintySettings.from_parameters(SHIPPED, ci_level=0.95).allowable == pytest.approx(0.30)
    with pytest.raises(InputError):
        UncertaintySettings.from_parameters(SHIPPED, ci_level=0.8)


def test_area_draws_do_not_depend_on_mapping_order() -> None:
    rse = {(2010, "seagrass"): 0.1, (2010, "salt-marsh"): 0.2, (2020, "seagrass"): 0.05}
    forward = draw_area_factors(rse, draws=50, rng=np.random.default_rng(7))
    backward = draw_area_factors(dict(reversed(list(rse.items()))), draws=50, rng=np.random.default_rng(7))
    for key in rse:
        np.testing.assert_array_equal(forward[key], backward[key])
    assert np.std(forward[(2010, "salt-marsh")]) == pytest.approx(0.2, rel=0.3)


def test_monte_carlo_totals_are_identical_across_processes(tmp_path) -> None:
    """Same inputs, different PYTHONHASHSEED (so different set iteration orders): the Monte
    Carlo with map-accuracy area errors gives identical P5/P95 (seeded, order-independent)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import pandas as pd

    shared = Path(__file__).resolve().parents[3] / "data/raw/peers/invest_coastal_blue_carbon"
    script = f"""
import sys
from bluecarbon.carbon.transitions.tables import read_biophysical, read_snapshots, read_transitions
from bluecarbon.carbon.transitions import open_snapshots, run_transitions, write_netcdf
from bluecarbon.carbon.totals import summary_table
from bluecarbon.carbon.transitions import ModelSpec, Timeline
from bluecarbon.carbon.uncertainty import UncertaintySettings
from bluecarbon.params import ParameterSet
SHIPPED = ParameterSet.shipped()
snapshots = read_snapshots({str(shared / "snapshots.csv")!r})
classes = read_biophysical({str(shared / "biophysical_table.csv")!r})
matrix = read_transitions({str(shared / "transitions.csv")!r}, classes)
spec = ModelSpec(timeline=Timeline.build(list(snapshots), analysis_year=2040))
run = run_transitions(open_snapshots(snapshots), classes, matrix, spec)
histogram = write_netcdf(run, sys.argv[1])
rse = {{name: 0.05 * (i + 1) for i, name in enumerate(classes.names)}}
settings = UncertaintySettings.from_parameters(SHIPPED)
summary_table(run, histogram, uncertainty=settings, area_relative_se=rse).to_csv(sys.argv[2], index=False)
"""
    frames = []
    for seed in ("1", "2"):
        env = os.environ | {"PYTHONHASHSEED": seed}
        out = tmp_path / f"totals_{seed}.csv"
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", script, str(tmp_path / f"cbc_{seed}.nc"), str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        frames.append(pd.read_csv(out))
    assert (frames[0]["stock_p95_t_co2e"] > frames[0]["stock_p5_t_co2e"]).any()
    pd.testing.assert_frame_equal(frames[0], frames[1])
