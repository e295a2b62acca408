"""Which soil cores represent a site, and how sure we can be that they do.

Why a rule of its own: the first version let a study pick cores by a bounding box, and Old Tampa
Bay's seagrass soil came out 1.65x the IPCC default from six carbonate-mud cores of Florida Bay,
375 km away, while siliciclastic cores of the same box held far less. A lender cannot check a
bounding box; a rule stated in the parameter tables can be checked:

1. cores of the habitat that reach the accounting depth (``soil_accounting_depth_cm``), measured
   to it (never extrapolated);
2. within ``core_search_radius_km`` (great-circle distance) of the site's reference point;
3. in a compatible sediment setting: a core whose measured inorganic carbon says it is
   carbonate (CaCO3 above ``carbonate_fraction_threshold`` of dry mass) does not represent a
   siliciclastic site, nor the reverse; cores of unknown setting are kept;
4. at least ``min_cores_for_site_estimate`` of them, else the IPCC Tier 1 default, flagged.

The density is the mean of the chosen cores. Its uncertainty has two parts added in quadrature.
Sampling: the standard error of the regional mean at the level of sites (the sites the cores
come from, SD of site means / sqrt(number of sites); cores of one site are not independent
samples of a region), or of cores when they all come from one site. Representativeness: how far
the mapped site may sit from that regional mean, the SD of the site means; zero when the cores
sample the site itself (median distance within ``local_cores_km``). A Tier 1 density carries
the IPCC range's SE and ``tier1_representativeness_relative_se``.
Every row says how many cores, studies and sites it rests on, how far away they are and which
rule applied, so a statement can flag ``tier1_density`` and ``distant_cores``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from bluecarbon.carbon.uncertainty import se_from_range
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.vocab import Habitat

#: Mean Earth radius (km), IUGG.
EARTH_RADIUS_KM: Final[float] = 6371.0088
#: CaCO3 per inorganic C by mass (100.0869 / 12.0107).
CACO3_PER_C: Final[float] = 100.0869 / 12.0107
SETTINGS: Final[tuple[str, ...]] = ("carbonate", "siliciclastic")

DENSITY_COLUMNS: Final[tuple[str, ...]] = (
    "habitat",
    "soil_mg_c_ha",
    "soil_se_mg_c_ha",
    "sampling_se_mg_c_ha",
    "representativeness_se_mg_c_ha",
    "n_cores",
    "n_studies",
    "n_sites",
    "median_distance_km",
    "max_distance_km",
    "density_source",
    "rule",
    "flags",
    "soil_depth_cm",
    "source",
)


def great_circle_km(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    """Haversine distance (km) from (lon0, lat0) to each point, on a sphere of mean radius.

    Notes
    -----
    d = 2 R asin(sqrt(sin^2((phi - phi0)/2) + cos(phi) cos(phi0) sin^2((lambda - lambda0)/2)))
    """
    phi, phi0 = np.radians(np.asarray(lat, dtype=np.float64)), np.radians(lat0)
    dl = np.radians(np.asarray(lon, dtype=np.float64) - lon0)
    h = np.sin((phi - phi0) / 2.0) ** 2 + np.cos(phi) * np.cos(phi0) * np.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def core_settings(intervals: pd.DataFrame, *, parameters: ParameterSet) -> pd.DataFrame:
    """Per core: mean CaCO3 fraction of dry mass where inorganic carbon was measured, and the
    sediment ``setting`` it implies (``carbonate``, ``siliciclastic`` or ``unknown``).

    Inorganic carbon is total carbon less organic carbon where both were measured on the same
    interval: the Fourqurean et al. 2012 rows of the Coastal Carbon Library (total carbon in
    ``fraction_carbon``, organic carbon in ``fraction_organic_matter``, flagged ``trap``).

    Notes
    -----
    CaCO3 = (TC - OC) x 100.0869 / 12.0107; carbonate when the core's mean CaCO3 fraction
    exceeds ``carbonate_fraction_threshold``.
    """
    threshold = parameters.value("soil_defaults", "carbonate_fraction_threshold")
    trap = intervals.get("trap", pd.Series(False, index=intervals.index)).astype(bool)
    tc = intervals["fraction_carbon"].where(trap)
    oc = intervals["fraction_organic_matter"].where(trap)
    caco3 = ((tc - oc) * CACO3_PER_C).clip(lower=0.0, upper=1.0)
    per_core = (
        intervals.assign(_caco3=caco3)
        .groupby(["study_id", "core_id"], sort=False)["_caco3"]
        .mean()
        .rename("carbonate_fraction")
        .reset_index()
    )
    per_core["setting"] = np.where(
        per_core["carbonate_fraction"].isna(),
        "unknown",
        np.where(per_core["carbonate_fraction"] > threshold, "carbonate", "siliciclastic"),
    )
    return per_core


def representative_soil_density(
    core_stocks: pd.DataFrame,
    cores: pd.DataFrame,
    habitats: Sequence[Habitat],
    *,
    site_point: tuple[float, float],
    setting: str | None,
    parameters: ParameterSet,
    selections: Mapping[str, Mapping[str, object]] | None = None,
) -> pd.DataFrame:
    """Soil carbon density to the accounting depth per habitat for one site (module docstring).

    Parameters
    ----------
    core_stocks
        Stocks per core at the accounting depth (``study_id``, ``core_id``, ``habitat``,
        ``stock_mg_c_ha``, ``reached_depth``, ``extrapolated``).
    cores
        Core attributes: ``study_id``, ``core_id``, ``latitude``, ``longitude``, optionally
        ``site_id``, ``country`` and ``setting`` (see :func:`core_settings`).
    site_point
        (longitude, latitude) of the site's reference point, WGS84.
    setting
        The site's sediment setting (``carbonate`` or ``siliciclastic``), None when unknown.
    selections
        Optional extra filters per habitat (``study_id`` or ``country`` lists), applied before
        the rule; they can narrow the choice, never widen it past the radius.

    Returns
    -------
    One row per habitat, columns :data:`DENSITY_COLUMNS`.
    """
    if setting is not None and setting not in SETTINGS:
        raise InputError(f"site setting {setting!r}", column="setting", expected=" or ".join(SETTINGS))
    depth = parameters.value("soil_defaults", "soil_accounting_depth_cm")
    radius = parameters.value("soil_defaults", "core_search_radius_km")
    min_cores = int(parameters.value("soil_defaults", "min_cores_for_site_estimate"))
    far = parameters.value("soil_defaults", "distant_cores_km")
    local = parameters.value("soil_defaults", "local_cores_km")
    keys = ["study_id", "core_id"]
    usable = core_stocks[
        core_stocks["reached_depth"].astype(bool)
        & core_stocks["stock_mg_c_ha"].notna()
        & ~core_stocks.get("extrapolated", pd.Series(False, index=core_stocks.index)).astype(bool)
    ]
    attrs = [
        c
        for c in ("latitude", "longitude", "site_id", "country", "setting")
        if c in cores.columns and c not in core_stocks.columns
    ]
    table = usable.merge(cores[[*keys, *attrs]].drop_duplicates(keys), on=keys, how="inner")
    table = table[table["latitude"].notna() & table["longitude"].notna()].copy()
    table["distance_km"] = great_circle_km(
        table["longitude"].to_numpy(), table["latitude"].to_numpy(), *site_point
    )
    if "setting" not in table.columns:
        table["setting"] = "unknown"
    rows = []
    for habitat in habitats:
        chosen = table[(table["habitat"] == habitat.value) & (table["distance_km"] <= radius)]
        if setting is not None:
            chosen = chosen[chosen["setting"].isin([setting, "unknown"])]
        chosen = _select(chosen, (selections or {}).get(habitat.value, {}), habitat)
        rule = (
            f"{habitat.value} cores measured to {depth:g} cm within {radius:g} km of "
            f"({site_point[0]:.3f}, {site_point[1]:.3f})"
            + (f", setting {setting} or unknown" if setting else "")
            + f", at least {min_cores}"
        )
        if len(chosen) >= min_cores:
            rows.append(_from_cores(chosen, habitat, rule=rule, depth=depth, far=far, local=local))
            continue
        tier1 = _tier1(habitat, parameters, depth=depth)
        if tier1 is None:
            continue
        n_near = len(chosen)
        tier1.update(
            n_cores=0,
            n_studies=0,
            n_sites=0,
            median_distance_km=np.nan,
            max_distance_km=np.nan,
            rule=f"{rule}: {n_near} found, IPCC Tier 1 used",
        )
        rows.append(tier1)
    return pd.DataFrame(rows, columns=list(DENSITY_COLUMNS))


def _select(chosen: pd.DataFrame, selection: Mapping[str, object], habitat: Habitat) -> pd.DataFrame:
    allowed = ("study_id", "country")
    unknown = sorted(set(selection) - set(allowed))
    if unknown:
        raise InputError(
            f"unknown core selection key {unknown[0]!r} for {habitat.value}", expected=", ".join(allowed)
        )
    for key, values in selection.items():
        wanted = [values] if isinstance(values, str) else [str(v) for v in values]  # type: ignore[attr-defined]
        chosen = chosen[chosen[key].isin(wanted)]
    return chosen


def _from_cores(
    chosen: pd.DataFrame, habitat: Habitat, *, rule: str, depth: float, far: float, local: float
) -> dict:
    values = chosen["stock_mg_c_ha"].to_numpy(dtype=np.float64)
    n = len(values)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else np.nan
    site = chosen["study_id"].astype(str) + "/" + chosen.get("site_id", chosen["core_id"]).astype(str)
    site_means = chosen.assign(_site=site).groupby("_site")["stock_mg_c_ha"].mean()
    n_sites = len(site_means)
    between = float(site_means.std(ddof=1)) if n_sites > 1 else sd
    sampling = between / np.sqrt(n_sites) if n_sites > 1 else sd / np.sqrt(n)
    median_km = float(chosen["distance_km"].median())
    represent = 0.0 if median_km <= local else between
    total = float(np.sqrt(np.nansum([sampling**2, represent**2])))
    flags = ["distant_cores"] if median_km > far else []
    return {
        "habitat": habitat.value,
        "soil_mg_c_ha": mean,
        "soil_se_mg_c_ha": total,
        "sampling_se_mg_c_ha": sampling,
        "representativeness_se_mg_c_ha": represent,
        "n_cores": n,
        "n_studies": int(chosen["study_id"].nunique()),
        "n_sites": n_sites,
        "median_distance_km": median_km,
        "max_distance_km": float(chosen["distance_km"].max()),
        "density_source": "cores_regional",
        "rule": f"{rule}: {n} cores",
        "flags": ",".join(flags),
        "soil_depth_cm": depth,
        "source": "Coastal Carbon Library cores (validated, quarantine applied): "
        + ", ".join(sorted(chosen["study_id"].astype(str).unique())),
    }


def _tier1(habitat: Habitat, parameters: ParameterSet, *, depth: float) -> dict | None:
    subtype = "mineral" if habitat is Habitat.MANGROVE else None
    p = parameters.optional("ipcc_tier1", "soil_carbon_stock_1m", habitat.value, subtype)
    if p is None:
        return None
    if depth != 100.0:
        raise InputError(
            f"{habitat.value}: too few cores for a {depth:g} cm density, and IPCC Tier 1 soil "
            "stocks are to 1 m",
            column="soil_accounting_depth_cm",
            expected="100, or enough cores measured to the chosen depth",
        )
    sampling = float(se_from_range(p.low, p.high)) if p.low is not None and p.high is not None else np.nan
    between = p.value * parameters.value("soil_defaults", "tier1_representativeness_relative_se")
    return {
        "habitat": habitat.value,
        "soil_mg_c_ha": p.value,
        "soil_se_mg_c_ha": float(np.sqrt(np.nansum([sampling**2, between**2]))),
        "sampling_se_mg_c_ha": sampling,
        "representativeness_se_mg_c_ha": between,
        "density_source": "ipcc_tier1",
        "flags": "tier1_density",
        "soil_depth_cm": depth,
        "source": p.source,
    }
