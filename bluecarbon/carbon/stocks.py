"""Carbon of a site's habitats: the engine on habitat maps, and the totals a release publishes.

:func:`habitat_carbon_run` runs the transition engine (the one checked against InVEST) on the
pipeline's habitat maps, with "engine classes" that combine habitat and subclass (a patchy
meadow, a Spartina stand: :mod:`bluecarbon.vocab`) and parameters from the run's
:class:`~bluecarbon.params.ParameterSet`. Its semantics are chosen so that the books balance
(docs/accounting.md): stocks carry over between maps (a pixel lost and regained by mapping
noise emits and is never refilled, so noise cannot create carbon); soil burial is a flux
below the fixed accounting depth, kept in its own account, not added to the fixed-depth stock;
and a change seen between two maps is dated half way between them, so the interval in which
a loss was observed also shows its emissions.

:func:`site_totals` turns the run's histogram into the release's tables, all from one Monte
Carlo whose draws are summed per group (:func:`~bluecarbon.carbon.totals.rollup`), after
scaling every row to the habitat step's official area (survey polygons on an equal-area CRS,
or the error-adjusted area of an accuracy assessment):

* ``class_totals``: per site, map year and habitat; stocks with P5/P50/P95 and the conservative
  stock, and the flux of the period that starts at the map year;
* ``site_balance``: per site and period, stock (to the accounting depth, plus carbon buried
  below it) at both ends, accumulation, emissions and the reclassification no flow explains,
  so that ``stock_end - stock_start = accumulation - emissions + reclassification``;
* ``parcel_totals``: the same per parcel, per habitat and for the parcel's blue-carbon
  habitats and all its classes together (``level``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Final

import numpy as np
import pandas as pd
import xarray as xr

from bluecarbon.carbon.defaults import at_risk_subclasses, habitat_class_table, habitat_transition_matrix
from bluecarbon.carbon.strata import stratum_summary
from bluecarbon.carbon.totals import Summary, rollup, summarise
from bluecarbon.carbon.transitions import ModelSpec, NodataPolicy, Timeline, TransitionRun, run_transitions
from bluecarbon.carbon.uncertainty import UncertaintySettings, area_relative_se, se_from_range
from bluecarbon.params import ParameterSet
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import SUBCLASS_FACTOR, CarbonBasis, Habitat, Subclass, habitat_of, split_engine_code

#: Labels of the aggregate rows of ``parcel_totals`` (column ``habitat``, with ``level``).
BLUE_CARBON_LABEL: Final[str] = "(blue carbon)"
ALL_CLASSES_LABEL: Final[str] = "(all classes)"
#: What the engine's default semantics are, in words (dataset attrs and provenance).
ENGINE_SEMANTICS: Final[str] = (
    "stocks carry over between maps (no reset on entry: mapping noise cannot create carbon); soil "
    "burial is a flux below the fixed accounting depth, kept as carbon_buried; a change between two "
    "maps is dated half way between them; disturbance emissions decay with the half-life of the "
    "disturbed pool"
)


def soil_density_by_habitat(
    core_table: pd.DataFrame,
    habitats: list[Habitat],
    *,
    parameters: ParameterSet,
    min_cores: int | None = None,
) -> pd.DataFrame:
    """Global reference: soil carbon density to 1 m per habitat over ALL cores that reached
    100 cm (``density_source`` ``cores_global``, published as ``site = "all"``, never used
    for a site: see :mod:`bluecarbon.carbon.representative`), else the IPCC Tier 1 default.

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
                    "density_source": "cores_global",
                    "source": "Coastal Carbon Library cores reaching 100 cm (validated, quarantine applied)",
                    "soil_ci90_mg_c_ha": float(row["ci90_half_width"]),
                    "uncertainty_pct": float(row["uncertainty_pct"]),
                }
            )
            continue
        p = parameters.optional(
            "ipcc_tier1",
            "soil_carbon_stock_1m",
            habitat.value,
            "mineral" if habitat is Habitat.MANGROVE else None,
        )
        if p is None:
            continue
        se = float(se_from_range(p.low, p.high)) if p.low is not None and p.high is not None else np.nan
        rows.append(
            {
                "habitat": habitat.value,
                "soil_mg_c_ha": p.value,
                "soil_se_mg_c_ha": se,
                "n_cores": n,
                "density_source": "ipcc_tier1",
                "source": p.source,
                "soil_ci90_mg_c_ha": np.nan,
                "uncertainty_pct": np.nan,
            }
        )
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


