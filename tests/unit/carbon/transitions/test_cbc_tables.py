"""Readers of the InVEST CBC formats: accepted unchanged, bad input named precisely."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bluecarbon.carbon.defaults import (
    habitat_class_table,
    habitat_transition_matrix,
    with_extra_emission_factors,
)
from bluecarbon.carbon.transitions.tables import (
    Action,
    parse_transition_cell,
    read_biophysical,
    read_snapshots,
    read_transitions,
    transition_matrix_by_rule,
)
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import CarbonBasis

SHIPPED = ParameterSet.shipped()

ROOT = Path(__file__).resolve().parents[4]
SHARED = ROOT / "data" / "raw" / "peers" / "invest_coastal_blue_carbon"


def test_shared_inputs_read_unchanged() -> None:
    snaps = read_snapshots(SHARED / "snapshots.csv")
    assert list(snaps) == [2010, 2020, 2030] and all(p.is_file() for p in snaps.values())
    classes = read_biophysical(SHARED / "biophysical_table.csv")
    assert classes.basis is CarbonBasis.CO2E and classes.names[2] == "salt-marsh"
    assert classes.values["soil-initial"][2] == 917.0
    matrix = read_transitions(SHARED / "transitions.csv", classes)
    seagrass, open_water, dredged = (
        classes.index_of_name("seagrass"),
        0,
        classes.index_of_name("dredged-channel"),
    )
    assert matrix.action[seagrass, open_water] == Action.MED
    assert matrix.action[open_water, seagrass] == Action.ACCUM
    assert matrix.action[seagrass, dredged] == Action.HIGH
    assert not matrix.calls_for_drained and not matrix.calls_for_rewetting


def test_biophysical_errors_name_the_cell(tmp_path: Path) -> None:
    text = (SHARED / "biophysical_table.csv").read_text()
    bad = tmp_path / "bio.csv"
    bad.write_text(text.replace("seagrass,9,500", "seagrass,nine,500"))
    with pytest.raises(InputError) as info:
        read_biophysical(bad)
    assert (info.value.location.row, info.value.location.column) == (3, "biomass-initial")
    bad.write_text(text.replace(",soil-yearly-accumulation,", ",soil-yearly-accum,"))
    with pytest.raises(InputError) as info:
        read_biophysical(bad)
    assert info.value.location.column == "soil-yearly-accumulation"
    bad.write_text(text.replace("1,seagrass,9,500,0,0.27", "1,seagrass,9,500,0,-1"))
    with pytest.raises(InputError, match="negative half-life"):
        read_biophysical(bad)


def test_transition_cells_and_modifiers(tmp_path: Path) -> None:
    assert parse_transition_cell("High-Impact-Disturb+drained") == (Action.HIGH, True, False)
    assert parse_transition_cell("accum + rewetted-low-salinity") == (Action.ACCUM, False, True)
    assert parse_transition_cell("") == (Action.NCC, False, False)
    with pytest.raises(InputError, match="no impact level"):
        parse_transition_cell("disturb")
    with pytest.raises(InputError, match="unknown transition modifier"):
        parse_transition_cell("accum+flooded")
    classes = read_biophysical(SHARED / "biophysical_table.csv")
    table = tmp_path / "t.csv"
    table.write_text("lulc-class,seagrass,mangrove\nseagrass,accum,\n")
    with pytest.raises(InputError, match="'mangrove' is not in the biophysical table"):
        read_transitions(table, classes)
    # The InVEST preprocessor's legend after a blank row is ignored.
    table.write_text("lulc-class,seagrass,upland\nseagrass,accum,high-impact-disturb+drained\n,,\n,legend,\n")
    matrix = read_transitions(table, classes)
    assert matrix.calls_for_drained and matrix.action[1, 5] == Action.HIGH


def test_extra_emission_factors_default_to_ipcc_tier1(tmp_path: Path) -> None:
    classes = read_biophysical(SHARED / "biophysical_table.csv")
    table = tmp_path / "t.csv"
    table.write_text(
        "lulc-class,salt-marsh,developed\nsalt-marsh,accum,high-impact-disturb+drained\n"
        "developed,accum+rewetted-low-salinity,NCC\n"
    )
    matrix = read_transitions(table, classes)
    filled = with_extra_emission_factors(classes, matrix, parameters=SHIPPED)
    marsh = classes.index_of_name("salt-marsh")
    # Tier 1 drained tidal marsh 7.9 t C/ha/yr -> CO2e basis: 7.9 x 3.664191 = 28.947
    assert filled.values["drained-soil-ef"][marsh] == pytest.approx(7.9 * CO2E_PER_C)
    assert filled.values["rewetted-ch4-ef"][marsh] == pytest.approx(193.7)
    table.write_text("lulc-class,seagrass,developed\nseagrass,accum,high-impact-disturb+drained\n")
    with pytest.raises(InputError, match="no IPCC Tier 1 default"):
        with_extra_emission_factors(classes, read_transitions(table, classes), parameters=SHIPPED)


def test_habitat_tables_from_parameters() -> None:
    import pandas as pd

    density = pd.DataFrame({"habitat": ["seagrass"], "soil_mg_c_ha": [108.0], "soil_se_mg_c_ha": [14.0]})
    classes = habitat_class_table(density, parameters=SHIPPED, climate_zone="tropical_wet")
    sg = classes.index_of_name("seagrass")
    # mangrove biomass, IPCC Tier 1 tropical wet: 192 x (1 + 0.49) x 0.451 = 129.0259 Mg C/ha
    mangrove = classes.index_of_name("mangrove")
    assert classes.values["biomass-initial"][mangrove] == pytest.approx(192 * 1.49 * 0.451)
    assert classes.lucodes[sg] == 1 and classes.basis is CarbonBasis.C
    assert classes.values["soil-initial"][sg] == 108.0 and classes.standard_errors["soil-initial"][sg] == 14.0
    assert classes.values["soil-yearly-accumulation"][sg] == pytest.approx(0.43)
    assert classes.values["soil-half-life"][sg] == pytest.approx(1.0)
    assert classes.values["biomass-initial"][sg] > 0
    matrix = habitat_transition_matrix(classes, parameters=SHIPPED)
    water = classes.index_of_name("water")
    assert matrix.action[sg, water] == Action.MED and matrix.action[water, sg] == Action.ACCUM
    assert matrix.action[water, classes.index_of_name("tidal_flat")] == Action.NCC
    rule = transition_matrix_by_rule(classes, habitat={"seagrass": True})
    assert np.count_nonzero(rule.action[:, sg] == Action.ACCUM) == classes.n_classes
