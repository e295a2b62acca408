"""Class and parcel totals (tonnes, hectares) from trajectory histograms, with uncertainty.

Why from histograms: the engine counts pixels per (zone, class trajectory) while it writes the
rasters, in the same pass. Every total is then a weighted sum over at most a few thousand
trajectories of the kernel's per-hectare values, so per-class and per-parcel tables, and the
Monte Carlo that re-evaluates the kernel with drawn parameters, never touch the rasters again.

Rows:

* ``kind = "stock"``: per output year and class at that year (the class of the last snapshot at
  or before the year): area and stock (total and per pool), and NPV when valued.
* ``kind = "flow"``: per reported period and transition (``from_class`` at the previous
  snapshot, ``lulc_class`` during the period): accumulation, emissions, net sequestration and
  the extra emissions.

``scope = "class"`` rows cover the whole map; ``scope = "parcel"`` rows one parcel each.
Column names carry the basis: ``stock_t_c`` or ``stock_t_co2e``.

The Monte Carlo keeps its draws per row (:class:`Summary`), so that any grouping of rows (the
engine classes of one habitat, the blue-carbon habitats of a parcel, every class of a site) is
summed draw by draw (:func:`rollup`): the percentiles of a total are those of the total, never
sums of percentiles.

Size (about 600 lines): the row building, the central totals, the Monte Carlo and the rollup
share one private row structure (``_Rows``: which trajectory counts weigh into which row) and
must agree on it row for row; split apart, that structure would become a public contract for
no caller but these functions. The unit check at the boundary: the run's mass variables are
``Mg ha-1`` (:func:`bluecarbon.units.check_units`), so every total is in tonnes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import sparse

from bluecarbon.carbon.conservative import conservative_stock
from bluecarbon.carbon.transitions import (
    TRAJECTORY_PREFIX,
    Mode,
    ModelSpec,
    TransitionRun,
    resolve_parameters,
    unit_outputs,
)
from bluecarbon.carbon.transitions.tables import POOLS, ClassTable, TransitionMatrix
from bluecarbon.carbon.uncertainty import (
    UncertaintySettings,
    draw_area_factors,
    draw_class_table,
    percentiles,
    relative_uncertainty,
)
from bluecarbon.errors import InputError
from bluecarbon.units import check_units
from bluecarbon.vocab import CarbonBasis

#: Draws evaluated at once in the Monte Carlo (bounds memory: draws x trajectories x periods).
DRAW_BATCH: Final[int] = 100
ECOSYSTEM_POOLS: Final[str] = "biomass+soil+litter"


@dataclass(frozen=True)
class TrajectoryCounts:
    """Distinct trajectories and pixel counts per zone (row 0: outside every zone)."""

    trajectories: np.ndarray
    counts: np.ndarray
    sums: np.ndarray | None = None

    @property
    def n_trajectories(self) -> int:
        return int(self.trajectories.shape[1])


def trajectory_counts(histogram: pd.DataFrame, *, n_snapshots: int, n_zones: int) -> TrajectoryCounts:
    """Pivot an engine histogram (zone, snapshot_*, count[, sum*]) into arrays."""
    cols = [f"{TRAJECTORY_PREFIX}{k}" for k in range(n_snapshots)]
    traj = histogram[cols].drop_duplicates().sort_values(cols).reset_index(drop=True)
    position = pd.MultiIndex.from_frame(traj).get_indexer(pd.MultiIndex.from_frame(histogram[cols]))
    zones = histogram["zone"].to_numpy(dtype=np.int64)
    if zones.max(initial=0) > n_zones:
        raise InputError(f"zone {zones.max()} without an id", expected=f"zones 0..{n_zones}")
    counts = np.zeros((n_zones + 1, len(traj)), dtype=np.int64)
    np.add.at(counts, (zones, position), histogram["count"].to_numpy(dtype=np.int64))
    sum_cols = sorted((c for c in histogram.columns if c.startswith("sum")), key=lambda c: int(c[3:]))
    sums = None
    if sum_cols:
        sums = np.zeros((n_zones + 1, len(sum_cols), len(traj)))
        for j, c in enumerate(sum_cols):
            np.add.at(sums[:, j, :], (zones, position), histogram[c].to_numpy(dtype=np.float64))
    return TrajectoryCounts(trajectories=traj.to_numpy(dtype=np.int16).T, counts=counts, sums=sums)


def per_hectare(
    trajectories: np.ndarray, classes: ClassTable, matrix: TransitionMatrix, spec: ModelSpec
) -> dict[str, np.ndarray]:
    """Kernel outputs per trajectory (and per draw when ``classes`` holds draws)."""
    params = resolve_parameters(trajectories, classes, matrix, spec)
    return unit_outputs(params, spec)


# --------------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class _Rows:
    """Summary rows and, per row, the pixel count of each member trajectory in the row's scope."""

    frame: pd.DataFrame
    scope: np.ndarray  # scope index per row (0 = whole map, i = zone i)
    layer: np.ndarray  # index into the per-year or per-period axis
    weights: sparse.csr_matrix  # rows x trajectories

    def groups(self, by_scope: bool) -> list[tuple[tuple[int, int], np.ndarray]]:
        keys = np.stack([self.scope if by_scope else np.zeros_like(self.scope), self.layer], axis=1)
        out = []
        for key in np.unique(keys, axis=0) if len(keys) else []:
            out.append(((int(key[0]), int(key[1])), np.flatnonzero((keys == key).all(axis=1))))
        return out


