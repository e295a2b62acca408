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

from bluecarbon.carbon.shellfish import harvest_class_totals, harvest_parcel_totals
from bluecarbon.fingerprint import code_version
from bluecarbon.manifest import ManifestEntry
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.field import field_tables
from bluecarbon.pipeline.steps import StepResult, headline
from bluecarbon.pipeline.study import Study
from bluecarbon.store import ReleaseBundle

METHOD = {
    "validation": "cores, plots and harvests validated (pandera schemas and relational rules); invalid rows "
    "quarantined and listed in the quarantine table, or the run fails (per configuration)",
    "soil": "core stocks to 1 m (Howard et al. 2014; CCN horizons, LOI equations or site regressions, "
    "ideal-mixing DBD gap-fill, Fourqurean carbonate trap), no extrapolation; per habitat, mean and SE "
    "of the cores selected for the site (its region) when >= 3 reach 1 m, else of all cores, else the "
    "IPCC 2013 Wetlands Supplement Tier 1 default",
    "shellfish": "HY/T 0305-2021 harvest removal: production x dry/wet x (shell share x C shell + tissue "
    "share x C tissue), class coefficients of Sun et al. 2020; shell carbon is national-standard basis only",
    "carbon": "transition engine (bluecarbon.carbon.engine, default mode: see docs/invest-differences.md): "
    "stocks by pool per pixel and year, accumulation at IPCC Tier 1 rates, disturbance emissions with "
    "closed-form half-life decay, net sequestration; Monte Carlo (seeded) P5/P50/P95 per class and parcel; "
    "VM0033 deduction and non-permanence buffer for conservative values",
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
    area = pd.concat([pd.read_parquet(r.uris["area"]) for r in habitats.values()], ignore_index=True)
    tables: dict[str, pd.DataFrame] = {
        **field_tables([soil, *field_results]),
        "habitat_area": area,
        "class_totals": totals,
        "parcels": gpd.read_parquet(parcels.uris["parcels"]),
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
    accuracy = [pd.read_parquet(r.uris["accuracy"]) for r in habitats.values() if "accuracy" in r.uris]
    if accuracy:
        tables["accuracy"] = pd.concat(accuracy, ignore_index=True)
    provenance = {
        "study": {"name": study.name, "file": study.path.name, "sha256_canonical": study.digest},
        "inputs": [entries[k].as_dict() for k in sorted(entries)],
        "parameters": parameters.provenance(),
        "parameters_sha256": parameters.digest,
        "method": METHOD,
        "package_version": code_version(),
        "git_commit": git,
        "site_subclasses": {s.id: dict(s.options.get("subclasses", {})) for s in study.sites},
        "flow_run_id": flow_run_id,
        "steps": {
            r.step + (f":{site}" if site else ""): r.key
            for site, r in _all_steps(soil, habitats, carbon, parcels)
        },
        **(dict(extra_provenance) if extra_provenance else {}),
    }
    summary = {"headline": headline(totals).to_dict(orient="records")}
    return ReleaseBundle(
        products=products, tables=tables, idempotency_key=key, provenance=provenance, summary=summary
    )


def _all_steps(
    soil: StepResult,
    habitats: Mapping[str, StepResult],
    carbon: Mapping[str, StepResult],
    parcels: StepResult,
) -> Sequence[tuple[str, StepResult]]:
    return [("", soil), ("", parcels), *habitats.items(), *carbon.items()]
