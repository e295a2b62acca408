"""A site's habitat extent per snapshot year: from survey polygons or from classified imagery.

This is the habitat half of the monitoring pipeline, without its caching: given a site's typed
mapping (:mod:`bluecarbon.habitat.specs`) it returns the habitat maps (and subclass maps), the
area of each habitat per year with its 95 % CI, and the map's accuracy table, "not assessed"
where no independent reference sample exists. The pipeline step
(:func:`bluecarbon.pipeline.habitat.site_habitat`) caches and writes them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from bluecarbon.errors import InputError
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
from bluecarbon.habitat.specs import ImageryMapping, PolygonMapping
from bluecarbon.ingest.rasters import (
    ScalingSpec,
    arcsi_band_names,
    open_raster,
    open_time_series,
    product_scaling,
    sentinel2_l2a_scaling,
)
from bluecarbon.params import ParameterSet
from bluecarbon.units import M2_PER_HA
from bluecarbon.vocab import Habitat, Subclass


@dataclass(frozen=True)
class SiteExtent:
    habitat: xr.DataArray  # (year, y, x) habitat codes
    area: pd.DataFrame  # extent.AREA_COLUMNS
    accuracy: pd.DataFrame  # extent.ACCURACY_COLUMNS
    info: dict[str, Any]
    subclass: xr.DataArray | None = None  # (year, y, x) Subclass codes, 0 for none


def habitat_from_polygons(
    raw_dir: Path, site_id: str, m: PolygonMapping, *, accuracy_note: str | None, parameters: ParameterSet
) -> SiteExtent:
    """Habitat maps, areas and accuracy of a site mapped from survey polygons."""
    class_map = {k: Habitat.parse(v) for k, v in m.class_map.items()}
    polygons, repairs = read_habitat_polygons(
        raw_dir / m.polygons,
        class_map=class_map,
        class_column=m.class_column,
        year_column=m.year_column,
    )
    extent = None
    if m.extent is not None:
        extent = gpd.read_file(raw_dir / m.extent)
        for column, value in m.extent_where.items():
            extent = extent[extent[column] == value]
        if extent.empty:
            raise InputError(
                f"site {site_id}: extent filter {m.extent_where} selects nothing",
                file=raw_dir / m.extent,
            )
    background = Habitat.parse(m.background)
    habitat = rasterize_habitat(
        polygons, crs=m.crs, resolution=m.resolution_m, background=background, extent=extent
    )
    subclass = None
    if m.subclass_map:
        subclass_map = {str(k): Subclass.parse(str(v)) for k, v in m.subclass_map.items()}
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
    area = area_with_default_ci(area, site=site_id, area_source="survey_polygons", parameters=parameters)
    years = sorted(int(y) for y in polygons["year"].unique())
    accuracy = accuracy_not_assessed(
        area,
        site=site_id,
        reason=accuracy_note or "no independent reference sample ships with these survey polygons",
    )
    info = {
        "years": years,
        "invalid_geometries_repaired": repairs.total_invalid,
        "invalid_geometries_by_year": {str(k): v for k, v in repairs.invalid_by_year.items()},
        "empty_geometries_dropped": repairs.empty_dropped,
    }
    return SiteExtent(habitat, area, accuracy, info, subclass)


def imagery_cube(
    raw_dir: Path, paths: list[str], m: ImageryMapping, *, parameters: ParameterSet
) -> xr.DataArray:
    """The site's scenes as one (time, band, y, x) cube, scaled to reflectance."""
    pattern = re.compile(m.date_pattern)
    dates = []
    for p in paths:
        match = pattern.search(Path(p).name)
        if match is None:
            raise InputError(f"cannot read a date with pattern {m.date_pattern!r}", file=p)
        dates.append(pd.Timestamp(match.group(1)))
    band_names = (
        arcsi_band_names(parameters=parameters)
        if m.band_order == "arcsi"
        else (list(m.band_names) if m.band_names else None)
    )
    product = m.scaling
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
        sensor=m.sensor,
        scaling=scaling,
        parameters=parameters,
    )


def _year_slices(cube: xr.DataArray, years: list[int], site_id: str, images: Path) -> dict[int, xr.DataArray]:
    out = {}
    for year in years:
        in_year = cube.sel(time=cube["time"].dt.year == year)
        if in_year.sizes["time"] == 0:
            raise InputError(f"site {site_id}: no scene in {year}", file=images)
        out[year] = in_year
    return out


