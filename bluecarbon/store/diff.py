"""Differences between two releases: every quantity per class and per parcel, and every
parameter that changed.

The question a reviewer asks is "what changed, where, by how much". The totals tables change
shape as the carbon accounting evolves (columns are renamed, added, split), so nothing here
names a quantity: the diff compares *every numeric column the two releases share*, keyed
like the totals (site, year, habitat; parcel, kind, year, habitat), with both values, the
change and the relative change, and lists the columns only one release has. Parcel totals
hold one flow row per origin class: flows are summed over their origins before comparing
(extensive quantities, in t or ha, are added; any other column is kept where the origins
agree and left empty where they differ).

The parameters are compared table by table and row by row from each release's pinned set
(:meth:`Store.parameters`), never from local files; a release published before parameter
sets were pinned is reported as such.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bluecarbon.errors import ReleaseNotFound
from bluecarbon.params import ParameterSet
from bluecarbon.store.release import PARAMETERS_TABLE, ReleaseInfo, Store

CLASS_KEYS = ["site", "year", "habitat"]
#: Parcel totals hold a stock row and one flow row per transition (``from_class``) for each
#: parcel, year and habitat; flows are summed over their origins before comparing.
PARCEL_KEYS = ["parcel_id", "kind", "year", "habitat"]
#: The site's balance per period, and each parcel's creditable removals per stream and period.
BALANCE_KEYS = ["site", "period_start", "period_end"]
CREDIT_KEYS = ["parcel_id", "stream", "period_start", "period_end"]
#: The totals tables compared, with their keys.
TOTALS = {
    "class_totals": CLASS_KEYS,
    "parcel_totals": PARCEL_KEYS,
    "site_balance": BALANCE_KEYS,
    "parcel_credits": CREDIT_KEYS,
}
#: Extensive quantities (summed over origins): tonnes and hectares, per year or not.
EXTENSIVE = re.compile(r"(^|_)(t|t_c|t_co2e|ha|t_yr|t_c_yr|t_co2e_yr)$")
INTENSIVE = re.compile(r"(_mg_c_ha|_per_ha|_pct|_fraction|_uncertainty)$")
#: Values closer than this (relative, and absolute) are equal: floating-point noise.
TOLERANCE = 1e-9
#: Parameter table columns that describe a row's value rather than name the row.
VALUE_LIKE = frozenset({"value", "low", "high", "units", "source", "verified", "notes"})


@dataclass(frozen=True)
class TableDiff:
    """One totals table compared. ``rows``: the keys, ``presence`` (both, only_a, only_b) and
    per compared column ``<col>_a``, ``<col>_b``, ``<col>_change``, ``<col>_change_pct``."""

    name: str
    keys: list[str]
    rows: pd.DataFrame
    compared: list[str]
    added_columns: list[str] = field(default_factory=list)
    removed_columns: list[str] = field(default_factory=list)
    rows_a: int = 0
    rows_b: int = 0

    def changed_columns(self, row: pd.Series) -> list[str]:
        """Compared columns whose value differs in ``row``."""
        return [c for c in self.compared if differs(row[f"{c}_a"], row[f"{c}_b"])]

    @property
    def changed(self) -> pd.DataFrame:
        """Rows present in one release only, or with any compared value changed."""
        if self.rows.empty:
            return self.rows
        mask = self.rows["presence"] != "both"
        for c in self.compared:
            a, b = self.rows[f"{c}_a"].to_numpy(float), self.rows[f"{c}_b"].to_numpy(float)
            mask |= _differs_array(a, b)
        return self.rows[mask]

    def as_json(self) -> dict[str, Any]:
        changed = self.changed
        rows = []
        for _, row in changed.iterrows():
            columns = self.compared if row["presence"] != "both" else self.changed_columns(row)
            rows.append(
                {
                    "key": {k: _plain(row[k]) for k in self.keys},
                    "presence": row["presence"],
                    "changes": {
                        c: {
                            "a": _plain(row[f"{c}_a"]),
                            "b": _plain(row[f"{c}_b"]),
                            "change": _plain(row[f"{c}_change"]),
                            "change_pct": _plain(row[f"{c}_change_pct"]),
                        }
                        for c in columns
                        if not (_missing(row[f"{c}_a"]) and _missing(row[f"{c}_b"]))
                    },
                }
            )
        return {
            "table": self.name,
            "keys": list(self.keys),
            "rows_a": self.rows_a,
            "rows_b": self.rows_b,
            "rows_changed": len(changed),
            "compared_columns": list(self.compared),
            "added_columns": list(self.added_columns),
            "removed_columns": list(self.removed_columns),
            "changed_rows": rows,
        }


@dataclass(frozen=True)
class RowChange:
    """One row of a parameter table: added, removed, or its changed cells (column -> a, b)."""

    key: dict[str, Any]
    status: str  # "added" | "removed" | "changed"
    cells: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ParameterTableDiff:
    table: str
    status: str  # "added" | "removed" | "changed"
    origin_a: str | None
    origin_b: str | None
    rows: list[RowChange] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "status": self.status,
            "origin_a": self.origin_a,
            "origin_b": self.origin_b,
            "rows": [
                {
                    "key": r.key,
                    "status": r.status,
                    "changes": {c: {"a": _plain(a), "b": _plain(b)} for c, (a, b) in r.cells.items()},
                }
                for r in self.rows
            ],
        }


@dataclass(frozen=True)
class ParametersDiff:
    """Parameter tables that differ. ``available`` is False when a release has no pinned
    set (``note`` says which)."""

    available: bool
    tables: list[ParameterTableDiff] = field(default_factory=list)
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "note": self.note,
            "tables": [t.as_json() for t in self.tables],
        }


@dataclass(frozen=True)
class ReleaseDiff:
    a: ReleaseInfo
    b: ReleaseInfo
    classes: pd.DataFrame
    parcels: pd.DataFrame
    changed_objects: tuple[str, ...]
    changed_inputs: tuple[str, ...]
    tables: tuple[TableDiff, ...] = ()
    parameters: ParametersDiff = field(default_factory=lambda: ParametersDiff(available=False))

    @property
    def identical(self) -> bool:
        return self.a.content_hash == self.b.content_hash

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, in a stable key order (``bluecarbon diff --json``)."""
        return {
            "a": self.a.tag,
            "b": self.b.tag,
            "identical": self.identical,
            "changed_objects": list(self.changed_objects),
            "changed_inputs": list(self.changed_inputs),
            "parameters": self.parameters.as_json(),
            "tables": [t.as_json() for t in self.tables],
        }


