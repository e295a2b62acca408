"""Regional parameter rows (bluecarbon.carbon.regional): applied survey biomass against
hand-computed values, reference checks, and rows the pipeline would not read refused by row."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from bluecarbon.carbon.defaults import biomass_carbon_stock, habitat_class_table
from bluecarbon.carbon.regional import (
    TABLE,
    rate_references,
    reference_check,
    regional_biomass_carbon,
    regional_rows,
    with_soil_references,
)
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet, ParameterTable
from bluecarbon.vocab import Habitat, Subclass

SHIPPED = ParameterSet.shipped()
HEADER = (
    "region,parameter,habitat,species,location,organ,use,value,low,high,"
    "units,carbon_basis,source,verified,notes"
)


def _with_table(rows: str) -> ParameterSet:
    """The shipped set with ``regional_parameters`` replaced by ``rows`` (CSV lines)."""
    text = HEADER + "\n" + rows
    tables = {n: ParameterTable.parse(n, SHIPPED.text(n), SHIPPED.origin(n)) for n in SHIPPED.names}
    tables[TABLE] = ParameterTable.parse(TABLE, text, "test regional_parameters.csv")
    return ParameterSet(tables)


def test_jiaozhou_bay_seagrass_biomass_is_the_mean_of_the_shandong_surveys() -> None:
    # hand: (646.6 + 118.3 + 337.7) / 3 = 367.533 g DW m-2; x 0.35 g C / g DW; x 0.01 -> Mg C ha-1
    carbon, se = regional_biomass_carbon(Habitat.SEAGRASS, "jiaozhou_bay", parameters=SHIPPED) or (0, 0)
    assert carbon == pytest.approx(367.5333 * 0.35 * 0.01, rel=1e-6)  # 1.28637
    # SE: SD of the three survey means (265.41 g) / sqrt(3), in carbon
    sd = float(np.std([646.6, 118.3, 337.7], ddof=1))
    assert sd == pytest.approx(265.41, abs=0.01)
    assert se == pytest.approx(sd / math.sqrt(3) * 0.35 * 0.01, rel=1e-6)  # 0.536
    # reference rows (Caofeidian, Swan Lake) are never averaged in
    assert regional_biomass_carbon(Habitat.SALT_MARSH, "jiaozhou_bay", parameters=SHIPPED) is None


def test_one_survey_takes_the_se_of_its_printed_range() -> None:
    params = _with_table(
        "r,biomass_dry_mass,seagrass,Z. marina,x,whole_plant,applied,200,180,220,g m-2,dry mass,src,true,\n"
    )
    carbon, se = regional_biomass_carbon(Habitat.SEAGRASS, "r", parameters=params) or (0, 0)
    assert carbon == pytest.approx(200 * 0.35 * 0.01)
    # se_from_range: (high - low) / (2 x 1.96) for a 95 % range
    assert se == pytest.approx((220 - 180) / (2 * 1.959964) * 0.35 * 0.01, rel=1e-3)


def test_the_class_table_uses_the_region_only_where_the_study_names_it() -> None:
    density = pd.DataFrame({"habitat": ["seagrass"], "soil_mg_c_ha": [108.0], "soil_se_mg_c_ha": [35.0]})
    classes = [(Habitat.SEAGRASS, None), (Habitat.SEAGRASS, Subclass.PATCHY)]
    regional = habitat_class_table(density, parameters=SHIPPED, classes=classes, region="jiaozhou_bay")
    default = habitat_class_table(density, parameters=SHIPPED, classes=classes)
    survey, _ = regional_biomass_carbon(Habitat.SEAGRASS, "jiaozhou_bay", parameters=SHIPPED) or (0, 0)
    assert regional.values["biomass-initial"][0] == pytest.approx(survey)
    assert regional.values["biomass-initial"][1] == pytest.approx(0.5 * survey)  # patchy weight
    assert default.values["biomass-initial"][0] == pytest.approx(2.53)  # Fourqurean et al. 2012 mean
    # mangrove outside any regional row keeps its Tier 1 path
    carbon, _ = biomass_carbon_stock(
        Habitat.MANGROVE, parameters=SHIPPED, climate_zone="tropical_dry", region="jiaozhou_bay"
    )
    assert carbon == pytest.approx(92 * 1.29 * 0.451)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (81.3, "within"),
        (73.0, "within"),
        (124.0, "within"),
        (72.9, "below"),
        (255.0, "above"),
        (np.nan, "not_compared"),
    ],
)
def test_reference_check(value: float, expected: str) -> None:
    assert reference_check(value, 73.0, 124.0) == expected


def test_soil_density_rows_carry_the_published_range() -> None:
    density = pd.DataFrame(
        {"habitat": ["salt_marsh", "seagrass"], "soil_mg_c_ha": [81.26, 108.0], "density_source": ["a", "b"]}
    )
    out = with_soil_references(density, "jiaozhou_bay", parameters=SHIPPED).set_index("habitat")
    assert out.loc["salt_marsh", "reference_low_mg_c_ha"] == 73.0
    assert out.loc["salt_marsh", "reference_high_mg_c_ha"] == 124.0
    assert out.loc["salt_marsh", "reference_check"] == "within"
    assert out.loc["salt_marsh", "reference_verified"] is False  # a secondary quote, not read
    assert "Fu C." in out.loc["salt_marsh", "reference_source"]
    assert out.loc["seagrass", "reference_check"] == "not_compared"
    assert np.isnan(out.loc["seagrass", "reference_low_mg_c_ha"])


def test_rate_references_set_the_tier1_rate_beside_the_bohai_deltas() -> None:
    checks = rate_references(
        {"salt_marsh": 0.91, "seagrass": 0.43}, "jiaozhou_bay", parameters=SHIPPED, habitats=list(Habitat)
    )
    by = {(c["parameter"], c["location"][:10]): c for c in checks}
    rate = next(c for c in checks if c["parameter"] == "soil_carbon_accumulation")
    assert rate["used"] == 0.91 and rate["reference_low"] == rate["reference_high"] == 1.40
    assert rate["check"] == "below"  # Tier 1 is the conservative side of the deltas' rate
    biomass = [c for c in checks if c["parameter"] == "biomass_dry_mass"]
    assert {c["check"] for c in biomass} == {"above"}  # the applied mean (367.5) over both references
    assert all(c["used"] == pytest.approx(367.5333, abs=1e-3) for c in biomass)
    assert len(by) == len(checks)


def test_a_row_nobody_reads_is_refused_with_its_row() -> None:
    params = _with_table(
        "r,biomass_dry_mass,seagrass,Z,x,whole_plant,applied,200,,,g m-2,dry mass,src,true,\n"
        "r,litter_stock,seagrass,Z,x,whole_plant,applied,2,,,Mg ha-1,C,src,true,\n"
    )
    with pytest.raises(InputError) as info:
        regional_rows(params, "r")
    assert (
        info.value.location.row == 3
        and info.value.location.column == "parameter"
        and "litter_stock" in str(info.value)
    )


def test_a_reference_only_parameter_cannot_be_applied() -> None:
    params = _with_table("r,soil_carbon_stock_1m,salt_marsh,,x,,applied,90,,,Mg ha-1,C,src,true,\n")
    with pytest.raises(InputError) as info:
        regional_rows(params, "r")
    assert (
        info.value.location.row == 2
        and info.value.location.column == "use"
        and "reference" in (info.value.expected or "")
    )


def test_an_unknown_region_is_an_error_not_a_silent_global_default() -> None:
    with pytest.raises(InputError) as info:
        regional_rows(SHIPPED, "jiaozhuo_bay")
    assert "jiaozhou_bay" in (info.value.expected or "")


def test_whole_plant_biomass_needs_one_carbon_fraction() -> None:
    # salt marsh: 0.45 above and 0.34 below ground (biomass_carbon): a whole-plant row is ambiguous
    params = _with_table(
        "r,biomass_dry_mass,salt_marsh,S,x,whole_plant,applied,900,,,g m-2,dry mass,src,true,\n"
    )
    with pytest.raises(InputError) as info:
        regional_biomass_carbon(Habitat.SALT_MARSH, "r", parameters=params)
    assert info.value.location.column == "organ" and info.value.location.row == 2
    split = _with_table(
        "r,biomass_dry_mass,salt_marsh,S,x,above_ground,applied,900,,,g m-2,dry mass,src,true,\n"
    )
    carbon, _ = regional_biomass_carbon(Habitat.SALT_MARSH, "r", parameters=split) or (0, 0)
    assert carbon == pytest.approx(900 * 0.45 * 0.01)


def test_the_shipped_table_parses_and_every_row_is_read() -> None:
    table = pd.read_csv(io.StringIO(SHIPPED.text(TABLE)))
    assert set(table["use"]) == {"applied", "reference"}
    assert len(regional_rows(SHIPPED, "jiaozhou_bay")) == len(table)