def habitat_from_imagery(
    raw_dir: Path,
    site_id: str,
    m: ImageryMapping,
    paths: list[str],
    *,
    accuracy_note: str | None,
    parameters: ParameterSet,
) -> SiteExtent:
    """Habitat maps, areas and accuracy of a site classified from imagery (``paths``: its
    scenes relative to ``raw_dir``): rule sets, or a random forest assessed on its labels."""
    cube = imagery_cube(raw_dir, paths, m, parameters=parameters)
    years = list(m.years)
    scenes = _year_slices(cube, years, site_id, raw_dir / m.images)
    if m.classifier == "random_forest":
        return _habitat_by_random_forest(raw_dir, site_id, m, cube, scenes, parameters)
    needed = rule_indices(m.classifier, parameters=parameters)
    layers = []
    for year in years:
        composite = scenes[year].median("time", skipna=True)
        indices = {}
        for name in needed:
            if name == "water_frequency":
                water = spectral_index(scenes[year], m.water_index, parameters=parameters)
                indices[name] = water_frequency(water, parameters=parameters)
            else:
                indices[name] = spectral_index(composite, name, parameters=parameters)
        layers.append(classify_rules(indices, m.classifier, parameters=parameters))
    habitat = xr.concat(layers, dim=pd.Index(np.asarray(years, dtype="int32"), name="year"))
    habitat = habitat.rio.write_crs(cube.rio.crs).compute()
    mapped = mapped_area(habitat)
    area = area_with_default_ci(mapped, site=site_id, area_source="classified_imagery", parameters=parameters)
    accuracy = accuracy_not_assessed(
        mapped,
        site=site_id,
        reason=accuracy_note or "no reference sample exists for this rule-based map",
    )
    info = {"years": years, "scenes": int(cube.sizes["time"]), "classifier": m.classifier}
    return SiteExtent(habitat, area, accuracy, info)


_ACCURACY_FIELDS = ("users_accuracy", "users_accuracy_ci", "producers_accuracy", "producers_accuracy_ci")


def _habitat_by_random_forest(
    raw_dir: Path,
    site_id: str,
    m: ImageryMapping,
    cube: xr.DataArray,
    scenes: Mapping[int, xr.DataArray],
    parameters: ParameterSet,
) -> SiteExtent:
    """Train on the labels' year, map every year, assess the labels' year for real."""
    if m.labels is None or not m.label_habitats:
        raise InputError(f"site {site_id}: a random forest needs labels and label_habitats")
    label_habitats = {k: Habitat.parse(v) for k, v in m.label_habitats.items()}
    labels_year = m.labels_year if m.labels_year is not None else min(scenes)
    if labels_year not in scenes:
        raise InputError(f"site {site_id}: labels_year {labels_year} is not among the years {sorted(scenes)}")
    features = {
        year: feature_stack(
            scenes[year].median("time", skipna=True),
            indices=list(m.features),
            parameters=parameters,
        )
        for year in scenes
    }
    labels = align_labels(
        open_raster(raw_dir / m.labels, nodata=m.labels_nodata, parameters=parameters),
        features[labels_year],
    )
    per_pixel = pixel_area_ha(cube)
    assessed = classify_and_assess(
        features[labels_year],
        labels,
        label_habitats=label_habitats,
        n_train_per_class=m.train_per_class,
        n_assess_per_class=m.assess_per_class,
        n_estimators=m.n_estimators,
        seed=m.seed,
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
    reference = m.reference_note or f"labels {m.labels}"
    design = (
        f"stratified random by map class, {m.assess_per_class} pixels per class, excluding training pixels"
    )
    mapped = mapped_area(habitat)
    other_years = [y for y in sorted(scenes) if y != labels_year]
    area = pd.concat(
        [
            area_from_estimate(assessed.estimate, site=site_id, year=labels_year),
            area_with_default_ci(
                mapped[mapped["year"].isin(other_years)],
                site=site_id,
                area_source="classified_imagery",
                parameters=parameters,
            ),
        ],
        ignore_index=True,
    )
    accuracy = pd.concat(
        [
            accuracy_from_estimate(
                assessed.estimate, site=site_id, year=labels_year, reference=reference, sample_design=design
            ),
            accuracy_not_assessed(
                mapped[mapped["year"].isin(other_years)],
                site=site_id,
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
    return SiteExtent(habitat, area, accuracy, info)
