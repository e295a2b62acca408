"""The closed-form kernel of the transition model, in both modes.

Why this shape: everything the model outputs for a pixel is a function of the pixel's class at
each snapshot (its *trajectory*) and of the class parameters, unless spatial parameter rasters
override them. The kernel (:func:`unit_outputs`) therefore works on "units", the trailing
axes of its parameter arrays, which can be the pixels of a raster block, the distinct
trajectories of a map, or trajectories x Monte Carlo draws. One implementation serves the
per-pixel path, the fast lookup path and the uncertainty propagation, so they cannot drift
apart. The model's types (timeline, modes, spec, output layout) are in
:mod:`~bluecarbon.carbon.transitions.model`.

Time is closed form (METHODS.md section 3): stocks are piecewise linear between snapshots and
disturbance emissions are telescoping sums in (disturbed amount, year, half-life). The cost per
unit grows with the number of snapshots, never with the number of years.

Two modes:

* ``default`` follows the InVEST user's guide: each disturbance is a cohort that keeps the
  half-life of the pool that was disturbed, net sequestration is accumulation minus emissions
  in every pool including litter, the litter *stock* enters the total, and NPV values each
  year's net sequestration at that year's discounted price.
* ``invest_compat`` reproduces natcap.invest 3.20.2 Coastal Blue Carbon, including its
  departures from the guide (docs/invest-differences.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from bluecarbon.carbon.transitions.emissions import decay_factor, invest_first_quiet_year, is_zero
from bluecarbon.carbon.transitions.model import (
    ROUNDING_FLOOR,
    Mode,
    ModelSpec,
    UnitParameters,
)
from bluecarbon.carbon.transitions.tables import (
    DISTURBABLE_POOLS,
    IMPACT_LEVELS,
    POOLS,
    Action,
    ClassTable,
    TransitionMatrix,
)
from bluecarbon.carbon.transitions.valuation import invest_valuation_factor, weight_array
from bluecarbon.errors import InputError
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import CarbonBasis


# ---------------------------------------------------------------------- parameter lookup
def resolve_parameters(
    idx: np.ndarray,
    classes: ClassTable,
    matrix: TransitionMatrix,
    spec: ModelSpec,
    *,
    overrides: Mapping[str, np.ndarray] | None = None,
) -> UnitParameters:
    """Per-unit parameters from class indices ``idx`` (snapshot axis first, then units).

    ``classes`` may hold draws (values of shape ``(D, K)``); the result then has a draw axis
    before the unit axes. ``overrides`` maps a biophysical column to a per-unit array that
    replaces the class value wherever it is finite (spatially explicit parameters).
    """
    idx = np.asarray(idx)
    n_snap = spec.timeline.n_periods
    if idx.shape[0] != n_snap:
        raise InputError(f"{idx.shape[0]} class layers for {n_snap} snapshots")
    nodata = classes.nodata_index
    overrides = overrides or {}
    cols = {name: classes.column(name) for name in classes.values}

    def value(name: str, at: np.ndarray) -> np.ndarray:
        table = cols[name]
        got = table[..., at] if table.ndim == 1 else _take_draws(table, at)
        if name in overrides:
            raster = np.asarray(overrides[name], dtype=np.float64)
            got = np.where(np.isfinite(raster), raster, got)
        return got

    action = matrix.action
    initial = {pool: value(f"{pool}-initial", idx[0]) for pool in POOLS}
    accumulation: dict[str, list[np.ndarray]] = {p: [] for p in POOLS}
    disturbance: dict[str, list[np.ndarray]] = {p: [] for p in DISTURBABLE_POOLS}
    half_life: dict[str, list[np.ndarray]] = {p: [] for p in DISTURBABLE_POOLS}
    drained: list[np.ndarray] = []
    methane: list[np.ndarray] = []
    for k in range(n_snap):
        cur = idx[k]
        prev = idx[k - 1] if k else idx[0]
        act = action[prev, cur] if k else np.full(cur.shape, int(Action.ACCUM), dtype=np.int8)
        for pool in DISTURBABLE_POOLS:
            rate = value(f"{pool}-yearly-accumulation", cur)
            accumulation[pool].append(np.where(act == int(Action.ACCUM), rate, 0.0))
            if k == 0:
                disturbance[pool].append(np.zeros_like(rate))
                half_life[pool].append(np.zeros_like(rate))
                continue
            frac = np.zeros_like(rate)
            for level, level_action in zip(IMPACT_LEVELS, (Action.LOW, Action.MED, Action.HIGH), strict=True):
                frac = np.where(act == int(level_action), value(f"{pool}-{level}-impact-disturb", prev), frac)
            disturbance[pool].append(frac)
            half_life[pool].append(value(f"{pool}-half-life", prev))
        accumulation["litter"].append(value("litter-yearly-accumulation", cur))
        if spec.drained:
            on = matrix.drained[prev, cur] if k else np.zeros(cur.shape, dtype=bool)
            drained.append(np.where(on, value("drained-soil-ef", prev), 0.0))
        if spec.rewetting:
            on = matrix.rewetted[prev, cur] if k else np.zeros(cur.shape, dtype=bool)
            methane.append(np.where(on, value("rewetted-ch4-ef", cur), 0.0) / 1000.0)
    valid = np.all(idx != nodata, axis=0)
    entered = entry_initial = None
    if spec.reset_on_entry:
        changes = [np.zeros(idx[0].shape, dtype=bool)]
        changes += [
            (action[idx[k - 1], idx[k]] == int(Action.ACCUM)) & (idx[k - 1] != idx[k])
            for k in range(1, n_snap)
        ]
        entered = np.stack(changes)
        entry_initial = {
            pool: _stack([value(f"{pool}-initial", idx[k]) for k in range(n_snap)]) for pool in POOLS
        }
    periods = {
        "accumulation": {p: _stack(v) for p, v in accumulation.items()},
        "disturbance": {p: _stack(v) for p, v in disturbance.items()},
        "half_life": {p: _stack(v) for p, v in half_life.items()},
    }
    # One unit shape for every array (draws x units when some columns hold draws).
    shapes = [np.shape(v) for v in initial.values()] + [np.shape(valid)]
    shapes += [np.shape(v)[1:] for group in periods.values() for v in group.values()]
    shapes += [np.shape(v)[1:] for v in (drained, methane) if v]
    unit = np.broadcast_shapes(*shapes)

    def fit(a: np.ndarray, lead: tuple[int, ...] = ()) -> np.ndarray:
        a = np.asarray(a)
        inner = a.shape[len(lead) :]
        a = a.reshape(*lead, *([1] * (len(unit) - len(inner))), *inner)
        return np.broadcast_to(a, (*lead, *unit))

    return UnitParameters(
        initial={p: fit(v) for p, v in initial.items()},
        accumulation={p: fit(v, (n_snap,)) for p, v in periods["accumulation"].items()},
        disturbance={p: fit(v, (n_snap,)) for p, v in periods["disturbance"].items()},
        half_life={p: fit(v, (n_snap,)) for p, v in periods["half_life"].items()},
        valid=fit(valid),
        drained=fit(_stack(drained), (n_snap,)) if spec.drained else None,
        methane=fit(_stack(methane), (n_snap,)) if spec.rewetting else None,
        entered=None if entered is None else fit(entered, (n_snap,)),
        entry_initial=None
        if entry_initial is None
        else {p: fit(v, (n_snap,)) for p, v in entry_initial.items()},
    )


def _take_draws(table: np.ndarray, at: np.ndarray) -> np.ndarray:
    # table (D, K+1), at (...units) -> (D, ...units)
    return table[:, at]


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    shape = np.broadcast_shapes(*(np.shape(p) for p in parts))
    return np.stack([np.broadcast_to(p, shape) for p in parts])


# -------------------------------------------------------------------------------- kernel
def unit_outputs(params: UnitParameters, spec: ModelSpec) -> dict[str, np.ndarray]:
    """All outputs per unit, per hectare in the tables' basis (value in currency per hectare).

    Keys follow :meth:`ModelSpec.layout`; leading axes are years / pools / periods as there.
    """
    out = _compat(params, spec) if spec.mode is Mode.INVEST_COMPAT else _default(params, spec)
    tl = spec.timeline
    lengths = [tl.ends[k] - tl.starts[k] for k in tl.reported_periods]
    if spec.drained and params.drained is not None:
        out["drained_soil_emissions"] = np.stack(
            [params.drained[k] * n for k, n in zip(tl.reported_periods, lengths, strict=True)]
        )
    if spec.rewetting and params.methane is not None:
        ch4 = np.stack([params.methane[k] * n for k, n in zip(tl.reported_periods, lengths, strict=True)])
        out["methane_emissions"] = ch4
        out["methane_emissions_co2e"] = ch4 * float(spec.gwp100_ch4 or np.nan)
    mask = params.valid
    return {name: np.where(mask, value, np.nan) for name, value in out.items()}


def _to_co2e(spec: ModelSpec) -> float:
    return CO2E_PER_C if spec.basis is CarbonBasis.C else 1.0


def _overlap(start: float, end: float, t: float) -> float:
    return float(min(max(t - start, 0), end - start))


def _default(params: UnitParameters, spec: ModelSpec) -> dict[str, np.ndarray]:
    tl = spec.timeline
    years = tl.output_years
    out_stock: dict[str, list[np.ndarray]] = {p: [] for p in POOLS}
    emissions = [0.0 for _ in tl.reported_periods]
    cohorts_all: list[tuple[np.ndarray, float, np.ndarray]] = []
    change = spec.change_times()  # class k holds over [change[k], change[k + 1])

    def accumulated(pool: str, t: float) -> np.ndarray:
        total = np.zeros_like(params.initial[pool])
        for k in range(tl.n_periods):
            span = _overlap(change[k], change[k + 1], t)
            if span:
                total = total + params.accumulation[pool][k] * span
        return total

    def jumped(jumps: list[tuple[float, np.ndarray]], t: float, like: np.ndarray) -> np.ndarray:
        total = np.zeros_like(like)
        for t0, delta in jumps:
            if t >= t0:
                total = total + delta
        return total

    for pool in POOLS:
        cohorts: list[tuple[np.ndarray, float, np.ndarray]] = []
        jumps: list[tuple[float, np.ndarray]] = []
        like = params.initial[pool]

        def emitted_by(
            t: float, cohorts: list[tuple[np.ndarray, float, np.ndarray]] = cohorts, like: np.ndarray = like
        ) -> np.ndarray:
            total = np.zeros_like(like)
            for v, s, a in cohorts:
                if t > s:
                    total = total + v * (1.0 - np.power(a, t - s))
            return total

        grows = not (spec.soil_burial and pool == "soil")  # burial: a flux below the fixed depth

        def stock_at(
            t: float,
            pool: str = pool,
            jumps: list[tuple[float, np.ndarray]] = jumps,
            emitted: Callable[[float], np.ndarray] = emitted_by,
            grows: bool = grows,
        ) -> np.ndarray:
            base = params.initial[pool] - emitted(t)
            if grows:
                base = base + accumulated(pool, t)
            return base + jumped(jumps, t, params.initial[pool])

        for k in range(1, tl.n_periods):
            t0 = change[k]
            stock = stock_at(t0)
            if params.entered is not None and params.entry_initial is not None:
                # Reset on entry: the pool takes the new class's stock (a reclassification).
                delta = np.where(params.entered[k], params.entry_initial[pool][k] - stock, 0.0)
                jumps.append((t0, delta))
                stock = stock + delta
            if pool not in DISTURBABLE_POOLS:
                continue
            pending = np.zeros_like(stock)
            for v, s, a in cohorts:
                pending = pending + v * np.power(a, t0 - s)
            h = params.half_life[pool][k]
            a_k = decay_factor(h)
            v_k = np.where(is_zero(h), 0.0, params.disturbance[pool][k] * (stock - pending))
            cohorts.append((v_k, t0, a_k))
        for y in years:
            out_stock[pool].append(stock_at(y))
        for i, k in enumerate(tl.reported_periods):
            emissions[i] = emissions[i] + (emitted_by(tl.ends[k]) - emitted_by(tl.starts[k]))
        cohorts_all += cohorts

    by_pool = np.stack([np.stack(out_stock[p]) for p in POOLS])
    by_pool = np.where((by_pool < 0) & (by_pool > -ROUNDING_FLOOR), 0.0, by_pool)
    accumulation = np.stack(
        [
            sum(accumulated(p, tl.ends[k]) - accumulated(p, tl.starts[k]) for p in POOLS)
            for k in tl.reported_periods
        ]
    )
    emitted = np.stack([np.broadcast_to(e, accumulation.shape[1:]) for e in emissions])
    net = accumulation - emitted
    out = {
        "carbon_stock": by_pool.sum(axis=0),
        "carbon_stock_by_pool": by_pool,
        "carbon_accumulation": accumulation,
        "carbon_emissions": emitted,
        "net_sequestration": net,
        "total_net_sequestration": net.sum(axis=0),
    }
    if spec.soil_burial:
        out["carbon_buried"] = np.stack(
            [np.broadcast_to(accumulated("soil", y), out["carbon_stock"].shape[1:]) for y in years]
        )
    if spec.valuation is not None:
        out["net_present_value"] = _guide_npv(params, spec, cohorts_all)
    return out


def _guide_npv(
    params: UnitParameters, spec: ModelSpec, cohorts: list[tuple[np.ndarray, float, np.ndarray]]
) -> np.ndarray:
    """sum over years y < T of w_y N_y, with N_y = accumulation - emissions in year y (CO2e)."""
    assert spec.valuation is not None
    tl = spec.timeline
    years = tl.output_years
    last = max(years)
    w = weight_array(spec.valuation, baseline=tl.baseline, last_year=last)
    cum = np.concatenate([[0.0], np.cumsum(w)])  # cum[i] = sum of w for years baseline..baseline+i-1

    def w_sum(a: int, b: int) -> float:
        return float(cum[max(b, a) - tl.baseline] - cum[a - tl.baseline])

    rate_total = [sum(params.accumulation[p][k] for p in POOLS) for k in range(tl.n_periods)]
    results = []
    for t in years:
        value = np.zeros_like(params.initial["soil"])
        for k in range(tl.n_periods):
            b = min(tl.ends[k], t)
            if b > tl.starts[k]:
                value = value + rate_total[k] * w_sum(tl.starts[k], b)
        results.append(value)
    results_arr = np.stack(results)
    # Emissions: cohort j emits V (1-a) a^(y-s) in year y >= s; accumulate discounted terms.
    index = {t: i for i, t in enumerate(years)}
    for v, start, a in cohorts:
        s = int(start)  # snapshot dating: cohorts start at whole years
        term = np.ones_like(a)
        running = np.zeros_like(np.broadcast_to(v, np.broadcast_shapes(np.shape(v), np.shape(a))))
        for y in range(s, last):
            running = running + w[y - tl.baseline] * term
            term = term * a
            if (y + 1) in index:
                results_arr[index[y + 1]] -= v * (1.0 - a) * running
    return results_arr * _to_co2e(spec)


def _compat(params: UnitParameters, spec: ModelSpec) -> dict[str, np.ndarray]:
    tl = spec.timeline
    years = tl.output_years
    reported = tl.reported_periods
    by_year: dict[str, list[np.ndarray]] = {p: [np.zeros(())] * len(years) for p in POOLS}
    period_emission: list[np.ndarray] = [np.zeros(()) for _ in reported]
    period_net: list[np.ndarray] = [np.zeros(()) for _ in reported]
    for pool in DISTURBABLE_POOLS:
        stock = params.initial[pool]
        volume = np.zeros_like(stock)
        since = np.full(np.shape(stock), float(tl.baseline))
        tracked = np.zeros(np.shape(stock), dtype=bool)
        for k in range(tl.n_periods):
            t0, t1 = tl.starts[k], tl.ends[k]
            rate = params.accumulation[pool][k]
            if k:
                frac = params.disturbance[pool][k]
                changed = ~is_zero(frac) & ~np.isnan(stock)
                volume = np.where(changed, frac * stock, volume)
                since = np.where(changed, float(t0), since)
                tracked = tracked | changed
                h = params.half_life[pool][k]
                emitting = tracked & ~is_zero(h)
                a = decay_factor(h)
                quiet = np.where(emitting, invest_first_quiet_year(volume, since, h), float(t0))
            else:
                emitting = np.zeros(np.shape(stock), dtype=bool)
                a = np.ones(np.shape(stock))
                quiet = np.full(np.shape(stock), float(t0))

            def net_until(
                t: float,
                rate: np.ndarray = rate,
                a: np.ndarray = a,
                quiet: np.ndarray = quiet,
                emitting: np.ndarray = emitting,
                t0: int = t0,
                volume: np.ndarray = volume,
                since: np.ndarray = since,
            ) -> np.ndarray:
                end_emit = np.clip(quiet, t0, t)
                with np.errstate(invalid="ignore"):
                    emitted = volume * (np.power(a, t0 - since) - np.power(a, end_emit - since))
                return -np.where(emitting, emitted, 0.0) + rate * (t - end_emit)

            for i, y in enumerate(years):
                if tl.period_of(y) == k:
                    by_year[pool][i] = stock + net_until(y)
            if k in reported:
                j = reported.index(k)
                with np.errstate(invalid="ignore"):
                    emitted = volume * (np.power(a, t0 - since) - np.power(a, t1 - since))
                period_emission[j] = period_emission[j] + np.where(emitting, emitted, 0.0)
                period_net[j] = period_net[j] + net_until(t1)
            stock = stock + net_until(t1)
    for i, y in enumerate(years):
        by_year["litter"][i] = params.accumulation["litter"][tl.period_of(y)]
    shape = np.shape(params.initial["soil"])
    by_pool = np.stack([np.stack([np.broadcast_to(v, shape) for v in by_year[p]]) for p in POOLS])
    accumulation = np.stack(
        [sum(params.accumulation[p][k] for p in POOLS) * float(tl.ends[k] - tl.starts[k]) for k in reported]
    )
    # InVEST's baseline-period net sequestration is the full accumulation (litter included);
    # later periods sum only the biomass and soil pools.
    net = np.stack(
        [accumulation[j] if k == 0 else np.broadcast_to(period_net[j], shape) for j, k in enumerate(reported)]
    )
    out = {
        "carbon_stock": by_pool.sum(axis=0),
        "carbon_stock_by_pool": by_pool,
        "carbon_accumulation": accumulation,
        "carbon_emissions": np.stack([np.broadcast_to(e, shape) for e in period_emission]),
        "net_sequestration": net,
        "total_net_sequestration": net.sum(axis=0),
    }
    if spec.valuation is not None:
        npv_years = set(tl.invest_npv_years)
        ends = [tl.ends[k] for k in reported]
        rows = []
        for y in years:
            if y not in npv_years:
                rows.append(np.full(shape, np.nan))
                continue
            factor = invest_valuation_factor(spec.valuation, baseline=tl.baseline, target_year=y)
            cumulative = sum(net[j] for j, end in enumerate(ends) if end <= y)
            rows.append(np.broadcast_to(cumulative * factor * _to_co2e(spec), shape))
        out["net_present_value"] = np.stack(rows)
    return out
