"""The pipeline's carbon engine on habitat maps, and its class totals, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine

from bluecarbon.carbon.engine import compute_histogram
from bluecarbon.carbon.stocks import habitat_carbon_run, habitat_class_totals
from bluecarbon.carbon.uncertainty import UncertaintySettings
from bluecarbon.params import ParameterSet
from bluecarbon.store.validators import check_product
from bluecarbon.units import CO2E_PER_C

SHIPPED = ParameterSet.shipped()

SG, WATER = 1.0, 7.0  # Habitat codes


@pytest.fixture
def maps() -> xr.DataArray:
    # 2000: seagrass seagrass / water water; 2010: seagrass water / seagrass water
    data = np.array([[[SG, SG], [WATER, WATER]], [[SG, WATER], [SG, WATER]]])
    arr = xr.DataArray(
        data,
        dims=("year", "y", "x"),
        coords={"year": [2000, 2010], "y": [4300005.0, 4299995.0], "x": [5.0, 15.0]},
    )
    return arr.rio.write_crs("EPSG:32618").rio.write_transform(Affine(10.0, 0, 0, 0, -10.0, 4300010.0))


DENSITY = pd.DataFrame(
    {"habitat": ["seagrass"], "soil_mg_c_ha": [100.0], "soil_se_mg_c_ha": [10.0], "density_source": ["cores"]}
)
AREA = pd.DataFrame(
    {
        "year": [2000, 2000, 2010, 2010],
        "habitat": ["seagrass", "water", "seagrass", "water"],
        "area_ha": [5.0, 7.0, 4.0, 10.0],
        "area_ci_ha": [0.5, 1.0, 0.4, 1.0],
    }
)


def test_habitat_class_totals_by_hand(maps: xr.DataArray) -> None:
    run = habitat_carbon_run(maps, DENSITY, parameters=SHIPPED)
    totals = habitat_class_totals(
        run,
        compute_histogram(run),
        AREA,
        DENSITY,
        site="s",
        uncertainty=UncertaintySettings.from_parameters(SHIPPED),
    ).set_index(["year", "habitat"])
    sg2000, sg2010, w2010 = (
        totals.loc[(2000, "seagrass")],
        totals.loc[(2010, "seagrass")],
        totals.loc[(2010, "water")],
    )
    # 2000: soil 100 + biomass 2.53 (Fourqurean 2012 plots) = 102.53 Mg C/ha on the 5 ha of the area table
    assert sg2000["stock_mg_c_ha"] == pytest.approx(102.53)
    assert sg2000["stock_t_c"] == pytest.approx(512.65)
    assert sg2000["stock_t_co2e"] == pytest.approx(512.65 * CO2E_PER_C)
    # Baseline period: seagrass accumulates 0.43 t C/ha/yr (IPCC table 4.12) x 5 ha = 2.15 t C/yr
    assert sg2000["sequestration_t_c_yr"] == pytest.approx(2.15)
    # 2010 seagrass: the pixel that stayed (102.53 + 10 x 0.43 = 106.83) and the new one, reset to
    # the seagrass stock on entry (102.53): mean 104.68 Mg C/ha x 4 ha = 418.72 t C
    assert sg2010["stock_mg_c_ha"] == pytest.approx(104.68)
    assert sg2010["stock_t_c"] == pytest.approx(418.72)
    assert sg2010["sequestration_t_c_yr"] == pytest.approx(0.43 * 4)
    # 2010 water: the lost seagrass pixel emits in 2010 (medium impact) biomass 0.5 x 2.53 with
    # H = 0.27 yr: 1.265 (1 - 0.5^(1/0.27)) = 1.167886, and soil 0.1 x 104.3 with H = 1 yr: 5.215;
    # averaged with the other water pixel (0) -> -3.191443 t C/ha/yr, x 10 ha = -31.91443 t C/yr
    assert w2010["sequestration_t_c_yr"] == pytest.approx(-(1.265 * (1 - 0.5 ** (1 / 0.27)) + 5.215) / 2 * 10)
    # Uncertainty: soil SE 10 and map CI; P5 < central < P95, conservative below central
    assert sg2000["stock_p5_t_c"] < sg2000["stock_t_c"] < sg2000["stock_p95_t_c"]
    assert sg2000["stock_conservative_t_c"] < sg2000["stock_t_c"]
    assert sg2000["stock_se_t_c"] > 0 and sg2000["density_source"] == "cores"
    assert totals.loc[(2000, "water"), "density_source"] == "none"


def test_carbon_product_passes_the_publish_validators(maps: xr.DataArray) -> None:
    ds = habitat_carbon_run(maps, DENSITY, parameters=SHIPPED).dataset.compute()
    assert check_product("s/carbon", ds).errors == []
    assert list(ds["year"].values) == [2000, 2010, 2011]
    assert ds["carbon_stock"].attrs["carbon_basis"] == "C"
    assert set(ds.data_vars) >= {
        "carbon_stock",
        "carbon_stock_by_pool",
        "carbon_accumulation",
        "net_sequestration",
    }
