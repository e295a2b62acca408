"""Areas on the ground: the one pixel-area rule and the one equal-area CRS.

Why a module of its own: areas were measured in four places with three different CRS checks
(one accepted any projected CRS, one read the axis unit from the WKT, one asked for metres
but let a degree grid through when its unit was spelled differently) and two hard-coded
EPSG:6933 and 10,000. Every hectare in a release now comes from here:

* :func:`pixel_area_ha`: the area of one pixel of a grid projected in metres; any other grid
  (geographic, feet, no CRS) is refused naming the CRS found, since a degree "pixel area" would
  be off by a factor of about 10^10;
* :func:`polygon_area_ha`: polygon areas on :data:`EQUAL_AREA_CRS` (EPSG:6933, the global
  cylindrical equal-area grid; within 0.3 ha of geodesic areas at our sites, docs/methods.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import rioxarray
import rioxarray.exceptions
import xarray as xr

from bluecarbon.errors import InputError
from bluecarbon.units import M2_PER_HA

if TYPE_CHECKING:  # geopandas costs about a second to import; raster callers never need it
    import geopandas as gpd

#: The equal-area CRS on which polygon areas are measured (NSIDC EASE-Grid 2.0 global).
EQUAL_AREA_CRS: Final[str] = "EPSG:6933"
#: Spellings pyproj uses for the metre.
_METRE: Final[frozenset[str]] = frozenset({"metre", "meter", "m", "metres", "meters"})


def _crs_name(crs: Any) -> str:
    if crs is None:
        return "no CRS"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else str(crs.name if hasattr(crs, "name") else crs)


def is_projected_in_metres(crs: Any) -> bool:
    """Whether ``crs`` (rasterio or pyproj CRS, or None) is projected with metre axes."""
    return crs is not None and bool(crs.is_projected) and str(crs.linear_units).lower() in _METRE


def require_projected_in_metres(crs: Any, *, what: str = "pixel areas", file: str | None = None) -> None:
    """Raise :class:`InputError` naming the CRS found unless it is projected in metres."""
    if not is_projected_in_metres(crs):
        units = "" if crs is None or not crs.is_projected else f" (linear units {crs.linear_units!r})"
        raise InputError(
            f"cannot measure {what} on {_crs_name(crs)}{units}",
            file=file,
            expected="a projected CRS in metres (for example UTM or EPSG:6933)",
        )


def pixel_area_ha(grid: xr.DataArray, *, file: str | None = None) -> float:
    """Area of one pixel of ``grid`` in hectares; the grid must be projected in metres.

    A grid of a single row or column takes its pixel size from the stored GeoTransform.
    """
    require_projected_in_metres(grid.rio.crs, file=file)
    try:
        xres, yres = grid.rio.resolution()
    except rioxarray.exceptions.OneDimensionalRaster:
        transform = grid.rio.transform(recalc=False)
        xres, yres = transform.a, transform.e
    return abs(xres * yres) / M2_PER_HA


def polygon_area_ha(geometry: gpd.GeoSeries | gpd.GeoDataFrame) -> np.ndarray:
    """Area of each polygon in hectares, measured on :data:`EQUAL_AREA_CRS`."""
    if geometry.crs is None:
        raise InputError("polygons have no CRS", expected="a CRS on the geometry")
    return np.asarray(geometry.to_crs(EQUAL_AREA_CRS).area.to_numpy()) / M2_PER_HA
