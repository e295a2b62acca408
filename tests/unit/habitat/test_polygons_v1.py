from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
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


TAMPA = "vector/tampa_bay_seagrass_swfwmd/old_tampa_bay_seagrass_1988_2022.gpkg"
TAMPA_CLASSES = {
    "patchy": Habitat.SEAGRASS,
    "cont.": Habitat.SEAGRASS,
    "sand": Habitat.TIDAL_FLAT,
    "algae": Habitat.OTHER,
}


@cache
def tampa_areas() -> pd.DataFrame:
    """Areas per year and class of the shipped polygons (read once per session)."""
    raw = Path(__file__).resolve().parents[3] / "data" / "raw"
    return habitat_area_by_year(read_habitat_polygons(raw / TAMPA, class_map=TAMPA_CLASSES)[0])


def test_real_polygons_with_broken_geometries_are_repaired_and_reported(
    raw_dir: Path, tmp_path: Path
) -> None:
    from shapely.geometry import GeometryCollection

    real = gpd.read_file(raw_dir / TAMPA)
    # The shipped file is valid under GEOS 3.14 (its README expected some invalid rings).
    assert real.geometry.is_valid.all()
    year = real[real["year"] == 2022].to_crs("EPSG:26917")
    minx, miny, maxx, maxy = year.total_bounds
    # A self-intersecting "bowtie" of 200 m x 200 m inside the bay, and an empty geometry.
    x0, y0 = (minx + maxx) / 2, (miny + maxy) / 2
    bowtie = Polygon([(x0, y0), (x0 + 200, y0 + 200), (x0 + 200, y0), (x0, y0 + 200), (x0, y0)])
    broken = gpd.GeoDataFrame(
        {"year": [2022, 2022], "category": ["patchy", "patchy"]},
        geometry=[bowtie, GeometryCollection()],
        crs="EPSG:26917",
    )
    mixed = gpd.GeoDataFrame(pd.concat([year, broken], ignore_index=True), crs="EPSG:26917")
    path = tmp_path / "mixed.gpkg"
    mixed.to_file(path)
    polys, report = read_habitat_polygons(path, class_map=TAMPA_CLASSES)
    assert report.invalid_by_year == {2022: 1} and report.empty_dropped == 1
    assert polys.geometry.is_valid.all()
    before = tampa_areas()
    after = habitat_area_by_year(polys)
    seagrass = lambda t: t[(t["year"] == 2022) & (t["habitat"] == "seagrass")]["area_ha"].item()  # noqa: E731
    # The repaired bowtie is two triangles, each 200 m base x 100 m height / 2 = 10,000 m2, so
    # 2 ha (in UTM; +0.1 % for the equal-area CRS), less any overlap with mapped seagrass
    # (dissolve counts overlaps once).
    assert 0.0 <= seagrass(after) - seagrass(before) <= 2.0 * 1.001


def test_unreadable_vector_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(InputError, match=r"bad.geojson: cannot read vector file"):
        read_habitat_polygons(bad, class_map={"patchy": Habitat.SEAGRASS})
    with pytest.raises(InputError, match=r"missing.gpkg: vector file not found"):
        read_habitat_polygons(tmp_path / "missing.gpkg", class_map={"patchy": Habitat.SEAGRASS})


def test_real_tampa_bay_years_and_classes() -> None:
    area = tampa_areas()
    assert sorted(area["year"].unique()) == [
        1988,
        1990,
        1992,
        1994,
        1996,
        1999,
        2001,
        2004,
        2006,
        2008,
        2010,
        2012,
        2014,
        2016,
        2018,
        2020,
        2022,
    ]
    seagrass = area[area["habitat"] == "seagrass"].set_index("year")["area_ha"]
    # README: 2020 2876 ha, 2014 4355 ha (EPSG:26917; ours on EPSG:6933).
    assert seagrass[2020] == pytest.approx(2876, rel=0.01)
    assert seagrass[2014] == pytest.approx(4355, rel=0.01)
    assert (area["area_ha"] > 0).all()
