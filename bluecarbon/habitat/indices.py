"""Spectral indices on reflectance cubes with a ``band`` dimension.

Indices are lazy xarray expressions: they select bands by meaning (STAC common names such
as ``nir`` or ``swir16``, attached by the readers from ``params/sensor_bands.csv``), never by
position, so a cube whose bands are missing or misnamed fails with the band named. Each
index's formula, constants and literature source sit in ``params/spectral_indices.csv``
(read from the run's :class:`~bluecarbon.params.ParameterSet`, passed as ``parameters``);
the functions here implement exactly those formulas and stamp the source on the output.
Outputs have clean attributes (no inherited scale_factor or band names) and units "1".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import xarray as xr

from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet


@dataclass(frozen=True)
class IndexSpec:
    """One row of ``params/spectral_indices.csv``."""

    name: str
    long_name: str
    formula: str
    bands: tuple[tuple[str, ...], ...]  # per input band, the acceptable common names in order
    constants: dict[str, float]
    source: str


def _specs(parameters: ParameterSet) -> dict[str, IndexSpec]:
    """Every index of the ``spectral_indices`` table of ``parameters``, by name (parsed on
    each call: the table is a few rows, and a cache would outlive a changed set)."""
    table = parameters.table("spectral_indices")
    out = {}
    for row in table.itertuples():
        constants = {}
        if isinstance(row.constants, str) and row.constants.strip():
            for pair in row.constants.split(";"):
                key, value = pair.split("=")
                constants[key.strip()] = float(value)
        out[str(row.index)] = IndexSpec(
            name=str(row.index),
            long_name=str(row.long_name),
            formula=str(row.formula),
            bands=tuple(tuple(alt.split("|")) for alt in str(row.bands).split()),
            constants=constants,
            source=str(row.source),
        )
    return out


def index_spec(name: str, *, parameters: ParameterSet) -> IndexSpec:
    """The parameter-table entry of index ``name``."""
    specs = _specs(parameters)
    if name not in specs:
        raise InputError(
            f"unknown spectral index {name!r}",
            file=parameters.origin("spectral_indices"),
            expected="one of " + ", ".join(sorted(specs)),
        )
    return specs[name]


def _band_position(cube: xr.DataArray, names: Sequence[str]) -> int:
    labels = [str(b) for b in cube["band"].values]
    common = [str(c) for c in cube["common_name"].values] if "common_name" in cube.coords else []
    for name in names:
        for candidates in (labels, common, [label.split("_")[0] for label in labels]):
            hits = [i for i, c in enumerate(candidates) if c == name]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise InputError(
                    f"band {name!r} is ambiguous: {[labels[i] for i in hits]}",
                    file=cube.attrs.get("source_file"),
                    band=name,
                )
    raise InputError(
        f"band {' or '.join(repr(n) for n in names)} not found",
        file=cube.attrs.get("source_file"),
        band=names[0],
        expected="one of "
        + ", ".join(labels)
        + ("" if common else " (open with sensor= to attach common names)"),
    )


def band(cube: xr.DataArray, *names: str) -> xr.DataArray:
    """The first of ``names`` found in ``cube`` (band label, common name, or label prefix
    ``B08`` of ``B08_nir``), without its ``band`` coordinates."""
    position = _band_position(cube, names)
    out = cube.isel(band=position)
    return out.drop_vars([c for c in out.coords if c == "band" or "band" in cube[c].dims])


def center_wavelength(cube: xr.DataArray, *names: str) -> float:
    """Centre wavelength (nm) of the band found for ``names``."""
    position = _band_position(cube, names)
    if "center_wavelength" not in cube.coords or not np.isfinite(cube["center_wavelength"].values[position]):
        raise InputError(
            "band has no centre wavelength",
            file=cube.attrs.get("source_file"),
            band=names[0],
            expected="a center_wavelength coordinate (open the raster with sensor=...)",
        )
    return float(cube["center_wavelength"].values[position])


def _finish(out: xr.DataArray, spec: IndexSpec) -> xr.DataArray:
    out = out.rename(spec.name)
    out.attrs = {
        "units": "1",
        "long_name": spec.long_name,
        "formula": spec.formula,
        "references": spec.source,
    }
    out.encoding = {}
    return out


def normalized_difference(a: xr.DataArray, b: xr.DataArray, *, name: str, long_name: str) -> xr.DataArray:
    """(a - b) / (a + b), NaN where a + b == 0."""
    total = a + b
    out = ((a - b) / total.where(total != 0)).rename(name)
    out.attrs = {"units": "1", "long_name": long_name}
    return out


def _normalized(cube: xr.DataArray, name: str, parameters: ParameterSet) -> xr.DataArray:
    spec = index_spec(name, parameters=parameters)
    a, b = (band(cube, *alternatives) for alternatives in spec.bands)
    return _finish(normalized_difference(a, b, name=name, long_name=spec.long_name), spec)


def ndvi(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Normalized difference vegetation index.

    Notes
    -----
    NDVI = (NIR - red) / (NIR + red).

    References
    ----------
    Rouse et al. (1974), NASA SP-351, 309-317.
    """
    return _normalized(cube, "ndvi", parameters)


