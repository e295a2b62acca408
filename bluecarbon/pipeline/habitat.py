"""The habitat step: a site's habitat maps, areas and accuracy, cached and written.

The mapping itself lives in :mod:`bluecarbon.habitat.site`; this module only keys the work on
the site's raw files and options, and writes the maps (Zarr, with the subclass layer when the
site has one) and the tables (Parquet) the carbon step and the release read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import rioxarray  # noqa: F401  (registers the .rio accessor)

from bluecarbon.habitat.site import habitat_from_imagery, habitat_from_polygons
from bluecarbon.habitat.specs import PolygonMapping
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.cache import StepResult, cached_result, finish, out_dir, step_key
from bluecarbon.pipeline.study import Site


def site_habitat(
    raw_dir: Path, site: Site, work_dir: Path, hashes: Mapping[str, str], *, parameters: ParameterSet
) -> StepResult:
    """Habitat map per snapshot year (Zarr), area per year with its 95 % CI (Parquet) and the
    map's accuracy table (Parquet; "not assessed" where no reference sample exists)."""
    files = site.files(raw_dir)
    key = step_key("site_habitat", {f: hashes[f] for f in files}, {"site": site.id, **site.options})
    if (hit := cached_result(work_dir, "site_habitat", key, parameters)) is not None:
        return hit
    out = out_dir(work_dir, "site_habitat", key)
    parameters = parameters.tracked()
    if isinstance(site.mapping, PolygonMapping):
        extent = habitat_from_polygons(
            raw_dir, site.id, site.mapping, accuracy_note=site.accuracy_note, parameters=parameters
        )
    else:
        extent = habitat_from_imagery(
            raw_dir,
            site.id,
            site.mapping,
            site.image_files(raw_dir),
            accuracy_note=site.accuracy_note,
            parameters=parameters,
        )
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
    return finish(out, StepResult("site_habitat", key, uris, info), parameters)
