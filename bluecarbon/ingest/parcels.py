"""Parcels: farm sea-use parcels, meadow and marsh units, study areas.

Parcels are what financiers lend against, so they are first-class inputs: read from
GeoPackage, GeoJSON or GeoParquet, given stable ids, validated (geometry type and validity,
CRS present, ids unique and safe to use in URLs and file names) and stored in every release
in EPSG:4326. Invalid geometries are refused, not silently repaired: a parcel boundary is a
legal object and should be fixed at its source; the error names the parcel and the reason.
Where a published third-party boundary is invalid and cannot be fixed upstream, the study
may ask for ``repair``: the geometry is made valid and the parcel carries
``geometry_repaired = True`` in every release, so the repair is never hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.validation import explain_validity

from bluecarbon.errors import InputError
from bluecarbon.geo import polygon_area_ha

#: Parcel ids appear in URLs, file names and statements: keep them to a safe alphabet.
PARCEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PARCEL_KINDS = ("farm", "meadow", "marsh", "bay_segment", "study_area", "other")
PARCEL_CRS = "EPSG:4326"


@dataclass(frozen=True)
class ParcelSpec:
    """How to read one parcel file: the one type for a parcel source, from a study's
    ``[[parcels]]`` table (``file`` relative to the raw folder, resolved by the pipeline) to
    :func:`read_parcels`."""

    file: str | Path
    id_column: str
    name_column: str
    kind: str
    site: str
    id_prefix: str = ""
    illustrative: bool = False
    layer: str | None = None
    repair: bool = False
    name_zh_column: str | None = None


def check_parcel_id(value: str) -> str:
    """Validate a parcel id (letters, digits, '.', '_', '-'; at most 64 characters)."""
    if not isinstance(value, str) or not PARCEL_ID_RE.match(value) or ".." in value:
        raise InputError(
            f"parcel id {value!r} is invalid",
            column="parcel_id",
            expected="1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return value


def _read(spec: ParcelSpec) -> gpd.GeoDataFrame:
    path = Path(spec.file)
    if not path.is_file():
        raise InputError("parcel file not found", file=path)
    try:
        if path.suffix.lower() == ".parquet":
            return gpd.read_parquet(path)
        return gpd.read_file(path, layer=spec.layer)
    except (ValueError, OSError, RuntimeError) as exc:
        raise InputError(
            f"cannot read parcels: {exc}", file=path, expected="GeoPackage, GeoJSON or GeoParquet"
        ) from exc


def read_parcels(spec: ParcelSpec) -> gpd.GeoDataFrame:
    """Read and validate one parcel file.

    Returns columns ``parcel_id``, ``name``, ``kind``, ``site``, ``illustrative``,
    ``source_file``, ``geometry_repaired``, ``area_ha`` (:func:`bluecarbon.geo.polygon_area_ha`,
    on EPSG:6933) and geometry in EPSG:4326; with ``name_zh_column`` also ``name_zh``, the
    parcel's Chinese name (a statement in Chinese shows it; empty cells stay missing).
    """
    path = Path(spec.file)
    if spec.kind not in PARCEL_KINDS:
        raise InputError(
            f"parcel kind {spec.kind!r}", file=path, expected="one of " + ", ".join(PARCEL_KINDS)
        )
    gdf = _read(spec)
    wanted = [spec.id_column, spec.name_column, *([spec.name_zh_column] if spec.name_zh_column else [])]
    for column in wanted:
        if column not in gdf.columns:
            raise InputError(
                "missing column",
                file=path,
                column=column,
                expected="columns " + ", ".join(wanted),
            )
    if gdf.crs is None:
        raise InputError("parcels have no CRS", file=path, expected="a CRS such as EPSG:4326")
    if gdf.empty:
        raise InputError("no parcels in file", file=path)
    ids = [f"{spec.id_prefix}{v}" for v in gdf[spec.id_column]]
    for row, (pid, geom) in enumerate(zip(ids, gdf.geometry, strict=True), start=1):
        try:
            check_parcel_id(pid)
        except InputError as exc:
            raise InputError(
                exc.problem, file=path, row=row, column=spec.id_column, expected=exc.expected
            ) from None
        if geom is None or geom.is_empty:
            raise InputError(f"parcel {pid!r} has no geometry", file=path, row=row, column="geometry")
        coords = shapely.get_coordinates(geom)
        if not np.isfinite(coords).all():
            bad = coords[~np.isfinite(coords).all(axis=1)][0]
            raise InputError(
                f"parcel {pid!r} has a coordinate that is not a number ({bad[0]}, {bad[1]})",
                file=path,
                row=row,
                column="geometry",
                expected="finite longitude/latitude (or x/y) for every vertex",
            )
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(
                f"parcel {pid!r} is a {geom.geom_type}",
                file=path,
                row=row,
                column="geometry",
                expected="Polygon or MultiPolygon",
            )
        if not geom.is_valid and not spec.repair:
            raise InputError(
                f"parcel {pid!r} geometry is invalid: {explain_validity(geom)}",
                file=path,
                row=row,
                column="geometry",
                expected="a valid polygon (fix it at the source)",
            )
    seen: dict[str, int] = {}
    for row, pid in enumerate(ids, start=1):
        if pid in seen:
            raise InputError(
                f"duplicate parcel id {pid!r} (first in row {seen[pid]})",
                file=path,
                row=row,
                column=spec.id_column,
                expected="unique ids",
            )
        seen[pid] = row
    repaired = ~gdf.geometry.is_valid
    geometry = gdf.geometry.where(~repaired, gdf.geometry.make_valid())
    out = gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "name": gdf[spec.name_column].astype(str).to_numpy(),
            "kind": spec.kind,
            "site": spec.site,
            "illustrative": bool(spec.illustrative),
            "source_file": path.name,
            "geometry_repaired": repaired.to_numpy(),
            "area_ha": polygon_area_ha(geometry),
        },
        geometry=geometry.to_numpy(),
        crs=gdf.crs,
    )
    if spec.name_zh_column:
        names = gdf[spec.name_zh_column]
        given = names.notna() & (names.astype(str).str.strip() != "")
        out.insert(2, "name_zh", names.where(given).to_numpy())
    return out.to_crs(PARCEL_CRS)


def combine_parcels(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Concatenate parcel sets; ids must stay unique across files."""
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=PARCEL_CRS)
    dup = merged["parcel_id"].duplicated()
    if dup.any():
        pid = merged.loc[dup, "parcel_id"].iloc[0]
        files = sorted(set(merged.loc[merged["parcel_id"] == pid, "source_file"]))
        raise InputError(
            f"parcel id {pid!r} appears in several files: {', '.join(files)}",
            column="parcel_id",
            expected="ids unique across all parcel files (use id_prefix)",
        )
    return merged