def differs(a: Any, b: Any) -> bool:
    """True when two values differ beyond floating-point noise (NaN equals NaN)."""
    if _missing(a) or _missing(b):
        return _missing(a) != _missing(b)
    if isinstance(a, int | float | np.number) and isinstance(b, int | float | np.number):
        return not math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return bool(a != b)


def _differs_array(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na, nb = np.isnan(a), np.isnan(b)
    close = np.isclose(a, b, rtol=TOLERANCE, atol=TOLERANCE)
    return (na != nb) | (~na & ~nb & ~close)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def numeric_columns(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """Numeric (not boolean) columns of ``frame`` other than ``keys``, in table order."""
    return [
        str(c)
        for c in frame.columns
        if c not in keys
        and pd.api.types.is_numeric_dtype(frame[c].dtype)
        and not pd.api.types.is_bool_dtype(frame[c].dtype)
    ]


def is_extensive(column: str) -> bool:
    """A quantity that adds up over the parts of an area (t, t/yr, ha), by its unit suffix."""
    return bool(EXTENSIVE.search(column)) and not INTENSIVE.search(column)


def per_key(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """One row per ``keys``: extensive columns summed (NaN when all are NaN), any other
    column kept where the rows agree and NaN where they differ."""
    if frame.empty or not frame.duplicated(keys).any():
        return frame[[*keys, *columns]].reset_index(drop=True)
    groups = frame.groupby(keys, dropna=False, sort=False)
    out = groups[columns].sum(min_count=1)
    intensive = [c for c in columns if not is_extensive(c)]
    if intensive:
        first = groups[intensive].first()
        agree = groups[intensive].nunique(dropna=False) <= 1
        out[intensive] = first.where(agree)
    return out.reset_index()


def compare_totals(
    a: pd.DataFrame, b: pd.DataFrame, keys: list[str], columns: list[str] | None = None
) -> pd.DataFrame:
    """Outer join on ``keys`` (rows sharing a key are combined first, see :func:`per_key`):
    ``<col>_a``, ``<col>_b``, ``<col>_change``, ``<col>_change_pct`` for every numeric
    column both frames hold (or ``columns``)."""
    keys = [k for k in keys if k in a.columns and k in b.columns]  # e.g. no ``kind`` in old tables
    if columns is None:
        in_b = set(numeric_columns(b, keys))
        columns = [c for c in numeric_columns(a, keys) if c in in_b]
    left, right = per_key(a, keys, columns), per_key(b, keys, columns)
    merged = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    parts: dict[str, pd.Series] = {k: merged[k] for k in keys}
    parts["presence"] = (
        merged["_merge"].map({"left_only": "only_a", "right_only": "only_b", "both": "both"}).astype(str)
    )
    for c in columns:
        va = pd.to_numeric(merged[f"{c}_a"], errors="coerce").astype(float)
        vb = pd.to_numeric(merged[f"{c}_b"], errors="coerce").astype(float)
        parts[f"{c}_a"] = va
        parts[f"{c}_b"] = vb
        parts[f"{c}_change"] = vb.fillna(0.0) - va.fillna(0.0)
        parts[f"{c}_change_pct"] = 100.0 * (vb - va) / va.where(va != 0)
    return pd.DataFrame(parts).sort_values(keys).reset_index(drop=True)


def compare_table(name: str, a: pd.DataFrame | None, b: pd.DataFrame | None, keys: list[str]) -> TableDiff:
    """A totals table compared (either side may be missing: all rows added or removed)."""
    a = a if a is not None else pd.DataFrame(columns=keys)
    b = b if b is not None else pd.DataFrame(columns=keys)
    keys = [k for k in keys if k in a.columns and k in b.columns]
    num_a, num_b = numeric_columns(a, keys), numeric_columns(b, keys)
    compared = [c for c in num_a if c in set(num_b)]
    added = [str(c) for c in b.columns if c not in set(a.columns)]
    removed = [str(c) for c in a.columns if c not in set(b.columns)]
    rows = compare_totals(a, b, keys, compared) if len(a) or len(b) else pd.DataFrame()
    return TableDiff(name, keys, rows, compared, added, removed, len(a), len(b))


def _row_keys(frame_a: pd.DataFrame, frame_b: pd.DataFrame) -> list[str]:
    """Columns naming a parameter row: the leading text columns before the first numeric or
    value-like one; empty when they do not identify rows uniquely in both tables."""
    keys: list[str] = []
    for column in frame_a.columns:
        if column in VALUE_LIKE or column not in frame_b.columns:
            break
        if any(pd.api.types.is_numeric_dtype(f[column].dtype) for f in (frame_a, frame_b)):
            break
        keys.append(str(column))
    if not keys or frame_a.duplicated(keys).any() or frame_b.duplicated(keys).any():
        return []
    return keys


def _read_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def compare_parameter_table(
    name: str, text_a: str | None, text_b: str | None, origin_a: str | None, origin_b: str | None
) -> ParameterTableDiff:
    """Row-by-row differences of one parameter table (cells compared as written)."""
    if text_a is None or text_b is None:
        return ParameterTableDiff(name, "added" if text_a is None else "removed", origin_a, origin_b)
    a, b = _read_csv(text_a), _read_csv(text_b)
    keys = _row_keys(a, b)
    if keys:
        ia, ib = a.set_index(keys), b.set_index(keys)
    else:  # no naming columns: compare by position (row 1 is the first data row)
        ia, ib = a.set_axis(range(1, len(a) + 1)), b.set_axis(range(1, len(b) + 1))
        keys = ["row"]
    columns = [c for c in a.columns if c in set(b.columns) and c not in keys]
    changes: list[RowChange] = []

    def key_of(label: Any) -> dict[str, Any]:
        values = label if isinstance(label, tuple) else (label,)
        return {k: _plain(v) for k, v in zip(keys, values, strict=True)}

    for label in ia.index:
        if label not in ib.index:
            changes.append(RowChange(key_of(label), "removed"))
            continue
        cells = {c: (ia.at[label, c], ib.at[label, c]) for c in columns if ia.at[label, c] != ib.at[label, c]}
        for c in a.columns:
            if c not in b.columns and c not in keys:
                cells[c] = (ia.at[label, c], None)
        for c in b.columns:
            if c not in a.columns and c not in keys:
                cells[c] = (None, ib.at[label, c])
        if cells:
            changes.append(RowChange(key_of(label), "changed", cells))
    changes += [RowChange(key_of(label), "added") for label in ib.index if label not in ia.index]
    return ParameterTableDiff(name, "changed", origin_a, origin_b, changes)


def compare_parameters(store: Store, a: ReleaseInfo, b: ReleaseInfo) -> ParametersDiff:
    """Every parameter table that differs between the releases' pinned sets."""
    sets: list[ParameterSet] = []
    for info in (a, b):
        if PARAMETERS_TABLE not in info.tables:
            return ParametersDiff(
                available=False,
                note=f"release {info.tag} predates pinned parameter tables",
            )
        try:
            sets.append(store.parameters(info))
        except ReleaseNotFound as exc:
            return ParametersDiff(available=False, note=str(exc))
    pa, pb = sets
    if pa.digest == pb.digest:
        return ParametersDiff(available=True)
    return compare_parameter_sets(pa, pb, parameter_origins(store, a), parameter_origins(store, b))


def compare_parameter_sets(
    pa: ParameterSet, pb: ParameterSet, oa: Mapping[str, str], ob: Mapping[str, str]
) -> ParametersDiff:
    """Every table that differs between two parameter sets, row by row; ``oa`` and ``ob``
    say where each table came from (``shipped``, ``override NAME.csv``) when known."""
    if pa.digest == pb.digest:
        return ParametersDiff(available=True)
    ha, hb = pa.hashes(), pb.hashes()
    tables = []
    for name in sorted(set(ha) | set(hb)):
        if ha.get(name) == hb.get(name):
            continue
        tables.append(
            compare_parameter_table(
                name,
                pa.text(name) if name in ha else None,
                pb.text(name) if name in hb else None,
                oa.get(name, pa.origin(name)) if name in ha else None,
                ob.get(name, pb.origin(name)) if name in hb else None,
            )
        )
    return ParametersDiff(available=True, tables=tables)


def parameter_origins(store: Store, info: ReleaseInfo) -> dict[str, str]:
    """Where each pinned table came from when the release was made (shipped, or a file)."""
    frame = store.read_table(PARAMETERS_TABLE, info)
    if "origin" not in frame.columns:
        return {}
    return {str(t): str(o) for t, o in zip(frame["table"], frame["origin"], strict=True)}


def diff_releases(store: Store, a: str | ReleaseInfo, b: str | ReleaseInfo) -> ReleaseDiff:
    """Compare releases ``a`` (before) and ``b`` (after)."""
    ra = store.resolve(a) if isinstance(a, str) else a
    rb = store.resolve(b) if isinstance(b, str) else b

    def totals(r: ReleaseInfo, name: str) -> pd.DataFrame | None:
        return store.read_table(name, r) if name in r.tables else None

    tables = tuple(
        compare_table(name, totals(ra, name), totals(rb, name), keys)
        for name, keys in TOTALS.items()
        if name in ra.tables or name in rb.tables
    )
    by_name = {t.name: t.rows for t in tables}
    names = set(ra.object_hashes) | set(rb.object_hashes)
    changed = tuple(sorted(n for n in names if ra.object_hashes.get(n) != rb.object_hashes.get(n)))
    ia = {i["path"]: i["sha256"] for i in ra.provenance.get("inputs", [])}
    ib = {i["path"]: i["sha256"] for i in rb.provenance.get("inputs", [])}
    inputs = tuple(sorted(p for p in set(ia) | set(ib) if ia.get(p) != ib.get(p)))
    return ReleaseDiff(
        ra,
        rb,
        by_name.get("class_totals", pd.DataFrame()),
        by_name.get("parcel_totals", pd.DataFrame()),
        changed,
        inputs,
        tables,
        compare_parameters(store, ra, rb),
    )
