from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Polygon, box

from bluecarbon.errors import InputError
from bluecarbon.ingest.parcels import ParcelSpec, check_parcel_id, combine_parcels, read_parcels


def _write(tmp_path: Path, gdf: gpd.GeoDataFrame, name: str = "p.gpkg") -> Path:
    path = tmp_path / name
    if path.suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path)
    return path


def _spec(path: Path, **kw) -> ParcelSpec:
    return ParcelSpec(file=path, id_column="fid_", name_column="name", kind="farm", site="s", **kw)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet"])
def test_reads_three_formats_and_measures_area(tmp_path: Path, suffix: str) -> None:
    gdf = gpd.GeoDataFrame(
        {"fid_": ["A1"], "name": ["raft farm"]}, geometry=[box(0, 0, 1000, 500)], crs="EPSG:6933"
    )
    out = read_parcels(_spec(_write(tmp_path, gdf, "p" + suffix), id_prefix="qd-"))
    assert out["parcel_id"].tolist() == ["qd-A1"]
    assert out.crs.to_epsg() == 4326
    assert out["area_ha"].iloc[0] == pytest.approx(50.0)  # 1000 m x 500 m


@pytest.mark.parametrize(
    ("geometry", "ids", "message"),
    [
        (
            [Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])],
            ["a"],
            "geometry is invalid: Self-intersection",
        ),
        ([LineString([(0, 0), (1, 1)])], ["a"], "is a LineString"),
        ([box(0, 0, 1, 1), box(1, 1, 2, 2)], ["a", "a"], r"row 2, column 'fid_': duplicate parcel id 'a'"),
        ([box(0, 0, 1, 1)], ["../../etc"], "parcel id '../../etc' is invalid"),
    ],
)
def test_bad_parcels_are_refused_with_row(tmp_path: Path, geometry, ids, message: str) -> None:
    gdf = gpd.GeoDataFrame({"fid_": ids, "name": ["x"] * len(ids)}, geometry=geometry, crs="EPSG:4326")
    with pytest.raises(InputError, match=message):
        read_parcels(_spec(_write(tmp_path, gdf, "p.geojson")))


def test_repair_is_explicit_and_recorded(tmp_path: Path) -> None:
    bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100), (0, 0)])
    gdf = gpd.GeoDataFrame({"fid_": ["a"], "name": ["x"]}, geometry=[bowtie], crs="EPSG:6933")
    out = read_parcels(_spec(_write(tmp_path, gdf), repair=True))
    assert out["geometry_repaired"].tolist() == [True]
    assert out.geometry.is_valid.all()


def test_missing_crs_and_ids_across_files(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"fid_": ["a"], "name": ["x"]}, geometry=[box(0, 0, 1, 1)])
    path = tmp_path / "nocrs.parquet"
    gdf.to_parquet(path)
    with pytest.raises(InputError, match="no CRS"):
        read_parcels(_spec(path))
    good = gpd.GeoDataFrame({"fid_": ["a"], "name": ["x"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    one = read_parcels(_spec(_write(tmp_path, good, "one.geojson")))
    two = read_parcels(_spec(_write(tmp_path, good, "two.geojson")))
    with pytest.raises(InputError, match=r"appears in several files: one.geojson, two.geojson"):
        combine_parcels([one, two])
    assert check_parcel_id("tbep-1") == "tbep-1"


def test_real_tampa_bay_segments_need_and_record_a_repair(raw_dir: Path) -> None:
    path = raw_dir / "vector/tampa_bay_seagrass_swfwmd/tbep_bay_segments.geojson"
    spec = ParcelSpec(
        file=path, id_column="BAY_SEGMEN", name_column="Name", kind="bay_segment", site="t", id_prefix="tbep-"
    )
    with pytest.raises(InputError, match="'tbep-3' geometry is invalid"):
        read_parcels(spec)
    out = read_parcels(ParcelSpec(**{**spec.__dict__, "repair": True}))
    assert out.loc[out["geometry_repaired"], "name"].tolist() == ["Middle Tampa Bay"]
    assert out.set_index("name")["area_ha"]["Old Tampa Bay"] > 5000


@pytest.mark.parametrize("repair", [False, True])
def test_a_coordinate_that_is_not_a_number_names_file_row_and_parcel(tmp_path: Path, repair: bool) -> None:
    """NaN coordinates used to end in a GEOSException naming no file or row (with repair)."""
    path = tmp_path / "farms.geojson"
    ring = "[[120.29, 36.22], [NaN, 36.22], [120.30, 36.23], [120.29, 36.22]]"
    feature = '{{"type": "Feature", "properties": {{"fid_": "{}", "name": "x"}}, "geometry": {}}}'
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        + feature.format("A", '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}')
        + ", "
        + feature.format("B", '{"type": "Polygon", "coordinates": [' + ring + "]}")
        + "]}"
    )
    with pytest.raises(
        InputError, match=r"farms.geojson, row 2, column 'geometry': parcel 'B' has a coordinate"
    ):
        read_parcels(_spec(path, repair=repair))


def test_a_chinese_name_column_is_read_and_checked(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"fid_": ["a", "b"], "name": ["Marsh A", "Marsh B"], "name_zh": ["盐沼甲", None]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )
    path = _write(tmp_path, gdf, "p.geojson")
    out = read_parcels(_spec(path, name_zh_column="name_zh"))
    assert out["name_zh"].tolist()[0] == "盐沼甲" and out["name_zh"].isna().tolist() == [False, True]
    assert "name_zh" not in read_parcels(_spec(path)).columns  # only when the study names the column
    with pytest.raises(InputError) as info:
        read_parcels(_spec(path, name_zh_column="name_cn"))
    assert info.value.location.column == "name_cn" and "name_cn" in (info.value.expected or "")
