from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401
import xarray as xr
from shapely.geometry import box

from bluecarbon.store import ReleaseBundle


def make_bundle(
    key: str = "a" * 64, *, stock: float = 100.0, scale: float = 1.0, size: int = 0
) -> ReleaseBundle:
    """A small but complete release: a habitat map, a carbon map, two tables.

    ``size`` > 0 pads the grid to ``size`` columns so chunks are large enough to be stored
    as chunk files (Icechunk inlines tiny chunks in its manifests)."""
    codes = np.array([[[1, 7, 7], [1, 1, np.nan]], [[1, 1, 7], [7, 1, np.nan]]], dtype="float32")
    if size > 3:
        codes = np.concatenate([codes, np.ones((2, 2, size - 3), dtype="float32")], axis=2)
    width = codes.shape[2]
    habitat = xr.DataArray(
        codes,
        dims=("year", "y", "x"),
        coords={"year": [2020, 2021], "y": [15.0, 5.0], "x": 5.0 + 10.0 * np.arange(width)},
        name="habitat",
        attrs={
            "long_name": "habitat class",
            "units": "1",
            "flag_values": [1, 7],
            "flag_meanings": "seagrass water",
        },
    )
    habitat.encoding = {"dtype": "uint8", "_FillValue": 255}
    carbon = (
        xr.where(habitat == 1, np.float32(stock * scale), np.float32(0)).where(habitat.notnull())
    ).rename("carbon_stock")
    carbon.attrs = {
        "long_name": "soil carbon stock",
        "units": "Mg ha-1",
        "carbon_basis": "C",
        "valid_min": 0.0,
    }
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["p-1", "p-2"],
            "name": ["north", "south"],
            "kind": ["meadow", "meadow"],
            "site": ["s", "s"],
        },
        geometry=[box(0, 10, 30, 20), box(0, 0, 30, 10)],
        crs="EPSG:32618",
    )
    totals = pd.DataFrame(
        {
            "site": ["s", "s"],
            "year": [2020, 2021],
            "habitat": ["seagrass", "seagrass"],
            "area_ha": [0.03, 0.03],
            "stock_t_c": [3.0 * stock * scale / 100, 3.0 * stock * scale / 100],
        }
    )
    totals["stock_t_co2e"] = totals["stock_t_c"] * 3.664
    return ReleaseBundle(
        products={
            "s/habitat": habitat.to_dataset().rio.write_crs("EPSG:32618"),
            "s/carbon": carbon.to_dataset().rio.write_crs("EPSG:32618"),
        },
        tables={"parcels": parcels, "class_totals": totals},
        idempotency_key=key,
        provenance={
            "inputs": [
                {
                    "path": "x.csv",
                    "sha256": "0" * 64,
                    "license": "CC0-1.0",
                    "dataset": "d",
                    "restrictions": "none",
                    "citation": "c",
                }
            ]
        },
        summary={"headline": []},
    )


@pytest.fixture
def bundle() -> ReleaseBundle:
    return make_bundle()
