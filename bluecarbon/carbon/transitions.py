"""The transition model: per-unit parameters and the closed-form kernel, in both modes.

Why this shape: everything the model outputs for a pixel is a function of the pixel's class at
each snapshot (its *trajectory*) and of the class parameters, unless spatial parameter rasters
override them. The kernel (:func:`unit_outputs`) therefore works on "units", the trailing
axes of its parameter arrays, which can be the pixels of a raster block, the distinct
trajectories of a map, or trajectories x Monte Carlo draws. One implementation serves the
per-pixel path, the fast lookup path and the uncertainty propagation, so they cannot drift
apart.

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

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np

from bluecarbon.carbon.cbc_tables import (
    DISTURBABLE_POOLS,
    IMPACT_LEVELS,
    POOLS,
    Action,
    ClassTable,
    TransitionMatrix,
)
from bluecarbon.carbon.emissions import decay_factor, invest_first_quiet_year, is_zero
from bluecarbon.carbon.valuation import Valuation, invest_valuation_factor, weight_array
from bluecarbon.errors import InputError
from bluecarbon.units import CO2E_PER_C
from bluecarbon.vocab import CarbonBasis

#: Stocks within this distance below zero (Mg ha-1) are float rounding and reported as 0.
ROUNDING_FLOOR: Final[float] = 1e-6


class Mode(StrEnum):
    DEFAULT = "default"
    INVEST_COMPAT = "invest_compat"


@dataclass(frozen=True)
class Timeline:
    """Snapshot years, the analysis year and the years at which stocks are reported.

    Period ``k`` runs from snapshot ``k`` to the next snapshot (the last one to the analysis
    year); it covers the years ``start <= y < end``. A stock "at year y" is the stock at the
    start of that year.
    """

    snapshot_years: tuple[int, ...]
    analysis_year: int
    extra_years: tuple[int, ...] = ()

    @classmethod
    def build(
        cls, snapshot_years: Sequence[int], *, analysis_year: int | None = None, years: Sequence[int] = ()
    ) -> Timeline:
        snaps = tuple(sorted(int(y) for y in snapshot_years))
        if not snaps:
            raise InputError("no snapshot years", expected="at least one snapshot")
        if len(set(snaps)) != len(snaps):
            raise InputError("duplicate snapshot years", expected="unique years")
        if analysis_year is None:
            if len(snaps) == 1:
                raise InputError(
                    "an analysis year is required with a single snapshot", column="analysis_year"
                )
            analysis = snaps[-1]
        else:
            analysis = int(analysis_year)
            if analysis < snaps[-1]:
                raise InputError(
                    f"analysis year {analysis} is before the last snapshot {snaps[-1]}",
                    column="analysis_year",
                    expected=f">= {snaps[-1]}",
                )
            if len(snaps) == 1 and analysis == snaps[0]:
                raise InputError("the analysis year must follow the single snapshot", column="analysis_year")
        extra = tuple(sorted({int(y) for y in years}))
        bad = [y for y in extra if y < snaps[0] or y > analysis]
        if bad:
            raise InputError(
                f"year {bad[0]} is outside the modelled span",
                column="years",
                expected=f"{snaps[0]}..{analysis}",
            )
        return cls(snapshot_years=snaps, analysis_year=analysis, extra_years=extra)

    @property
    def baseline(self) -> int:
        return self.snapshot_years[0]

    @property
    def starts(self) -> tuple[int, ...]:
        return self.snapshot_years

    @property
    def ends(self) -> tuple[int, ...]:
        return (*self.snapshot_years[1:], self.analysis_year)

    @property
    def n_periods(self) -> int:
        """Number of parameter periods (one per snapshot, the last possibly empty)."""
        return len(self.snapshot_years)

    @property
    def reported_periods(self) -> tuple[int, ...]:
        """Indices of periods that span at least one year."""
        return tuple(k for k, (s, e) in enumerate(zip(self.starts, self.ends, strict=True)) if e > s)

    @property
    def period_labels(self) -> tuple[str, ...]:
        return tuple(f"{self.starts[k]}-{self.ends[k]}" for k in self.reported_periods)

    @property
    def output_years(self) -> tuple[int, ...]:
        return tuple(sorted({*self.snapshot_years, self.analysis_year, *self.extra_years}))

    def period_of(self, year: int) -> int:
        """Index of the period whose start is the last snapshot at or before ``year``."""
        return max(k for k, s in enumerate(self.starts) if s <= year)

    @property
    def invest_npv_years(self) -> tuple[int, ...]:
        """Years at which InVEST 3.20.2 writes a net present value: every period end."""
        return tuple(sorted({self.ends[k] for k in self.reported_periods}))


@dataclass(frozen=True)
class UnitParameters:
    """Parameters per unit (trailing axes) and period (leading axis of the period arrays).

    ``accumulation[pool][k]`` is the yearly accumulation in period ``k``; ``disturbance[pool][k]``
    the fraction of the pool disturbed at the start of period ``k`` (0 for ``k = 0``);
    ``half_life[pool][k]`` the half-life of the class left at that transition (InVEST uses the
    class of the previous snapshot). ``drained`` is the yearly drained-soil loss (tables' basis)
    and ``methane`` the yearly CH4 (Mg CH4) in each period, or None when no transition calls
    for them. ``valid`` is False where any snapshot is nodata.
    """

    initial: Mapping[str, np.ndarray]
    accumulation: Mapping[str, np.ndarray]
    disturbance: Mapping[str, np.ndarray]
    half_life: Mapping[str, np.ndarray]
    valid: np.ndarray
    drained: np.ndarray | None = None
    methane: np.ndarray | None = None
    entered: np.ndarray | None = None
    entry_initial: Mapping[str, np.ndarray] | None = None


@dataclass(frozen=True)
class Layout:
    """Order of the output layers when the kernel's outputs are stacked into one array."""

    entries: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def n_layers(self) -> int:
        return sum(int(np.prod(shape)) for _, shape in self.entries)

    def offsets(self) -> dict[str, tuple[int, int, tuple[int, ...]]]:
        out, start = {}, 0
        for name, shape in self.entries:
            size = int(np.prod(shape))
            out[name] = (start, start + size, shape)
            start += size
        return out

    def stack(self, outputs: Mapping[str, np.ndarray], *, dtype: type = np.float32) -> np.ndarray:
        unit_shape = np.shape(outputs[self.entries[0][0]])[len(self.entries[0][1]) :]
        parts = [np.asarray(outputs[name], dtype=dtype).reshape(-1, *unit_shape) for name, _ in self.entries]
        return np.concatenate(parts, axis=0)

    def split(self, stacked: np.ndarray) -> dict[str, np.ndarray]:
        unit_shape = stacked.shape[1:]
        return {
            name: stacked[a:b].reshape(*shape, *unit_shape) for name, (a, b, shape) in self.offsets().items()
        }


@dataclass(frozen=True)
class ModelSpec:
    """Everything the kernel needs besides the per-unit parameters.

    ``reset_on_entry`` (default mode only) sets a pixel's pools to the initial stocks of the
    class it enters through an ``accum`` transition, the user's guide's "storage equilibrium"
    reading (IPCC stock-difference style: a class holds its class stock). The jump is a
    reclassification, not sequestration, so stock change = net sequestration + jumps. Off (the
    default), the stock carries over (InVEST's code and mass balance): a pixel lost and regained
    by mapping noise emits and is never refilled, so noise cannot create carbon.

    ``soil_burial`` (default mode only): the soil pool is a stock to a fixed accounting depth,
    so soil accumulation (burial) is a flux that moves carbon below that depth, not an increase
    of the fixed-depth stock. It is reported as accumulation and kept, cumulated since the
    first snapshot, in ``carbon_buried``; disturbances act on the fixed-depth stock only. The
    mass balance then reads stock change + burial change = accumulation - emissions. Off,
    accumulation adds to the soil pool (InVEST's user's guide).

    ``change_dating`` (default mode only): when a change seen between two maps happens.
    ``snapshot`` (InVEST) dates it at the later map, so a loss observed at a map emits only
    after it and the interval between the maps shows none of it. ``midpoint`` dates it half
    way between the maps: the class of the earlier map accumulates for the first half of the
    interval, the later one for the second, and a loss starts emitting mid-interval, so the
    stock and the flux of an interval both see what was observed in it (no valuation).
    """

    timeline: Timeline
    mode: Mode = Mode.DEFAULT
    basis: CarbonBasis = CarbonBasis.CO2E
    valuation: Valuation | None = None
    drained: bool = False
    rewetting: bool = False
    gwp100_ch4: float | None = None
    reset_on_entry: bool = False
    soil_burial: bool = False
    change_dating: str = "snapshot"

    def __post_init__(self) -> None:
        if self.change_dating not in ("snapshot", "midpoint"):
            raise InputError(f"change_dating {self.change_dating!r}", expected="'snapshot' or 'midpoint'")
        default_only = self.reset_on_entry or self.soil_burial or self.change_dating != "snapshot"
        if self.mode is Mode.INVEST_COMPAT and default_only:
            raise InputError(
                "reset_on_entry, soil_burial and midpoint change dating belong to the default mode",
                expected="mode='default'",
            )
        if self.change_dating == "midpoint" and self.valuation is not None:
            raise InputError("midpoint change dating has no valuation", expected="change_dating='snapshot'")

    def change_times(self) -> tuple[float, ...]:
        """When the class of each snapshot takes over (first: the first snapshot), plus the
        analysis year as the end of the last one."""
        tl = self.timeline
        snaps = tl.snapshot_years
        if self.change_dating == "midpoint":
            times = [float(snaps[0]), *((a + b) / 2.0 for a, b in itertools.pairwise(snaps))]
        else:
            times = [float(y) for y in snaps]
        return (*times, float(tl.analysis_year))

    def layout(self) -> Layout:
        tl = self.timeline
        n_years, n_periods = len(tl.output_years), len(tl.reported_periods)
        entries: list[tuple[str, tuple[int, ...]]] = [
            ("carbon_stock", (n_years,)),
            ("carbon_stock_by_pool", (len(POOLS), n_years)),
            ("carbon_accumulation", (n_periods,)),
            ("carbon_emissions", (n_periods,)),
            ("net_sequestration", (n_periods,)),
            ("total_net_sequestration", ()),
        ]
        if self.soil_burial:
            entries.append(("carbon_buried", (n_years,)))
        if self.valuation is not None:
            entries.append(("net_present_value", (n_years,)))
        if self.drained:
            entries.append(("drained_soil_emissions", (n_periods,)))
        if self.rewetting:
            entries += [("methane_emissions", (n_periods,)), ("methane_emissions_co2e", (n_periods,))]
        return Layout(tuple(entries))


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
