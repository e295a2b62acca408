"""The relative SEs of params/core_uncertainty.csv marked as bluecarbon measurements are
recomputed here from the shipped CCN data, so the table cannot drift from its source."""

from __future__ import annotations

import pandas as pd
import pytest

from bluecarbon.carbon.cores import ideal_mixing_bulk_density, interval_carbon, loi_to_organic_carbon
from bluecarbon.params import ParameterSet
from tests.unit.field_data import ccn, ccn_quarantined

SHIPPED = ParameterSet.shipped()


def _robust_relative_sd(observed: pd.Series, predicted: pd.Series) -> float:
    """1.4826 x median |observed / predicted - 1|."""
    return float(1.4826 * (observed / predicted - 1.0).abs().median())


@pytest.fixture(scope="module")
def paired() -> pd.DataFrame:
    clean = ccn_quarantined()
    iv = interval_carbon(clean.cores, clean.depthseries, ccn().methods, parameters=SHIPPED)
    return iv[~iv["trap"]]


def test_loi_equation_errors_match_the_ccn_paired_samples(paired) -> None:
    table = SHIPPED.table("core_uncertainty")
    rows = table[table["parameter"] == "loi_equation_relative_se"].set_index("habitat")["value"]
    both = paired[(paired["oc_origin"] == "measured") & paired["fraction_organic_matter"].notna()]
    both = both.assign(
        eq=loi_to_organic_carbon(both["fraction_organic_matter"], both["habitat"], parameters=SHIPPED)
    )
    both = both[(both["eq"] > 0) & (both["f_oc"] > 0)]
    for habitat, value in rows.items():
        sub = both[both["habitat"] == habitat]
        assert len(sub) > 300, habitat
        assert _robust_relative_sd(sub["f_oc"], sub["eq"]) == pytest.approx(value, abs=0.03), habitat


def test_ideal_mixing_error_matches_the_ccn_samples(paired) -> None:
    value = SHIPPED.lookup("core_uncertainty", "dbd_ideal_mixing_relative_se").value
    both = paired[(paired["dbd_origin"] == "measured") & paired["fraction_organic_matter"].between(0, 1)]
    predicted = ideal_mixing_bulk_density(both["fraction_organic_matter"], parameters=SHIPPED)
    assert len(both) > 40_000
    assert _robust_relative_sd(both["dbd"], predicted) == pytest.approx(value, abs=0.03)
