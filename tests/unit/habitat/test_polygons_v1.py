from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon, box

from bluecarbon.errors import InputError
from bluecarbon.habitat.polygons import habitat_area_by_year, rasterize_habitat, read_habitat_polygons
from bluecarbon.vocab import Habitat


def test_area_counts_overlaps_once_on_equal_area_crs() -> None:
    polys = gpd.GeoDataFrame(
        {"year": [2020, 2020, 2021], "habitat": ["seagrass"] * 3},
        geometry=[box(0, 0, 1000, 1000), box(500, 0, 1500, 1000), box(0, 0, 1000, 500)],
        crs="EPSG:6933",
    )
    area = habitat_area_by_year(polys).set_index("year")["area_ha"]
    assert area[2020] == pytest.approx(150.0)  # 1500 m x 1000 m, overlap counted once
    assert area[2021] == pytest.approx(50.0)


def test_invalid_geometry_is_repaired_and_reported(tmp_path: Path) -> None:
    bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
    gdf = gpd.GeoDataFrame({"year": [2020], "category": ["patchy"]}, geometry=[bowtie], crs="EPSG:32617")
    path = tmp_path / "p.gpkg"
    gdf.to_file(path)
    out, report = read_habitat_polygons(path, class_map={"patchy": Habitat.SEAGRASS})
    assert report.invalid_by_year == {2020: 1}
    assert out.geometry.is_valid.all()
    assert out.geometry.area.sum() == pytest.approx(5000.0)


def test_unknown_category_names_value_and_row(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"year": [2020, 2020], "category": ["patchy", "kelp"]},
        geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2)],
        crs="EPSG:4326",
    )
    path = tmp_path / "p.geojson"
    gdf.to_file(path)
    with pytest.raises(InputError, match=r"row 2, column 'category': unknown habitat category 'kelp'"):
        read_habitat_polygons(path, class_map={"patchy": Habitat.SEAGRASS})


def test_rasterize_marks_outside_extent_as_nodata() -> None:
    polys = gpd.GeoDataFrame(
        {"year": [2020], "habitat": ["seagrass"]}, geometry=[box(0, 0, 20, 20)], crs="EPSG:32617"
    )
    extent = gpd.GeoDataFrame(geometry=[box(0, 0, 40, 20)], crs="EPSG:32617")
    m = rasterize_habitat(polys, crs="EPSG:32617", resolution=10.0, extent=extent)
    values = m.sel(year=2020).values
    assert values.shape == (2, 4)
    assert (values[:, :2] == Habitat.SEAGRASS.code).all()
    assert (values[:, 2:] == Habitat.WATER.code).all()
    notched = gpd.GeoDataFrame(geometry=[box(0, 0, 40, 20).difference(box(30, 10, 40, 20))], crs="EPSG:32617")
    m2 = rasterize_habitat(polys, crs="EPSG:32617", resolution=10.0, extent=notched).sel(year=2020).values
    assert np.isnan(m2[0, 3]) and np.isnan(m2).sum() == 1
    assert m.rio.crs.to_epsg() == 32617


def test_real_tampa_bay_areas(raw_dir: Path) -> None:
    polys, _ = read_habitat_polygons(
        raw_dir / "vector/tampa_bay_seagrass_swfwmd/old_tampa_bay_seagrass_1988_2022.gpkg",
        class_map={
            "patchy": Habitat.SEAGRASS,
            "cont.": Habitat.SEAGRASS,
            "sand": Habitat.TIDAL_FLAT,
            "algae": Habitat.OTHER,
        },
    )
    area = habitat_area_by_year(polys)
    seagrass = area[area["habitat"] == "seagrass"].set_index("year")["area_ha"]
    assert len(seagrass) == 17
    # README (EPSG:26917): 1988 2153 ha, 2016 4713 ha (peak), 2022 1841 ha
    assert seagrass[1988] == pytest.approx(2153, rel=0.01)
    assert seagrass[2016] == pytest.approx(4713, rel=0.01)
    assert seagrass.idxmax() == 2016
