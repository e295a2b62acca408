"""Steps of the monitoring pipeline: ingest, habitat extent, estimate, assemble.

Every step is keyed by a fingerprint of exactly what it reads (raw-file sha256, the
parameter tables it uses, its options and the package version). Its result lives in
``<work>/<step>/<key>/`` with a ``result.json``; a finished result is reused, so rerunning
after adding one scene recomputes only the steps whose inputs changed, and changing one
parameter table invalidates exactly the steps that read it.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from bluecarbon import params
from bluecarbon.carbon.cores import core_stocks
from bluecarbon.carbon.engine import nodata_report
from bluecarbon.carbon.stocks import habitat_carbon_run, habitat_class_totals, soil_density_by_habitat
from bluecarbon.carbon.totals import summary_table
from bluecarbon.carbon.uncertainty import UncertaintySettings
from bluecarbon.carbon.zonal import zone_raster
from bluecarbon.errors import InputError
from bluecarbon.fingerprint import fingerprint
from bluecarbon.habitat.indices import mndwi, ndvi
from bluecarbon.habitat.polygons import (
    EQUAL_AREA_CRS,
    habitat_area_by_year,
    rasterize_habitat,
    read_habitat_polygons,
)
from bluecarbon.habitat.rules import classify_rules
from bluecarbon.ingest.ccn import read_ccn
from bluecarbon.ingest.rasters import ARCSI_REFLECTANCE, open_time_series
from bluecarbon.manifest import ManifestEntry, verify_manifest
from bluecarbon.pipeline.study import CoreSource, ParcelSource, Site, Study
from bluecarbon.units import M2_PER_HA
from bluecarbon.vocab import Habitat

log = logging.getLogger(__name__)

#: Version of the carbon step's method; part of its fingerprint.
CARBON_ENGINE = "transitions-1"

#: Parameter tables each step reads (their hashes enter the step's fingerprint).
STEP_TABLES: dict[str, tuple[str, ...]] = {
    "soil_cores": ("loi_to_oc", "soil_defaults", "ipcc_tier1"),
    "site_habitat": ("habitat_rules",),
    "site_carbon": ("ipcc_tier1", "transition_defaults", "uncertainty"),
    "parcels": (),
}


@dataclass(frozen=True)
class StepResult:
    """Small record a step returns: where its outputs are and a few facts about them."""

    step: str
    key: str
    uris: dict[str, str]
    info: dict[str, Any] = field(default_factory=dict)
    cached: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> StepResult:
        return cls(**json.loads(text))


def step_key(step: str, inputs: Mapping[str, str], options: Mapping[str, Any]) -> str:
    """Fingerprint of a step: input sha256s, its parameter tables, options, version."""
    return fingerprint(
        inputs=inputs,
        parameters={"step": step, "tables": params.table_hashes(list(STEP_TABLES[step])), "options": options},
    )


def _cached(work_dir: Path, step: str, key: str) -> StepResult | None:
    marker = work_dir / step / key[:24] / "result.json"
    if marker.is_file():
        result = StepResult.from_json(marker.read_text())
        if all(Path(u).exists() for u in result.uris.values()):
            return StepResult(**{**asdict(result), "cached": True})
    return None


def _out_dir(work_dir: Path, step: str, key: str) -> Path:
    out = work_dir / step / key[:24]
    if out.exists():
        shutil.rmtree(out)  # unfinished leftovers of an interrupted run
    out.mkdir(parents=True)
    return out


def _finish(out: Path, result: StepResult) -> StepResult:
    (out / "result.json").write_text(result.to_json())
    return result


# ------------------------------------------------------------------------------- inputs
def check_inputs(raw_dir: Path, files: list[str]) -> dict[str, ManifestEntry]:
    """Verify sha256 of every raw file the study reads (names any that changed)."""
    return verify_manifest(raw_dir, files)


def input_hashes(entries: Mapping[str, ManifestEntry], files: list[str]) -> dict[str, str]:
    return {f: entries[f].sha256 for f in files}


# -------------------------------------------------------------------------------- cores
def soil_cores(raw_dir: Path, source: CoreSource, work_dir: Path, hashes: Mapping[str, str]) -> StepResult:
    """Core stocks to 30 and 100 cm and the per-habitat soil density (cores or Tier 1)."""
    key = step_key("soil_cores", {f: hashes[f] for f in source.files}, {"ccn_dir": source.ccn_dir})
    if (hit := _cached(work_dir, "soil_cores", key)) is not None:
        return hit
    out = _out_dir(work_dir, "soil_cores", key)
    tables = read_ccn(raw_dir / source.ccn_dir)
    per_depth = []
    for depth in (30.0, 100.0):
        stocks = core_stocks(tables.cores, tables.depthseries, depth_cm=depth, methods=tables.methods)
        per_depth.append(stocks.assign(depth_cm=depth))
    stocks = pd.concat(per_depth, ignore_index=True)
    habitats = [Habitat.SEAGRASS, Habitat.SALT_MARSH, Habitat.MANGROVE]
    density = soil_density_by_habitat(stocks[stocks["depth_cm"] == 100.0], habitats)
    cores = tables.cores.copy()
    cores["habitat"] = cores["habitat"].map(lambda h: Habitat.parse(h).value)
    keep = [
        c
        for c in (
            "study_id",
            "site_id",
            "core_id",
            "habitat",
            "country",
            "latitude",
            "longitude",
            "year",
            "salinity_class",
            "vegetation_class",
            "source_folder",
        )
        if c in cores.columns
    ]
    uris = {
        "core_stocks": str(out / "core_stocks.parquet"),
        "soil_density": str(out / "soil_density.parquet"),
        "cores": str(out / "cores.parquet"),
    }
    stocks.to_parquet(uris["core_stocks"], index=False)
    density.to_parquet(uris["soil_density"], index=False)
    cores[keep].to_parquet(uris["cores"], index=False)
    info = {
        "cores": len(cores),
        "cores_reaching_100cm": int(stocks.loc[stocks["depth_cm"] == 100.0, "reached_depth"].sum()),
    }
    return _finish(out, StepResult("soil_cores", key, uris, info))


# ---------------------------------------------------------------------------- habitats
def site_habitat(raw_dir: Path, site: Site, work_dir: Path, hashes: Mapping[str, str]) -> StepResult:
    """Habitat map per snapshot year (Zarr) and habitat area per year (Parquet)."""
    files = site.files(raw_dir)
    key = step_key("site_habitat", {f: hashes[f] for f in files}, {"site": site.id, **site.options})
    if (hit := _cached(work_dir, "site_habitat", key)) is not None:
        return hit
    out = _out_dir(work_dir, "site_habitat", key)
    if site.source == "polygons":
        habitat, area, info = _habitat_from_polygons(raw_dir, site)
    else:
        habitat, area, info = _habitat_from_imagery(raw_dir, site)
    uris = {"habitat": str(out / "habitat.zarr"), "area": str(out / "area.parquet")}
    habitat.to_dataset().rio.write_crs(habitat.rio.crs).to_zarr(uris["habitat"], mode="w", consolidated=False)
    area.assign(site=site.id).to_parquet(uris["area"], index=False)
    return _finish(out, StepResult("site_habitat", key, uris, info))


def _habitat_from_polygons(raw_dir: Path, site: Site) -> tuple[xr.DataArray, pd.DataFrame, dict[str, Any]]:
    o = site.options
    class_map = {k: Habitat.parse(v) for k, v in o["class_map"].items()}
    polygons, repairs = read_habitat_polygons(
        raw_dir / o["polygons"],
        class_map=class_map,
        class_column=o.get("class_column", "category"),
        year_column=o.get("year_column", "year"),
    )
    extent = None
    if "extent" in o:
        extent = gpd.read_file(raw_dir / o["extent"])
        for column, value in o.get("extent_where", {}).items():
            extent = extent[extent[column] == value]
        if extent.empty:
            raise InputError(
                f"site {site.id}: extent filter {o.get('extent_where')} selects nothing",
                file=raw_dir / o["extent"],
            )
    background = Habitat.parse(o.get("background", "water"))
    habitat = rasterize_habitat(
        polygons, crs=o["crs"], resolution=float(o["resolution_m"]), background=background, extent=extent
    )
    area = habitat_area_by_year(polygons)
    if extent is not None:
        total = float(extent.to_crs(EQUAL_AREA_CRS).geometry.area.sum() / M2_PER_HA)
        mapped = area.groupby("year")["area_ha"].sum()
        rest = pd.DataFrame(
            {
                "year": mapped.index,
                "habitat": background.value,
                "area_ha": (total - mapped.to_numpy()).clip(min=0.0),
            }
        )
        area = pd.concat([area, rest], ignore_index=True).sort_values(["year", "habitat"])
    area["area_source"] = "survey_polygons"
    info = {
        "years": sorted(int(y) for y in polygons["year"].unique()),
        "invalid_geometries_repaired": repairs.total_invalid,
        "empty_geometries_dropped": repairs.empty_dropped,
    }
    return habitat, area.reset_index(drop=True), info


def _habitat_from_imagery(raw_dir: Path, site: Site) -> tuple[xr.DataArray, pd.DataFrame, dict[str, Any]]:
    o = site.options
    paths = site.files(raw_dir)
    pattern = re.compile(o["date_pattern"])
    dates = []
    for p in paths:
        match = pattern.search(Path(p).name)
        if match is None:
            raise InputError(f"cannot read a date with pattern {o['date_pattern']!r}", file=p)
        dates.append(pd.Timestamp(match.group(1)))
    cube = open_time_series([raw_dir / p for p in paths], dates, scaling=ARCSI_REFLECTANCE)
    years = [int(y) for y in o["years"]]
    layers = []
    for year in years:
        in_year = cube.sel(time=cube["time"].dt.year == year)
        if in_year.sizes["time"] == 0:
            raise InputError(f"site {site.id}: no scene in {year}", file=raw_dir / o["images"])
        composite = in_year.median("time", skipna=True)
        layers.append(classify_rules({"ndvi": ndvi(composite), "mndwi": mndwi(composite)}, o["classifier"]))
    habitat = xr.concat(layers, dim=pd.Index(np.asarray(years, dtype="int32"), name="year"))
    habitat = habitat.rio.write_crs(cube.rio.crs).compute()
    pixel_ha = abs(cube.rio.resolution()[0] * cube.rio.resolution()[1]) / M2_PER_HA
    rows = []
    for year in years:
        codes, counts = np.unique(habitat.sel(year=year).values, return_counts=True)
        for code, count in zip(codes, counts, strict=True):
            if np.isfinite(code):
                rows.append(
                    {"year": year, "habitat": Habitat.from_code(int(code)).value, "area_ha": count * pixel_ha}
                )
    area = pd.DataFrame(rows)
    area["area_source"] = "classified_imagery"
    return habitat, area, {"years": years, "scenes": len(paths)}


# ----------------------------------------------------------------------------- carbon
def site_carbon(
    site_id: str,
    habitat: StepResult,
    soil: StepResult,
    work_dir: Path,
    parcels: StepResult | None = None,
) -> StepResult:
    """Carbon per pixel and class from the habitat maps: the transition engine (stocks by pool,
    accumulation, emissions, net sequestration) written as a ``carbon`` Zarr product, and class
    totals with P5/P50/P95 and VM0033 conservative values. With ``parcels``, also per-parcel
    totals per year and habitat (``parcel_totals``)."""
    inputs = {"habitat": habitat.key, "soil": soil.key} | ({"parcels": parcels.key} if parcels else {})
    key = step_key("site_carbon", inputs, {"site": site_id, "engine": CARBON_ENGINE})
    if (hit := _cached(work_dir, "site_carbon", key)) is not None:
        return hit
    out = _out_dir(work_dir, "site_carbon", key)
    density = pd.read_parquet(soil.uris["soil_density"])
    maps = xr.open_zarr(habitat.uris["habitat"], consolidated=False, decode_coords="all")["habitat"]
    area = pd.read_parquet(habitat.uris["area"])
    zones: xr.DataArray | None = None
    zone_ids: tuple[str, ...] = ()
    if parcels is not None:
        site_parcels = gpd.read_parquet(parcels.uris["parcels"])
        site_parcels = site_parcels[site_parcels["site"] == site_id]
        if not site_parcels.empty:
            zones, zone_ids = zone_raster(site_parcels, maps.isel(year=0))
    run = habitat_carbon_run(maps, density, zones=zones, zone_ids=zone_ids)
    uris = {"carbon": str(out / "carbon.zarr"), "totals": str(out / "class_totals.parquet")}
    write = run.dataset.to_zarr(uris["carbon"], mode="w", consolidated=False, compute=False)
    _, histogram = dask.compute(write, run.histogram)
    report = nodata_report(histogram, run)
    settings = UncertaintySettings.from_params()
    totals = habitat_class_totals(run, histogram, area, density, site=site_id, uncertainty=settings)
    totals.to_parquet(uris["totals"], index=False)
    if zone_ids:
        summary = summary_table(run, histogram, uncertainty=settings)
        per_parcel = summary[summary["scope"] == "parcel"].rename(columns={"lulc_class": "habitat"})
        per_parcel = per_parcel.assign(
            site=site_id, year=per_parcel["year"].fillna(per_parcel["period_start"])
        )
        uris["parcel_totals"] = str(out / "parcel_totals.parquet")
        per_parcel.to_parquet(uris["parcel_totals"], index=False)
    info = {"site": site_id, **report.as_attrs()}
    return _finish(out, StepResult("site_carbon", key, uris, info))


# ---------------------------------------------------------------------------- parcels
def parcels(
    raw_dir: Path, sources: tuple[ParcelSource, ...], work_dir: Path, hashes: Mapping[str, str]
) -> StepResult:
    """Parcels from vector files: ``parcel_id``, ``name``, ``kind``, ``site``, geometry."""
    key = step_key(
        "parcels", {s.file: hashes[s.file] for s in sources}, {"sources": [asdict(s) for s in sources]}
    )
    if (hit := _cached(work_dir, "parcels", key)) is not None:
        return hit
    out = _out_dir(work_dir, "parcels", key)
    frames = []
    for s in sources:
        gdf = gpd.read_file(raw_dir / s.file)
        for column in (s.id_column, s.name_column):
            if column not in gdf.columns:
                raise InputError("missing column", file=raw_dir / s.file, column=column)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "parcel_id": [f"{s.id_prefix}{v}" for v in gdf[s.id_column]],
                    "name": gdf[s.name_column].astype(str).to_numpy(),
                    "kind": s.kind,
                    "site": s.site,
                    "illustrative": False,
                    "source_file": s.file,
                },
                geometry=gdf.geometry.make_valid().to_numpy(),
                crs=gdf.crs,
            ).to_crs("EPSG:4326")
        )
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    duplicated = merged["parcel_id"].duplicated()
    if duplicated.any():
        raise InputError(
            f"duplicate parcel id {merged.loc[duplicated, 'parcel_id'].iloc[0]!r}", column="parcel_id"
        )
    uri = str(out / "parcels.parquet")
    merged.to_parquet(uri, index=False)
    return _finish(out, StepResult("parcels", key, {"parcels": uri}, {"parcels": len(merged)}))


# ---------------------------------------------------------------------------- summary
def headline(totals: pd.DataFrame) -> pd.DataFrame:
    """Latest year per site, blue-carbon habitats: area, stock, annual sequestration."""
    latest = totals[totals["year"] == totals.groupby("site")["year"].transform("max")]
    latest = latest[latest["stock_t_c"] > 0]
    cols = [
        "site",
        "year",
        "habitat",
        "area_ha",
        "stock_t_c",
        "stock_t_co2e",
        "sequestration_t_co2e_yr",
        "density_source",
    ]
    return latest[cols].sort_values(["site", "habitat"]).reset_index(drop=True)


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def release_key(study: Study, hashes: Mapping[str, str]) -> str:
    """Idempotency key of a release: inputs + parameters (all tables, the study) + version."""
    return fingerprint(
        inputs=hashes,
        parameters={"tables": params.table_hashes(), "study": study.digest},
    )
