"""Write the ILLUSTRATIVE Jiaozhou Bay habitat polygons (2019, 2023) and parcels, check them
against the GSHHG coastline, and plot them.

Nothing here is observed: the geometry is made up from hand-placed vertices (the lines below,
rounded to 0.0001 degree, placed by eye about 50-100 m seaward of the GSHHG shoreline) so that
the files can be released under CC0-1.0 like the illustrative oyster farm. The coastline is only
read to *check* the result (every polygon on the water side, marsh at the shore, eelgrass away
from it) and to draw the figure; no coastline vertex is copied.

What the made-up map shows (plausible in place and size, not a survey):
- salt marsh on the north and north-west shores of the bay (Dagu River and Yanghe estuaries),
  zoned from land to sea: Phragmites australis by the river mouth, Suaeda salsa (high marsh),
  Spartina alterniflora (seaward low marsh), then bare tidal flat;
- 2019 -> 2023: most Spartina removed by the national eradication campaign (the cleared strip
  becomes tidal flat, part of it is replanted with Suaeda), Suaeda lost over 1 km of shore at
  the east end (reclamation), eelgrass a few hectares in two small meadows (Qingdao has about
  10 ha of seagrass left), the continuous meadow thinning into patchy cover at its rim.

    .venv-test/bin/python scripts/make_jiaozhou_illustrative.py            # write and check
    .venv-test/bin/python scripts/make_jiaozhou_illustrative.py --plot docs/img/jiaozhou_bay_illustrative.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Polygon, mapping
from shapely.ops import substring

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = RAW / "illustrative"
COAST = RAW / "vector" / "gshhg_qingdao" / "gshhg_f_l1_qingdao.geojson"
BAY = RAW / "vector" / "gshhg_qingdao" / "jiaozhou_bay_water_extent.geojson"
FARM = OUT / "qingdao_jiaozhou_bay_oyster_farm.geojson"
HABITAT_FILE = OUT / "jiaozhou_bay_habitat_2019_2023_ILLUSTRATIVE.geojson"
#: One file per parcel kind (a study's [[parcels]] entry gives one kind per file).
PARCEL_FILES = {
    "marsh_unit": OUT / "jiaozhou_bay_marsh_parcel_ILLUSTRATIVE.geojson",
    "meadow_unit": OUT / "jiaozhou_bay_eelgrass_parcel_ILLUSTRATIVE.geojson",
}

UTM = "EPSG:32651"  # WGS 84 / UTM zone 51N (metres); Jiaozhou Bay is at about 120.2 E
SITE = "jiaozhou_bay"
YEARS = (2019, 2023)

# Hand-placed lines about 50-100 m seaward of the shore, walked with the water on the right.
# North shore, from the Dagu River mouth east towards Hongdao (大沽河口 - 红岛西).
NORTH_SHORE = [
    (120.1420, 36.1880), (120.1415, 36.1945), (120.1400, 36.1972), (120.1450, 36.1988),
    (120.1500, 36.1996), (120.1550, 36.2012), (120.1600, 36.2030), (120.1630, 36.2032),
    (120.1660, 36.2080), (120.1700, 36.2097), (120.1750, 36.2114), (120.1790, 36.2146),
    (120.1850, 36.2163), (120.1900, 36.2188), (120.1950, 36.2205), (120.2000, 36.2213),
    (120.2050, 36.2229), (120.2100, 36.2238), (120.2150, 36.2246), (120.2190, 36.2255),
]  # fmt: skip
# West shore, Yanghe estuary (洋河口), from south to north.
WEST_SHORE = [
    (120.1005, 36.1230), (120.0965, 36.1290), (120.0965, 36.1380), (120.0935, 36.1410),
    (120.0932, 36.1560), (120.0966, 36.1595), (120.1043, 36.1684), (120.1095, 36.1725),
]  # fmt: skip

# Eelgrass meadows: centre (lon, lat), semi-axes (m), rotation (degrees); 12-vertex ellipses.
MEADOW_CONT = ((120.2160, 36.0660), 150.0, 85.0, 20.0)  # subtidal, off Huangdao's north shore
MEADOW_CONT_2023 = ((120.2160, 36.0660), 130.0, 75.0, 20.0)  # the same meadow, thinner at its rim
MEADOW_PATCHY = ((120.2700, 36.1720), 180.0, 106.0, -15.0)  # shallows south of Hongdao
MEADOW_PATCHY_2023 = ((120.2700, 36.1720), 200.0, 116.0, -15.0)

# Band offsets from the hand-placed lines, metres seaward.
SUAEDA_M, SPARTINA_M, FLAT_M, PHRAG_M = 100.0, 220.0, 1000.0, 150.0

CATEGORY_INFO = {  # species, Chinese and English names (as in data/studies/qingdao_names.csv)
    "suaeda": ("Suaeda salsa", "盐地碱蓬盐沼", "Suaeda salsa salt marsh"),
    "spartina": ("Spartina alterniflora", "互花米草盐沼", "Spartina alterniflora salt marsh"),
    "phragmites": ("Phragmites australis", "芦苇湿地", "Phragmites australis reed marsh"),
    "eelgrass_cont": ("Zostera marina", "鳗草床（连续分布）", "eelgrass, continuous cover"),
    "eelgrass_patchy": ("Zostera japonica; Zostera marina", "海草床（斑块状分布）", "eelgrass, patchy cover"),
    "tidal_flat": ("", "光滩（潮滩）", "bare tidal flat"),
}


def _line(points: list[tuple[float, float]]) -> LineString:
    return gpd.GeoSeries([LineString(points)], crs="EPSG:4326").to_crs(UTM).iloc[0]


def _band(line: LineString, near: float, far: float, start: float = 0.0, end: float = 1.0) -> Polygon:
    """The strip ``near``-``far`` metres to the right of ``line`` between fractions start-end."""
    part = substring(line, start, end, normalized=True)
    outer = part.buffer(-far, single_sided=True, cap_style="flat", join_style="round")
    if near <= 0:
        return outer
    return outer.difference(part.buffer(-near, single_sided=True, cap_style="flat", join_style="round"))


def _ellipse(spec: tuple[tuple[float, float], float, float, float], n: int = 12) -> Polygon:
    (lon, lat), a, b, rot = spec
    centre = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs="EPSG:4326").to_crs(UTM).iloc[0]
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.radians(rot)
    x = a * np.cos(t) * np.cos(r) - b * np.sin(t) * np.sin(r)
    y = a * np.cos(t) * np.sin(r) + b * np.sin(t) * np.cos(r)
    return Polygon(np.column_stack([centre.x + x, centre.y + y]))


def habitat_polygons() -> gpd.GeoDataFrame:
    """Rows of (year, category, geometry in UTM): the made-up map of both years."""
    north, west = _line(NORTH_SHORE), _line(WEST_SHORE)
    rows: list[tuple[int, str, Polygon]] = []
    # Fractions along the north line: 0-0.17 river mouth (Phragmites), then marsh to 0.80.
    phrag = _band(north, 0, PHRAG_M, 0.0, 0.17)
    suaeda_n = _band(north, 0, SUAEDA_M, 0.17, 0.80)
    spartina_n = _band(north, SUAEDA_M, SPARTINA_M, 0.10, 0.62)
    suaeda_w = _band(west, 0, 80.0, 0.15, 1.0)
    spartina_w = _band(west, 80.0, 200.0, 0.15, 0.95)
    flat_all = _band(north, 0, FLAT_M).union(_band(west, 0, FLAT_M))
    cont19, cont23 = _ellipse(MEADOW_CONT), _ellipse(MEADOW_CONT_2023)
    patchy19, patchy23 = _ellipse(MEADOW_PATCHY), _ellipse(MEADOW_PATCHY_2023)

    # 2019
    veg19 = {
        "phragmites": phrag,
        "suaeda": suaeda_n.union(suaeda_w).difference(phrag),
        "spartina": spartina_n.union(spartina_w).difference(phrag),
        "eelgrass_cont": cont19,
        "eelgrass_patchy": patchy19,
    }
    # 2023: Spartina cleared except a remnant on the west shore (fractions 0.70-0.95); the
    # cleared north strip 0.17-0.40 replanted with Suaeda; Suaeda lost at the east end 0.70-0.80.
    suaeda_lost = _band(north, 0, SUAEDA_M, 0.70, 0.80)
    suaeda_gain = _band(north, SUAEDA_M, SPARTINA_M, 0.17, 0.40)
    veg23 = {
        "phragmites": phrag,
        "suaeda": suaeda_n.union(suaeda_w).union(suaeda_gain).difference(suaeda_lost).difference(phrag),
        "spartina": _band(west, 80.0, 200.0, 0.70, 0.95),
        "eelgrass_cont": cont23,
        "eelgrass_patchy": patchy23.union(cont19.difference(cont23)),
    }
    for year, veg in ((2019, veg19), (2023, veg23)):
        covered = shapely.union_all(list(veg.values()))
        for category, geom in veg.items():
            rows.append((year, category, geom))
        rows.append((year, "tidal_flat", flat_all.difference(covered)))
    gdf = gpd.GeoDataFrame(
        {"year": [r[0] for r in rows], "category": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=UTM,
    )
    return gdf


def parcels() -> gpd.GeoDataFrame:
    north = _line(NORTH_SHORE)
    marsh = _band(north, 0, 300.0, 0.0, 0.62)  # Dagu River estuary marsh and its fringe
    meadow = _ellipse(((120.2160, 36.0660), 260.0, 190.0, 20.0))
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["qd-jzb-marsh-01", "qd-jzb-eelgrass-01"],
            "name": [
                "Dagu River estuary marsh unit 01 (illustrative)",
                "Jiaozhou Bay eelgrass meadow unit 01 (illustrative)",
            ],
            "name_zh": ["大沽河口盐沼单元01（示意）", "胶州湾海草床单元01（示意）"],
            "kind": ["marsh_unit", "meadow_unit"],
            "site": [SITE, SITE],
            "illustrative": [True, True],
        },
        geometry=[marsh, meadow],
        crs=UTM,
    )


def _to_geojson(gdf: gpd.GeoDataFrame, path: Path, name: str) -> None:
    wgs = gdf.to_crs("EPSG:4326")
    features = []
    for _, row in wgs.iterrows():
        props = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.drop("geometry").items()}
        geom = shapely.set_precision(row.geometry, 1e-6)
        features.append({"type": "Feature", "properties": props, "geometry": mapping(geom)})
    collection = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    path.write_text(json.dumps(collection, ensure_ascii=False, indent=None) + "\n", encoding="utf-8")


def build() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    habitat = habitat_polygons()
    info = habitat["category"].map(CATEGORY_INFO)
    habitat["species"] = [i[0] for i in info]
    habitat["name_zh"] = [i[1] for i in info]
    habitat["name_en"] = [i[2] for i in info]
    habitat["site"] = SITE
    habitat["illustrative"] = True
    habitat = habitat[
        ["site", "year", "category", "species", "name_en", "name_zh", "illustrative", "geometry"]
    ]
    return habitat, parcels()


def check(habitat: gpd.GeoDataFrame, parcel: gpd.GeoDataFrame) -> list[str]:
    """Problems with the written files against the coastline (empty when all is well)."""
    problems = []
    land = gpd.read_file(COAST).to_crs(UTM).union_all()
    bay = gpd.read_file(BAY).to_crs(UTM).union_all()
    shore = land.boundary
    farm = gpd.read_file(FARM).assign(kind="farm")
    for label, frame in (
        ("habitat", gpd.read_file(HABITAT_FILE)),
        *(("parcel", gpd.read_file(path)) for path in PARCEL_FILES.values()),
        ("farm", farm),
    ):
        frame = frame.to_crs(UTM)
        for _, row in frame.iterrows():
            name = row.get("category", row.get("parcel_id", row.get("farm_id")))
            what = f"{label} {row.get('year', '')} {name}"
            geom = row.geometry
            if not geom.is_valid or geom.is_empty:
                problems.append(f"{what}: invalid or empty")
            on_land = geom.intersection(land).area / geom.area
            if on_land > 0.0:
                problems.append(f"{what}: {on_land:.2%} of its area on land")
            if not geom.within(bay.buffer(1.0)):
                problems.append(f"{what}: outside the bay extent")
            dist = geom.distance(shore)
            cat = str(row.get("category", row.get("kind")))
            if cat in ("suaeda", "spartina", "phragmites", "marsh_unit", "tidal_flat") and dist > 120:
                problems.append(f"{what}: {dist:.0f} m from the shore (marsh must be at the shore)")
            if cat.startswith("eelgrass") and dist < 100:
                problems.append(f"{what}: only {dist:.0f} m from the shore")
    for year in YEARS:
        sub = habitat[habitat["year"] == year]
        total = sub.geometry.area.sum()
        union = sub.union_all().area
        if total - union > 1.0:
            problems.append(f"{year}: categories overlap by {(total - union) / 1e4:.2f} ha")
    return problems


def areas(habitat: gpd.GeoDataFrame) -> str:
    table = habitat.assign(ha=habitat.to_crs(UTM).geometry.area / 1e4).pivot_table(
        index="category", columns="year", values="ha", aggfunc="sum"
    )
    return table.round(1).to_string()


def plot(habitat: gpd.GeoDataFrame, parcel: gpd.GeoDataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    colours = {
        "phragmites": "#8c6d31",
        "suaeda": "#c2185b",
        "spartina": "#2e7d32",
        "tidal_flat": "#d9c9a3",
        "eelgrass_cont": "#00695c",
        "eelgrass_patchy": "#4db6ac",
    }
    land = gpd.read_file(COAST)
    bay = gpd.read_file(BAY)
    farm = gpd.read_file(FARM)
    hab = habitat.to_crs("EPSG:4326")
    par = parcel.to_crs("EPSG:4326")
    aspect = 1 / np.cos(np.radians(36.1))
    fig, axes = plt.subplots(3, 3, figsize=(14, 13))
    fig.suptitle(
        "Jiaozhou Bay: ILLUSTRATIVE habitat polygons and parcels (made up, not a survey) "
        "on the GSHHG shoreline",
        fontsize=12,
    )

    def base(ax, xlim, ylim, title, ticks=None):
        ax.set_facecolor("#dbeaf5")
        land.plot(ax=ax, color="#eeeeee", edgecolor="#555555", linewidth=0.5)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect(aspect)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.ticklabel_format(useOffset=False)
        ax.set_xlabel("")
        ax.set_ylabel("")
        if ticks:
            ax.xaxis.set_major_locator(plt.MaxNLocator(ticks))

    def habitats(ax, year):
        sub = hab[hab["year"] == year]
        for cat, colour in colours.items():
            part = sub[sub["category"] == cat]
            if not part.empty:
                part.plot(ax=ax, color=colour, linewidth=0)

    def outline_2019(ax, prefix):
        sub = hab[(hab["year"] == 2019) & hab["category"].str.startswith(prefix)]
        sub.boundary.plot(ax=ax, color="k", linewidth=0.9, linestyle=":")

    ax = axes[0, 0]
    base(
        ax,
        (119.85, 120.75),
        (35.80, 36.45),
        "GSHHG 2.3.6 full-resolution shoreline (LGPL-3.0);\nblue: Jiaozhou Bay extent; boxes: zooms",
    )
    bay.boundary.plot(ax=ax, color="#1565c0", linewidth=0.9)
    for label, xy in (
        ("Jiaozhou Bay", (120.19, 36.10)),
        ("Qingdao", (120.40, 36.12)),
        ("Huangdao", (120.07, 35.96)),
        ("Yellow Sea", (120.45, 35.90)),
    ):
        ax.text(*xy, label, fontsize=8, ha="center", style="italic" if label == "Yellow Sea" else "normal")
    north = ((120.132, 120.226), (36.180, 36.236))
    west = ((120.084, 120.128), (36.116, 36.180))
    meadow_a = ((120.2085, 120.2235), (36.0610, 36.0710))
    meadow_b = ((120.2630, 120.2770), (36.1670, 36.1770))
    for (x0, x1), (y0, y1) in (north, west, meadow_a, meadow_b):
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="k", linewidth=0.7))
    for i, year in enumerate(YEARS):
        ax = axes[1, i]
        base(ax, *north, f"{year}: north shore, Dagu River estuary", ticks=5)
        habitats(ax, year)
        par[par["kind"] == "marsh_unit"].boundary.plot(ax=ax, color="k", linewidth=0.8, linestyle="--")
        ax.text(120.17, 36.195, "qd-jzb-marsh-01 (dashed)", fontsize=7)
        ax.text(120.136, 36.215, "Dagu River mouth", fontsize=7)
        ax = axes[2, i]
        base(ax, *west, f"{year}: west shore, Yanghe estuary", ticks=4)
        habitats(ax, year)
    ax = axes[1, 2]
    base(ax, *meadow_a, "meadow A (2023 fill, 2019 dotted)\nand parcel qd-jzb-eelgrass-01 (dashed)", ticks=4)
    habitats(ax, 2023)
    outline_2019(ax, "eelgrass")
    par[par["kind"] == "meadow_unit"].boundary.plot(ax=ax, color="k", linewidth=0.8, linestyle="--")
    ax = axes[2, 2]
    base(ax, *meadow_b, "meadow B, patchy, south of Hongdao\n(2023 fill, 2019 dotted)", ticks=4)
    habitats(ax, 2023)
    outline_2019(ax, "eelgrass")
    ax = axes[0, 2]
    base(
        ax,
        (120.27, 120.33),
        (36.195, 36.245),
        "illustrative farm qd-jzb-oyster-01\n(existing parcel, kept as is)",
        ticks=4,
    )
    farm.boundary.plot(ax=ax, color="#e65100", linewidth=1.2)
    ax = axes[0, 1]
    ax.axis("off")
    handles = [Patch(color=c, label=f"{k}: {CATEGORY_INFO[k][2]}") for k, c in colours.items()]
    handles += [
        Patch(facecolor="none", edgecolor="k", linestyle="--", label="illustrative parcels (marsh, meadow)"),
        Patch(facecolor="none", edgecolor="#e65100", label="illustrative farm qd-jzb-oyster-01"),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    ax.text(
        0.0,
        0.45,
        "Area (ha), UTM 51N:\n" + areas(habitat),
        fontsize=8,
        family="monospace",
        va="top",
        transform=ax.transAxes,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    _save_small(fig, path)


def _save_small(fig, path: Path) -> None:
    """PNG with an adaptive 64-colour palette (maps need few colours; keeps docs/img small)."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=72, format="png")
    plt.close(fig)
    image = Image.open(buffer).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)


