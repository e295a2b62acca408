"""The habitat-extent step on the three demo sites: maps, area with CI, accuracy tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bluecarbon.habitat.extent import ACCURACY_COLUMNS, AREA_COLUMNS
from bluecarbon.manifest import verify_manifest
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline import habitat
from bluecarbon.pipeline.study import load_study
from bluecarbon.store.schema import TABLES
from bluecarbon.vocab import Habitat

SHIPPED = ParameterSet.shipped()


@pytest.fixture(scope="module")
def results(raw_dir: Path, repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    studies = repo_root / "data" / "studies"
    sites = list(load_study(studies / "demo.toml").sites)
    files = sorted({f for s in sites for f in s.files(raw_dir)})
    entries = verify_manifest(raw_dir, files)
    hashes = {f: entries[f].sha256 for f in files}
    work = tmp_path_factory.mktemp("work")
    out = {s.id: habitat.site_habitat(raw_dir, s, work, hashes, parameters=SHIPPED) for s in sites}
    return {"sites": {s.id: s for s in sites}, "hashes": hashes, "work": work, "results": out}


def test_every_site_writes_map_area_and_accuracy(results: dict) -> None:
    for site_id, result in results["results"].items():
        assert set(result.uris) == {"habitat", "area", "accuracy"}
        ds = xr.open_zarr(result.uris["habitat"], consolidated=False, decode_coords="all")
        habitat = ds["habitat"]
        assert habitat.dims == ("year", "y", "x")
        assert habitat.attrs["flag_meanings"].split()[0] == "seagrass"
        assert ds.rio.crs is not None
        area = pd.read_parquet(result.uris["area"])
        assert tuple(area.columns) == AREA_COLUMNS
        assert set(TABLES["habitat_area"].required_columns) <= set(area.columns)
        assert (area["site"] == site_id).all()
        assert area["area_ci_ha"].notna().all() and (area["area_ci_ha"] >= 0).all()
        accuracy = pd.read_parquet(result.uris["accuracy"])
        assert tuple(accuracy.columns) == ACCURACY_COLUMNS
        assert set(zip(accuracy["year"], accuracy["habitat"], strict=True)) == set(
            zip(area["year"], area["habitat"], strict=True)
        )


def test_demo_has_habitat_extent_for_several_dates(results: dict) -> None:
    years = {
        k: xr.open_zarr(r.uris["habitat"], consolidated=False)["year"].size
        for k, r in results["results"].items()
    }
    assert years == {"old_tampa_bay": 17, "rufiji_delta": 4, "aberystwyth_coast": 1, "jiaozhou_bay": 2}


def test_unassessed_sites_say_so_with_default_ci(results: dict) -> None:
    for site_id, source, relative in (
        ("old_tampa_bay", "survey_polygons", 0.10),
        ("rufiji_delta", "classified_imagery", 0.25),
    ):
        result = results["results"][site_id]
        accuracy = pd.read_parquet(result.uris["accuracy"])
        assert (accuracy["status"] == "not assessed").all()
        assert accuracy[["users_accuracy", "producers_accuracy", "overall_accuracy"]].isna().all().all()
        area = pd.read_parquet(result.uris["area"])
        assert (area["area_source"] == source).all()
        np.testing.assert_allclose(area["area_ci_ha"], relative * area["area_ha"])
        assert area["area_ci_source"].str.contains("verified=False").all()


def test_rufiji_areas_are_pixel_counts(results: dict) -> None:
    result = results["results"]["rufiji_delta"]
    habitat = xr.open_zarr(result.uris["habitat"], consolidated=False)["habitat"]
    area = pd.read_parquet(result.uris["area"]).set_index(["year", "habitat"])["area_ha"]
    mangrove_2019 = float((habitat.sel(year=2019) == Habitat.MANGROVE.code).sum()) * 0.04  # 20 m pixels
    assert area[(2019, "mangrove")] == pytest.approx(mangrove_2019)


def test_aberystwyth_is_assessed_for_real(results: dict) -> None:
    result = results["results"]["aberystwyth_coast"]
    accuracy = pd.read_parquet(result.uris["accuracy"]).set_index("habitat")
    assert (accuracy["status"] == "assessed").all()
    assert accuracy["n_samples"].tolist() == [150, 150]
    assert accuracy["overall_accuracy"].iloc[0] > 0.95
    assert accuracy["reference"].iloc[0].startswith("rsgislib 4-class land-cover map")
    area = pd.read_parquet(result.uris["area"]).set_index("habitat")
    assert (area["area_source"] == "error_adjusted_estimate").all()
    # Error-adjusted areas add up to the mapped subset (324 x 339 pixels x 0.01 ha).
    assert area["area_ha"].sum() == pytest.approx(1098.36)
    assert result.info["label_classes_overall_accuracy"] > 0.85


def test_rerun_is_cached(results: dict, raw_dir: Path) -> None:
    site = results["sites"]["aberystwyth_coast"]
    again = habitat.site_habitat(raw_dir, site, results["work"], results["hashes"], parameters=SHIPPED)
    assert again.cached and again.uris == results["results"]["aberystwyth_coast"].uris
