"""Assemble step results into one :class:`~bluecarbon.store.ReleaseBundle` with provenance.

Kept apart from the steps because it is the single place that decides what a release holds
(products, tables, provenance, headline summary); the store then publishes it atomically.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import xarray as xr

from bluecarbon.carbon.credits import parcel_credits
from bluecarbon.carbon.shellfish import harvest_class_totals, harvest_parcel_totals
from bluecarbon.fingerprint import code_version
from bluecarbon.manifest import ManifestEntry
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.cache import StepResult
from bluecarbon.pipeline.field import field_tables
from bluecarbon.pipeline.report import headline
from bluecarbon.pipeline.study import Site, Study
from bluecarbon.store import ReleaseBundle

METHOD = {
    "validation": "cores, plots and harvests validated (pandera schemas and relational rules); invalid rows "
    "quarantined and listed in the quarantine table, or the run fails (per configuration)",
    "soil": "core stocks to the 100 cm accounting depth (Howard et al. 2014; CCN horizons, LOI equations or "
    "site regressions, ideal-mixing DBD gap-fill, Fourqurean carbonate trap), no extrapolation; per site and "
    "habitat, the mean of the cores measured to 100 cm within 400 km in a compatible sediment setting "
    "(carbonate or siliciclastic) when at least 5 exist, with a representativeness term (between-site "
    "spread) in its uncertainty; else the IPCC 2013 Wetlands Supplement Tier 1 default, flagged; where the "
    "study names a region, the region's published soil stocks are a check beside the density, never an input",
    "shellfish": "HY/T 0305-2021 harvest removal: production x dry/wet x (shell share x C shell + tissue "
    "share x C tissue), class coefficients of Sun et al. 2020; FAO seaweed live weight converted with the "
    "yearbook dry/live ratio; removal is an annual flow, tissue and shell shown apart; credits count "
    "tissue carbon unless the crediting table says otherwise",
    "carbon": "transition engine (bluecarbon.carbon.transitions, default mode: see docs/accounting.md): "
    "stocks by pool per pixel and year carried over between maps (mapping noise cannot create carbon), soil "
    "burial a flux below the fixed accounting depth, changes dated half way between maps, accumulation at "
    "IPCC Tier 1 rates, disturbance emissions with closed-form half-life decay; mangrove biomass from IPCC "
    "Tier 1 by climate zone; living biomass from the region's surveys where the study names a region "
    "(regional_parameters, applied rows); patchy cover weights per-hectare stocks; one seeded Monte Carlo "
    "(area, density and representativeness) per site, summed draw by draw per habitat, parcel and site",
    "conservative": "conservative stock = min(P5, central) less stocks at risk (Spartina alterniflora), "
    "never above P5; creditable = net removals against a no-change baseline over a crediting period, less "
    "the VM0033 uncertainty deduction (eq. 92) and the non-permanence buffer, zero when not positive",
    "area": "survey polygons on EPSG:6933, or pixel counts of classified imagery; error-adjusted "
    "stratified estimates with 95 % CI (Olofsson et al. 2014) where a reference sample exists, else a "
    "documented default CI",
    "mode": "default",
}


def git_commit(root: Path) -> str:
    """``git rev-parse HEAD`` of ``root`` (``+dirty`` when modified), or ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def assemble_bundle(
    *,
    study: Study,
    key: str,
    entries: Mapping[str, ManifestEntry],
    soil: StepResult,
    habitats: Mapping[str, StepResult],
    carbon: Mapping[str, StepResult],
    parcels: StepResult,
    field_results: Sequence[StepResult] = (),
    parameters: ParameterSet,
    flow_run_id: str | None,
    git: str,
    extra_provenance: Mapping[str, Any] | None = None,
) -> ReleaseBundle:
    """Products ``<site>/habitat`` and ``<site>/carbon``; tables; provenance; summary."""
    products: dict[str, xr.Dataset] = {}
    for site_id, result in habitats.items():
        products[f"{site_id}/habitat"] = xr.open_zarr(
            result.uris["habitat"], consolidated=False, decode_coords="all"
        )
    for site_id, result in carbon.items():
        products[f"{site_id}/carbon"] = xr.open_zarr(
            result.uris["carbon"], consolidated=False, decode_coords="all"
        )
    totals = pd.concat([pd.read_parquet(r.uris["totals"]) for r in carbon.values()], ignore_index=True)
    balance = pd.concat(
        [pd.read_parquet(r.uris["balance"]) for r in carbon.values() if "balance" in r.uris],
        ignore_index=True,
    )
    parcel_frame = gpd.read_parquet(parcels.uris["parcels"])
    harvest_frames = [pd.read_parquet(r.uris["harvests"]) for r in field_results if "harvests" in r.uris]
    harvests = pd.concat(harvest_frames, ignore_index=True) if harvest_frames else None
    farm_totals = None
    if harvests is not None:  # harvest removal joins the totals as pool "shellfish"
        national = harvests[harvests["country"].notna() & harvests["farm_id"].isna()]
        if not national.empty:
            totals = pd.concat(
                [totals, harvest_class_totals(national, parameters=parameters)], ignore_index=True
            )
        farms = harvests[harvests["farm_id"].notna()]
        if not farms.empty:
            farm_totals = harvest_parcel_totals(farms, parameters=parameters)
            sites = parcel_frame.set_index("parcel_id")["site"]
            farm_totals = farm_totals.assign(site=farm_totals["parcel_id"].map(sites))
    area = pd.concat([pd.read_parquet(r.uris["area"]) for r in habitats.values()], ignore_index=True)
    tables: dict[str, pd.DataFrame] = {
        **field_tables([soil, *field_results]),
        "habitat_area": area,
        "class_totals": totals,
        "site_balance": balance,
        "parcels": parcel_frame,
        "parameters": parameters.to_frame(),
    }
    site_density = [
        pd.read_parquet(r.uris["soil_density"]) for r in carbon.values() if "soil_density" in r.uris
    ]
    if site_density:  # the densities each site used, beside the all-cores ones
        general = tables["soil_density"].assign(site="all")
        tables["soil_density"] = pd.concat([general, *site_density], ignore_index=True)
    parcel_totals = [
        pd.read_parquet(r.uris["parcel_totals"]) for r in carbon.values() if "parcel_totals" in r.uris
    ]
    if farm_totals is not None:
        parcel_totals.append(farm_totals)
    if parcel_totals:
        tables["parcel_totals"] = pd.concat(parcel_totals, ignore_index=True)
        tables["parcel_credits"] = parcel_credits(tables["parcel_totals"], parameters=parameters)
    accuracy = [pd.read_parquet(r.uris["accuracy"]) for r in habitats.values() if "accuracy" in r.uris]
    if accuracy:
        tables["accuracy"] = pd.concat(accuracy, ignore_index=True)
    provenance = {
        "study": {
            "name": study.name,
            "file": study.path.name,
            "sha256_canonical": study.digest,
            "sites": [_site_names(site) for site in study.sites],
        },
        "inputs": [entries[k].as_dict() for k in sorted(entries)],
        "parameters": parameters.provenance(),
        "parameters_sha256": parameters.digest,
        "method": METHOD,
        "package_version": code_version(),
        "git_commit": git,
        "flow_run_id": flow_run_id,
        "steps": {
            r.step + (f":{site}" if site else ""): r.key
            for site, r in _all_steps(soil, habitats, carbon, parcels)
        },
        **(dict(extra_provenance) if extra_provenance else {}),
    }
    summary = {
        "headline": headline(totals, balance).to_dict(orient="records"),
        "soil_depth_cm": parameters.value("soil_defaults", "soil_accounting_depth_cm"),
    }
    return ReleaseBundle(
        products=products, tables=tables, idempotency_key=key, provenance=provenance, summary=summary
    )


def _site_names(site: Site) -> dict[str, str]:
    """Id and names of a study site (``name_zh`` when the study gives one): figure titles and
    statements name sites by them."""
    names = {"id": site.id, "name": site.name}
    if site.name_zh:
        names["name_zh"] = site.name_zh
    return names


def _all_steps(
    soil: StepResult,
    habitats: Mapping[str, StepResult],
    carbon: Mapping[str, StepResult],
    parcels: StepResult,
) -> Sequence[tuple[str, StepResult]]:
    return [("", soil), ("", parcels), *habitats.items(), *carbon.items()]
