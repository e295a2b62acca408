"""HY/T 0305 harvest removal: class coefficients, hand-computed harvests, species table,
measured overrides, unknown species, and the real FAO China series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bluecarbon.carbon.shellfish import (
    carbon_per_wet_tonne,
    class_coefficients,
    harvest_carbon,
    harvest_totals,
)
from bluecarbon.errors import ValidationFailed
from bluecarbon.ingest.production import read_fao_production, resolve_species, validate_harvests
from bluecarbon.params import ParameterSet
from bluecarbon.units import CO2E_PER_C
from tests.unit.field_data import FAO

SHIPPED = ParameterSet.shipped()


def test_every_class_reproduces_the_published_carbon_per_wet_tonne() -> None:
    classes = class_coefficients(parameters=SHIPPED)
    computed = carbon_per_wet_tonne(classes)
    # e.g. oysters 0.6510 x (0.9386 x 0.1268 + 0.0614 x 0.4598) = 0.0959
    assert computed["oysters"] == pytest.approx(0.6510 * (0.9386 * 0.1268 + 0.0614 * 0.4598))
    assert round(computed["oysters"], 4) == 0.0959
    published = classes.drop(index="other_seaweeds")["c_per_wet_published"]
    assert (computed.reindex(published.index).round(4) == published).all()
    bivalves = classes[classes["kind"] == "bivalve"]
    assert (bivalves["tissue_frac_dry"] + bivalves["shell_frac_dry"]).round(6).eq(1.0).all()


def test_harvest_carbon_by_hand() -> None:
    out = harvest_carbon(
        pd.DataFrame({"species": ["Crassostrea gigas", "海带"], "harvest_t": [10.0, 10.0]}),
        parameters=SHIPPED,
    )
    oyster, kelp = out.iloc[0], out.iloc[1]
    # oysters: dry 6.51 t; tissue 6.51 x 0.0614 x 0.4598 = 0.183786; shell 6.51 x 0.9386 x 0.1268 = 0.774786
    assert oyster["dry_t"] == pytest.approx(6.51)
    assert oyster["tissue_c_t"] == pytest.approx(6.51 * 0.0614 * 0.4598)
    assert oyster["shell_c_t"] == pytest.approx(6.51 * 0.9386 * 0.1268)
    assert oyster["total_c_t"] == pytest.approx(0.183786 + 0.774786, rel=1e-5)
    assert oyster["total_co2e_t"] == pytest.approx(oyster["total_c_t"] * 44.0095 / 12.0107)
    # kelp: 10 x 0.20 x 0.312 = 0.624 t C, no shell
    assert (kelp["tissue_c_t"], kelp["shell_c_t"]) == (pytest.approx(0.624), 0.0)
    assert (oyster["shellfish_class"], kelp["kind"], kelp["coefficient_source"]) == (
        "oysters",
        "seaweed",
        "class_default",
    )
    # Weihai's "1 t of bivalves fixes ~0.25-0.28 t CO2 in the shell": oyster shell only
    assert oyster["shell_c_t"] / 10 * CO2E_PER_C == pytest.approx(0.2839, abs=1e-3)


def test_measured_coefficients_override_the_class_defaults() -> None:
    harvests = pd.DataFrame(
        {
            "species": ["OYC", "OYC", "扇贝"],
            "harvest_t": [1.0, 1.0, 1.0],
            "dry_wet_ratio": [0.70, np.nan, np.nan],
            "tissue_frac_dry": [0.10, np.nan, np.nan],
            "c_tissue": [0.40, np.nan, np.nan],
            "c_shell": [0.12, np.nan, 0.10],
        }
    )
    out = harvest_carbon(harvests, parameters=SHIPPED)
    # row 1 all measured: 0.7 x (0.1 x 0.4 + 0.9 x 0.12) = 0.7 x 0.148 = 0.1036
    assert out.iloc[0]["total_c_t"] == pytest.approx(0.1036)
    assert out.iloc[0]["coefficient_source"] == "measured"
    assert out.iloc[1]["total_c_t"] == pytest.approx(0.6510 * (0.9386 * 0.1268 + 0.0614 * 0.4598))
    # scallops with a measured shell carbon only: 0.6389 x (0.8565 x 0.10 + 0.1435 x 0.4284)
    assert out.iloc[2]["total_c_t"] == pytest.approx(0.6389 * (0.8565 * 0.10 + 0.1435 * 0.4284))
    assert out.iloc[2]["coefficient_source"] == "measured+class_default"


def test_unknown_species_is_an_error_naming_it() -> None:
    harvests = pd.DataFrame({"species": ["OYC", "Haliotis discus"], "harvest_t": [1.0, 2.0]})
    with pytest.raises(
        ValidationFailed, match=r"row 3 column 'species' value 'Haliotis discus': unknown species"
    ):
        harvest_carbon(harvests, parameters=SHIPPED)


def test_negative_harvest_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="negative harvest"):
        harvest_carbon(pd.DataFrame({"species": ["OYC"], "harvest_t": [-5.0]}), parameters=SHIPPED)


def test_species_table_covers_every_fao_code_and_names_resolve() -> None:
    fao = pd.read_csv(FAO)
    assert resolve_species(fao["species"], parameters=SHIPPED).notna().all()
    names = pd.Series(
        [
            "OYC",
            "oyc",
            "Magallana gigas",
            "Crassostrea  gigas",
            "长牡蛎",
            "Chlamys farreri",
            "栉孔扇贝",
            "Patinopecten yessoensis",
            "Ruditapes philippinarum",
            "Sinonovacula constricta",
            "Mytilus galloprovincialis",
            "Laminaria japonica",
            "紫菜",
            "Yesso scallop",
        ]
    )
    assert list(resolve_species(names, parameters=SHIPPED)) == [
        "oysters",
        "oysters",
        "oysters",
        "oysters",
        "oysters",
        "scallops",
        "scallops",
        "scallops",
        "clams",
        "clams",
        "mussels",
        "kelp",
        "porphyra",
        "scallops",
    ]
    table = SHIPPED.table("shellfish_species")
    assert set(table["class"]) <= set(class_coefficients(parameters=SHIPPED).index)
    assert {"fao_code", "scientific_name", "chinese_name", "english_name", "class"} <= set(table.columns)


def test_real_fao_china_series_end_to_end() -> None:
    china = read_fao_production(FAO, countries=("CHN",))
    checked = validate_harvests(china, mode="fail_fast", parameters=SHIPPED)
    carbon = harvest_carbon(checked.harvests, parameters=SHIPPED)
    year = harvest_totals(carbon, by=["year"]).set_index("year")
    latest = year.loc[2022]
    assert latest["harvest_t"] == pytest.approx(37_548_742.0)
    # 2022 oysters 6.20 Mt x 0.0959 t C t-1 = 0.594 Mt C
    oysters = carbon[(carbon["year"] == 2022) & (carbon["species"] == "OYC")]["total_c_t"].sum()
    assert oysters == pytest.approx(6_199_540 * 0.6510 * (0.9386 * 0.1268 + 0.0614 * 0.4598))
    assert 2.0e6 < latest["total_c_t"] < 3.0e6
    assert latest["total_co2e_t"] == pytest.approx(latest["total_c_t"] * CO2E_PER_C)
    assert (year["shell_c_t"] <= year["total_c_t"]).all()


def test_rows_keep_their_order_and_index_even_when_labels_repeat() -> None:
    harvests = pd.DataFrame({"species": ["OYC", "LNJ"], "harvest_t": [1.0, 1.0]}, index=[7, 7])
    out = harvest_carbon(harvests, parameters=SHIPPED)
    assert list(out.index) == [7, 7] and list(out["shellfish_class"]) == ["oysters", "kelp"]
    assert out["total_c_t"].tolist() == pytest.approx([0.6510 * (0.9386 * 0.1268 + 0.0614 * 0.4598), 0.0624])


def test_harvest_class_totals_hand_computed() -> None:
    from bluecarbon.carbon.shellfish import harvest_carbon, harvest_class_totals

    harvests = pd.DataFrame(
        {"species": ["Crassostrea gigas"], "harvest_t": [1000.0], "year": [2022], "country": ["CHN"]}
    )
    carbon = harvest_carbon(harvests, parameters=SHIPPED)
    row = harvest_class_totals(carbon, parameters=SHIPPED).iloc[0]
    total = 1000.0 * 0.6510 * (0.9386 * 0.1268 + 0.0614 * 0.4598)  # 95.85 t C
    tissue = 1000.0 * 0.6510 * 0.0614 * 0.4598  # 18.38 t C
    assert (row["site"], row["habitat"]) == ("chn_mariculture", "shellfish_aquaculture")
    assert row["removal_t_c_yr"] == pytest.approx(total, rel=1e-4)
    assert row["tissue_removal_t_c_yr"] == pytest.approx(tissue, rel=1e-4)
    assert row["shell_removal_t_c_yr"] == pytest.approx(1000.0 * 0.6510 * 0.9386 * 0.1268, rel=1e-4)
    assert row["removal_t_co2e_yr"] == pytest.approx(total * 44.0095 / 12.0107, rel=1e-4)
    # r = 0.10: P5 = T (1 - 1.645 x 0.10); U = 0.1645 (the creditable quantity lives per parcel)
    assert row["removal_p5_t_c_yr"] == pytest.approx(total * (1 - 0.16448536), rel=1e-4)
    assert row["removal_uncertainty"] == pytest.approx(0.16448536, rel=1e-6)
    assert "shell + tissue" in row["basis"] and "sequestration_t_c_yr" not in row.index
    # a removal is a flow: no stock, no area
    assert np.isnan(row["stock_t_c"]) and np.isnan(row["area_ha"])


def test_fao_seaweed_live_weight_is_converted_with_the_yearbook_ratio() -> None:
    from bluecarbon.carbon.shellfish import harvest_carbon, harvest_class_totals

    harvests = pd.DataFrame(
        {
            "species": ["Saccharina japonica", "Saccharina japonica"],
            "harvest_t": [1000.0, 1000.0],
            "year": [2022, 2023],
            "country": ["CHN", "CHN"],
            "weight_basis": ["fao_live_weight", None],
        }
    )
    carbon = harvest_carbon(harvests, parameters=SHIPPED)
    # FAO live weight: 1000 x 0.130 dry (yearbook dry / FAO live) x 0.312 C = 40.56 t C;
    # a fresh farm weight keeps the class ratio: 1000 x 0.20 x 0.312 = 62.4 t C
    assert carbon["total_c_t"].tolist() == pytest.approx([40.56, 62.4])
    assert carbon["coefficient_source"].tolist() == ["class_default+fao_live_to_dry", "class_default"]
    assert carbon["shell_c_t"].tolist() == [0.0, 0.0]
    row = harvest_class_totals(carbon.iloc[:1], parameters=SHIPPED).iloc[0]
    assert row["habitat"] == "seaweed_aquaculture" and "shell" not in row["basis"]
    assert row["tissue_removal_t_c_yr"] == pytest.approx(40.56)