def ndwi(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Normalized difference water index.

    Notes
    -----
    NDWI = (green - NIR) / (green + NIR); open water > 0.

    References
    ----------
    McFeeters (1996), Int. J. Remote Sens. 17:1425-1432.
    """
    return _normalized(cube, "ndwi", parameters)


def mndwi(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Modified normalized difference water index.

    Notes
    -----
    MNDWI = (green - SWIR1) / (green + SWIR1).

    References
    ----------
    Xu (2006), Int. J. Remote Sens. 27:3025-3033.
    """
    return _normalized(cube, "mndwi", parameters)


def ndavi(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Normalized difference aquatic vegetation index.

    Notes
    -----
    NDAVI = (NIR - blue) / (NIR + blue).

    References
    ----------
    Villa, Mousivand & Bresciani (2014), Int. J. Appl. Earth Obs. Geoinf. 30:113-127.
    """
    return _normalized(cube, "ndavi", parameters)


def evi(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Enhanced vegetation index.

    Notes
    -----
    EVI = G (NIR - red) / (NIR + C1 red - C2 blue + L), G = 2.5, C1 = 6, C2 = 7.5, L = 1.

    References
    ----------
    Huete et al. (2002), Remote Sens. Environ. 83:195-213.
    """
    spec = index_spec("evi", parameters=parameters)
    nir, red, blue = (band(cube, *alternatives) for alternatives in spec.bands)
    k = spec.constants
    denominator = nir + k["C1"] * red - k["C2"] * blue + k["L"]
    return _finish(k["G"] * (nir - red) / denominator.where(denominator != 0), spec)


def savi(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Soil-adjusted vegetation index.

    Notes
    -----
    SAVI = (1 + L) (NIR - red) / (NIR + red + L), L = 0.5.

    References
    ----------
    Huete (1988), Remote Sens. Environ. 25:295-309.
    """
    spec = index_spec("savi", parameters=parameters)
    nir, red = (band(cube, *alternatives) for alternatives in spec.bands)
    soil = spec.constants["L"]
    denominator = nir + red + soil
    return _finish((1 + soil) * (nir - red) / denominator.where(denominator != 0), spec)


def wavi(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Water adjusted vegetation index.

    Notes
    -----
    WAVI = (1 + L) (NIR - blue) / (NIR + blue + L), L = 0.5.

    References
    ----------
    Villa, Mousivand & Bresciani (2014), Int. J. Appl. Earth Obs. Geoinf. 30:113-127.
    """
    spec = index_spec("wavi", parameters=parameters)
    nir, blue = (band(cube, *alternatives) for alternatives in spec.bands)
    soil = spec.constants["L"]
    denominator = nir + blue + soil
    return _finish((1 + soil) * (nir - blue) / denominator.where(denominator != 0), spec)


def _baseline_height(cube: xr.DataArray, spec: IndexSpec) -> xr.DataArray:
    """Peak band minus the linear baseline between the two outer bands, at centre wavelengths."""
    peak_names, low_names, high_names = spec.bands
    peak, low, high = band(cube, *peak_names), band(cube, *low_names), band(cube, *high_names)
    lam_peak = center_wavelength(cube, *peak_names)
    lam_low = center_wavelength(cube, *low_names)
    lam_high = center_wavelength(cube, *high_names)
    weight = (lam_peak - lam_low) / (lam_high - lam_low)
    return _finish(peak - (low + (high - low) * weight), spec)


def fai(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Floating algae index.

    Notes
    -----
    FAI = R_NIR - R'_NIR, R'_NIR = R_red + (R_SWIR - R_red) (l_NIR - l_red) / (l_SWIR - l_red),
    l the bands' centre wavelengths (MODIS 645/859/1240 nm in the paper; Sentinel-2 B04, B08,
    B11 here).

    References
    ----------
    Hu (2009), Remote Sens. Environ. 113:2118-2129.
    """
    return _baseline_height(cube, index_spec("fai", parameters=parameters))


def afai(cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray:
    """Alternative floating algae index (red-edge peak over a red-NIR baseline).

    Notes
    -----
    AFAI = R_748 - [R_667 + (R_869 - R_667) (748 - 667) / (869 - 667)] with MODIS bands;
    Sentinel-2 B06 over the B04-B8A baseline at their centre wavelengths.

    References
    ----------
    Wang & Hu (2016), Remote Sens. Environ. 183:350-367.
    """
    return _baseline_height(cube, index_spec("afai", parameters=parameters))


class IndexFunction(Protocol):
    """An index implementation: a cube in, the index out, constants from ``parameters``."""

    def __call__(self, cube: xr.DataArray, *, parameters: ParameterSet) -> xr.DataArray: ...


#: Every index of ``params/spectral_indices.csv`` and its implementation.
INDEX_FUNCTIONS: dict[str, IndexFunction] = {
    "ndvi": ndvi,
    "ndwi": ndwi,
    "mndwi": mndwi,
    "evi": evi,
    "savi": savi,
    "fai": fai,
    "afai": afai,
    "ndavi": ndavi,
    "wavi": wavi,
}


def spectral_index(cube: xr.DataArray, name: str, *, parameters: ParameterSet) -> xr.DataArray:
    """Index ``name`` of ``cube`` (see :data:`INDEX_FUNCTIONS`), its formula, constants and
    source from the ``spectral_indices`` table of ``parameters``."""
    index_spec(name, parameters=parameters)  # unknown names fail with the table's list
    return INDEX_FUNCTIONS[name](cube, parameters=parameters)


def spectral_indices(cube: xr.DataArray, names: Sequence[str], *, parameters: ParameterSet) -> xr.Dataset:
    """Several indices of ``cube`` as one lazy Dataset."""
    return xr.Dataset({name: spectral_index(cube, name, parameters=parameters) for name in names})
