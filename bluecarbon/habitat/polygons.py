"""Habitat extent from survey polygons (e.g. photo-interpreted seagrass maps).

Polygons are the most accurate habitat source where agencies map them; we keep them as
vectors for areas (exact, on the equal-area CRS of :mod:`bluecarbon.geo`) and rasterise them
only for gridded products. Invalid geometries are repaired with ``make_valid`` and reported, never dropped
silently; overlaps within one year and class are dissolved so no area is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, FieldError, GeometryError
from rasterio import features

from bluecarbon.errors import InputError
from bluecarbon.geo import polygon_area_ha
from bluecarbon.vocab import HABITAT_FILL, Habitat, Subclass, flag_attrs, subclass_flag_attrs

#: What pyogrio (and the OS) raise for unreadable vector files.
_VECTOR_READ_ERRORS = (
    DataSourceError,
    DataLayerError,
    FeatureError,
    GeometryError,
    FieldError,
    OSError,
    ValueError,
)


@dataclass(frozen=True)
class RepairReport:
    """How many geometries were invalid and repaired, per year."""

    invalid_by_year: dict[int, int]
    empty_dropped: int

    @property
    def total_invalid(self) -> int:
        return sum(self.invalid_by_year.values())


def read_habitat_polygons(
    path: str | Path,
    *,
    class_map: dict[str, Habitat],
    class_column: str = "category",
    year_column: str = "year",
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, RepairReport]:
    """Read polygons, map source categories to habitats, repair invalid geometries.

    Returns columns ``year``, ``habitat``, ``source_class``, ``geometry``. Categories not in
    ``class_map`` raise :class:`InputError` naming the value and its first row.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("vector file not found", file=path)
    try:
        gdf = gpd.read_file(path, layer=layer)
    except _VECTOR_READ_ERRORS as exc:
        raise InputError(f"cannot read vector file: {exc}", file=path) from exc
    for column in (class_column, year_column):
        if column not in gdf.columns:
            raise InputError("missing column", file=path, column=column)
    if gdf.crs is None:
        raise InputError("vector file has no CRS", file=path, expected="a CRS (e.g. EPSG:4326)")
    unknown = sorted(set(gdf[class_column].dropna().astype(str)) - set(class_map))
    if unknown:
        row = int(np.flatnonzero(gdf[class_column].astype(str) == unknown[0])[0]) + 1
        raise InputError(
            f"unknown habitat category {unknown[0]!r} ({len(unknown)} unknown in all)",
            file=path,
            row=row,
            column=class_column,
            expected="one of " + ", ".join(sorted(class_map)),
        )
    empty = gdf.geometry.is_empty | gdf.geometry.isna()
    gdf = gdf[~empty].copy()
    invalid = ~gdf.geometry.is_valid
    invalid_by_year = {
        int(year): int(count) for year, count in gdf[invalid].groupby(year_column).size().items()
    }
    gdf.loc[invalid, "geometry"] = gdf.loc[invalid, "geometry"].make_valid()
    # make_valid can return collections holding lines; keep the areal part only.
    gdf["geometry"] = gdf.geometry.apply(_polygonal)
    gdf = gdf[~gdf.geometry.is_empty]
    out = gpd.GeoDataFrame(
        {
            "year": gdf[year_column].astype(int).to_numpy(),
            "habitat": [class_map[str(c)].value for c in gdf[class_column]],
            "source_class": gdf[class_column].astype(str).to_numpy(),
        },
        geometry=gdf.geometry.to_numpy(),
        crs=gdf.crs,
    )
    return out, RepairReport(invalid_by_year=invalid_by_year, empty_dropped=int(empty.sum()))


def _polygonal(geom: object) -> object:
    from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    if isinstance(geom, GeometryCollection):
        parts = [g for g in geom.geoms if isinstance(g, Polygon | MultiPolygon)]
        polys = [p for g in parts for p in (g.geoms if isinstance(g, MultiPolygon) else [g])]
        return MultiPolygon(polys) if polys else GeometryCollection()
    return GeometryCollection()


