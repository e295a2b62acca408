"""The InVEST Coastal Blue Carbon table formats, read unchanged, as typed arrays.

Why this module: users already hold biophysical tables, transition matrices and snapshot
lists written for InVEST (natcap.invest 3.20.2); the engine accepts them byte for byte. Each
table becomes a small frozen dataclass of numpy arrays indexed by *class index* (the row order
of the biophysical table), so the engine can look parameters up with one fancy-indexing
operation per raster block. Index ``K`` (one past the last class) is reserved for nodata: its
parameters are NaN and its transitions are "no carbon change".

Extensions (ignored by nothing, refused by InVEST):

* biophysical columns ``<column>-se`` give a standard error for any numeric column (same units);
  ``drained-soil-ef`` (tables' basis per ha and year) and ``rewetted-ch4-ef`` (kg CH4 per ha
  and year) override the IPCC Tier 1 extra-emission factors per class;
* a transition cell may carry modifiers after ``+``: ``high-impact-disturb+drained`` (the
  source class's soil is drained: METHODS.md section 2, CO2 from drained soils) and
  ``accum+rewetted-low-salinity`` (the destination is rewetted at salinity below 18 ppt: CH4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from bluecarbon.errors import InputError
from bluecarbon.vocab import CarbonBasis

POOLS: Final[tuple[str, ...]] = ("biomass", "soil", "litter")
DISTURBABLE_POOLS: Final[tuple[str, ...]] = ("biomass", "soil")
IMPACT_LEVELS: Final[tuple[str, ...]] = ("low", "med", "high")

#: Numeric columns of an InVEST biophysical table, in InVEST's order.
BIOPHYSICAL_COLUMNS: Final[tuple[str, ...]] = (
    "biomass-initial",
    "soil-initial",
    "litter-initial",
    "biomass-half-life",
    "biomass-low-impact-disturb",
    "biomass-med-impact-disturb",
    "biomass-high-impact-disturb",
    "biomass-yearly-accumulation",
    "soil-half-life",
    "soil-low-impact-disturb",
    "soil-med-impact-disturb",
    "soil-high-impact-disturb",
    "soil-yearly-accumulation",
    "litter-yearly-accumulation",
)
#: Optional extra-emission factor columns (bluecarbon extension).
EXTRA_COLUMNS: Final[tuple[str, ...]] = ("drained-soil-ef", "rewetted-ch4-ef")


def column_units(column: str) -> str:
    """Units of a biophysical column (and of a parameter raster overriding it), as InVEST's
    user's guide states them; masses per hectare are in the tables' carbon basis."""
    name = column.removesuffix("-se")
    if name.endswith("-initial"):
        return "Mg ha-1"
    if name.endswith(("-yearly-accumulation", "drained-soil-ef")):
        return "Mg ha-1 yr-1"
    if name.endswith("-half-life"):
        return "yr"
    if name.endswith("-impact-disturb"):
        return "1"
    if name == "rewetted-ch4-ef":
        return "kg ha-1 yr-1"
    raise InputError(f"unknown biophysical column {column!r}", column=column, expected="an InVEST column")


SE_SUFFIX: Final[str] = "-se"


class Action(IntEnum):
    """What a transition cell does to carbon."""

    NCC = 0
    ACCUM = 1
    LOW = 2
    MED = 3
    HIGH = 4


_ACTIONS: Final[dict[str, Action]] = {
    "": Action.NCC,
    "ncc": Action.NCC,
    "accum": Action.ACCUM,
    "low-impact-disturb": Action.LOW,
    "med-impact-disturb": Action.MED,
    "high-impact-disturb": Action.HIGH,
}
MODIFIER_DRAINED: Final[str] = "drained"
MODIFIER_REWETTED: Final[str] = "rewetted-low-salinity"


@dataclass(frozen=True)
class ClassTable:
    """A biophysical table: one row per land-cover class, values in ``basis`` per hectare.

    ``values[column]`` has shape ``(K,)`` (or ``(D, K)`` for Monte Carlo draws, see
    :meth:`with_values`); ``standard_errors[column]`` is NaN where no error is known.
    ``draw_groups`` (optional, one integer per class) makes classes of one group share their
    Monte Carlo noise, for variants of one habitat whose values are scaled copies (a patchy
    meadow holds half the density of the same, uncertain, regional mean).
    """

    lucodes: np.ndarray
    names: tuple[str, ...]
    values: Mapping[str, np.ndarray]
    basis: CarbonBasis
    standard_errors: Mapping[str, np.ndarray] = field(default_factory=dict)
    source: str = ""
    draw_groups: np.ndarray | None = None

    @property
    def n_classes(self) -> int:
        return len(self.names)

    @property
    def nodata_index(self) -> int:
        return len(self.names)

    def column(self, name: str) -> np.ndarray:
        """``values[name]`` with a NaN appended for the nodata index (shape ``(..., K+1)``)."""
        if name not in self.values:
            raise InputError(
                f"biophysical table has no column {name!r}", file=self.source or None, column=name
            )
        v = np.asarray(self.values[name], dtype=np.float64)
        pad = np.full((*v.shape[:-1], 1), np.nan)
        return np.concatenate([v, pad], axis=-1)

    def has(self, name: str) -> bool:
        return name in self.values

    def with_values(self, values: Mapping[str, np.ndarray]) -> ClassTable:
        """The same classes with some columns replaced (for example by Monte Carlo draws)."""
        return replace(self, values={**self.values, **values})

    def index_of_code(self, lucode: int) -> int:
        hits = np.flatnonzero(self.lucodes == lucode)
        if hits.size == 0:
            raise InputError(
                f"land-cover code {lucode} is not in the biophysical table", file=self.source or None
            )
        return int(hits[0])

    def index_of_name(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise InputError(
                f"class {name!r} is not in the biophysical table",
                file=self.source or None,
                column="lulc-class",
                expected="one of " + ", ".join(self.names),
            ) from None


@dataclass(frozen=True)
class TransitionMatrix:
    """Carbon action per (from, to) class pair, indexed ``[from, to]`` with nodata at ``K``."""

    action: np.ndarray
    drained: np.ndarray
    rewetted: np.ndarray
    source: str = ""

    @property
    def calls_for_drained(self) -> bool:
        return bool(self.drained.any())

    @property
    def calls_for_rewetting(self) -> bool:
        return bool(self.rewetted.any())

    @classmethod
    def empty(cls, n_classes: int) -> TransitionMatrix:
        size = n_classes + 1
        return cls(
            action=np.zeros((size, size), dtype=np.int8),
            drained=np.zeros((size, size), dtype=bool),
            rewetted=np.zeros((size, size), dtype=bool),
        )


# ------------------------------------------------------------------------------ readers
def read_snapshots(path: str | Path) -> dict[int, Path]:
    """InVEST snapshot CSV (``snapshot_year, raster_path``); paths are relative to the CSV."""
    path = Path(path)
    frame = _read_csv(path, dtype=str)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for column in ("snapshot_year", "raster_path"):
        if column not in frame.columns:
            raise InputError(
                "missing column", file=path, column=column, expected="snapshot_year, raster_path"
            )
    out: dict[int, Path] = {}
    for i, (year, raster) in enumerate(
        zip(frame["snapshot_year"], frame["raster_path"], strict=True), start=2
    ):
        if pd.isna(year) or pd.isna(raster) or not str(raster).strip():
            raise InputError("empty cell", file=path, row=i, expected="a year and a raster path")
        try:
            y = int(float(str(year)))
        except ValueError:
            raise InputError(
                f"year {year!r} is not a number", file=path, row=i, column="snapshot_year"
            ) from None
        if y in out:
            raise InputError(f"snapshot year {y} appears twice", file=path, row=i, column="snapshot_year")
        raster_path = Path(str(raster).strip())
        out[y] = raster_path if raster_path.is_absolute() else (path.parent / raster_path)
    if not out:
        raise InputError("no snapshots", file=path, expected="at least one row")
    return dict(sorted(out.items()))


def read_biophysical(path: str | Path, *, basis: CarbonBasis | str = CarbonBasis.CO2E) -> ClassTable:
    """InVEST biophysical table (columns case-insensitive) as a :class:`ClassTable`."""
    path = Path(path)
    frame = _read_csv(path)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return class_table_from_frame(frame, basis=CarbonBasis(_basis_value(basis)), source=str(path))


def class_table_from_frame(frame: pd.DataFrame, *, basis: CarbonBasis, source: str = "") -> ClassTable:
    """Validate a biophysical DataFrame (InVEST columns) and build a :class:`ClassTable`."""
    where = source or None
    for column in ("lucode", "lulc-class", *BIOPHYSICAL_COLUMNS):
        if column not in frame.columns:
            raise InputError(
                "missing column", file=where, column=column, expected="the InVEST biophysical columns"
            )
    frame = frame.reset_index(drop=True)
    codes = []
    for i, value in enumerate(frame["lucode"], start=2):
        codes.append(_integer(value, file=where, row=i, column="lucode"))
    names = [str(n).strip() for n in frame["lulc-class"]]
    for i, name in enumerate(names, start=2):
        if not name or name.lower() == "nan":
            raise InputError("empty class name", file=where, row=i, column="lulc-class")
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        raise InputError(f"lucode {dup} appears twice", file=where, column="lucode", expected="unique codes")
    if len(set(names)) != len(names):
        dup_name = next(n for n in names if names.count(n) > 1)
        raise InputError(
            f"class {dup_name!r} appears twice", file=where, column="lulc-class", expected="unique names"
        )
    values: dict[str, np.ndarray] = {}
    errors: dict[str, np.ndarray] = {}
    numeric = [c for c in frame.columns if c in BIOPHYSICAL_COLUMNS or c in EXTRA_COLUMNS]
    for column in numeric:
        values[column] = _numbers(
            frame[column], file=where, column=column, allow_empty=column in EXTRA_COLUMNS
        )
    for column in frame.columns:
        if column.endswith(SE_SUFFIX) and column[: -len(SE_SUFFIX)] in values:
            se = _numbers(frame[column], file=where, column=column, allow_empty=True)
            if (se[np.isfinite(se)] < 0).any():
                raise InputError("negative standard error", file=where, column=column, expected=">= 0")
            errors[column[: -len(SE_SUFFIX)]] = se
    for pool in DISTURBABLE_POOLS:
        hl = values[f"{pool}-half-life"]
        if (hl < 0).any():
            row = int(np.flatnonzero(hl < 0)[0]) + 2
            raise InputError(
                "negative half-life", file=where, row=row, column=f"{pool}-half-life", expected=">= 0"
            )
        for level in IMPACT_LEVELS:
            column = f"{pool}-{level}-impact-disturb"
            bad = (values[column] < 0) | (values[column] > 1)
            if bad.any():
                row = int(np.flatnonzero(bad)[0]) + 2
                raise InputError("disturbance fraction outside 0..1", file=where, row=row, column=column)
    return ClassTable(
        lucodes=np.asarray(codes, dtype=np.int64),
        names=tuple(names),
        values=values,
        basis=basis,
        standard_errors=errors,
        source=source,
    )


def read_transitions(path: str | Path, classes: ClassTable) -> TransitionMatrix:
    """InVEST transition matrix: rows are FROM classes, columns TO classes (by ``lulc-class`` name).

    Blank cells mean no carbon change; reading stops at the first row with a blank class name
    (the legend the InVEST preprocessor appends).
    """
    path = Path(path)
    frame = _read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip() for c in frame.columns]
    first = frame.columns[0]
    if first.lower() != "lulc-class":
        raise InputError("first column must be 'lulc-class'", file=path, column=first)
    matrix = TransitionMatrix.empty(classes.n_classes)
    seen: set[str] = set()
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        from_name = str(row[0]).strip()
        if not from_name:
            break
        from_index = _class_index(classes, from_name, file=path, row=i, column=first)
        if from_name in seen:
            raise InputError(f"class {from_name!r} has two rows", file=path, row=i, column=first)
        seen.add(from_name)
        for to_name, cell in zip(frame.columns[1:], row[1:], strict=True):
            if not to_name or to_name.lower().startswith("unnamed:"):
                if str(cell).strip():
                    raise InputError("value under a column without a class name", file=path, row=i)
                continue
            to_index = _class_index(classes, to_name, file=path, row=1, column=to_name)
            action, drained, rewetted = parse_transition_cell(str(cell), file=path, row=i, column=to_name)
            matrix.action[from_index, to_index] = int(action)
            matrix.drained[from_index, to_index] = drained
            matrix.rewetted[from_index, to_index] = rewetted
    return replace(matrix, source=str(path))


def parse_transition_cell(
    cell: str, *, file: str | Path | None = None, row: int | None = None, column: str | None = None
) -> tuple[Action, bool, bool]:
    """``'high-impact-disturb+drained'`` -> ``(Action.HIGH, True, False)``."""
    parts = [p.strip().lower() for p in str(cell).split("+")]
    head, modifiers = parts[0], parts[1:]
    if head == "disturb":
        raise InputError(
            "transition 'disturb' has no impact level",
            file=file,
            row=row,
            column=column,
            expected="low-impact-disturb, med-impact-disturb or high-impact-disturb",
        )
    if head not in _ACTIONS:
        raise InputError(
            f"unknown transition {cell!r}",
            file=file,
            row=row,
            column=column,
            expected="accum, low-impact-disturb, med-impact-disturb, high-impact-disturb, NCC or blank",
        )
    unknown = [m for m in modifiers if m not in (MODIFIER_DRAINED, MODIFIER_REWETTED)]
    if unknown:
        raise InputError(
            f"unknown transition modifier {unknown[0]!r}",
            file=file,
            row=row,
            column=column,
            expected=f"'+{MODIFIER_DRAINED}' or '+{MODIFIER_REWETTED}'",
        )
    return _ACTIONS[head], MODIFIER_DRAINED in modifiers, MODIFIER_REWETTED in modifiers


def transition_matrix_by_rule(
    classes: ClassTable,
    *,
    habitat: Mapping[str, bool],
    loss_action: Action = Action.HIGH,
) -> TransitionMatrix:
    """The InVEST preprocessor's rule: habitat -> anything habitat is ``accum``, non-habitat ->
    habitat is ``accum``, habitat -> non-habitat is a disturbance at ``loss_action``, the rest
    is no carbon change."""
    matrix = TransitionMatrix.empty(classes.n_classes)
    flags = [bool(habitat.get(name, False)) for name in classes.names]
    for i, from_habitat in enumerate(flags):
        for j, to_habitat in enumerate(flags):
            if to_habitat:
                matrix.action[i, j] = int(Action.ACCUM)
            elif from_habitat:
                matrix.action[i, j] = int(loss_action)
    return matrix


# ------------------------------------------------------------------------------ helpers
def _read_csv(path: Path, **kwargs: object) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **kwargs)
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV table: {exc}", file=path) from None


def _integer(value: object, *, file: str | None, row: int, column: str) -> int:
    try:
        f = float(str(value))
    except ValueError:
        raise InputError(f"{value!r} is not a number", file=file, row=row, column=column) from None
    if not np.isfinite(f) or f != int(f):
        raise InputError(f"{value!r} is not an integer", file=file, row=row, column=column)
    return int(f)


def _numbers(series: pd.Series, *, file: str | None, column: str, allow_empty: bool) -> np.ndarray:
    out = np.empty(len(series), dtype=np.float64)
    for i, value in enumerate(series):
        if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
            if not allow_empty:
                raise InputError("empty cell", file=file, row=i + 2, column=column, expected="a number")
            out[i] = np.nan
            continue
        try:
            out[i] = float(str(value))
        except ValueError:
            raise InputError(f"{value!r} is not a number", file=file, row=i + 2, column=column) from None
    return out


def _class_index(classes: ClassTable, name: str, *, file: Path, row: int, column: str) -> int:
    try:
        return classes.names.index(name)
    except ValueError:
        raise InputError(
            f"class {name!r} is not in the biophysical table",
            file=file,
            row=row,
            column=column,
            expected="class names from the biophysical table's lulc-class column",
        ) from None


def _basis_value(basis: CarbonBasis | str) -> str:
    text = str(basis).strip().lower()
    if text == "c":
        return CarbonBasis.C.value
    if text == "co2e":
        return CarbonBasis.CO2E.value
    raise InputError(f"unknown carbon basis {basis!r}", expected="'c' or 'co2e'")
