from __future__ import annotations

from functools import cache
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import rasterio
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from bluecarbon.errors import InputError
from bluecarbon.geo import pixel_area_ha
from bluecarbon.habitat.classify import (
    TrainedForest,
    align_labels,
    classify_and_assess,
    extract_features,
    feature_stack,
    predict,
    recode,
    stratified_sample,
    train_random_forest,
    values_at,
)
from bluecarbon.ingest.rasters import arcsi_band_names, open_raster, product_scaling
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import Habitat
from tests.unit.habitat.helpers import chunkings, raise_on_compute

SHIPPED = ParameterSet.shipped()
ABER = "raster/s2_aberystwyth_coast_20210527"
LABEL_HABITATS = {1: Habitat.OTHER, 2: Habitat.OTHER, 3: Habitat.OTHER, 4: Habitat.WATER}


@cache
def toy_forest() -> TrainedForest:
    """Three classes separated by feature 0 (class = 1, 2, 3 for f0 in thirds)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 3, (300, 3))
    y = np.floor(x[:, 0]).astype(int) + 1
    return train_random_forest(x, y, feature_names=["a", "b", "c"], n_estimators=5, seed=0)


def test_forest_learns_a_simple_rule_and_skips_nan_rows() -> None:
    forest = toy_forest()
    assert forest.classes == (1, 2, 3) and forest.n_training == 300
    features = xr.DataArray(
        np.array([[0.5, 1.5, 2.5, np.nan], [1, 1, 1, 1], [2, 2, 2, 2]])[:, None, :],
        dims=("feature", "y", "x"),
        coords={"feature": ["a", "b", "c"]},
    )
    assert predict(forest, features).values[0, :3].tolist() == [1.0, 2.0, 3.0]
    assert np.isnan(predict(forest, features).values[0, 3])
    with pytest.raises(InputError, match=r"features \['c'\] missing"):
        predict(forest, features.sel(feature=["a", "b"]))
    with pytest.raises(InputError, match="at least two classes"):
        train_random_forest(np.ones((4, 1)), np.ones(4), feature_names=["a"])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**16), st.integers(1, 12), st.integers(1, 12), st.data())
def test_prediction_numpy_equals_dask(seed: int, ny: int, nx: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 3, (3, ny, nx))
    values[:, rng.random((ny, nx)) < 0.15] = np.nan
    eager = xr.DataArray(values, dims=("feature", "y", "x"), coords={"feature": ["a", "b", "c"]})
    chunks = data.draw(chunkings(values.shape))
    lazy_features = eager.copy(data=da.from_array(values, chunks=chunks))
    with raise_on_compute():
        lazy = predict(toy_forest(), lazy_features)
        habitat = recode(lazy, {1: Habitat.SEAGRASS, 2: Habitat.WATER, 3: Habitat.OTHER})
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.values, predict(toy_forest(), eager).values)
    expected = np.select(
        [lazy.values == 1, lazy.values == 2, lazy.values == 3],
        [Habitat.SEAGRASS.code, Habitat.WATER.code, Habitat.OTHER.code],
        np.nan,
    )
    np.testing.assert_array_equal(habitat.values, expected)


def test_recode_refuses_unmapped_codes() -> None:
    with pytest.raises(InputError, match="class code 2 has no habitat"):
        recode(xr.DataArray([1.0, 2.0]), {1: Habitat.WATER}).values  # noqa: B018


def test_stratified_sample_sizes_exclusion_and_seed() -> None:
    classes = np.array([[1, 1, 1, 2], [2, 2, 2, 2], [3, np.nan, 1, 1]])
    exclude = np.zeros(classes.shape, dtype=bool)
    exclude[0, 0] = True
    sample = stratified_sample(classes, n_per_class=3, seed=7, exclude=exclude)
    # Class 1 has 5 pixels (one excluded -> 4 eligible): 3 drawn; class 2: 5 pixels, 3 drawn;
    # class 3: 1 pixel, taken whole. NaN is never drawn.
    assert sample.groupby("stratum").size().to_dict() == {1: 3, 2: 3, 3: 1}
    assert not ((sample["row"] == 0) & (sample["col"] == 0)).any()
    assert (classes[sample["row"], sample["col"]] == sample["stratum"]).all()
    again = stratified_sample(classes, n_per_class=3, seed=7, exclude=exclude)
    assert sample.equals(again)


@cache
def aberystwyth() -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    raw = Path(__file__).resolve().parents[3] / "data" / "raw"
    cube = open_raster(
        raw / ABER / "sen2_20210527_aber_subset.tif",
        band_names=arcsi_band_names(parameters=SHIPPED),
        sensor="sentinel2",
        scaling=product_scaling("arcsi_sref", parameters=SHIPPED),
        parameters=SHIPPED,
    )
    cls = open_raster(raw / ABER / "sen2_20210527_aber_cls.tif", parameters=SHIPPED)
    return cube, cls, align_labels(cls, cube)


def test_labels_are_aligned_to_the_subset_grid(raw_dir: Path) -> None:
    cube, _, labels = aberystwyth()
    assert labels.shape == (cube.sizes["y"], cube.sizes["x"])
    assert labels.rio.transform() == cube.rio.transform()
    assert np.isfinite(labels.values).all()  # the map covers the whole subset
    # The grids are offset by fractions of a pixel (0.41, 0.44); every aligned label must be
    # the class of the map pixel containing the subset pixel's centre.
    with rasterio.open(raw_dir / ABER / "sen2_20210527_aber_cls.tif") as src:
        full = src.read(1)
        for row, col in [(0, 0), (100, 200), (338, 323), (170, 5)]:
            x, y = float(cube["x"][col]), float(cube["y"][row])
            r, c = src.index(x, y)
            assert labels.values[row, col] == full[r, c]


def test_random_forest_on_aberystwyth_is_lazy_and_accurate() -> None:
    cube, _, labels = aberystwyth()
    features = feature_stack(cube, parameters=SHIPPED)
    assert list(features["feature"].values[-3:]) == ["ndvi", "ndwi", "mndwi"]
    training = stratified_sample(labels, n_per_class=150, seed=1)
    forest = train_random_forest(
        extract_features(features, training),
        training["stratum"].to_numpy(),
        feature_names=list(features["feature"].values),
        n_estimators=20,
        seed=1,
    )
    with raise_on_compute():
        classes = predict(forest, features.chunk({"y": 100, "x": 128}))
    assert classes.chunks == ((100, 100, 100, 39), (128, 128, 68))
    # Evaluate on pixels not used for training, against the land-cover map.
    used = np.zeros(labels.shape, dtype=bool)
    used[training["row"], training["col"]] = True
    test = stratified_sample(labels, n_per_class=100, seed=2, exclude=used)
    agreement = float(np.mean(values_at(classes, test) == test["stratum"].to_numpy()))
    assert agreement > 0.9


def test_classify_and_assess_aberystwyth() -> None:
    cube, _, labels = aberystwyth()
    result = classify_and_assess(
        feature_stack(cube, parameters=SHIPPED),
        labels,
        label_habitats=LABEL_HABITATS,
        n_train_per_class=150,
        n_assess_per_class=100,
        n_estimators=20,
        seed=3,
        pixel_area_ha=pixel_area_ha(cube),
    )
    est = result.estimate
    assert list(est.index) == ["other", "water"]
    assert est["n_samples"].tolist() == [100, 100]
    # Error-adjusted areas add up to the subset (324 x 339 pixels of 0.01 ha = 1098.36 ha).
    assert est["area"].sum() == pytest.approx(1098.36)
    assert est.attrs["overall_accuracy"] > 0.95
    label = result.label_estimate
    assert list(label.index) == [1, 2, 3, 4]
    assert label.attrs["overall_accuracy"] > 0.85
    assert (label["users_accuracy"] > 0.7).all() and (label["producers_accuracy"] > 0.7).all()


def test_labels_with_a_wrong_crs_are_named_not_reported_as_too_few_classes(tmp_path: Path) -> None:
    cube, cls, _ = aberystwyth()
    wrong = cls.rio.write_crs("EPSG:32630")  # same numbers, another CRS: far from the image
    wrong.attrs["source_file"] = "sen2_20210527_aber_cls.tif"
    with pytest.raises(InputError, match=r"sen2_20210527_aber_cls.tif: label raster does not overlap"):
        align_labels(wrong, cube)