def plot_coastline(path: Path) -> None:
    """The GSHHG cut alone, with the bay extent and its mouth line, to check the coastline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    land = gpd.read_file(COAST)
    bay = gpd.read_file(BAY)
    mouth = bay["mouth_line"].iloc[0]
    fig, ax = plt.subplots(figsize=(9, 7.5))
    ax.set_facecolor("#dbeaf5")
    land.plot(ax=ax, color="#efe9d8", edgecolor="#333333", linewidth=0.5)
    bay.plot(ax=ax, color="#9ecae1", edgecolor="#1565c0", linewidth=0.8)
    ax.plot([mouth[0], mouth[2]], [mouth[1], mouth[3]], color="#c62828", linewidth=1.2)
    ax.set_aspect(1 / np.cos(np.radians(36.1)))
    ax.set_xlim(119.85, 120.75)
    ax.set_ylim(35.80, 36.45)
    for label, xy in (
        ("Jiaozhou Bay", (120.19, 36.12)),
        ("Qingdao (Shinan)", (120.40, 36.09)),
        ("Laoshan", (120.60, 36.20)),
        ("Huangdao", (120.05, 35.95)),
        ("Hongdao", (120.25, 36.215)),
        ("Yellow Sea", (120.45, 35.90)),
        ("mouth: Tuandao - Xuejiadao", (120.30, 36.03)),
    ):
        ax.text(*xy, label, fontsize=8, style="italic" if label == "Yellow Sea" else "normal")
    n = int(sum(len(shapely.get_coordinates(g)) for g in land.geometry))
    ax.set_title(
        f"GSHHG 2.3.6 full resolution, level 1, cut to 119.85-120.75 E, 35.80-36.45 N ({len(land)} polygons, "
        f"{n} vertices)\nJiaozhou Bay extent (blue, {bay.to_crs(UTM).area.sum() / 1e6:.0f} km2) "
        "closed at the mouth line (red)",
        fontsize=9,
    )
    ax.tick_params(labelsize=8)
    ax.grid(True, linewidth=0.3)
    fig.tight_layout()
    _save_small(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plot", type=Path, help="also draw the maps to this PNG")
    parser.add_argument("--plot-coastline", type=Path, help="also draw the coastline cut to this PNG")
    args = parser.parse_args(argv)
    habitat, parcel = build()
    _to_geojson(habitat, HABITAT_FILE, HABITAT_FILE.stem)
    for kind, path in PARCEL_FILES.items():
        _to_geojson(parcel[parcel["kind"] == kind], path, path.stem)
    print(areas(habitat))
    print((parcel.geometry.area / 1e4).round(1).set_axis(parcel["parcel_id"]).to_string())
    problems = check(habitat, parcel)
    for p in problems:
        print("problem:", p, file=sys.stderr)
    if args.plot:
        plot(habitat, parcel, args.plot)
        print(f"wrote {args.plot}")
    if args.plot_coastline:
        plot_coastline(args.plot_coastline)
        print(f"wrote {args.plot_coastline}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