def _build_rows(tc: TrajectoryCounts, run: TransitionRun) -> tuple[_Rows, _Rows]:
    tl = run.spec.timeline
    scopes = _scope_counts(tc.counts)
    nodata = run.classes.nodata_index
    stock: list[tuple[int, int, int, int]] = []
    flow: list[tuple[int, int, int, int]] = []
    entries: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {"stock": [], "flow": []}

    def add(kind: str, member: np.ndarray, record: tuple[int, ...], rows: list) -> None:
        for s in range(scopes.shape[0]):
            t = np.flatnonzero(member & (scopes[s] > 0))
            if t.size:
                entries[kind].append((len(rows), t, scopes[s, t]))
                rows.append((s, *record))

    for i, year in enumerate(tl.output_years):
        cls = tc.trajectories[tl.period_of(year)]
        for g in np.unique(cls):
            if g != nodata:
                add("stock", cls == g, (i, year, int(g)), stock)
    for j, k in enumerate(tl.reported_periods):
        to = tc.trajectories[k]
        frm = tc.trajectories[k - 1] if k else to
        for f, g in np.unique(np.stack([frm, to]), axis=1).T:
            if f != nodata and g != nodata:
                add("flow", (frm == f) & (to == g), (j, int(f), int(g)), flow)
    n_t = tc.n_trajectories
    out = []
    for kind, rows, columns in (
        ("stock", stock, ["scope_index", "layer", "year", "class_index"]),
        ("flow", flow, ["scope_index", "layer", "from_index", "class_index"]),
    ):
        frame = pd.DataFrame(rows, columns=columns)
        parts = entries[kind]
        if parts:
            r = np.concatenate([np.full(t.size, row) for row, t, _ in parts])
            c = np.concatenate([t for _, t, _ in parts])
            v = np.concatenate([w for _, _, w in parts]).astype(np.float64)
            weights = sparse.csr_matrix((v, (r, c)), shape=(len(rows), n_t))
        else:
            weights = sparse.csr_matrix((0, n_t))
        out.append(_Rows(frame, frame["scope_index"].to_numpy(), frame["layer"].to_numpy(), weights))
    return out[0], out[1]


def _scope_counts(counts: np.ndarray) -> np.ndarray:
    """Counts per scope: row 0 = whole map (all zones), row i = zone i."""
    return np.concatenate([counts.sum(axis=0, keepdims=True), counts[1:]], axis=0)


# ------------------------------------------------------------------------------ summary
@dataclass(frozen=True)
class Summary:
    """Totals per scope, class and year (stocks) or period and transition (flows), and the
    Monte Carlo draws of each row's stock and net sequestration (``(draws, rows)``, in the
    order of the frame's stock rows and flow rows; None without uncertainty)."""

    frame: pd.DataFrame
    basis_suffix: str
    stock_samples: np.ndarray | None = None
    flow_samples: np.ndarray | None = None
    settings: UncertaintySettings | None = None


