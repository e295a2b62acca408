"""Biomass carbon per plot (hand-computed) and the real seagrass and Spartina data end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bluecarbon.carbon.biomass import plot_carbon, plot_strata
from bluecarbon.ingest.biomass import read_fourqurean_biomass, read_lumcon_plots, validate_plots
from bluecarbon.ingest.validation import issues_frame
from bluecarbon.params import ParameterSet
from tests.unit.field_data import FOURQUREAN, LUMCON, ccn

SHIPPED = ParameterSet.shipped()


def _plots(**columns) -> pd.DataFrame:
    base = {
        "study_id": "S",
        "plot_id": ["p1", "p2", "p3"],
        "site_id": "x",
        "habitat": ["seagrass", "salt_marsh", "salt_marsh"],
        "agb_g_m2": [100.0, 1000.0, 500.0],
        "bgb_g_m2": [200.0, np.nan, 4000.0],
    }
    return pd.DataFrame(base | columns)


def test_plot_carbon_by_hand() -> None:
    out = plot_carbon(
        _plots(agb_c_g_m2=[40.0, np.nan, np.nan], agb_carbon_fraction=[np.nan, np.nan, 0.40]),
        parameters=SHIPPED,
    )
    p1, p2, p3 = (out.iloc[i] for i in range(3))
    # p1: measured carbon 40 g C m-2 = 0.40 Mg C ha-1; below ground 200 x 0.35 x 0.01 = 0.70
    assert (p1["agb_mg_c_ha"], p1["agb_c_origin"]) == (pytest.approx(0.40), "measured_carbon")
    assert (p1["bgb_mg_c_ha"], p1["bgb_c_origin"]) == (pytest.approx(0.70), "default_fraction")
    assert p1["biomass_mg_c_ha"] == pytest.approx(1.10)
    assert p1["biomass_mg_co2e_ha"] == pytest.approx(1.10 * 44.0095 / 12.0107)
    # p2: 1000 x 0.45 x 0.01 = 4.5; no below-ground: total unknown
    assert p2["agb_mg_c_ha"] == pytest.approx(4.5) and np.isnan(p2["biomass_mg_c_ha"])
    # p3: measured fraction 0.40: 500 x 0.40 x 0.01 = 2.0; 4000 x 0.34 x 0.01 = 13.6
    assert (p3["agb_mg_c_ha"], p3["agb_c_origin"]) == (pytest.approx(2.0), "measured_fraction")
    assert p3["bgb_mg_c_ha"] == pytest.approx(13.6)


def test_plot_strata_average_visits_first() -> None:
    visits = _plots(plot_id=["p1", "p1", "p2"], habitat=["seagrass"] * 3, bgb_g_m2=[0.0] * 3)
    visits["agb_g_m2"] = [100.0, 300.0, 1000.0]
    strata = plot_strata(plot_carbon(visits, parameters=SHIPPED))
    agb = strata[
        (strata["quantity"] == "above-ground living biomass carbon") & (strata["stratum_kind"] == "habitat")
    ]
    # plot means 0.70 and 3.50 Mg C ha-1 (x 0.35 x 0.01): mean 2.1 over n = 2 plots, not 3 visits
    assert agb.iloc[0]["n"] == 2 and agb.iloc[0]["mean"] == pytest.approx(2.1)


def test_default_seagrass_fraction_is_the_median_of_the_real_data() -> None:
    raw = pd.read_csv(FOURQUREAN)
    ag = (raw["AG_carbon"] / raw["total_AGB"]).median()
    bg = (raw["BG_carbon"] / raw["total_BGB"]).median()
    assert SHIPPED.lookup(
        "biomass_carbon", "carbon_fraction", "seagrass", "above_ground"
    ).value == pytest.approx(ag)
    assert SHIPPED.lookup(
        "biomass_carbon", "carbon_fraction", "seagrass", "below_ground"
    ).value == pytest.approx(bg)


def test_real_fourqurean_biomass_end_to_end() -> None:
    t = ccn()
    read = read_fourqurean_biomass(FOURQUREAN, cores=t.cores, species=t.species)
    zero = [i for i in read.issues if i.rule.startswith("zero biomass")]
    assert len(zero) == 113 and all(i.severity == "warning" for i in zero)
    checked = validate_plots(read.frame, mode="quarantine", parameters=SHIPPED)
    duplicates = [i for i in checked.issues if i.rule.startswith("duplicate id")]
    assert len(duplicates) == 2  # one plot id appears twice in the published file
    carbon = plot_carbon(checked.frame, parameters=SHIPPED)
    assert carbon["latitude"].notna().all()  # coordinates joined from the CCN cores
    measured = carbon[carbon["agb_c_origin"] == "measured_carbon"]
    assert len(measured) > 200
    marina = carbon[carbon["species"].fillna("").str.contains("Zostera marina")]
    assert len(marina) > 20
    # median living biomass carbon, Mg C ha-1: above ~0.26, total ~1.0 (README medians x 0.35 x 0.01)
    assert 0.1 < carbon["agb_mg_c_ha"].median() < 0.5
    assert 0.5 < carbon["biomass_mg_c_ha"].median() < 1.5


def test_real_lumcon_plots_end_to_end() -> None:
    read = read_lumcon_plots(LUMCON)
    checked = validate_plots(read.frame, mode="fail_fast", parameters=SHIPPED)
    frame = checked.frame
    assert len(frame) == 698 and frame["plot_id"].nunique() == 21  # 7 sites x A, B, C ("c" is "C")
    # om.soil and c.soil are percent in the file (median ~16 and ~9.5): now fractions
    assert 0.10 < frame["soil_f_om"].median() < 0.25 and frame["soil_f_om"].max() < 0.5
    carbon = plot_carbon(frame, parameters=SHIPPED)
    # live above-ground median 699 g m-2 x 0.45 x 0.01 = ~3.1 Mg C ha-1
    assert carbon["agb_mg_c_ha"].median() == pytest.approx(frame["agb_g_m2"].median() * 0.45 * 0.01)
    strata = plot_strata(carbon)
    habitat = strata[(strata["stratum_kind"] == "habitat") & (strata["quantity"] == "living biomass carbon")]
    assert habitat.iloc[0]["stratum"] == "salt_marsh" and habitat.iloc[0]["n"] == 7  # plots with live BG
    assert issues_frame(checked.issues).empty
