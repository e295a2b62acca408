"""Validation of harvest records and biomass plots: one test per bad-input case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bluecarbon.errors import ValidationFailed
from bluecarbon.ingest.biomass import validate_plots
from bluecarbon.ingest.production import read_fao_production, read_production, validate_harvests
from bluecarbon.params import ParameterSet
from tests.unit.field_data import FAO

SHIPPED = ParameterSet.shipped()


def _harvests(**columns) -> pd.DataFrame:
    base = {
        "farm_id": ["F1", "F1", "F2"],
        "species": ["牡蛎", "海带", "OYC"],
        "year": [2023, 2023, 2023],
        "harvest_t": [100.0, 50.0, 20.0],
    }
    return pd.DataFrame(base | columns)


def _errors(result) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.column, i.rule) for i in result.issues if i.severity == "error"]


def test_clean_harvests_pass() -> None:
    result = validate_harvests(_harvests(), mode="fail_fast", parameters=SHIPPED)
    assert list(result.harvests["shellfish_class"]) == ["oysters", "kelp", "oysters"]


def test_unknown_species_is_named() -> None:
    result = validate_harvests(
        _harvests(species=["牡蛎", "鲍鱼", "OYC"]), mode="quarantine", parameters=SHIPPED
    )
    assert _errors(result) == [
        (3, "species", "unknown species: not in params/shellfish_species.csv (add it there with its class)")
    ]
    assert result.issues[0].value == "鲍鱼" and len(result.harvests) == 2


def test_conflicting_duplicate_harvests_are_held_back_together_naming_each_other() -> None:
    result = validate_harvests(
        _harvests(farm_id=["F1", "F1", "F1"], species=["OYC", "海带", "OYC"]),
        mode="quarantine",
        parameters=SHIPPED,
    )
    assert [(e[0], e[2].split(";")[0]) for e in _errors(result)] == [
        (2, "duplicate record (farm_id, species, year): conflicts with row(s) 4"),
        (4, "duplicate record (farm_id, species, year): conflicts with row(s) 2"),
    ]
    assert result.issues[0].value == "F1/OYC/2023"
    assert list(result.harvests["species"]) == ["海带"]


def test_an_exact_duplicate_harvest_is_counted_once_with_a_warning() -> None:
    """A copied row must not cost the genuine one (the farm total fell from 51.66 to 6.61 t C
    when both copies were held back)."""
    frame = _harvests(
        farm_id=["F1", "F1", "F1"], species=["OYC", "海带", "OYC"], harvest_t=[100.0, 50.0, 100.0]
    )
    result = validate_harvests(frame, mode="fail_fast", parameters=SHIPPED)
    assert _errors(result) == []
    warnings = [(i.row, i.rule) for i in result.issues if i.severity == "warning"]
    assert warnings == [(4, "duplicate record (farm_id, species, year): exact copy of row 2, counted once")]
    assert sorted(result.harvests["harvest_t"]) == [50.0, 100.0]


def test_negative_and_missing_harvest() -> None:
    result = validate_harvests(
        _harvests(harvest_t=[-1.0, np.nan, 3.0]), mode="quarantine", parameters=SHIPPED
    )
    assert _errors(result) == [
        (3, "harvest_t", "missing value (required)"),
        (2, "harvest_t", "negative harvest (expected >= 0 t)"),
    ]


def test_harvest_units_are_converted_to_tonnes_per_row() -> None:
    result = validate_harvests(
        _harvests(units=["t", "kg", "吨"], harvest_t=[100.0, 2500.0, 20.0]),
        mode="fail_fast",
        parameters=SHIPPED,
    )
    # 2,500 kg = 2.5 t; 吨 is a tonne
    assert list(result.harvests["harvest_t"]) == [100.0, 2.5, 20.0]
    assert set(result.harvests["units"]) == {"t"}


def test_mg_is_a_milligram_never_a_tonne() -> None:
    result = validate_harvests(
        _harvests(units=["Mg", "mg", "t"], harvest_t=[100.0, 50.0, 20.0]),
        mode="quarantine",
        parameters=SHIPPED,
    )
    [(row, column, rule)] = _errors(result)
    assert (row, column) == (3, "units")
    assert "'mg' are 1e-09 t: an implausible scale" in rule and "mg is a milligram" in rule
    assert list(result.harvests["harvest_t"]) == [100.0, 20.0]  # Mg = t: unchanged


def test_unknown_harvest_units_name_the_row_and_value() -> None:
    result = validate_harvests(_harvests(units=["t", "boxes", "t"]), mode="quarantine", parameters=SHIPPED)
    [issue] = [i for i in result.issues if i.severity == "error"]
    assert (issue.row, issue.column, issue.value) == (3, "units", "boxes")
    assert issue.rule.startswith("wrong units: unknown units 'boxes'")


def test_wrong_units_of_a_harvest() -> None:
    fao = read_fao_production(FAO, countries=("CHN",)).head(3).copy()
    fao.loc[fao.index[1], "measure"] = "V_USD"
    with pytest.raises(ValidationFailed, match="wrong units \\(expected FAO measure Q_tlw"):
        validate_harvests(fao, mode="fail_fast", parameters=SHIPPED)


def test_year_out_of_range_and_coefficient_in_percent() -> None:
    result = validate_harvests(
        _harvests(year=[1890, 2023, 2023], c_shell=[np.nan, np.nan, 12.0]),
        mode="quarantine",
        parameters=SHIPPED,
    )
    rules = _errors(result)
    assert rules[0][:2] == (2, "year") and rules[1][:2] == (4, "c_shell")


def test_fao_reader_keeps_file_rows_and_template_production_reader(tmp_path) -> None:
    china = read_fao_production(FAO, countries=("CHN",))
    assert set(china["country"]) == {"CHN"} and china["species"].nunique() == 17
    raw = pd.read_csv(FAO)
    first = china.iloc[0]
    assert raw.loc[first["source_row"] - 2, "value"] == first["harvest_t"]  # row = file line
    assert len(read_production(FAO).frame) == len(raw)
    path = tmp_path / "harvests.csv"
    pd.DataFrame(
        [["species", "year", "harvest_t"], ["units", "", "t"], ["Chlamys farreri", 2023, 12.5]]
    ).to_csv(path, header=False, index=False)
    read = read_production(path)
    assert (
        read.frame.loc[0, "species"],
        read.frame.loc[0, "harvest_t"],
        read.frame.loc[0, "source_row"],
    ) == ("Chlamys farreri", 12.5, 3)


def _plots(**columns) -> pd.DataFrame:
    base = {
        "study_id": "S",
        "plot_id": ["p1", "p2"],
        "site_id": "x",
        "habitat": ["海草床", "salt_marsh"],
        "latitude": [36.1, 36.2],
        "longitude": [120.3, 120.4],
        "year": [2023, 2023],
        "month": [6, 6],
        "agb_g_m2": [120.0, 800.0],
        "bgb_g_m2": [300.0, 3000.0],
    }
    return pd.DataFrame(base | columns)


def test_clean_plots_pass_and_habitats_are_canonical() -> None:
    result = validate_plots(_plots(), mode="fail_fast", parameters=SHIPPED)
    assert list(result.frame["habitat"]) == ["seagrass", "salt_marsh"]


def test_negative_biomass() -> None:
    result = validate_plots(_plots(agb_g_m2=[-5.0, 800.0]), mode="quarantine", parameters=SHIPPED)
    assert _errors(result) == [(2, "agb_g_m2", "negative biomass (expected >= 0 g m-2)")]
    assert list(result.frame["plot_id"]) == ["p2"]


def test_implausible_biomass() -> None:
    result = validate_plots(_plots(bgb_g_m2=[300.0, 250_000.0]), mode="quarantine", parameters=SHIPPED)
    assert _errors(result)[0][:2] == (3, "bgb_g_m2")


def test_plot_fraction_in_percent() -> None:
    result = validate_plots(_plots(agb_carbon_fraction=[35.0, np.nan]), mode="quarantine", parameters=SHIPPED)
    assert _errors(result) == [
        (2, "agb_carbon_fraction", "fraction above 1 (expected 0-1; a percent value?)")
    ]


def test_plot_unknown_habitat_missing_coordinates_and_duplicates() -> None:
    unknown = validate_plots(
        _plots(habitat=["kelp bed", "salt_marsh"]), mode="quarantine", parameters=SHIPPED
    )
    assert _errors(unknown) == [(2, "habitat", "unknown habitat")]
    missing = validate_plots(_plots(latitude=[np.nan, 36.2]), mode="quarantine", parameters=SHIPPED)
    assert _errors(missing) == [(2, "latitude", "missing coordinates (latitude/longitude)")]
    duplicated = validate_plots(_plots(plot_id=["p1", "p1"]), mode="quarantine", parameters=SHIPPED)
    assert [e[2].split(":")[0] for e in _errors(duplicated)] == ["duplicate id (plot visit)"] * 2
    assert [e[2].split(";")[0][-13:] for e in _errors(duplicated)] == ["with row(s) 3", "with row(s) 2"]
    with pytest.raises(ValidationFailed, match="duplicate id"):
        validate_plots(_plots(plot_id=["p1", "p1"]), mode="fail_fast", parameters=SHIPPED)