def area_relative_errors(area: pd.DataFrame, *, default_ci_fraction: float) -> dict[tuple[int, str], float]:
    """Relative SE of each (year, habitat) area: from ``area_ci_ha`` (95 % half-width) when the
    habitat step supplies it, else ``default_ci_fraction`` (95 % half-width as a fraction)."""
    ci = area["area_ci_ha"] if "area_ci_ha" in area.columns else pd.Series(np.nan, index=area.index)
    ci = ci.where(ci.notna(), area["area_ha"] * default_ci_fraction)
    rse = area_relative_se(area["area_ha"].to_numpy(), ci.to_numpy())
    return {(int(y), str(h)): float(r) for y, h, r in zip(area["year"], area["habitat"], rse, strict=True)}


def engine_classes(
    habitat: xr.DataArray, subclass: xr.DataArray | None = None
) -> tuple[xr.DataArray, list[tuple[Habitat, Subclass | None]]]:
    """Engine class codes ``habitat + 10 x subclass`` (NaN where the habitat is nodata) and the
    (habitat, subclass) pairs that occur, in code order."""
    codes = habitat if subclass is None else habitat + SUBCLASS_FACTOR * subclass.fillna(0)
    codes = codes.rename("habitat")
    codes.attrs = dict(habitat.attrs)
    present = np.unique(np.asarray(codes.values)[np.isfinite(np.asarray(codes.values))]).astype(int)
    return codes, [split_engine_code(int(c)) for c in present]


def habitat_carbon_run(
    habitat_maps: xr.DataArray,
    soil_density: pd.DataFrame,
    *,
    parameters: ParameterSet,
    subclass_maps: xr.DataArray | None = None,
    climate_zone: str | None = None,
    region: str | None = None,
    nodata_policy: NodataPolicy | str = NodataPolicy.FILL,
    zones: xr.DataArray | None = None,
    zone_ids: tuple[str, ...] = (),
) -> TransitionRun:
    """The transition engine on habitat maps ``habitat(year, y, x)`` (Habitat codes, NaN nodata)
    and optional ``subclass(year, y, x)`` maps (Subclass codes, 0 for none).

    Carbon basis; default mode with carry-over stocks and soil burial below the fixed depth
    (module docstring); the analysis year is the year after the last map, so every map year
    starts a period and has a flux. A pixel unmapped in some years takes its nearest mapped
    class (``nodata_policy="fill"``, counted in the run's report).
    """
    years = [int(y) for y in habitat_maps["year"].values]
    codes, present = engine_classes(habitat_maps, subclass_maps)
    classes = habitat_class_table(
        soil_density, parameters=parameters, classes=present, climate_zone=climate_zone, region=region
    )
    matrix = habitat_transition_matrix(classes, parameters=parameters)
    spec = ModelSpec(
        timeline=Timeline.build(years, analysis_year=years[-1] + 1),
        basis=CarbonBasis.C,
        reset_on_entry=False,
        soil_burial=True,
        change_dating="midpoint",
    )
    depth = parameters.value("soil_defaults", "soil_accounting_depth_cm")
    attrs = {"soil_accounting_depth_cm": depth, "engine_semantics": ENGINE_SEMANTICS}
    return run_transitions(
        codes, classes, matrix, spec, nodata_policy=nodata_policy, zones=zones, zone_ids=zone_ids, attrs=attrs
    )


@dataclass(frozen=True)
class SiteTotals:
    """The release tables of one site (see the module docstring)."""

    class_totals: pd.DataFrame
    site_balance: pd.DataFrame
    parcel_totals: pd.DataFrame


