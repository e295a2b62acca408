from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bluecarbon.errors import InputError
from bluecarbon.habitat.indices import INDEX_FUNCTIONS, band, spectral_index, spectral_indices
from bluecarbon.ingest.rasters import arcsi_band_names, open_raster, open_time_series, product_scaling
from bluecarbon.params import ParameterSet
from tests.unit.habitat.helpers import S2, chunkings, make_cube, raise_on_compute

SHIPPED = ParameterSet.shipped()
ARCSI_SREF = product_scaling("arcsi_sref", parameters=SHIPPED)

PIXEL = {
    "blue": 0.05,
    "green": 0.08,
    "red": 0.04,
    "rededge2": 0.20,
    "nir": 0.30,
    "nir08": 0.31,
    "swir16": 0.15,
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ndvi", 0.26 / 0.34),  # (0.30 - 0.04) / (0.30 + 0.04) = 0.764706
        ("ndwi", -0.22 / 0.38),  # (0.08 - 0.30) / (0.08 + 0.30) = -0.578947
        ("mndwi", -0.07 / 0.23),  # (0.08 - 0.15) / (0.08 + 0.15) = -0.304348
        ("evi", 0.65 / 1.165),  # 2.5 * 0.26 / (0.30 + 6*0.04 - 7.5*0.05 + 1) = 0.557940
        ("savi", 0.39 / 0.84),  # 1.5 * 0.26 / (0.34 + 0.5) = 0.464286
        ("ndavi", 0.25 / 0.35),  # (0.30 - 0.05) / (0.30 + 0.05) = 0.714286
        ("wavi", 0.375 / 0.85),  # 1.5 * 0.25 / (0.35 + 0.5) = 0.441176
        # FAI: w = (832.8 - 664.6) / (1613.7 - 664.6) = 168.2 / 949.1 = 0.177221;
        # 0.30 - (0.04 + 0.11 * 0.177221) = 0.30 - 0.059494 = 0.240506
        ("fai", 0.30 - (0.04 + 0.11 * 168.2 / 949.1)),
        # AFAI: w = (740.5 - 664.6) / (864.7 - 664.6) = 75.9 / 200.1 = 0.379310;
        # 0.20 - (0.04 + 0.27 * 0.379310) = 0.20 - 0.142414 = 0.057586
        ("afai", 0.20 - (0.04 + 0.27 * 75.9 / 200.1)),
    ],
)
def test_index_against_hand_value(name: str, expected: float) -> None:
    out = spectral_index(make_cube(PIXEL), name, parameters=SHIPPED)
    assert float(out.values.ravel()[0]) == pytest.approx(expected, rel=1e-9)
    assert out.attrs["units"] == "1" and out.attrs["references"]
    assert "band" not in out.coords and "common_name" not in out.coords


def test_parameter_table_and_implementations_agree() -> None:
    table = SHIPPED.table("spectral_indices")
    assert set(table["index"]) == set(INDEX_FUNCTIONS)
    assert table["source"].str.len().gt(20).all()


def test_constants_come_from_the_set_passed_in(tmp_path: Path) -> None:
    # A study override of the SAVI soil factor (L = 1 instead of 0.5) changes the index:
    # 2 * 0.26 / (0.34 + 1) = 0.388060; the shipped set still gives 0.464286.
    table = SHIPPED.table("spectral_indices")
    table.loc[table["index"] == "savi", "constants"] = "L=1.0"
    table.to_csv(tmp_path / "spectral_indices.csv", index=False)
    overridden = ParameterSet.load(tmp_path)
    cube = make_cube(PIXEL)
    got = float(spectral_index(cube, "savi", parameters=overridden).values.ravel()[0])
    assert got == pytest.approx(0.52 / 1.34, rel=1e-9)
    shipped = float(spectral_index(cube, "savi", parameters=SHIPPED).values.ravel()[0])
    assert shipped == pytest.approx(0.39 / 0.84, rel=1e-9)
    tracked = SHIPPED.tracked()
    spectral_index(cube, "ndvi", parameters=tracked)
    assert list(tracked.reads) == ["spectral_indices"]


def test_index_needs_its_band_and_says_which() -> None:
    cube = make_cube({k: v for k, v in PIXEL.items() if k != "swir16"})
    with pytest.raises(InputError, match=r"band 'swir16'.*not found"):
        spectral_index(cube, "mndwi", parameters=SHIPPED)
    with pytest.raises(InputError, match="unknown spectral index 'kappa'"):
        spectral_index(cube, "kappa", parameters=SHIPPED)