def summary_table(
    run: TransitionRun,
    histogram: pd.DataFrame,
    *,
    uncertainty: UncertaintySettings | None = None,
    area_relative_se: Mapping[Any, float] | None = None,
    area_key: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Per-class and per-parcel totals in tonnes (areas in ha): :func:`summarise`'s frame."""
    return summarise(
        run, histogram, uncertainty=uncertainty, area_relative_se=area_relative_se, area_key=area_key
    ).frame


def summarise(
    run: TransitionRun,
    histogram: pd.DataFrame,
    *,
    uncertainty: UncertaintySettings | None = None,
    area_relative_se: Mapping[Any, float] | None = None,
    area_key: Mapping[str, str] | None = None,
) -> Summary:
    """Per-class and per-parcel totals in tonnes (areas in ha) from a run's histogram.

    ``area_relative_se`` maps ``(year, name)`` or ``name`` to the relative standard error of
    an area (map accuracy), where ``name`` is the class name or, with ``area_key``, the name it
    maps the class to (e.g. the habitat of ``seagrass/patchy``: classes of one key share one
    area error); ``uncertainty`` turns on the Monte Carlo (P5/P50/P95, the uncertainty U and
    the conservative stock) for stocks and net sequestration.

    Totals are per-hectare values times hectares: every mass variable of the run must be in
    ``Mg ha-1`` (checked here; :class:`~bluecarbon.errors.UnitError` otherwise), so the totals
    are in tonnes.
    """
    _check_per_hectare(run)
    spec, classes = run.spec, run.classes
    tl = spec.timeline
    n_snap = len(tl.snapshot_years)
    tc = trajectory_counts(histogram, n_snapshots=n_snap, n_zones=len(run.zone_ids))
    ha = run.pixel_area_ha
    values = per_hectare(tc.trajectories, classes, run.matrix, spec)
    valid = np.all(tc.trajectories != classes.nodata_index, axis=0).astype(np.float64)
    stock_rows, flow_rows = _build_rows(tc, run)
    layout = spec.layout()
    scoped_sums = None
    if tc.sums is not None:  # parameter rasters: the engine summed the per-pixel values
        split = layout.split(np.moveaxis(_scope_sums(tc.sums), 1, 0))  # name -> (..., scopes, T)
        scoped_sums = {name: np.moveaxis(v, -2, 0) for name, v in split.items()}  # (scopes, ..., T)

    def row_sum(rows: _Rows, name: str, lead: tuple[int, ...] = ()) -> np.ndarray:
        out = np.zeros(len(rows.frame))
        if scoped_sums is not None:
            sel = scoped_sums[name][(slice(None), *lead)] if lead else scoped_sums[name]  # type: ignore[arg-type]
            mask = (rows.weights != 0).astype(np.float64)
            for (scope, layer), members in rows.groups(by_scope=True):
                out[members] = mask[members] @ np.nan_to_num(sel[scope, layer], nan=0.0)
        else:
            sel = values[name][lead] if lead else values[name]
            for (_, layer), members in rows.groups(by_scope=False):
                out[members] = rows.weights[members] @ np.nan_to_num(sel[layer], nan=0.0)
        return out * ha

    def area(rows: _Rows, weight: np.ndarray) -> np.ndarray:
        return np.asarray(rows.weights @ weight).ravel() * ha

    b = "co2e" if spec.basis is CarbonBasis.CO2E else "c"
    names = [*classes.names, "(nodata)"]
    codes = [*classes.lucodes.tolist(), None]
    out_frames = []
    if not stock_rows.frame.empty:
        f = stock_rows.frame
        stock = pd.DataFrame(
            {
                "scope": np.where(f["scope_index"] == 0, "class", "parcel"),
                "parcel_id": [run.zone_ids[s - 1] if s else "" for s in f["scope_index"]],
                "kind": "stock",
                "pool": ECOSYSTEM_POOLS,
                "year": f["year"].astype("Int64"),
                "lucode": pd.array([codes[c] for c in f["class_index"]], dtype="Int64"),
                "lulc_class": [names[c] for c in f["class_index"]],
                "area_ha": area(stock_rows, valid),
                "excluded_ha": area(stock_rows, 1.0 - valid),
                f"stock_t_{b}": row_sum(stock_rows, "carbon_stock"),
            }
        )
        for p, pool in enumerate(POOLS):
            stock[f"{pool}_t_{b}"] = row_sum(stock_rows, "carbon_stock_by_pool", (p,))
        if spec.soil_burial:
            stock[f"buried_t_{b}"] = row_sum(stock_rows, "carbon_buried")
        if spec.valuation is not None:
            npv = row_sum(stock_rows, "net_present_value")
            defined = np.isfinite(values["net_present_value"]).any(axis=-1)[stock_rows.layer]
            stock[f"npv_{spec.valuation.currency}"] = np.where(defined, npv, np.nan)
        out_frames.append(stock)
    if not flow_rows.frame.empty:
        f = flow_rows.frame
        reported = tl.reported_periods
        flow = pd.DataFrame(
            {
                "scope": np.where(f["scope_index"] == 0, "class", "parcel"),
                "parcel_id": [run.zone_ids[s - 1] if s else "" for s in f["scope_index"]],
                "kind": "flow",
                "pool": ECOSYSTEM_POOLS,
                "period_start": pd.array([tl.starts[reported[j]] for j in f["layer"]], dtype="Int64"),
                "period_end": pd.array([tl.ends[reported[j]] for j in f["layer"]], dtype="Int64"),
                "from_lucode": pd.array([codes[c] for c in f["from_index"]], dtype="Int64"),
                "from_class": [names[c] for c in f["from_index"]],
                "lucode": pd.array([codes[c] for c in f["class_index"]], dtype="Int64"),
                "lulc_class": [names[c] for c in f["class_index"]],
                "area_ha": area(flow_rows, valid),
                "excluded_ha": area(flow_rows, 1.0 - valid),
                f"accumulation_t_{b}": row_sum(flow_rows, "carbon_accumulation"),
                f"emissions_t_{b}": row_sum(flow_rows, "carbon_emissions"),
                f"net_sequestration_t_{b}": row_sum(flow_rows, "net_sequestration"),
            }
        )
        if spec.drained:
            flow[f"drained_soil_emissions_t_{b}"] = row_sum(flow_rows, "drained_soil_emissions")
        if spec.rewetting:
            flow["methane_emissions_t_ch4"] = row_sum(flow_rows, "methane_emissions")
            flow["methane_emissions_t_co2e"] = row_sum(flow_rows, "methane_emissions_co2e")
        out_frames.append(flow)
    samples: dict[str, np.ndarray | None] = {}
    if uncertainty is not None and out_frames:
        samples = _monte_carlo(
            out_frames,
            stock_rows,
            flow_rows,
            tc,
            run,
            settings=uncertainty,
            area_relative_se=area_relative_se or {},
            area_key=area_key or {},
            basis_suffix=b,
        )
    frame = pd.concat(out_frames, ignore_index=True) if out_frames else pd.DataFrame()
    return Summary(
        frame=frame,
        basis_suffix=b,
        stock_samples=samples.get("carbon_stock"),
        flow_samples=samples.get("net_sequestration"),
        settings=uncertainty,
    )


def _check_per_hectare(run: TransitionRun) -> None:
    """The run's mass variables are per hectare in tonnes (``Mg ha-1``): totals multiply them
    by hectares."""
    for name, var in run.dataset.data_vars.items():
        if name != "net_present_value":
            check_units(var, "Mg ha-1", name=str(name))


def _scope_sums(sums: np.ndarray) -> np.ndarray:
    return np.concatenate([sums.sum(axis=0, keepdims=True), sums[1:]], axis=0)


def _monte_carlo(
    frames: list[pd.DataFrame],
    stock_rows: _Rows,
    flow_rows: _Rows,
    tc: TrajectoryCounts,
    run: TransitionRun,
    *,
    settings: UncertaintySettings,
    area_relative_se: Mapping[Any, float],
    area_key: Mapping[str, str],
    basis_suffix: str,
) -> dict[str, np.ndarray | None]:
    """Fill P5/P50/P95, U (and the conservative stock) into the frames; return the draws."""
    spec, classes = run.spec, run.classes
    tl = spec.timeline
    rng = np.random.default_rng(settings.seed)
    drawn = draw_class_table(classes, draws=settings.draws, rng=rng)
    uncertain = drawn is not classes or any(float(r) > 0 for r in area_relative_se.values())
    if not uncertain:
        # Nothing carries a distribution: every draw equals the central value (U = 0).
        out: dict[str, np.ndarray | None] = {}
        for _rows, name, label, _keys, frame in _targets(stock_rows, flow_rows, frames):
            if frame is not None:
                _fill_uncertainty(frame, label, basis_suffix, None, settings)
                central = frame[f"{label}_t_{basis_suffix}"].to_numpy(dtype=np.float64)
                out[name] = np.broadcast_to(central, (settings.draws, central.size)).copy()
        return out
    names = [area_key.get(n, n) for n in classes.names] + ["(nodata)"]
    # Area factors: one draw vector per (year, class) key used by any row.
    stock_keys = [
        (int(y), names[c])
        for y, c in zip(stock_rows.frame["year"], stock_rows.frame["class_index"], strict=True)
    ]
    flow_keys = [
        (tl.starts[tl.reported_periods[j]], names[c])
        for j, c in zip(flow_rows.frame["layer"], flow_rows.frame["class_index"], strict=True)
    ]
    rel = {key: _area_rse(area_relative_se, key) for key in {*stock_keys, *flow_keys}}
    factors = draw_area_factors(rel, draws=settings.draws, rng=rng)
    targets = [
        (rows, name, label, keys, frame)
        for (rows, name, label, _, frame), keys in zip(
            _targets(stock_rows, flow_rows, frames), (stock_keys, flow_keys), strict=True
        )
    ]
    if spec.mode is Mode.DEFAULT and all(c in LINEAR_COLUMNS for c in _uncertain_columns(drawn)):
        samples = _linear_samples(drawn, classes, tc, run, targets, settings.draws)
    else:
        samples = _brute_force_samples(drawn, tc, run, targets, settings.draws)
    out = {}
    for _rows, name, label, keys, frame in targets:
        if frame is None:
            continue
        central_col = f"{label}_t_{basis_suffix}"
        area_draws = np.stack([factors[k] for k in keys], axis=1)  # (D, rows)
        sample = samples[name] * area_draws
        central = frame[central_col].to_numpy(dtype=np.float64)
        table_central = np.nanmean(samples[name], axis=0) if run.layer_sums else None
        if table_central is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(table_central != 0, central / table_central, 0.0)
            sample = sample * scale[None]
        _fill_uncertainty(frame, label, basis_suffix, sample, settings)
        out[name] = sample
    return out


#: Columns the default-mode outputs are affine in (with fractions and half-lives fixed): every
#: stock, flow and NPV is f(0) + J x in these, so Monte Carlo draws need no kernel re-runs.
LINEAR_COLUMNS: Final[frozenset[str]] = frozenset(
    {f"{pool}-initial" for pool in POOLS}
    | {f"{pool}-yearly-accumulation" for pool in POOLS}
    | {"drained-soil-ef", "rewetted-ch4-ef"}
)


def _uncertain_columns(drawn: ClassTable) -> list[str]:
    return [c for c, v in drawn.values.items() if np.ndim(v) == 2]


def _row_totals(rows: _Rows, values: np.ndarray, ha: float) -> np.ndarray:
    """Row totals of per-hectare values ``(..., layers, T)`` -> ``(..., rows)``."""
    out = np.zeros((*values.shape[:-2], len(rows.frame)))
    v = np.nan_to_num(values, nan=0.0)
    for (_, layer), members in rows.groups(by_scope=False):
        out[..., members] = (rows.weights[members] @ np.moveaxis(v[..., layer, :], -1, 0)).T * ha
    return out


def _linear_samples(
    drawn: ClassTable,
    classes: ClassTable,
    tc: TrajectoryCounts,
    run: TransitionRun,
    targets: list[tuple[_Rows, str, str, list[Any], pd.DataFrame | None]],
    draws: int,
) -> dict[str, np.ndarray]:
    """Draws of row totals as f(0) + X J, J from one kernel run per uncertain (column, class)."""
    columns = _uncertain_columns(drawn)
    zero = classes.with_values(
        {c: np.zeros_like(np.asarray(classes.values[c], dtype=np.float64)) for c in columns}
    )
    base_values = per_hectare(tc.trajectories, zero, run.matrix, run.spec)
    base = {name: _row_totals(rows, base_values[name], run.pixel_area_ha) for rows, name, *_ in targets}
    samples = {name: np.broadcast_to(b, (draws, b.size)).copy() for name, b in base.items()}
    for column in columns:
        for k in range(classes.n_classes):
            draw = np.asarray(drawn.values[column])[:, k]
            if not np.any(draw):
                continue
            unit = np.zeros(classes.n_classes)
            unit[k] = 1.0
            values = per_hectare(tc.trajectories, zero.with_values({column: unit}), run.matrix, run.spec)
            for rows, name, *_ in targets:
                slope = _row_totals(rows, values[name], run.pixel_area_ha) - base[name]
                samples[name] += draw[:, None] * slope[None, :]
    return samples


def _brute_force_samples(
    drawn: ClassTable,
    tc: TrajectoryCounts,
    run: TransitionRun,
    targets: list[tuple[_Rows, str, str, list[Any], pd.DataFrame | None]],
    draws: int,
) -> dict[str, np.ndarray]:
    """Draws of row totals by re-running the kernel on every draw (batches of DRAW_BATCH)."""
    samples = {name: np.zeros((draws, len(rows.frame))) for rows, name, *_ in targets}
    for start in range(0, draws, DRAW_BATCH):
        stop = min(start + DRAW_BATCH, draws)
        batch = drawn.with_values(
            {c: np.asarray(v)[start:stop] for c, v in drawn.values.items() if np.ndim(v) == 2}
        )
        values = per_hectare(tc.trajectories, batch, run.matrix, run.spec)
        for rows, name, *_ in targets:
            if rows.frame.empty:
                continue
            arr = values[name]  # (layers, D, T) with draws, (layers, T) without
            v = np.moveaxis(arr, 1, 0) if arr.ndim == 3 else np.broadcast_to(arr, (stop - start, *arr.shape))
            samples[name][start:stop] = _row_totals(rows, v, run.pixel_area_ha)
    return samples


def _targets(
    stock_rows: _Rows, flow_rows: _Rows, frames: list[pd.DataFrame]
) -> list[tuple[_Rows, str, str, list[Any], pd.DataFrame | None]]:
    stock_frame = frames[0] if not stock_rows.frame.empty else None
    flow_frame = frames[-1] if not flow_rows.frame.empty else None
    return [
        (stock_rows, "carbon_stock", "stock", [], stock_frame),
        (flow_rows, "net_sequestration", "net_sequestration", [], flow_frame),
    ]


def _fill_uncertainty(
    frame: pd.DataFrame, label: str, b: str, sample: np.ndarray | None, settings: UncertaintySettings
) -> None:
    central = frame[f"{label}_t_{b}"].to_numpy(dtype=np.float64)
    if sample is None:
        p5 = p50 = p95 = central
        u = np.zeros_like(central)
    else:
        p5, p50, p95 = percentiles(sample)
        u = relative_uncertainty(sample, central, level=settings.ci_level)
    frame[f"{label}_p5_t_{b}"] = p5
    frame[f"{label}_p50_t_{b}"] = p50
    frame[f"{label}_p95_t_{b}"] = p95
    frame[f"{label}_uncertainty"] = u
    if label == "stock":  # a flow's conservative figure is its creditable quantity (per parcel)
        frame[f"{label}_conservative_t_{b}"] = conservative_stock(central, p5)


def _area_rse(mapping: Mapping[Any, float], key: tuple[int, str]) -> float:
    if key in mapping:
        return float(mapping[key])
    if key[1] in mapping:
        return float(mapping[key[1]])
    return 0.0


# -------------------------------------------------------------------------------- rollup
#: Value columns summed by :func:`rollup` (basis suffix appended where it ends in ``_t``).
_STOCK_SUMS: Final[tuple[str, ...]] = (
    "area_ha",
    "excluded_ha",
    "stock_t",
    *(f"{p}_t" for p in POOLS),
    "buried_t",
)
_FLOW_SUMS: Final[tuple[str, ...]] = (
    "area_ha",
    "excluded_ha",
    "accumulation_t",
    "emissions_t",
    "net_sequestration_t",
    "drained_soil_emissions_t",
)


def rollup(
    summary: Summary,
    group_of: Mapping[str, str],
    *,
    at_risk: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Sum the rows of ``summary`` whose class ``group_of`` maps into one row per group.

    Stock rows are keyed by (scope, parcel, year, group); flow rows by (scope, parcel, period,
    group of the class during the period), summed over their origins. Central values are sums;
    P5/P50/P95 and ``U`` come from the summed Monte Carlo draws, so they are the percentiles
    of the group's total. ``at_risk`` names classes whose stock is at risk: their share of a
    stock row is ``stock_at_risk_t_<basis>``, deducted from the conservative stock
    (:func:`~bluecarbon.carbon.conservative.conservative_stock`). Classes not in ``group_of``
    are left out.
    """
    frame, b = summary.frame, summary.basis_suffix
    if frame.empty:
        return frame
    parts = []
    for kind, samples, keys, sums in (
        ("stock", summary.stock_samples, ["scope", "parcel_id", "year"], _STOCK_SUMS),
        ("flow", summary.flow_samples, ["scope", "parcel_id", "period_start", "period_end"], _FLOW_SUMS),
    ):
        rows = frame[frame["kind"] == kind].reset_index(drop=True)
        if rows.empty:
            continue
        member = rows["lulc_class"].map(group_of)
        kept = member.notna().to_numpy()
        rows = rows[kept].assign(group=member[kept]).reset_index(drop=True)
        if rows.empty:
            continue
        columns = [c if c in ("area_ha", "excluded_ha") else f"{c}_{b}" for c in sums]
        columns = [c for c in columns if c in rows.columns]
        if kind == "stock":
            risky = rows["lulc_class"].isin(at_risk).to_numpy()
            rows[f"stock_at_risk_t_{b}"] = np.where(risky, rows[f"stock_t_{b}"].to_numpy(), 0.0)
            columns.append(f"stock_at_risk_t_{b}")
        grouped = rows.groupby([*keys, "group"], sort=True, dropna=False)
        out = grouped[columns].sum().reset_index()
        out.insert(2, "kind", kind)
        label = "stock" if kind == "stock" else "net_sequestration"
        central = out[f"{label}_t_{b}"].to_numpy(dtype=np.float64)
        if samples is not None and summary.settings is not None:
            codes = grouped.ngroup().to_numpy()
            matrix = sparse.csr_matrix(
                (np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), len(out))
            )
            drawn = np.asarray(samples[:, kept] @ matrix)
            p5, p50, p95 = percentiles(drawn)
            u = relative_uncertainty(drawn, central, level=summary.settings.ci_level)
        else:
            p5 = p50 = p95 = central
            u = np.zeros_like(central)
        out[f"{label}_p5_t_{b}"] = p5
        out[f"{label}_p50_t_{b}"] = p50
        out[f"{label}_p95_t_{b}"] = p95
        out[f"{label}_uncertainty"] = u
        if kind == "stock":
            out[f"stock_conservative_t_{b}"] = conservative_stock(
                central, p5, at_risk=out[f"stock_at_risk_t_{b}"].to_numpy()
            )
        parts.append(out)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def order_columns(frame: pd.DataFrame, first: Sequence[str] = ()) -> pd.DataFrame:
    head = [c for c in first if c in frame.columns]
    return frame[head + [c for c in frame.columns if c not in head]]