def site_totals(
    run: TransitionRun,
    histogram: pd.DataFrame,
    area: pd.DataFrame,
    soil_density: pd.DataFrame,
    *,
    site: str,
    uncertainty: UncertaintySettings,
    parameters: ParameterSet,
) -> SiteTotals:
    """Class totals, site balance and parcel totals of one site from one Monte Carlo."""
    names = run.classes.names
    habitat_key = {n: habitat_of(n).value for n in names}
    rse = area_relative_errors(area, default_ci_fraction=uncertainty.default_area_ci_fraction)
    summary = summarise(run, histogram, uncertainty=uncertainty, area_relative_se=rse, area_key=habitat_key)
    summary = scaled_to_official_area(summary, area, run)
    at_risk = at_risk_subclasses(parameters) & frozenset(names)
    by_habitat = rollup(summary, habitat_key, at_risk=at_risk)
    blue = rollup(
        summary, {n: BLUE_CARBON_LABEL for n in names if habitat_of(n).is_blue_carbon}, at_risk=at_risk
    )
    everything = rollup(summary, dict.fromkeys(names, ALL_CLASSES_LABEL), at_risk=at_risk)
    depth = parameters.value("soil_defaults", "soil_accounting_depth_cm")
    years = set(run.spec.timeline.snapshot_years)
    classes = _class_rows(by_habitat[by_habitat["scope"] == "class"], area, soil_density, years, site, depth)
    balance = site_balance(everything[everything["scope"] == "class"], run, site=site)
    parcels = _parcel_rows(
        [(by_habitat, "habitat"), (blue, "blue_carbon"), (everything, "all")], site=site, depth=depth
    )
    return SiteTotals(class_totals=classes, site_balance=balance, parcel_totals=parcels)


def scaled_to_official_area(summary: Summary, area: pd.DataFrame, run: TransitionRun) -> Summary:
    """Every row (and its draws) scaled by official area / mapped area of its habitat and year.

    A stock row at year y uses the scale of the map year y belongs to; a flow row the scale of
    its period's start (the class during the period). Habitats without an official area, or
    mapped on no pixel, keep scale 1.
    """
    frame = summary.frame
    if frame.empty or "area_ha" not in area.columns:
        return summary
    tl = run.spec.timeline
    habitat = frame["lulc_class"].map(lambda n: habitat_of(n).value if n != "(nodata)" else n)
    year = np.where(
        frame["kind"] == "stock",
        [
            tl.starts[tl.period_of(int(y))] if pd.notna(y) else -1
            for y in frame.get("year", pd.Series(np.nan, index=frame.index))
        ],
        frame.get("period_start", pd.Series(-1, index=frame.index)).fillna(-1).astype(int),
    )
    mapped = (
        frame[(frame["kind"] == "stock") & (frame["scope"] == "class")]
        .assign(habitat=habitat)
        .groupby(["year", "habitat"])["area_ha"]
        .sum()
    )
    official = area.groupby(["year", "habitat"])["area_ha"].sum()
    ratio = (official / mapped.where(mapped > 0)).dropna()
    scale = np.asarray(
        [float(ratio.get((int(y), h), 1.0)) for y, h in zip(year, habitat, strict=True)], dtype=np.float64
    )
    b = summary.basis_suffix
    value_columns = [c for c in frame.columns if c.endswith(f"_t_{b}") or c in ("area_ha", "excluded_ha")]
    out = frame.copy()
    out[value_columns] = out[value_columns].mul(scale, axis=0)
    stock_scale = scale[(frame["kind"] == "stock").to_numpy()]
    flow_scale = scale[(frame["kind"] == "flow").to_numpy()]
    return replace(
        summary,
        frame=out,
        stock_samples=None if summary.stock_samples is None else summary.stock_samples * stock_scale,
        flow_samples=None if summary.flow_samples is None else summary.flow_samples * flow_scale,
    )