def test_nir_falls_back_to_nir08_for_landsat_like_cubes() -> None:
    cube = make_cube({"red": 0.04, "nir08": 0.30})
    assert float(spectral_index(cube, "ndvi", parameters=SHIPPED).values.ravel()[0]) == pytest.approx(
        0.26 / 0.34
    )


def test_zero_denominator_is_nan() -> None:
    cube = make_cube({"red": 0.0, "nir": 0.0})
    assert np.isnan(spectral_index(cube, "ndvi", parameters=SHIPPED).values).all()


@st.composite
def cube_and_chunks(draw: st.DrawFn) -> tuple[xr.DataArray, tuple[tuple[int, ...], ...]]:
    ny, nx = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    values = {n: rng.uniform(0.0, 0.6, (ny, nx)) for n in S2}
    values["red"][rng.random((ny, nx)) < 0.2] = np.nan
    cube = make_cube(values, shape=(ny, nx))
    return cube, draw(chunkings(cube.shape))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cube_and_chunks(), st.sampled_from(sorted(INDEX_FUNCTIONS)))
def test_numpy_equals_dask_at_random_chunkings(data: tuple[xr.DataArray, tuple], name: str) -> None:
    cube, chunks = data
    expected = spectral_index(cube, name, parameters=SHIPPED)
    # Like the readers' output: dask data, numpy coordinates.
    lazy_cube = cube.copy(data=da.from_array(cube.values, chunks=chunks))
    with raise_on_compute():
        lazy = spectral_index(lazy_cube, name, parameters=SHIPPED)
    assert lazy.chunks is not None
    np.testing.assert_allclose(lazy.values, expected.values, rtol=1e-12, equal_nan=True)


def test_real_rufiji_ndvi_and_every_index_lazy(raw_dir: Path) -> None:
    files = sorted((raw_dir / "raster/s2_rufiji_delta_mangrove_timeseries").glob("S2_*_2019*.tif"))
    cube = open_time_series(
        files,
        [f.name[10:18] for f in files],
        sensor="sentinel2",
        scaling=ARCSI_SREF,
        parameters=SHIPPED,
    )
    with raise_on_compute():
        ds = spectral_indices(cube, sorted(INDEX_FUNCTIONS), parameters=SHIPPED)
    assert all(ds[v].chunks is not None for v in ds.data_vars)
    # README: median NDVI of valid pixels per date ~0.86-0.92 (mangrove canopy).
    medians = ds["ndvi"].median(("y", "x"), skipna=True).values
    assert np.all((medians > 0.8) & (medians < 0.95))
    # Red and NIR by band id prefix ("B04" of "B04_red") give the same NDVI.
    by_id = (band(cube, "B08") - band(cube, "B04")) / (band(cube, "B08") + band(cube, "B04"))
    np.testing.assert_allclose(by_id.values, ds["ndvi"].values, equal_nan=True)


def test_real_aberystwyth_water_share(raw_dir: Path) -> None:
    cube = open_raster(
        raw_dir / "raster/s2_aberystwyth_coast_20210527/sen2_20210527_aber_subset.tif",
        band_names=arcsi_band_names(parameters=SHIPPED),
        sensor="sentinel2",
        scaling=ARCSI_SREF,
        parameters=SHIPPED,
    )
    water = spectral_index(cube, "ndwi", parameters=SHIPPED) > 0
    # README: ~12 % of subset pixels have NDWI > 0 (the sea).
    assert float(water.mean()) == pytest.approx(0.12, abs=0.03)
    # Sea pixels are dark in the NIR: NDVI there is negative.
    assert np.nanmedian(spectral_index(cube, "ndvi", parameters=SHIPPED).where(water).values) < 0


def test_landsat_dn_clip_band_handling(raw_dir: Path) -> None:
    # The Olinda clip is Landsat 7 DN (uint8) without band names; label the bands by common
    # name. No centre wavelengths are attached, so FAI must refuse, naming the band.
    path = raw_dir / "raster/landsat7_olinda_coast/L7_ETMs.tif"
    cube = open_raster(
        path, band_names=["blue", "green", "red", "nir", "swir16", "swir22"], parameters=SHIPPED
    )
    assert cube.dtype == np.float32
    ndwi = spectral_index(cube, "ndwi", parameters=SHIPPED)
    assert 0.05 < float((ndwi > 0).mean()) < 0.95  # ocean and land both present
    with pytest.raises(InputError, match=r"L7_ETMs.tif, band 'nir': band has no centre wavelength"):
        spectral_index(cube, "fai", parameters=SHIPPED)
