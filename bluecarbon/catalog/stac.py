"""STAC catalog of a store, rebuilt from the ledger after every publish.

The catalog is derived data: it is rebuilt from scratch from the store (never edited in
place), so it cannot drift from the releases. One collection per product (``site/kind``) and
one for the tables; one item per release in each, whose assets point at the release (store
URI, tag, snapshot id, Icechunk group or Delta version) and carry the licences of the inputs.
Links are relative so the folder can be moved or published as static files.

The folder is configuration, so the writer removes only what it wrote and refuses a folder
holding anything else (see :mod:`bluecarbon.catalog.folder`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import xarray as xr
from pyproj import Transformer

from bluecarbon.catalog.folder import (
    CATALOG_ID,
    RELEASES_JSON,
    check_catalog_dir,
    remove_written,
    write_manifest,
)
from bluecarbon.store import Store
from bluecarbon.store.release import ReleaseInfo

__all__ = ["CATALOG_ID", "build_catalog", "check_catalog_dir", "validate_catalog"]


def _licences(release: ReleaseInfo) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for entry in release.provenance.get("inputs", []):
        seen.setdefault(
            entry["dataset"],
            {
                "dataset": entry["dataset"],
                "license": entry["license"],
                "restrictions": entry["restrictions"],
                "citation": entry["citation"],
            },
        )
    return list(seen.values())


def _licence_expression(licences: Iterable[dict[str, str]]) -> str:
    ids = sorted({lic["license"] for lic in licences})
    if len(ids) == 1 and not ids[0].startswith("LicenseRef"):
        return ids[0]
    return "other"


def _footprint(ds: xr.Dataset) -> tuple[list[float], dict[str, Any]]:
    crs = ds.rio.crs
    x, y = ds["x"].values, ds["y"].values
    dx = float(abs(x[1] - x[0])) if x.size > 1 else 0.0
    dy = float(abs(y[1] - y[0])) if y.size > 1 else 0.0
    xs = np.array([x.min() - dx / 2, x.max() + dx / 2])
    ys = np.array([y.min() - dy / 2, y.max() + dy / 2])
    to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    corners_x, corners_y = np.meshgrid(np.linspace(xs[0], xs[1], 5), np.linspace(ys[0], ys[1], 5))
    lon, lat = to_wgs84.transform(corners_x.ravel(), corners_y.ravel())
    bbox = [float(np.min(lon)), float(np.min(lat)), float(np.max(lon)), float(np.max(lat))]
    geometry = {
        "type": "Polygon",
        "coordinates": [
            [
                [bbox[0], bbox[1]],
                [bbox[2], bbox[1]],
                [bbox[2], bbox[3]],
                [bbox[0], bbox[3]],
                [bbox[0], bbox[1]],
            ]
        ],
    }
    return bbox, geometry


def _release_props(release: ReleaseInfo, licences: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "bluecarbon:release": release.tag,
        "bluecarbon:snapshot_id": release.snapshot_id,
        "bluecarbon:content_hash": release.content_hash,
        "bluecarbon:status": release.status,
        "bluecarbon:withdrawn_reason": release.withdrawn_reason,
        "bluecarbon:package_version": release.package_version,
        "bluecarbon:input_licences": licences,
        "created": release.created.isoformat(),
    }


def build_catalog(store: Store, catalog_dir: Path, *, store_href: str | None = None) -> pystac.Catalog:
    """Rebuild ``catalog_dir`` from ``store``; returns the saved catalog.

    ``store_href`` is how assets refer to the store; by default a path relative to the
    catalog for local stores and the URI for object stores.
    """
    catalog_dir = Path(catalog_dir)
    releases = store.releases()
    if store_href is None:
        if store.location.is_local:
            import os

            store_href = os.path.relpath(store.location.path, catalog_dir)
        else:
            store_href = store.location.uri
    catalog = pystac.Catalog(
        id=CATALOG_ID,
        description="bluecarbon releases: blue-carbon habitat extent, carbon stocks and sequestration, "
        "one item per release, rebuilt from the versioned store.",
        title="bluecarbon catalog",
    )
    collections: dict[str, pystac.Collection] = {}
    for release in releases:
        licences = _licences(release)
        props = _release_props(release, licences)
        for product in release.products:
            ds = store.open_product(product, release)
            bbox, geometry = _footprint(ds)
            years = [int(v) for v in ds["year"].values] if "year" in ds.coords else []
            start = datetime(min(years), 1, 1, tzinfo=UTC) if years else release.created
            end = datetime(max(years), 12, 31, tzinfo=UTC) if years else release.created
            cid = product.replace("/", "-")
            if cid not in collections:
                collections[cid] = pystac.Collection(
                    id=cid,
                    description=f"{product}: {', '.join(sorted(map(str, ds.data_vars)))} per release",
                    extent=pystac.Extent(pystac.SpatialExtent([bbox]), pystac.TemporalExtent([[start, end]])),
                    license=_licence_expression(licences),
                    title=product,
                )
            item = pystac.Item(
                id=release.tag,
                geometry=geometry,
                bbox=bbox,
                datetime=None,
                properties={
                    **props,
                    "start_datetime": start.isoformat(),
                    "end_datetime": end.isoformat(),
                    "bluecarbon:product": product,
                    "bluecarbon:variables": {
                        str(k): {
                            "units": v.attrs.get("units"),
                            "long_name": v.attrs.get("long_name"),
                            "carbon_basis": v.attrs.get("carbon_basis"),
                        }
                        for k, v in ds.data_vars.items()
                    },
                    "proj:code": ds.rio.crs.to_string(),
                },
            )
            item.add_asset(
                "icechunk",
                pystac.Asset(
                    href=store_href,
                    media_type="application/vnd+zarr; version=3; profile=icechunk",
                    roles=["data"],
                    title=f"{product} in release {release.tag}",
                    extra_fields={
                        "icechunk:snapshot_id": release.snapshot_id,
                        "icechunk:tag": release.tag,
                        "zarr:group": product,
                    },
                ),
            )
            collections[cid].add_item(item)
            collections[cid].extent.spatial.bboxes[0] = _union(
                collections[cid].extent.spatial.bboxes[0], bbox
            )
        tables_cid = "tables"
        if tables_cid not in collections:
            collections[tables_cid] = pystac.Collection(
                id=tables_cid,
                description="Tables of each release (Delta Lake, pinned versions): parcels, cores, totals",
                extent=pystac.Extent(
                    pystac.SpatialExtent([[-180.0, -90.0, 180.0, 90.0]]),
                    pystac.TemporalExtent([[release.created, None]]),
                ),
                license=_licence_expression(licences),
                title="tables",
            )
        item = pystac.Item(
            id=release.tag, geometry=None, bbox=None, datetime=release.created, properties=props
        )
        for name, pin in sorted(release.tables.items()):
            item.add_asset(
                name,
                pystac.Asset(
                    href=f"{store_href}/tables/{name}"
                    if store.location.is_local
                    else store.location.table_uri(name),
                    media_type="application/vnd.delta-lake",
                    roles=["data"],
                    title=f"table {name} at version {pin['version']}",
                    extra_fields={"delta:version": int(pin["version"]), "table:row_count": int(pin["rows"])},
                ),
            )
        collections[tables_cid].add_item(item)
    for collection in collections.values():
        catalog.add_child(collection)
    catalog.normalize_hrefs(str(catalog_dir))
    planned = _planned_files(catalog, catalog_dir)
    previous = check_catalog_dir(catalog_dir)
    catalog_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(catalog_dir, previous | planned)
    remove_written(catalog_dir, previous - planned)
    catalog.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    (catalog_dir / RELEASES_JSON).write_text(
        json.dumps([r.as_dict() for r in releases], indent=2, default=str), encoding="utf-8"
    )
    write_manifest(catalog_dir, planned)
    return catalog


def _union(a: list[float], b: list[float]) -> list[float]:
    return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]


def _planned_files(catalog: pystac.Catalog, catalog_dir: Path) -> set[str]:
    hrefs = {RELEASES_JSON}
    for root, _children, items in catalog.walk():
        for obj in (root, *items):
            href = obj.get_self_href()
            assert href is not None
            hrefs.add(Path(href).resolve().relative_to(catalog_dir.resolve()).as_posix())
    return hrefs


def validate_catalog(catalog_dir: Path) -> int:
    """Validate every object against the STAC core schema (offline); returns the count."""
    catalog = pystac.Catalog.from_file(str(Path(catalog_dir) / "catalog.json"))
    return catalog.validate_all()
