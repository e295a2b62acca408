"""The pipeline's carbon engine on habitat maps, and the release tables it feeds, by hand.

Four 10 m pixels (0.01 ha each), maps 2000 and 2010, analysis 2011; seagrass soil 100 Mg C/ha
(the density table), biomass 2.53 (Fourqurean 2012 plots), accumulation 0.43 (IPCC table 4.12);
water holds nothing. A: seagrass throughout; B: seagrass lost to water; C: water colonised by
seagrass; D: water throughout. The change is dated 2005 (half way between the maps).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine

from bluecarbon.carbon.stocks import ALL_CLASSES_LABEL, habitat_carbon_run, site_totals
from bluecarbon.carbon.transitions import compute_histogram
from bluecarbon.carbon.uncertainty import UncertaintySettings
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.store.validators import check_accounting, check_product
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import Subclass

SHIPPED = ParameterSet.shipped()
SETTINGS = UncertaintySettings.from_parameters(SHIPPED)
SG, WATER = 1.0, 7.0  # Habitat codes

#: B's emissions 2005-2010: biomass 0.5 x 2.53 (H 0.27 yr) and soil 0.1 x 100 (H 1 yr), 5 years.
B_BIOMASS = 1.265 * (1 - 0.5 ** (5 / 0.27))
B_SOIL = 10.0 * (1 - 0.5**5)


def _grid(data: np.ndarray, years: list[int]) -> xr.DataArray:
    arr = xr.DataArray(
        data,
        dims=("year", "y", "x"),
        coords={"year": years, "y": [4300005.0, 4299995.0], "x": [5.0, 15.0]},
    )
    return arr.rio.write_crs("EPSG:32618").rio.write_transform(Affine(10.0, 0, 0, 0, -10.0, 4300010.0))


@pytest.fixture
def maps() -> xr.DataArray:
    # 2000: A B / C D = seagrass seagrass / water water; 2010: seagrass water / seagrass water
    return _grid(np.array([[[SG, SG], [WATER, WATER]], [[SG, WATER], [SG, WATER]]]), [2000, 2010])


DENSITY = pd.DataFrame(
    {
        "habitat": ["seagrass"],
        "soil_mg_c_ha": [100.0],
        "soil_se_mg_c_ha": [10.0],
        "density_source": ["cores_regional"],
    }
)
#: Official areas equal to the mapped pixels: no rescaling.
MAPPED = pd.DataFrame(
    {
        "year": [2000, 2000, 2010, 2010],
        "habitat": ["seagrass", "water", "seagrass", "water"],
        "area_ha": [0.02, 0.02, 0.02, 0.02],
        "area_ci_ha": [0.002, 0.002, 0.002, 0.002],
    }
)


def _totals(maps: xr.DataArray, area: pd.DataFrame = MAPPED, **kw: object):
    run = habitat_carbon_run(maps, DENSITY, parameters=SHIPPED, **kw)  # type: ignore[arg-type]
    return site_totals(
        run, compute_histogram(run), area, DENSITY, site="s", uncertainty=SETTINGS, parameters=SHIPPED
    )


def test_class_totals_by_hand(maps: xr.DataArray) -> None:
    totals = _totals(maps).class_totals.set_index(["year", "habitat"])
    sg2000, sg2010, w2010 = (
        totals.loc[(2000, "seagrass")],
        totals.loc[(2010, "seagrass")],
        totals.loc[(2010, "water")],
    )
    # 2000: A and B hold 100 + 2.53 Mg C/ha on 0.01 ha each
    assert sg2000["stock_mg_c_ha"] == pytest.approx(102.53)
    assert sg2000["stock_t_c"] == pytest.approx(2.0506)
    assert sg2000["stock_t_co2e"] == pytest.approx(2.0506 * CO2E_PER_C)
    # 2000-2010 flux of the seagrass mapped in 2000: A buries 4.3, B 2.15 (seagrass until 2005)
    # and emits B_BIOMASS + B_SOIL; per year over 10 years, x 0.01 ha
    assert sg2000["accumulation_t_c_yr"] == pytest.approx((4.3 + 2.15) * 0.01 / 10)
    assert sg2000["emissions_t_c_yr"] == pytest.approx((B_BIOMASS + B_SOIL) * 0.01 / 10)
    assert sg2000["net_flux_t_c_yr"] == pytest.approx((6.45 - B_BIOMASS - B_SOIL) * 0.01 / 10)
    # 2010 seagrass: A keeps 102.53 (soil to the fixed depth does not grow); C, colonised in 2005,
    # holds what the water held (nothing): carry-over, no reset on entry
    assert sg2010["stock_t_c"] == pytest.approx(1.0253)
    assert sg2010["stock_mg_c_ha"] == pytest.approx(51.265)
    assert sg2010["buried_t_c"] == pytest.approx((4.3 + 2.15) * 0.01)
    # 2010 water holds B's remaining carbon: biomass 2.53 - 1.265 (1 - ...), soil 100 - B_SOIL
    assert w2010["stock_t_c"] == pytest.approx((2.53 - B_BIOMASS + 100 - B_SOIL) * 0.01)
    assert sg2000["soil_depth_cm"] == 100.0 and sg2000["pools"] == "biomass+soil"
    assert totals.loc[(2000, "water"), "pools"] == "none"
    # uncertainty: P5 < central < P95 and the conservative stock is P5 (nothing at risk)
    assert sg2000["stock_p5_t_c"] < sg2000["stock_t_c"] < sg2000["stock_p95_t_c"]
    assert sg2000["stock_conservative_t_c"] == pytest.approx(sg2000["stock_p5_t_c"])


def test_site_balance_holds_and_nothing_is_created(maps: xr.DataArray) -> None:
    tables = _totals(maps)
    balance = tables.site_balance.set_index("period_start")
    first = balance.loc[2000]
    # start 2000: A + B; end 2010: A 102.53 + buried 4.3 + B's remains + buried 2.15 + C buried 2.15
    start = 2 * 102.53 * 0.01
    end = (102.53 + 4.3 + (2.53 - B_BIOMASS + 100 - B_SOIL) + 2.15 + 2.15) * 0.01
    assert first["stock_start_t_c"] == pytest.approx(start)
    assert first["stock_end_t_c"] == pytest.approx(end)
    assert first["accumulation_t_c"] == pytest.approx((4.3 + 2.15 + 2.15) * 0.01)
    assert first["emissions_t_c"] == pytest.approx((B_BIOMASS + B_SOIL) * 0.01)
    assert first["reclassification_t_c"] == pytest.approx(0.0, abs=1e-12)  # no rescaling, no reset
    identity = (
        balance["stock_end_t_c"]
        - balance["stock_start_t_c"]
        - (balance["accumulation_t_c"] - balance["emissions_t_c"] + balance["reclassification_t_c"])
    )
    assert (identity.abs() < 1e-9).all()
    assert list(balance["after_last_map"]) == [False, True]
    assert (
        check_accounting({"site_balance": tables.site_balance, "class_totals": tables.class_totals}).errors
        == []
    )


def test_rescaling_to_official_areas_is_shown_as_reclassification(maps: xr.DataArray) -> None:
    area = MAPPED.assign(area_ha=[5.0, 7.0, 4.0, 10.0])
    tables = _totals(maps, area)
    totals = tables.class_totals.set_index(["year", "habitat"])
    # seagrass 2000: the per-hectare stock on the official 5 ha
    assert totals.loc[(2000, "seagrass"), "stock_t_c"] == pytest.approx(5.0 * 102.53)
    assert totals.loc[(2000, "seagrass"), "mapped_area_ha"] == pytest.approx(5.0)
    first = tables.site_balance.set_index("period_start").loc[2000]
    residual = (
        first["stock_end_t_c"] - first["stock_start_t_c"] - first["accumulation_t_c"] + first["emissions_t_c"]
    )
    assert first["reclassification_t_c"] == pytest.approx(residual)
    assert abs(first["reclassification_t_c"]) > 1.0  # the area tables disagree with the map: shown


def test_patchy_cover_weights_the_stock_and_shares_its_draws(maps: xr.DataArray) -> None:
    subclass = _grid(np.where(maps.values == SG, Subclass.PATCHY.code, 0).astype(float), [2000, 2010])
    subclass[:, 0, 1] = 0  # B is continuous, A patchy
    totals = _totals(maps, subclass_maps=subclass).class_totals.set_index(["year", "habitat"])
    # A patchy (0.5 x 102.53), B continuous: one seagrass row for both
    assert totals.loc[(2000, "seagrass"), "stock_t_c"] == pytest.approx((0.5 * 102.53 + 102.53) * 0.01)
    row = totals.loc[(2000, "seagrass")]
    assert row["stock_p5_t_c"] < row["stock_t_c"] < row["stock_p95_t_c"]


def test_spartina_stock_is_at_risk_and_leaves_the_conservative_stock() -> None:
    marsh = _grid(np.full((2, 2, 2), 2.0), [2000, 2010])  # salt marsh everywhere
    subclass = _grid(np.zeros((2, 2, 2)), [2000, 2010])
    subclass[:, 0, :] = Subclass.SPARTINA.code  # the top row is Spartina
    density = pd.DataFrame(
        {"habitat": ["salt_marsh"], "soil_mg_c_ha": [80.0], "soil_se_mg_c_ha": [8.0], "density_source": ["x"]}
    )
    run = habitat_carbon_run(marsh, density, parameters=SHIPPED, subclass_maps=subclass)
    area = pd.DataFrame({"year": [2000, 2010], "habitat": ["salt_marsh"] * 2, "area_ha": [0.04, 0.04]})
    tables = site_totals(
        run, compute_histogram(run), area, density, site="s", uncertainty=SETTINGS, parameters=SHIPPED
    )
    row = tables.class_totals.set_index(["year", "habitat"]).loc[(2000, "salt_marsh")]
    assert row["stock_t_c"] == pytest.approx(4 * 80.0 * 0.01)
    assert row["stock_at_risk_t_c"] == pytest.approx(2 * 80.0 * 0.01)
    assert row["stock_conservative_t_c"] == pytest.approx(max(row["stock_p5_t_c"] - 1.6, 0.0))


def test_mangrove_biomass_is_ipcc_tier1_by_climate_zone() -> None:
    mangrove = _grid(np.full((2, 2, 2), 3.0), [2000, 2010])
    density = pd.DataFrame(
        {"habitat": ["mangrove"], "soil_mg_c_ha": [300.0], "soil_se_mg_c_ha": [20.0], "density_source": ["x"]}
    )
    run = habitat_carbon_run(mangrove, density, parameters=SHIPPED, climate_zone="tropical_dry")
    # tropical dry: AGB 92 t dm/ha x (1 + 0.29) x 0.451 t C/t dm = 53.52348 Mg C/ha
    biomass = run.dataset["carbon_stock_by_pool"].sel(pool="biomass", year=2000).values
    np.testing.assert_allclose(biomass, 92 * 1.29 * 0.451)
    with pytest.raises(InputError, match="climate zone"):
        habitat_carbon_run(mangrove, density, parameters=SHIPPED)


def test_parcel_totals_carry_habitat_blue_carbon_and_all_levels(maps: xr.DataArray) -> None:
    zones = xr.DataArray(np.array([[1, 1], [0, 0]]), dims=("y", "x"), coords={"y": maps.y, "x": maps.x})
    run = habitat_carbon_run(maps, DENSITY, parameters=SHIPPED, zones=zones, zone_ids=("p1",))
    tables = site_totals(
        run, compute_histogram(run), MAPPED, DENSITY, site="s", uncertainty=SETTINGS, parameters=SHIPPED
    )
    parcel = tables.parcel_totals
    assert set(parcel["level"]) == {"habitat", "blue_carbon", "all"}
    flows = parcel[(parcel["kind"] == "flow") & (parcel["year"] == 2000)].set_index("level")
    # parcel p1 = A + B: all classes net flux over 2000-2010
    assert flows.loc["all", "habitat"] == ALL_CLASSES_LABEL
    assert flows.loc["all", "net_flux_t_c_yr"] == pytest.approx((6.45 - B_BIOMASS - B_SOIL) * 0.01 / 10)
    stocks = parcel[parcel["kind"] == "stock"]
    assert (stocks["stock_conservative_t_c"] <= stocks["stock_p5_t_c"] + 1e-12).all()


def test_carbon_product_passes_the_publish_validators(maps: xr.DataArray) -> None:
    ds = habitat_carbon_run(maps, DENSITY, parameters=SHIPPED).dataset.compute()
    assert check_product("s/carbon", ds).errors == []
    assert list(ds["year"].values) == [2000, 2010, 2011]
    assert ds["carbon_stock"].attrs["carbon_basis"] == "C"
    assert ds.attrs["soil_accounting_depth_cm"] == 100.0
    assert set(ds.data_vars) >= {
        "carbon_stock",
        "carbon_stock_by_pool",
        "carbon_buried",
        "carbon_accumulation",
        "net_sequestration",
    }
