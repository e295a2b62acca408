"""The carbon step: a site's carbon per pixel, its totals per class, parcel and period.

It joins what the other steps made: the habitat maps, the cores (for the representative soil
density of this site, chosen by distance and setting), and the parcels (as zones). The
transition engine computes stocks by pool, buried carbon, accumulation, emissions and net
flux; :func:`bluecarbon.carbon.stocks.site_totals` sums them with their uncertainty.
"""

from __future__ import annotations

from pathlib import Path

import dask
import geopandas as gpd
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from bluecarbon.carbon.regional import rate_references, with_soil_references
from bluecarbon.carbon.representative import representative_soil_density
from bluecarbon.carbon.stocks import habitat_carbon_run, site_totals
from bluecarbon.carbon.transitions import nodata_report
from bluecarbon.carbon.uncertainty import UncertaintySettings
from bluecarbon.carbon.zonal import zone_raster
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.cache import StepResult, cached_result, finish, out_dir, step_key
from bluecarbon.pipeline.study import Site
from bluecarbon.vocab import Habitat

#: Version of the carbon step's method; part of its fingerprint.
CARBON_ENGINE = "transitions-1"


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
    inputs = {"habitat": habitat.identity, "soil": soil.identity} | (
        {"parcels": parcels.identity} if parcels else {}
    )
    chosen = {
        k: site.options.get(k) for k in ("soil_cores", "setting", "climate_zone", "reference_point", "region")
    }
    options = {"site": site.id, "engine": CARBON_ENGINE, **chosen}
    key = step_key("site_carbon", inputs, options)
    if (hit := cached_result(work_dir, "site_carbon", key, parameters)) is not None:
        return hit
    out = out_dir(work_dir, "site_carbon", key)
    parameters = parameters.tracked()
    product = xr.open_zarr(habitat.uris["habitat"], consolidated=False, decode_coords="all")
    maps = product["habitat"]
    subclasses = product.get("subclass")
    point = site.reference_point or reference_point(maps)
    depth = parameters.value("soil_defaults", "soil_accounting_depth_cm")
    stocks = pd.read_parquet(soil.uris["core_stocks"])
    density = representative_soil_density(
        stocks[stocks["depth_cm"] == depth],
        pd.read_parquet(soil.uris["cores"]),
        [Habitat.SEAGRASS, Habitat.SALT_MARSH, Habitat.MANGROVE],
        site_point=(float(point[0]), float(point[1])),
        setting=site.setting,
        parameters=parameters,
        selections=site.soil_cores or None,
    )
    if site.region is not None:  # published regional stocks beside the density (a check, not an input)
        density = with_soil_references(density, site.region, parameters=parameters)
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
        climate_zone=site.climate_zone,
        region=site.region,
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
    if site.region is not None:
        info["region"] = site.region
        info["reference_checks"] = _reference_checks(density, site.region, parameters)
    return finish(out, StepResult("site_carbon", key, uris, info), parameters)


def _reference_checks(
    density: pd.DataFrame, region: str, parameters: ParameterSet
) -> list[dict[str, object]]:
    """The region's published values beside the release's (run summary): soil stocks against
    the densities, accumulation against the IPCC Tier 1 rates the engine applies, biomass
    surveys against the applied regional mean."""
    soil = [
        {
            "parameter": "soil_carbon_stock_1m",
            "habitat": str(r.habitat),
            "used": round(float(r.soil_mg_c_ha), 2),
            "reference_low": r.reference_low_mg_c_ha,
            "reference_high": r.reference_high_mg_c_ha,
            "verified": r.reference_verified,
            "check": r.reference_check,
        }
        for r in density.itertuples()
        if r.reference_check != "not_compared"
    ]
    habitats = [Habitat.SEAGRASS, Habitat.SALT_MARSH, Habitat.MANGROVE]
    rates = {
        h.value: p.value
        for h in habitats
        if (p := parameters.optional("ipcc_tier1", "soil_carbon_accumulation", h.value)) is not None
    }
    return soil + rate_references(rates, region, parameters=parameters, habitats=habitats)


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