def dissolve_by_year(polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One (multi)polygon per year and habitat, overlaps merged."""
    return polygons.dissolve(by=["year", "habitat"], as_index=False)[["year", "habitat", "geometry"]]


def habitat_area_by_year(polygons: gpd.GeoDataFrame) -> pd.DataFrame:
    """Area in hectares per year and habitat, on an equal-area CRS, overlaps counted once."""
    dissolved = dissolve_by_year(polygons)
    frame = pd.DataFrame(
        {
            "year": dissolved["year"].astype(int),
            "habitat": dissolved["habitat"],
            "area_ha": polygon_area_ha(dissolved.geometry),
        }
    )
    return frame.sort_values(["year", "habitat"]).reset_index(drop=True)


def rasterize_habitat(
    polygons: gpd.GeoDataFrame,
    *,
    crs: str,
    resolution: float,
    background: Habitat = Habitat.WATER,
    extent: gpd.GeoDataFrame | None = None,
) -> xr.DataArray:
    """Habitat map per year ``(year, y, x)``: the polygon's habitat where it covers a pixel
    centre, ``background`` elsewhere inside the mapped ``extent`` (all polygons' bounds when
    None), NaN (no data) outside it. float32 codes in memory, uint8 when encoded."""
    projected = polygons.to_crs(crs)
    area = extent.to_crs(crs) if extent is not None else None
    minx, miny, maxx, maxy = tuple((area if area is not None else projected).total_bounds)
    minx = np.floor(minx / resolution) * resolution
    maxy = np.ceil(maxy / resolution) * resolution
    width = int(np.ceil((maxx - minx) / resolution))
    height = int(np.ceil((maxy - miny) / resolution))
    transform = Affine(resolution, 0.0, minx, 0.0, -resolution, maxy)
    years = sorted(projected["year"].unique())
    inside = (
        features.geometry_mask(area.geometry, out_shape=(height, width), transform=transform, invert=True)
        if area is not None
        else np.ones((height, width), dtype=bool)
    )
    layers = []
    for year in years:
        subset = projected[projected["year"] == year]
        shapes = ((geom, Habitat(h).code) for geom, h in zip(subset.geometry, subset["habitat"], strict=True))
        layer = features.rasterize(
            shapes, out_shape=(height, width), transform=transform, fill=background.code, dtype="uint8"
        )
        layers.append(np.where(inside, layer, np.nan).astype("float32"))
    x = minx + resolution * (np.arange(width) + 0.5)
    y = maxy - resolution * (np.arange(height) + 0.5)
    da = xr.DataArray(
        np.stack(layers),
        dims=("year", "y", "x"),
        coords={"year": np.asarray(years, dtype="int32"), "y": y, "x": x},
        name="habitat",
        attrs=flag_attrs(),
    )
    da.encoding = {"dtype": "uint8", "_FillValue": HABITAT_FILL}
    return da.rio.write_crs(crs).rio.write_transform(transform)


def rasterize_subclass(
    polygons: gpd.GeoDataFrame, *, subclass_map: dict[str, Subclass | None], like: xr.DataArray
) -> xr.DataArray:
    """Subclass codes per year on the grid of a :func:`rasterize_habitat` map ``like``: the
    subclass of the polygon's source category where it covers a pixel centre, 0 (none) where
    the category has none or no polygon covers the pixel, NaN where ``like`` is nodata.

    Later polygons win where polygons of one year overlap, as in :func:`rasterize_habitat`.
    """
    unknown = sorted(set(subclass_map) - set(polygons["source_class"].astype(str)))
    if unknown and polygons["source_class"].size:
        known = sorted(set(polygons["source_class"].astype(str)))
        raise InputError(
            f"subclass_map names categories {unknown} that no polygon has",
            column="subclass_map",
            expected="categories among " + ", ".join(known),
        )
    projected = polygons.to_crs(like.rio.crs)
    transform = like.rio.transform()
    height, width = like.sizes["y"], like.sizes["x"]
    layers = []
    for i, year in enumerate(like["year"].values):
        subset = projected[projected["year"] == int(year)]
        # every polygon, in the order rasterize_habitat burns them, so the subclass of a pixel
        # belongs to the same polygon as its habitat
        shapes = [
            (geom, s.code if (s := subclass_map.get(category)) is not None else 0)
            for geom, category in zip(subset.geometry, subset["source_class"].astype(str), strict=True)
        ]
        layer = (
            features.rasterize(shapes, out_shape=(height, width), transform=transform, fill=0, dtype="uint8")
            if shapes
            else np.zeros((height, width), dtype="uint8")
        )
        valid = np.isfinite(np.asarray(like.isel(year=i).values))
        layers.append(np.where(valid, layer, np.nan).astype("float32"))
    da = xr.DataArray(
        np.stack(layers), dims=like.dims, coords=like.coords, name="subclass", attrs=subclass_flag_attrs()
    )
    da.encoding = {"dtype": "uint8", "_FillValue": HABITAT_FILL}
    return da
