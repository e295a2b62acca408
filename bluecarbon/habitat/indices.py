"""Spectral indices on reflectance cubes with a ``band`` dimension.

Indices are lazy xarray expressions: they select bands by name, never by position, so a
cube whose bands are missing or misnamed fails with the band named. Outputs have clean
attributes (no inherited scale_factor or band names) and units "1".
"""

from __future__ import annotations

import xarray as xr

from bluecarbon.errors import InputError


def band(cube: xr.DataArray, name: str) -> xr.DataArray:
    """Band ``name`` of ``cube`` (error naming the available bands when missing)."""
    names = [str(b) for b in cube["band"].values]
    matches = [b for b in names if b == name or b.startswith(f"{name}_")]
    if len(matches) != 1:
        raise InputError(
            f"band {name!r} not found" if not matches else f"band {name!r} is ambiguous: {matches}",
            file=cube.attrs.get("source_file"),
            band=name,
            expected="one of " + ", ".join(names),
        )
    return cube.sel(band=matches[0], drop=True)


def normalized_difference(a: xr.DataArray, b: xr.DataArray, *, name: str, long_name: str) -> xr.DataArray:
    """(a - b) / (a + b), NaN where a + b == 0."""
    total = a + b
    out = ((a - b) / total.where(total != 0)).rename(name)
    out.attrs = {"units": "1", "long_name": long_name}
    return out


def ndvi(cube: xr.DataArray) -> xr.DataArray:
    """NDVI = (NIR - red) / (NIR + red) (Rouse et al. 1974), Sentinel-2 B08 and B04."""
    return normalized_difference(
        band(cube, "B08"), band(cube, "B04"), name="ndvi", long_name="normalized difference vegetation index"
    )


def mndwi(cube: xr.DataArray) -> xr.DataArray:
    """MNDWI = (green - SWIR1) / (green + SWIR1) (Xu 2006), Sentinel-2 B03 and B11."""
    return normalized_difference(
        band(cube, "B03"),
        band(cube, "B11"),
        name="mndwi",
        long_name="modified normalized difference water index",
    )
