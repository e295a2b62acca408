"""The Qingdao study file and its inputs agree with each other (issue 19): every category of
the habitat polygons is mapped and has a Chinese name, every parcel file has the Chinese name
column the study names, the site carries the keys the pipeline reads (and no hand-drawn core
selection), and a misspelt key is an error naming the nearest one."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pytest

from bluecarbon.errors import InputError
from bluecarbon.pipeline.study import load_study
from bluecarbon.vocab import Habitat, Subclass

ROOT = Path(__file__).resolve().parents[3]
STUDY = ROOT / "data" / "studies" / "qingdao.toml"
NAMES = ROOT / "data" / "studies" / "qingdao_names.csv"
RAW = ROOT / "data" / "raw"


def _names(kind: str) -> dict[str, dict[str, str]]:
    with NAMES.open(encoding="utf-8", newline="") as fh:
        return {r["key"]: r for r in csv.DictReader(fh) if r["kind"] == kind}


def test_the_site_is_read_as_the_pipeline_reads_it() -> None:
    study = load_study(STUDY)
    (site,) = study.sites
    o = site.options
    assert site.id == "jiaozhou_bay" and o["setting"] == "siliciclastic" and o["region"] == "jiaozhou_bay"
    assert "soil_cores" not in o, "soil densities come from the distance-and-setting rule, not a selection"
    assert o["name_zh"] == _names("site")["jiaozhou_bay"]["name_zh"] + "（示意生境）"
    assert {Subclass.parse(v) for v in o["subclass_map"].values()} == {
        None,
        Subclass.PATCHY,
        Subclass.SPARTINA,
        Subclass.SUAEDA,
        Subclass.PHRAGMITES,
    }
    assert all(p.illustrative and p.name_zh_column == "name_zh" for p in study.parcels)
    assert all(h.illustrative for h in study.harvests)


def test_every_category_is_mapped_named_in_chinese_and_found_in_the_polygons() -> None:
    (site,) = load_study(STUDY).sites
    polygons = gpd.read_file(RAW / site.options["polygons"])
    categories = set(polygons[site.options["class_column"]])
    assert categories == set(site.options["class_map"])
    assert set(site.options["subclass_map"]) <= categories
    names = _names("category")
    for category, habitat in site.options["class_map"].items():
        assert names[category]["habitat"] == habitat and names[category]["name_zh"]
    # every Chinese species name of the table is a habitat synonym (鳗草（大叶藻） gives two)
    for row in _names("species").values():
        for word in row["name_zh"].replace("）", "").split("（"):
            assert Habitat.parse(word) is Habitat(row["habitat"]), word
    assert polygons["illustrative"].all()


def test_parcel_files_hold_the_chinese_names_of_the_names_table() -> None:
    study = load_study(STUDY)
    names = _names("parcel")
    for source in study.parcels:
        frame = gpd.read_file(RAW / source.file)
        for pid, name_zh in zip(frame[source.id_column], frame[source.name_zh_column], strict=True):
            assert names[pid]["name_zh"] == name_zh and name_zh.endswith("（示意）")


def test_a_misspelt_site_key_names_the_nearest_one(tmp_path: Path) -> None:
    bad = tmp_path / "qingdao.toml"
    bad.write_text(STUDY.read_text(encoding="utf-8").replace('region = "', 'regoin = "'), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_study(bad)
    assert "did you mean 'region'" in str(info.value)


def test_the_demo_publishes_the_same_jiaozhou_bay_as_the_qingdao_study() -> None:
    """`make demo` publishes Jiaozhou Bay too, from a copy of the site in demo.toml: the copy
    must not drift from data/studies/qingdao.toml."""
    demo = load_study(ROOT / "data" / "studies" / "demo.toml")
    qingdao = load_study(STUDY)
    (site,) = qingdao.sites
    assert next(s for s in demo.sites if s.id == site.id) == site
    assert [p for p in demo.parcels if p.site == site.id] == list(qingdao.parcels)
    assert [h for h in demo.harvests if h.kind == "template"] == list(qingdao.harvests)