def site_balance(everything: pd.DataFrame, run: TransitionRun, *, site: str) -> pd.DataFrame:
    """One row per period of the run: the site's carbon (stock to the accounting depth plus
    carbon buried below it since the first map) at both ends, accumulation and emissions over
    the period, and the reclassification no flow explains (from rescaling to official areas).

    Notes
    -----
    .. math:: S_{end} - S_{start} = A - E + R

    holds by construction of R; with the engine's carry-over stocks R is only the change in
    the official-area scaling between the two years, and it is published, never hidden.
    ``net_flux_t_c_yr`` = (A - E) / years, removals positive, all classes included (habitat lost
    to tidal flat or water emits there).
    """
    stocks = everything[everything["kind"] == "stock"].set_index("year")
    flows = everything[everything["kind"] == "flow"]
    tl = run.spec.timeline
    rows = []
    for flow in flows.itertuples():
        start, end = int(flow.period_start), int(flow.period_end)
        account = {
            y: float(stocks.loc[y, "stock_t_c"] + stocks.loc[y, "buried_t_c"])
            if y in stocks.index
            else np.nan
            for y in (start, end)
        }
        years = float(end - start)
        acc, em = float(flow.accumulation_t_c), float(flow.emissions_t_c)
        rows.append(
            {
                "site": site,
                "period_start": start,
                "period_end": end,
                "after_last_map": end == tl.analysis_year and end not in tl.snapshot_years,
                "stock_start_t_c": account[start],
                "stock_end_t_c": account[end],
                "buried_start_t_c": float(stocks.loc[start, "buried_t_c"])
                if start in stocks.index
                else np.nan,
                "buried_end_t_c": float(stocks.loc[end, "buried_t_c"]) if end in stocks.index else np.nan,
                "accumulation_t_c": acc,
                "emissions_t_c": em,
                "reclassification_t_c": account[end] - account[start] - (acc - em),
                "net_flux_t_c_yr": (acc - em) / years,
                "net_flux_p5_t_c_yr": float(flow.net_sequestration_p5_t_c) / years,
                "net_flux_p95_t_c_yr": float(flow.net_sequestration_p95_t_c) / years,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for column in [c for c in frame.columns if c.endswith(("_t_c", "_t_c_yr"))]:
        frame[column.replace("_t_c", "_t_co2e")] = frame[column] * CO2E_PER_C
    return frame.sort_values(["site", "period_start"]).reset_index(drop=True)


def _flux_rows(flows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per-year flux columns of rollup flow rows, keyed by ``keys`` + period start as ``year``."""
    years = (flows["period_end"] - flows["period_start"]).astype(float)
    out = flows[keys].copy()
    out["year"] = flows["period_start"].astype(int)
    out["flux_period_start"] = flows["period_start"].astype(int)
    out["flux_period_end"] = flows["period_end"].astype(int)
    out["accumulation_t_c_yr"] = flows["accumulation_t_c"] / years
    out["emissions_t_c_yr"] = flows["emissions_t_c"] / years
    for q in ("", "_p5", "_p50", "_p95"):
        out[f"net_flux{q}_t_c_yr"] = flows[f"net_sequestration{q}_t_c"] / years
    out["net_flux_uncertainty"] = flows["net_sequestration_uncertainty"]
    return out


def _co2e_twins(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    for column in columns:
        if column in frame.columns:
            frame[column.replace("_t_c", "_t_co2e")] = frame[column] * CO2E_PER_C


_CO2E_COLUMNS: Final[tuple[str, ...]] = (
    "stock_t_c",
    "stock_p5_t_c",
    "stock_p95_t_c",
    "stock_conservative_t_c",
    "buried_t_c",
    "net_flux_t_c_yr",
    "net_flux_p5_t_c_yr",
    "net_flux_p95_t_c_yr",
)


def _pools(frame: pd.DataFrame) -> pd.Series:
    """Pools that carry carbon in each row (``biomass+soil``; ``none`` when empty)."""
    parts = {
        "biomass": frame["biomass_t_c"] > 0,
        "soil": (frame["soil_t_c"] > 0) | (frame.get("buried_t_c", 0.0) > 0),
        "litter": frame["litter_t_c"] > 0,
    }
    names = ["+".join(p for p, on in parts.items() if bool(on.iloc[i])) or "none" for i in range(len(frame))]
    return pd.Series(names, index=frame.index)


def _class_rows(
    by_habitat: pd.DataFrame,
    area: pd.DataFrame,
    soil_density: pd.DataFrame,
    years: set[int],
    site: str,
    depth: float,
) -> pd.DataFrame:
    stock = by_habitat[(by_habitat["kind"] == "stock") & by_habitat["year"].isin(years)]
    stock = stock.rename(columns={"group": "habitat"}).drop(columns=["scope", "parcel_id", "kind"])
    stock["year"] = stock["year"].astype(int)
    flows = by_habitat[by_habitat["kind"] == "flow"].rename(columns={"group": "habitat"})
    frame = stock.merge(_flux_rows(flows, ["habitat"]), on=["year", "habitat"], how="left")
    official = area[["year", "habitat", "area_ha", *(["area_ci_ha"] if "area_ci_ha" in area.columns else [])]]
    frame = frame.rename(columns={"area_ha": "mapped_area_ha"}).merge(
        official, on=["year", "habitat"], how="left"
    )
    frame["area_ha"] = frame["area_ha"].fillna(frame["mapped_area_ha"])
    per_ha = frame["area_ha"].where(frame["area_ha"] > 0)
    out = pd.DataFrame(
        {"site": site, "year": frame["year"], "habitat": frame["habitat"], "area_ha": frame["area_ha"]}
    )
    if "area_ci_ha" in frame.columns:
        out["area_ci_ha"] = frame["area_ci_ha"]
    out["mapped_area_ha"] = frame["mapped_area_ha"]
    for pool in ("soil", "biomass", "litter"):
        out[f"{pool}_mg_c_ha"] = (frame[f"{pool}_t_c"] / per_ha).fillna(0.0)
        out[f"{pool}_t_c"] = frame[f"{pool}_t_c"]
    out["stock_mg_c_ha"] = (frame["stock_t_c"] / per_ha).fillna(0.0)
    for column in (
        "stock_t_c",
        "stock_p5_t_c",
        "stock_p50_t_c",
        "stock_p95_t_c",
        "stock_uncertainty",
        "stock_at_risk_t_c",
        "stock_conservative_t_c",
        "buried_t_c",
    ):
        out[column] = frame[column]
    z90 = NormalDist().inv_cdf(0.95)
    out["stock_se_t_c"] = (out["stock_p95_t_c"] - out["stock_p5_t_c"]) / (2.0 * z90)
    for column in [
        c
        for c in frame.columns
        if c.startswith(("flux_period", "accumulation_t_c", "emissions_t_c", "net_flux"))
    ]:
        out[column] = frame[column]
    _co2e_twins(out, _CO2E_COLUMNS)
    sources = soil_density.set_index("habitat")["density_source"] if not soil_density.empty else pd.Series()
    out["density_source"] = out["habitat"].map(sources).fillna("none")
    out["soil_depth_cm"] = depth
    out["pools"] = _pools(out)
    return out.sort_values(["site", "year", "habitat"]).reset_index(drop=True)


def _parcel_rows(levels: list[tuple[pd.DataFrame, str]], *, site: str, depth: float) -> pd.DataFrame:
    frames = []
    for table, level in levels:
        if table.empty:
            continue
        rows = table[table["scope"] == "parcel"]
        if rows.empty:
            continue
        stock = rows[rows["kind"] == "stock"].rename(columns={"group": "habitat"}).drop(columns=["scope"])
        flows = rows[rows["kind"] == "flow"].rename(columns={"group": "habitat"})
        flux = _flux_rows(flows, ["parcel_id", "habitat"]).assign(kind="flow")
        stock = stock.assign(year=stock["year"].astype(int))
        frames.append(pd.concat([stock, flux], ignore_index=True).assign(level=level))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True).assign(site=site, soil_depth_cm=depth)
    _co2e_twins(out, _CO2E_COLUMNS)
    keep = [c for c in out.columns if not c.startswith("net_sequestration")]
    return out[keep].sort_values(["parcel_id", "level", "kind", "year", "habitat"]).reset_index(drop=True)
