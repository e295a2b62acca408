"""Steps of the monitoring pipeline: ingest, habitat extent, estimate, assemble.

Every step is keyed by a fingerprint of its raw inputs (sha256), its options and the package
version; its result lives in ``<work>/<step>/<key>/`` with a ``result.json`` that also records
the sha256 of every parameter table the step actually read (a tracked view of the run's
:class:`~bluecarbon.params.ParameterSet` logs them). A finished result is reused only when
those tables are unchanged, so rerunning after adding one scene recomputes only the steps whose
inputs changed, and changing one parameter table invalidates exactly the steps that read it,
with no hand-kept list of tables to forget.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from bluecarbon.carbon.cores import interval_carbon, stocks_from_intervals
from bluecarbon.carbon.representative import core_settings, representative_soil_density
from bluecarbon.carbon.stocks import habitat_carbon_run, site_totals, soil_density_by_habitat
from bluecarbon.carbon.strata import core_strata
from bluecarbon.carbon.transitions import nodata_report
from bluecarbon.carbon.uncertainty import UncertaintySettings
from bluecarbon.carbon.zonal import zone_raster
from bluecarbon.errors import InputError, Issue
from bluecarbon.fingerprint import canonical_json, fingerprint, sha256_text
from bluecarbon.geo import EQUAL_AREA_CRS, pixel_area_ha
from bluecarbon.habitat.classify import align_labels, classify_and_assess, feature_stack, predict, recode
from bluecarbon.habitat.composites import water_frequency
from bluecarbon.habitat.extent import (
    accuracy_from_estimate,
    accuracy_not_assessed,
    area_from_estimate,
    area_with_default_ci,
    mapped_area,
)
from bluecarbon.habitat.indices import spectral_index
from bluecarbon.habitat.polygons import (
    habitat_area_by_year,
    rasterize_habitat,
    rasterize_subclass,
    read_habitat_polygons,
)
from bluecarbon.habitat.rules import classify_rules, rule_indices
from bluecarbon.ingest.ccn import read_ccn
from bluecarbon.ingest.core_validation import combine_validated, normalise_habitat, validate_core_tables
from bluecarbon.ingest.parcels import ParcelSpec, combine_parcels, read_parcels
from bluecarbon.ingest.rasters import (
    ScalingSpec,
    arcsi_band_names,
    open_raster,
    open_time_series,
    product_scaling,
    sentinel2_l2a_scaling,
)
from bluecarbon.ingest.survey import read_survey
from bluecarbon.ingest.validation import Mode, issues_frame, write_quarantine_report
from bluecarbon.manifest import ManifestEntry, verify_manifest
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.study import SURVEY_CORE_TABLES, CoreSource, Site, Study
from bluecarbon.units import M2_PER_HA
from bluecarbon.vocab import Habitat, Subclass

log = logging.getLogger(__name__)

#: Version of the carbon step's method; part of its fingerprint.
CARBON_ENGINE = "transitions-1"


@dataclass(frozen=True)
class StepResult:
    """Small record a step returns: where its outputs are and a few facts about them."""

    step: str
    key: str
    uris: dict[str, str]
    info: dict[str, Any] = field(default_factory=dict)
    cached: bool = False
    #: sha256 of each parameter table the step read (the cache is valid while they match).
    parameters_read: dict[str, str] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        """What a downstream step keys on: this step's key and the tables it read (a result
        recomputed after a parameter change keeps its key but not its identity)."""
        return sha256_text(canonical_json({"key": self.key, "parameters_read": self.parameters_read}))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> StepResult:
        return cls(**json.loads(text))


def step_key(step: str, inputs: Mapping[str, str], options: Mapping[str, Any]) -> str:
    """Fingerprint of a step: input sha256s, its options and the code version. The parameter
    tables it read are checked separately (:func:`cached_result`)."""
    return fingerprint(inputs=inputs, parameters={"step": step, "options": options})


def cached_result(work_dir: Path, step: str, key: str, parameters: ParameterSet) -> StepResult | None:
    """The finished result of ``step`` for ``key``, if every output exists and every parameter
    table it read has the same sha256 in ``parameters``; else None (the step must run)."""
    marker = work_dir / step / key[:24] / "result.json"
    if not marker.is_file():
        return None
    result = StepResult.from_json(marker.read_text())
    if not all(Path(u).exists() for u in result.uris.values()):
        return None
    read = result.parameters_read
    if any(parameters.hashes([name]).get(name) != sha for name, sha in read.items()):
        return None
    return replace(result, cached=True)


_cached = cached_result


def _out_dir(work_dir: Path, step: str, key: str) -> Path:
    out = work_dir / step / key[:24]
    if out.exists():
        shutil.rmtree(out)  # unfinished leftovers of an interrupted run
    out.mkdir(parents=True)
    return out


def _finish(out: Path, result: StepResult, parameters: ParameterSet) -> StepResult:
    """Record the tables the step read (``parameters`` must be the step's tracked view)."""
    done = replace(result, parameters_read=parameters.reads)
    (out / "result.json").write_text(done.to_json())
    return done


# ------------------------------------------------------------------------------- inputs
def check_inputs(raw_dir: Path, files: list[str]) -> dict[str, ManifestEntry]:
    """Verify sha256 of every raw file the study reads (names any that changed)."""
    return verify_manifest(raw_dir, files)


def input_hashes(entries: Mapping[str, ManifestEntry], files: list[str]) -> dict[str, str]:
    return {f: entries[f].sha256 for f in files}


# -------------------------------------------------------------------------------- cores
#: Depths (cm) at which core stocks are published.
CORE_DEPTHS: tuple[float, ...] = (30.0, 100.0)
#: Columns of the ``cores`` release table (those present).
CORE_COLUMNS = (
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
    "carbonate_fraction",
    "setting",
)


def _relative_label(label: str, raw_dir: Path) -> str:
    """A file label relative to ``raw_dir`` when it lies inside it (reports must not carry the
    machine's absolute paths)."""
    path, root = Path(label).resolve(), raw_dir.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else label


def relative_issue(issue: Issue, raw_dir: Path) -> Issue:
    """The issue with its file named relative to ``raw_dir``."""
    return replace(issue, file=_relative_label(issue.file, raw_dir))


def relative_source(frame: pd.DataFrame, raw_dir: Path) -> pd.DataFrame:
    """Name the frame's source file relative to ``raw_dir``."""
    label = frame.attrs.get("source_file")
    if label:
        frame.attrs["source_file"] = _relative_label(str(label), raw_dir)
    return frame


def soil_cores(
    raw_dir: Path,
    source: CoreSource,
    work_dir: Path,
    hashes: Mapping[str, str],
    *,
    parameters: ParameterSet,
    mode: Mode = "quarantine",
    extrapolate: bool = False,
) -> StepResult:
    """Validated cores, core stocks to 30 and 100 cm, strata (habitat, species, site), the
    per-habitat soil density (cores or Tier 1) and the quarantine report.

    Cores come from the CCN folder and the survey workbooks of ``source``, each validated on
    its own and then combined (:func:`~bluecarbon.ingest.core_validation.combine_validated`:
    a core id repeated across sources is held back).

    Outputs (parquet unless said): ``cores`` (cores used), ``core_stocks`` (one row per core
    and depth), ``core_strata``, ``soil_density``, ``quarantine`` and ``quarantine_csv`` (the
    report, next to the results). In ``quarantine`` mode (default) held-back cores never
    reach a stock and are listed in the report; ``fail_fast`` raises on the first bad table.
    """
    options = {
        "ccn_dir": source.ccn_dir,
        "surveys": list(source.surveys),
        "mode": mode,
        "extrapolate": extrapolate,
        "depths": CORE_DEPTHS,
    }
    key = step_key("soil_cores", {f: hashes[f] for f in source.all_files(raw_dir)}, options)
    if (hit := cached_result(work_dir, "soil_cores", key, parameters)) is not None:
        return hit
    out = _out_dir(work_dir, "soil_cores", key)
    parameters = parameters.tracked()
    parts, species, n_cores = [], [], 0
    if source.ccn_dir is not None:
        tables = read_ccn(raw_dir / source.ccn_dir)
        for frame in (tables.cores, tables.depthseries):
            relative_source(frame, raw_dir)
        parts.append(
            validate_core_tables(
                tables.cores, tables.depthseries, tables.methods, mode=mode, parameters=parameters
            )
        )
        species.append(tables.species)
        n_cores += len(tables.cores)
    for entry in source.surveys:
        survey = read_survey(raw_dir / entry, mode=mode, tables=SURVEY_CORE_TABLES)
        for frame in (survey.cores, survey.depthseries):
            relative_source(frame, raw_dir)
        part = validate_core_tables(survey.cores, survey.depthseries, mode=mode, parameters=parameters)
        read_issues = [relative_issue(i, raw_dir) for i in survey.issues]
        parts.append(replace(part, issues=read_issues + part.issues))
        species.append(survey.species)
        n_cores += len(survey.cores)
    checked = combine_validated(parts, mode=mode)
    intervals = interval_carbon(checked.cores, checked.depthseries, checked.methods, parameters=parameters)
    stocks = pd.concat(
        [
            stocks_from_intervals(
                checked.cores, intervals, depth_cm=depth, extrapolate=extrapolate, parameters=parameters
            )
            for depth in CORE_DEPTHS
        ],
        ignore_index=True,
    )
    habitats = [Habitat.SEAGRASS, Habitat.SALT_MARSH, Habitat.MANGROVE]
    density = soil_density_by_habitat(stocks[stocks["depth_cm"] == 100.0], habitats, parameters=parameters)
    cores = checked.cores.copy()
    cores["habitat"] = normalise_habitat(cores["habitat"]).astype("string")
    settings = core_settings(intervals, parameters=parameters)
    cores = cores.merge(settings, on=["study_id", "core_id"], how="left")
    cores["setting"] = cores["setting"].fillna("unknown").astype("string")
    keep = [c for c in CORE_COLUMNS if c in cores.columns]
    uris = {
        "core_stocks": str(out / "core_stocks.parquet"),
        "core_strata": str(out / "core_strata.parquet"),
        "soil_density": str(out / "soil_density.parquet"),
        "cores": str(out / "cores.parquet"),
        "quarantine": str(out / "quarantine.parquet"),
    }
    stocks.to_parquet(uris["core_stocks"], index=False)
    core_strata(stocks, species=pd.concat(species, ignore_index=True)).to_parquet(
        uris["core_strata"], index=False
    )
    density.to_parquet(uris["soil_density"], index=False)
    cores[keep].to_parquet(uris["cores"], index=False)
    issues_frame(checked.issues).to_parquet(uris["quarantine"], index=False)
    uris["quarantine_csv"] = str(write_quarantine_report(checked.issues, out))
    info = {
        "cores": n_cores,
        "cores_used": len(cores),
        "cores_held_back": checked.n_held_back,
        "validation_errors": sum(i.severity == "error" for i in checked.issues),
        "validation_warnings": sum(i.severity == "warning" for i in checked.issues),
        "cores_reaching_30cm": int(stocks.loc[stocks["depth_cm"] == 30.0, "reached_depth"].sum()),
        "cores_reaching_100cm": int(stocks.loc[stocks["depth_cm"] == 100.0, "reached_depth"].sum()),
    }
    return _finish(out, StepResult("soil_cores", key, uris, info), parameters)


# ---------------------------------------------------------------------------- habitats
def site_habitat(
    raw_dir: Path, site: Site, work_dir: Path, hashes: Mapping[str, str], *, parameters: ParameterSet
) -> StepResult:
    """Habitat map per snapshot year (Zarr), area per year with its 95 % CI (Parquet) and the
    map's accuracy table (Parquet; "not assessed" where no reference sample exists)."""
    files = site.files(raw_dir)
    key = step_key("site_habitat", {f: hashes[f] for f in files}, {"site": site.id, **site.options})
    if (hit := cached_result(work_dir, "site_habitat", key, parameters)) is not None:
        return hit
    out = _out_dir(work_dir, "site_habitat", key)
    parameters = parameters.tracked()
    if site.source == "polygons":
        extent = _habitat_from_polygons(raw_dir, site, parameters)
    else:
        extent = _habitat_from_imagery(raw_dir, site, parameters)
    uris = {
        "habitat": str(out / "habitat.zarr"),
        "area": str(out / "area.parquet"),
        "accuracy": str(out / "accuracy.parquet"),
    }
    habitat = extent.habitat
    product = habitat.to_dataset()
    if extent.subclass is not None:
        product["subclass"] = extent.subclass
    product.rio.write_crs(habitat.rio.crs).to_zarr(uris["habitat"], mode="w", consolidated=False)
    extent.area.to_parquet(uris["area"], index=False)
    extent.accuracy.to_parquet(uris["accuracy"], index=False)
    info = {**extent.info, "accuracy_status": sorted(set(extent.accuracy["status"]))}
    return _finish(out, StepResult("site_habitat", key, uris, info), parameters)


@dataclass(frozen=True)
class _SiteExtent:
    habitat: xr.DataArray  # (year, y, x) habitat codes
    area: pd.DataFrame  # extent.AREA_COLUMNS
    accuracy: pd.DataFrame  # extent.ACCURACY_COLUMNS
    info: dict[str, Any]
    subclass: xr.DataArray | None = None  # (year, y, x) Subclass codes, 0 for none


def _habitat_from_polygons(raw_dir: Path, site: Site, parameters: ParameterSet) -> _SiteExtent:
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
    subclass = None
    if o.get("subclass_map"):
        subclass_map = {str(k): Subclass.parse(str(v)) for k, v in o["subclass_map"].items()}
        subclass = rasterize_subclass(polygons, subclass_map=subclass_map, like=habitat)
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
        area = pd.concat([area, rest], ignore_index=True)
    # Several source categories (and the background) may map to one habitat: one row each.
    area = area.groupby(["year", "habitat"], as_index=False)["area_ha"].sum().sort_values(["year", "habitat"])
    area = area_with_default_ci(area, site=site.id, area_source="survey_polygons", parameters=parameters)
    years = sorted(int(y) for y in polygons["year"].unique())
    accuracy = accuracy_not_assessed(
        area,
        site=site.id,
        reason=o.get("accuracy_note", "no independent reference sample ships with these survey polygons"),
    )
    info = {
        "years": years,
        "invalid_geometries_repaired": repairs.total_invalid,
        "invalid_geometries_by_year": {str(k): v for k, v in repairs.invalid_by_year.items()},
        "empty_geometries_dropped": repairs.empty_dropped,
    }
    return _SiteExtent(habitat, area, accuracy, info, subclass)


def _imagery_cube(raw_dir: Path, site: Site, parameters: ParameterSet) -> xr.DataArray:
    o = site.options
    paths = site.image_files(raw_dir)
    pattern = re.compile(o["date_pattern"])
    dates = []
    for p in paths:
        match = pattern.search(Path(p).name)
        if match is None:
            raise InputError(f"cannot read a date with pattern {o['date_pattern']!r}", file=p)
        dates.append(pd.Timestamp(match.group(1)))
    band_names = (
        arcsi_band_names(parameters=parameters) if o.get("band_order") == "arcsi" else o.get("band_names")
    )
    product = o.get("scaling")
    scaling: ScalingSpec = None
    if product == "sentinel2_l2a":
        # per date: the offset changed on 2022-01-25
        scaling = functools.partial(sentinel2_l2a_scaling, parameters=parameters)
    elif product is not None:
        scaling = product_scaling(product, parameters=parameters)
    return open_time_series(
        [raw_dir / p for p in paths],
        dates,
        band_names=band_names,
        sensor=o.get("sensor"),
        scaling=scaling,
        parameters=parameters,
    )


def _year_slices(cube: xr.DataArray, years: list[int], site: Site, raw_dir: Path) -> dict[int, xr.DataArray]:
    out = {}
    for year in years:
        in_year = cube.sel(time=cube["time"].dt.year == year)
        if in_year.sizes["time"] == 0:
            raise InputError(f"site {site.id}: no scene in {year}", file=raw_dir / site.options["images"])
        out[year] = in_year
    return out


def _habitat_from_imagery(raw_dir: Path, site: Site, parameters: ParameterSet) -> _SiteExtent:
    o = site.options
    cube = _imagery_cube(raw_dir, site, parameters)
    years = [int(y) for y in o["years"]]
    scenes = _year_slices(cube, years, site, raw_dir)
    if o["classifier"] == "random_forest":
        return _habitat_by_random_forest(raw_dir, site, cube, scenes, parameters)
    needed = rule_indices(o["classifier"], parameters=parameters)
    layers = []
    for year in years:
        composite = scenes[year].median("time", skipna=True)
        indices = {}
        for name in needed:
            if name == "water_frequency":
                water = spectral_index(scenes[year], o.get("water_index", "mndwi"), parameters=parameters)
                indices[name] = water_frequency(water, parameters=parameters)
            else:
                indices[name] = spectral_index(composite, name, parameters=parameters)
        layers.append(classify_rules(indices, o["classifier"], parameters=parameters))
    habitat = xr.concat(layers, dim=pd.Index(np.asarray(years, dtype="int32"), name="year"))
    habitat = habitat.rio.write_crs(cube.rio.crs).compute()
    mapped = mapped_area(habitat)
    area = area_with_default_ci(mapped, site=site.id, area_source="classified_imagery", parameters=parameters)
    accuracy = accuracy_not_assessed(
        mapped,
        site=site.id,
        reason=o.get("accuracy_note", "no reference sample exists for this rule-based map"),
    )
    info = {"years": years, "scenes": int(cube.sizes["time"]), "classifier": o["classifier"]}
    return _SiteExtent(habitat, area, accuracy, info)


_ACCURACY_FIELDS = ("users_accuracy", "users_accuracy_ci", "producers_accuracy", "producers_accuracy_ci")


def _habitat_by_random_forest(
    raw_dir: Path,
    site: Site,
    cube: xr.DataArray,
    scenes: Mapping[int, xr.DataArray],
    parameters: ParameterSet,
) -> _SiteExtent:
    """Train on the labels' year, map every year, assess the labels' year for real."""
    o = site.options
    label_habitats = {int(k): Habitat.parse(v) for k, v in o["label_habitats"].items()}
    labels_year = int(o.get("labels_year", min(scenes)))
    if labels_year not in scenes:
        raise InputError(f"site {site.id}: labels_year {labels_year} is not among the years {sorted(scenes)}")
    features = {
        year: feature_stack(
            scenes[year].median("time", skipna=True),
            indices=o.get("features", ["ndvi", "ndwi", "mndwi"]),
            parameters=parameters,
        )
        for year in scenes
    }
    labels = align_labels(
        open_raster(raw_dir / o["labels"], nodata=o.get("labels_nodata"), parameters=parameters),
        features[labels_year],
    )
    per_pixel = pixel_area_ha(cube)
    assessed = classify_and_assess(
        features[labels_year],
        labels,
        label_habitats=label_habitats,
        n_train_per_class=int(o.get("train_per_class", 300)),
        n_assess_per_class=int(o.get("assess_per_class", 150)),
        n_estimators=int(o.get("n_estimators", 100)),
        seed=int(o.get("seed", 0)),
        pixel_area_ha=per_pixel,
    )
    layers = [
        assessed.habitat
        if year == labels_year
        else recode(predict(assessed.forest, features[year]), label_habitats)
        for year in sorted(scenes)
    ]
    habitat = xr.concat(layers, dim=pd.Index(np.asarray(sorted(scenes), dtype="int32"), name="year"))
    habitat = habitat.rio.write_crs(cube.rio.crs).compute()
    habitat.attrs, habitat.encoding = assessed.habitat.attrs, assessed.habitat.encoding
    reference = o.get("reference_note", f"labels {o['labels']}")
    design = (
        f"stratified random by map class, {int(o.get('assess_per_class', 150))} pixels per class, "
        "excluding training pixels"
    )
    mapped = mapped_area(habitat)
    other_years = [y for y in sorted(scenes) if y != labels_year]
    area = pd.concat(
        [
            area_from_estimate(assessed.estimate, site=site.id, year=labels_year),
            area_with_default_ci(
                mapped[mapped["year"].isin(other_years)],
                site=site.id,
                area_source="classified_imagery",
                parameters=parameters,
            ),
        ],
        ignore_index=True,
    )
    accuracy = pd.concat(
        [
            accuracy_from_estimate(
                assessed.estimate, site=site.id, year=labels_year, reference=reference, sample_design=design
            ),
            accuracy_not_assessed(
                mapped[mapped["year"].isin(other_years)],
                site=site.id,
                reason=f"the reference labels describe {labels_year} only",
            ),
        ],
        ignore_index=True,
    )
    info = {
        "years": sorted(scenes),
        "scenes": int(cube.sizes["time"]),
        "classifier": "random_forest",
        "n_training": assessed.n_training,
        "n_assessment": assessed.n_assessment,
        "overall_accuracy": round(float(assessed.estimate.attrs["overall_accuracy"]), 4),
        "overall_accuracy_ci": round(float(assessed.estimate.attrs["overall_accuracy_ci"]), 4),
        "label_classes_overall_accuracy": round(float(assessed.label_estimate.attrs["overall_accuracy"]), 4),
        "label_classes_overall_accuracy_ci": round(
            float(assessed.label_estimate.attrs["overall_accuracy_ci"]), 4
        ),
        "label_classes_accuracy": {
            str(code): {k: round(float(row[k]), 4) for k in _ACCURACY_FIELDS}
            for code, row in assessed.label_estimate.iterrows()
        },
    }
    return _SiteExtent(habitat, area, accuracy, info)


# ----------------------------------------------------------------------------- carbon
def site_carbon(
    site: Site,
    habitat: StepResult,
    soil: StepResult,
    work_dir: Path,
    parcels: StepResult | None = None,
    *,
    parameters: ParameterSet,
) -> StepResult:
    """Carbon per pixel and habitat from the site's habitat maps: the transition engine (stocks by
    pool, buried carbon, accumulation, emissions, net flux) written as a ``carbon`` Zarr product,
    and the tables of :func:`bluecarbon.carbon.stocks.site_totals` (class totals, site balance
    and, with ``parcels``, parcel totals), from soil densities chosen by the representativeness
    rule (:func:`bluecarbon.carbon.representative.representative_soil_density`)."""
    o = site.options
    inputs = {"habitat": habitat.identity, "soil": soil.identity} | (
        {"parcels": parcels.identity} if parcels else {}
    )
    chosen = {k: o.get(k) for k in ("soil_cores", "setting", "climate_zone", "reference_point")}
    options = {"site": site.id, "engine": CARBON_ENGINE, **chosen}
    key = step_key("site_carbon", inputs, options)
    if (hit := cached_result(work_dir, "site_carbon", key, parameters)) is not None:
        return hit
    out = _out_dir(work_dir, "site_carbon", key)
    parameters = parameters.tracked()
    product = xr.open_zarr(habitat.uris["habitat"], consolidated=False, decode_coords="all")
    maps = product["habitat"]
    subclasses = product.get("subclass")
    point = tuple(o["reference_point"]) if o.get("reference_point") else reference_point(maps)
    depth = parameters.value("soil_defaults", "soil_accounting_depth_cm")
    stocks = pd.read_parquet(soil.uris["core_stocks"])
    density = representative_soil_density(
        stocks[stocks["depth_cm"] == depth],
        pd.read_parquet(soil.uris["cores"]),
        [Habitat.SEAGRASS, Habitat.SALT_MARSH, Habitat.MANGROVE],
        site_point=(float(point[0]), float(point[1])),
        setting=o.get("setting"),
        parameters=parameters,
        selections=o.get("soil_cores"),
    )
    area = pd.read_parquet(habitat.uris["area"])
    zones: xr.DataArray | None = None
    zone_ids: tuple[str, ...] = ()
    if parcels is not None:
        site_parcels = gpd.read_parquet(parcels.uris["parcels"])
        site_parcels = site_parcels[site_parcels["site"] == site.id]
        if not site_parcels.empty:
            zones, zone_ids = zone_raster(site_parcels, maps.isel(year=0))
    run = habitat_carbon_run(
        maps,
        density,
        subclass_maps=subclasses,
        climate_zone=o.get("climate_zone"),
        zones=zones,
        zone_ids=zone_ids,
        parameters=parameters,
    )
    uris = {
        "carbon": str(out / "carbon.zarr"),
        "totals": str(out / "class_totals.parquet"),
        "balance": str(out / "site_balance.parquet"),
        "soil_density": str(out / "soil_density.parquet"),
    }
    density.assign(site=site.id).to_parquet(uris["soil_density"], index=False)
    write = run.dataset.to_zarr(uris["carbon"], mode="w", consolidated=False, compute=False)
    _, histogram = dask.compute(write, run.histogram)
    report = nodata_report(histogram, run)
    totals = site_totals(
        run,
        histogram,
        area,
        density,
        site=site.id,
        uncertainty=UncertaintySettings.from_parameters(parameters),
        parameters=parameters,
    )
    totals.class_totals.to_parquet(uris["totals"], index=False)
    totals.site_balance.to_parquet(uris["balance"], index=False)
    if zone_ids and not totals.parcel_totals.empty:
        uris["parcel_totals"] = str(out / "parcel_totals.parquet")
        totals.parcel_totals.to_parquet(uris["parcel_totals"], index=False)
    info = {
        "site": site.id,
        "reference_point": [round(float(point[0]), 4), round(float(point[1]), 4)],
        "soil_density_sources": {r.habitat: r.density_source for r in density.itertuples()},
        **report.as_attrs(),
    }
    return _finish(out, StepResult("site_carbon", key, uris, info), parameters)


def reference_point(maps: xr.DataArray) -> tuple[float, float]:
    """(longitude, latitude) of the centre of a site's mapped grid, in WGS84."""
    from pyproj import Transformer

    crs = maps.rio.crs
    if crs is None:
        raise InputError("habitat maps have no CRS", expected="a projected CRS")
    x = float(maps["x"].values.mean())
    y = float(maps["y"].values.mean())
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return float(lon), float(lat)


# ---------------------------------------------------------------------------- parcels
def parcels(
    raw_dir: Path,
    sources: tuple[ParcelSpec, ...],
    work_dir: Path,
    hashes: Mapping[str, str],
    *,
    parameters: ParameterSet,
) -> StepResult:
    """Validated parcels from vector files (see :mod:`bluecarbon.ingest.parcels`)."""
    key = step_key(
        "parcels",
        {str(s.file): hashes[str(s.file)] for s in sources},
        {"sources": [asdict(s) for s in sources]},
    )
    if (hit := cached_result(work_dir, "parcels", key, parameters)) is not None:
        return hit
    out = _out_dir(work_dir, "parcels", key)
    parameters = parameters.tracked()
    frames = [read_parcels(replace(s, file=raw_dir / s.file)) for s in sources]
    merged = combine_parcels(frames)
    uri = str(out / "parcels.parquet")
    merged.to_parquet(uri, index=False)
    info = {"parcels": len(merged), "geometries_repaired": int(merged["geometry_repaired"].sum())}
    return _finish(out, StepResult("parcels", key, {"parcels": uri}, info), parameters)


def release_key(study: Study, hashes: Mapping[str, str], parameters: ParameterSet) -> str:
    """Idempotency key of a release: inputs + parameters (every table, the study) + version."""
    return fingerprint(
        inputs=hashes,
        parameters={"tables": parameters.digest, "study": study.digest},
    )
