"""Per-habitat carbon densities, the engine on habitat maps, and class totals for a release.

The rule of METHODS.md section 1: site data win where they exist, IPCC Tier 1 defaults fill
in where they do not. :func:`soil_density_by_habitat` makes that choice per habitat and
records which source won (``density_source``), so every total can say where its density came
from. :func:`habitat_carbon_run` runs the transition engine (the one checked against InVEST)
on the pipeline's habitat maps with parameters from the parameter tables, and
:func:`habitat_class_totals` turns its histogram into the ``class_totals`` table: area (ha) x
density (Mg C ha-1) in tonnes, CO2e beside C, P5/P50/P95 and the VM0033 conservative value.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist

import numpy as np
import pandas as pd
import xarray as xr

from bluecarbon.carbon.defaults import habitat_class_table, habitat_transition_matrix
from bluecarbon.carbon.engine import NodataPolicy, TransitionRun, run_transitions
from bluecarbon.carbon.strata import stratum_summary
from bluecarbon.carbon.totals import ECOSYSTEM_POOLS, summary_table
from bluecarbon.carbon.transitions import ModelSpec, Timeline
from bluecarbon.carbon.uncertainty import UncertaintySettings, area_relative_se, se_from_range
from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import CarbonBasis, Habitat


def soil_density_by_habitat(
    core_table: pd.DataFrame,
    habitats: list[Habitat],
    *,
    parameters: ParameterSet,
    min_cores: int | None = None,
) -> pd.DataFrame:
    """Soil carbon density to 1 m per habitat: mean of cores that reached 100 cm when at
    least ``min_cores`` exist, else the IPCC Tier 1 default (mineral soils for mangrove).

    Extrapolated cores do not count (conservative: the truncation test finds extrapolation
    biased high). Columns: ``habitat``, ``soil_mg_c_ha``, ``soil_se_mg_c_ha``, ``n_cores``,
    ``density_source``, ``source``, and the stratum statistics ``soil_ci90_mg_c_ha`` (90 %
    CI half-width) and ``uncertainty_pct`` (NaN for Tier 1 rows).
    """
    if min_cores is None:
        min_cores = int(parameters.value("soil_defaults", "min_cores_for_site_estimate"))
    rows: list[dict[str, object]] = []
    full = core_table[core_table["reached_depth"] & core_table["stock_mg_c_ha"].notna()]
    if "extrapolated" in full.columns:
        full = full[~full["extrapolated"].astype(bool)]
    summary = stratum_summary(full, by="habitat", value="stock_mg_c_ha").set_index("habitat")
    for habitat in habitats:
        n = int(summary.loc[habitat.value, "n"]) if habitat.value in summary.index else 0
        if n >= min_cores:
            row = summary.loc[habitat.value]
            rows.append(
                {
                    "habitat": habitat.value,
                    "soil_mg_c_ha": float(row["mean"]),
                    "soil_se_mg_c_ha": float(row["se"]),
                    "n_cores": n,
                    "density_source": "cores",
                    "source": "Coastal Carbon Library cores reaching 100 cm (validated, quarantine applied)",
                    "soil_ci90_mg_c_ha": float(row["ci90_half_width"]),
                    "uncertainty_pct": float(row["uncertainty_pct"]),
                }
            )
            continue
        tier1 = _tier1_soil(habitat, parameters)
        if tier1 is None:
            continue
        rows.append(tier1 | {"n_cores": n, "soil_ci90_mg_c_ha": np.nan, "uncertainty_pct": np.nan})
    columns = [
        "habitat",
        "soil_mg_c_ha",
        "soil_se_mg_c_ha",
        "n_cores",
        "density_source",
        "source",
        "soil_ci90_mg_c_ha",
        "uncertainty_pct",
    ]
    return pd.DataFrame(rows, columns=columns)


#: Core attributes a site may select its soil cores by.
CORE_FILTERS = ("bbox", "country", "study_id")


def select_cores(cores: pd.DataFrame, selection: Mapping[str, object], *, where: str = "") -> pd.Series:
    """Boolean mask over ``cores`` for a selection ``{bbox: [W, S, E, N], country: [...],
    study_id: [...]}`` (all given criteria must hold)."""
    unknown = sorted(set(selection) - set(CORE_FILTERS))
    if unknown:
        raise InputError(
            f"unknown core selection key {unknown[0]!r}{where}", expected=", ".join(CORE_FILTERS)
        )
    mask = pd.Series(True, index=cores.index)
    if "bbox" in selection:
        bbox = selection["bbox"]
        if not isinstance(bbox, list | tuple) or len(bbox) != 4:
            raise InputError(f"bbox must be [west, south, east, north]{where}", column="bbox")
        west, south, east, north = (float(v) for v in bbox)
        mask &= cores["longitude"].between(west, east) & cores["latitude"].between(south, north)
    for key in ("country", "study_id"):
        if key in selection:
            values = selection[key]
            wanted = [values] if isinstance(values, str) else [str(v) for v in values]  # type: ignore[attr-defined]
            mask &= cores[key].isin(wanted)
    return mask


def site_soil_density(
    core_table: pd.DataFrame,
    cores: pd.DataFrame,
    general: pd.DataFrame,
    selections: Mapping[str, Mapping[str, object]],
    *,
    parameters: ParameterSet,
    min_cores: int | None = None,
) -> pd.DataFrame:
    """Soil density per habitat for one site: for each habitat with a core ``selection``
    (e.g. the cores of the site's region), the mean of the selected cores that reached 1 m
    when at least ``min_cores`` exist; otherwise the ``general`` row (all cores or Tier 1).

    Site data should win over far-away data (METHODS.md section 1): a Florida seagrass
    meadow is better represented by Florida cores than by the global mean, which Posidonia
    meadows of the Mediterranean dominate. ``density_source`` says which rule applied.
    """
    out = general.set_index("habitat").copy()
    keys = ["study_id", "core_id"]
    for habitat, selection in selections.items():
        Habitat(habitat)  # a clear ValueError names an unknown habitat
        chosen = cores.loc[select_cores(cores, selection, where=f" for {habitat}"), keys]
        subset = core_table.merge(chosen, on=keys, how="inner")
        regional = soil_density_by_habitat(
            subset, [Habitat(habitat)], parameters=parameters, min_cores=min_cores
        )
        if regional.empty or regional["density_source"].iloc[0] != "cores":
            continue
        row = regional.iloc[0].to_dict()
        row["density_source"] = "cores_selected"
        row["source"] = f"Coastal Carbon Library cores reaching 100 cm selected by {dict(selection)}"
        for column, value in row.items():
            if column != "habitat":
                out.loc[habitat, column] = value
    return out.reset_index()


def _tier1_soil(habitat: Habitat, parameters: ParameterSet) -> dict[str, object] | None:
    subtype = "mineral" if habitat is Habitat.MANGROVE else None
    p = parameters.optional("ipcc_tier1", "soil_carbon_stock_1m", habitat.value, subtype)
    if p is None:
        return None
    # IPCC gives a 95 % range; SE ~ half-width / 1.96 where a range is given.
    se = float(se_from_range(p.low, p.high)) if p.low is not None and p.high is not None else np.nan
    return {
        "habitat": habitat.value,
        "soil_mg_c_ha": p.value,
        "soil_se_mg_c_ha": float(se),
        "density_source": "ipcc_tier1",
        "source": p.source,
    }


def habitat_carbon_run(
    habitat_maps: xr.DataArray,
    soil_density: pd.DataFrame,
    *,
    parameters: ParameterSet,
    nodata_policy: NodataPolicy | str = NodataPolicy.FILL,
    zones: xr.DataArray | None = None,
    zone_ids: tuple[str, ...] = (),
) -> TransitionRun:
    """The transition engine on habitat maps ``habitat(year, y, x)`` (Habitat codes, NaN nodata).

    Parameters come from the pipeline's tables (:mod:`bluecarbon.carbon.defaults`); carbon
    basis, default (user's guide) mode; the analysis year is the year after the last map, so
    every map year starts a period and has a sequestration rate. A pixel unmapped in some years
    takes its nearest mapped class (``nodata_policy="fill"``, counted in the run's report).
    """
    years = [int(y) for y in habitat_maps["year"].values]
    classes = habitat_class_table(soil_density, parameters=parameters)
    matrix = habitat_transition_matrix(classes, parameters=parameters)
    spec = ModelSpec(
        timeline=Timeline.build(years, analysis_year=years[-1] + 1), basis=CarbonBasis.C, reset_on_entry=True
    )
    return run_transitions(
        habitat_maps, classes, matrix, spec, nodata_policy=nodata_policy, zones=zones, zone_ids=zone_ids
    )


def area_relative_errors(area: pd.DataFrame, *, default_ci_fraction: float) -> dict[tuple[int, str], float]:
    """Relative SE of each (year, habitat) area: from ``area_ci_ha`` (95 % half-width) when the
    habitat step supplies it, else ``default_ci_fraction`` (95 % half-width as a fraction)."""
    ci = area["area_ci_ha"] if "area_ci_ha" in area.columns else pd.Series(np.nan, index=area.index)
    ci = ci.where(ci.notna(), area["area_ha"] * default_ci_fraction)
    rse = area_relative_se(area["area_ha"].to_numpy(), ci.to_numpy())
    return {(int(y), str(h)): float(r) for y, h, r in zip(area["year"], area["habitat"], rse, strict=True)}


def habitat_class_totals(
    run: TransitionRun,
    histogram: pd.DataFrame,
    area: pd.DataFrame,
    soil_density: pd.DataFrame,
    *,
    site: str,
    uncertainty: UncertaintySettings,
) -> pd.DataFrame:
    """Per site, year and habitat: area, densities, stock and sequestration with uncertainty.

    Densities (Mg C ha-1) are the engine's class means over the mapped pixels; totals are the
    habitat step's area (``area_ha``, area-adjusted where available) x density, so stratified
    area estimates replace pixel counting. The Monte Carlo percentiles scale the same way.
    ``sequestration_t_c_yr`` is the class's net sequestration in the year after the map year
    (accumulation minus disturbance emissions, annualised over the period the map starts).
    """
    rse = area_relative_errors(area, default_ci_fraction=uncertainty.default_area_ci_fraction)
    summary = summary_table(run, histogram, uncertainty=uncertainty, area_relative_se=rse)
    scope = summary[summary["scope"] == "class"]
    years = set(run.spec.timeline.snapshot_years)
    stock = scope[(scope["kind"] == "stock") & scope["year"].isin(years)].copy()
    stock = stock.rename(columns={"lulc_class": "habitat", "area_ha": "mapped_area_ha"})
    stock["year"] = stock["year"].astype(int)
    flows = scope[scope["kind"] == "flow"].copy()
    flows["years"] = (flows["period_end"] - flows["period_start"]).astype(float)
    seq = (
        flows.groupby(["period_start", "lulc_class"], as_index=False)
        .agg(
            net=("net_sequestration_t_c", "sum"),
            p5=("net_sequestration_p5_t_c", "sum"),
            p50=("net_sequestration_p50_t_c", "sum"),
            p95=("net_sequestration_p95_t_c", "sum"),
            conservative=("net_sequestration_conservative_t_c", "sum"),
            flow_area=("area_ha", "sum"),
            years=("years", "first"),
        )
        .rename(columns={"period_start": "year", "lulc_class": "habitat"})
    )
    seq["year"] = seq["year"].astype(int)
    frame = stock.merge(seq, on=["year", "habitat"], how="left")
    official = area[["year", "habitat", "area_ha", *(["area_ci_ha"] if "area_ci_ha" in area.columns else [])]]
    frame = frame.merge(official, on=["year", "habitat"], how="left")
    frame["area_ha"] = frame["area_ha"].fillna(frame["mapped_area_ha"])
    mapped = frame["mapped_area_ha"].where(frame["mapped_area_ha"] > 0)
    scale = frame["area_ha"] / mapped
    out = pd.DataFrame(
        {"site": site, "year": frame["year"], "habitat": frame["habitat"], "area_ha": frame["area_ha"]}
    )
    if "area_ci_ha" in frame.columns:
        out["area_ci_ha"] = frame["area_ci_ha"]
    out["mapped_area_ha"] = frame["mapped_area_ha"]
    for pool in ("soil", "biomass", "litter"):
        out[f"{pool}_mg_c_ha"] = (frame[f"{pool}_t_c"] / mapped).fillna(0.0)
    out["stock_mg_c_ha"] = (frame["stock_t_c"] / mapped).fillna(0.0)
    out["stock_t_c"] = out["area_ha"] * out["stock_mg_c_ha"]
    z90 = NormalDist().inv_cdf(0.95)
    for q in ("p5", "p50", "p95", "vm0033", "conservative"):
        out[f"stock_{q}_t_c"] = (frame[f"stock_{q}_t_c"] * scale).fillna(0.0)
    out["stock_se_t_c"] = (out["stock_p95_t_c"] - out["stock_p5_t_c"]) / (2.0 * z90)
    out["stock_uncertainty"] = frame["stock_uncertainty"].fillna(0.0)
    out["stock_t_co2e"] = out["stock_t_c"] * CO2E_PER_C
    out["stock_conservative_t_co2e"] = out["stock_conservative_t_c"] * CO2E_PER_C
    per_year = frame["area_ha"] / frame["flow_area"].where(frame["flow_area"] > 0) / frame["years"]
    out["sequestration_t_c_yr"] = (frame["net"] * per_year).fillna(0.0)
    for q in ("p5", "p50", "p95", "conservative"):
        out[f"sequestration_{q}_t_c_yr"] = (frame[q] * per_year).fillna(0.0)
    out["sequestration_t_co2e_yr"] = out["sequestration_t_c_yr"] * CO2E_PER_C
    out["sequestration_conservative_t_co2e_yr"] = out["sequestration_conservative_t_c_yr"] * CO2E_PER_C
    sources = soil_density.set_index("habitat")["density_source"] if not soil_density.empty else pd.Series()
    out["density_source"] = out["habitat"].map(sources).fillna("none")
    out["pools"] = ECOSYSTEM_POOLS
    return out.sort_values(["site", "year", "habitat"]).reset_index(drop=True)
