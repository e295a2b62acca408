"""Units through one registry: conversions against hand-computed factors, case, carbon basis
and currency labels, clear errors, and the checks where the engine and totals consume data."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from bluecarbon.errors import UnitError
from bluecarbon.units import (
    INPUT_SCALE_LIMITS,
    M2_PER_HA,
    MG_HA_PER_G_CM2,
    MG_HA_PER_G_M2,
    check_units,
    conversion_factor,
    convert,
    mass_and_rest,
    parse_units,
    per_area_total_units,
    same_units,
)


@pytest.mark.parametrize(
    ("given", "to", "factor"),
    [
        # 1 kg m-3 = 1000 g / 1e6 cm3 = 0.001 g cm-3
        ("kg m-3", "g cm-3", 0.001),
        ("t m-3", "g cm-3", 1.0),
        # 1 g m-2 = 1e-6 Mg / 1e-4 ha = 0.01 Mg ha-1
        ("g m-2", "Mg ha-1", 0.01),
        # 1 g cm-2 = 1e-6 Mg / 1e-8 ha = 100 Mg ha-1
        ("g cm-2", "Mg ha-1", 100.0),
        ("t/ha", "Mg ha-1", 1.0),
        ("kg", "t", 0.001),
        ("Mg", "t", 1.0),
        ("%", "1", 0.01),
        ("百分比", "1", 0.01),
        ("mm", "cm", 0.1),
        ("米", "cm", 100.0),
        ("ha", "m2", 10_000.0),
        ("吨", "t", 1.0),
        ("公斤", "t", 0.001),
        ("kg ha-1 yr-1", "Mg ha-1 yr-1", 0.001),
    ],
)
def test_conversion_factors_by_hand(given: str, to: str, factor: float) -> None:
    assert conversion_factor(given, to) == factor  # exact: decimal factors carry no float residue


def test_the_chinese_mu_is_a_fifteenth_of_a_hectare() -> None:
    assert conversion_factor("亩", "ha") == pytest.approx(1 / 15, rel=1e-15)
    np.testing.assert_allclose(convert(np.array([15.0, 30.0]), "亩", "ha"), [1.0, 2.0], rtol=1e-15)


def test_the_named_constants_agree_with_the_registry() -> None:
    assert conversion_factor("g cm-2", "Mg ha-1") == MG_HA_PER_G_CM2
    assert conversion_factor("g m-2", "Mg ha-1") == MG_HA_PER_G_M2
    assert conversion_factor("ha", "m2") == M2_PER_HA


def test_case_matters_mg_is_a_milligram() -> None:
    assert conversion_factor("mg", "t") == pytest.approx(1e-9, rel=1e-12)
    assert conversion_factor("Mg", "t") == 1.0
    with pytest.raises(UnitError, match=r"'mg' are 1e-09 t: an implausible scale.*mg is a milligram"):
        conversion_factor("mg", "t", within=INPUT_SCALE_LIMITS)


def test_unknown_units_name_file_row_column_and_value() -> None:
    with pytest.raises(UnitError) as caught:
        conversion_factor("boxes", "t", file="harvests.csv", row=7, column="units")
    err = caught.value
    assert (err.location.file, err.location.row, err.location.column) == ("harvests.csv", 7, "units")
    assert str(err).startswith("harvests.csv, row 7, column 'units': unknown units 'boxes'")


def test_units_of_another_kind_are_refused() -> None:
    with pytest.raises(UnitError, match=r"'kg m-2' cannot be converted to 'g cm-3'"):
        conversion_factor("kg m-2", "g cm-3", column="dry_bulk_density")


def test_carbon_basis_and_currency_are_labels_not_units() -> None:
    parsed = parse_units("Mg C ha-1")
    assert (parsed.cf(), parsed.basis, parsed.currency) == ("Mg ha-1", "C", None)
    assert parse_units("CNY ha-1").currency == "CNY"
    assert conversion_factor("Mg C ha-1", "Mg ha-1") == 1.0
    with pytest.raises(UnitError, match="carbon basis C"):
        conversion_factor("Mg C ha-1", "Mg CO2e ha-1")


def test_totals_of_per_hectare_quantities() -> None:
    assert per_area_total_units("Mg ha-1") == "Mg"
    assert per_area_total_units("Mg ha-1 yr-1") == "Mg yr-1"
    assert per_area_total_units("CNY ha-1") == "CNY"
    with pytest.raises(UnitError, match="not per hectare"):
        per_area_total_units("g m-2", column="biomass")


def test_mass_and_rest_for_labels() -> None:
    assert mass_and_rest("t/ha/yr") == ("Mg", "ha-1 yr-1")
    assert mass_and_rest("Mg") == ("Mg", "")
    with pytest.raises(UnitError, match="not a mass in tonnes"):
        mass_and_rest("kg ha-1")


def test_check_units_accepts_spellings_of_the_same_unit_only() -> None:
    stock = xr.DataArray(np.ones(2), name="carbon_stock", attrs={"units": "t ha-1"})
    check_units(stock, "Mg ha-1")
    assert same_units("Mg ha-1", "Mg ha-1") and not same_units("kg ha-1", "Mg ha-1")
    with pytest.raises(UnitError, match="'carbon_stock' is in 'kg ha-1'"):
        check_units(stock.assign_attrs(units="kg ha-1"), "Mg ha-1")
    with pytest.raises(UnitError, match="unknown units 'Mgha'"):
        check_units(stock.assign_attrs(units="Mgha"), "Mg ha-1")
