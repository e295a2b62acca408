"""The transition model's types: timeline, modes, the model spec and its output layout.

Why apart from the kernel: everything that describes a run before any number is computed
(snapshot and output years, periods, the mode, the carbon basis, which optional outputs exist
and how they stack into layers) is used by the block engine, the dataset assembly, the writer
and the totals, none of which needs the kernel's arithmetic. The kernel
(:mod:`~bluecarbon.carbon.transitions.kernel`) evaluates these specs.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np

from bluecarbon.carbon.transitions.tables import (
    POOLS,
)
from bluecarbon.carbon.transitions.valuation import Valuation
from bluecarbon.errors import InputError
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
