"""Differences between two releases, per class and per parcel.

The question a reviewer asks is "what changed, where, by how much": so the diff is a table
keyed like the totals (site, year, habitat; parcel, year, habitat) with both values, the
change and the relative change, plus which products, tables and inputs differ at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bluecarbon.store.release import ReleaseInfo, Store

CLASS_KEYS = ["site", "year", "habitat"]
#: Parcel totals hold a stock row and one flow row per transition (``from_class``) for each
#: parcel, year and habitat; flows are summed over their origins before comparing.
PARCEL_KEYS = ["parcel_id", "kind", "year", "habitat"]
VALUE_COLUMNS = ["area_ha", "stock_t_c", "stock_t_co2e", "sequestration_t_co2e_yr"]


@dataclass(frozen=True)
class ReleaseDiff:
    a: ReleaseInfo
    b: ReleaseInfo
    classes: pd.DataFrame
    parcels: pd.DataFrame
    changed_objects: tuple[str, ...]
    changed_inputs: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return self.a.content_hash == self.b.content_hash


def per_key(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per ``keys``: the value columns summed (NaN when all are NaN)."""
    columns = [c for c in VALUE_COLUMNS if c in frame.columns]
    if frame.empty or not frame.duplicated(keys).any():
        return frame[[*keys, *columns]]
    return frame.groupby(keys, dropna=False, sort=False)[columns].sum(min_count=1).reset_index()


def compare_totals(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Outer join on ``keys`` (rows sharing a key are summed first): ``<col>_a``, ``<col>_b``,
    ``<col>_change``, ``<col>_change_pct``."""
    keys = [k for k in keys if k in a.columns and k in b.columns]  # e.g. no ``kind`` in old tables
    columns = [c for c in VALUE_COLUMNS if c in a.columns or c in b.columns]
    left, right = per_key(a, keys), per_key(b, keys)
    merged = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    out = merged[keys].copy()
    out["presence"] = (
        merged["_merge"].map({"left_only": "only_a", "right_only": "only_b", "both": "both"}).astype(str)
    )
    for c in columns:
        va = merged.get(f"{c}_a", pd.Series(np.nan, index=merged.index)).astype(float)
        vb = merged.get(f"{c}_b", pd.Series(np.nan, index=merged.index)).astype(float)
        out[f"{c}_a"] = va
        out[f"{c}_b"] = vb
        out[f"{c}_change"] = vb.fillna(0.0) - va.fillna(0.0)
        out[f"{c}_change_pct"] = 100.0 * (vb - va) / va.where(va != 0)
    return out.sort_values(keys).reset_index(drop=True)


def diff_releases(store: Store, a: str | ReleaseInfo, b: str | ReleaseInfo) -> ReleaseDiff:
    """Compare releases ``a`` (before) and ``b`` (after)."""
    ra = store.resolve(a) if isinstance(a, str) else a
    rb = store.resolve(b) if isinstance(b, str) else b
    empty = pd.DataFrame()

    def totals(r: ReleaseInfo, name: str) -> pd.DataFrame:
        return store.read_table(name, r) if name in r.tables else empty

    ca, cb = totals(ra, "class_totals"), totals(rb, "class_totals")
    classes = compare_totals(ca, cb, CLASS_KEYS) if not (ca.empty and cb.empty) else empty
    pa_, pb = totals(ra, "parcel_totals"), totals(rb, "parcel_totals")
    parcels = compare_totals(pa_, pb, PARCEL_KEYS) if not (pa_.empty and pb.empty) else empty
    names = set(ra.object_hashes) | set(rb.object_hashes)
    changed = tuple(sorted(n for n in names if ra.object_hashes.get(n) != rb.object_hashes.get(n)))
    ia = {i["path"]: i["sha256"] for i in ra.provenance.get("inputs", [])}
    ib = {i["path"]: i["sha256"] for i in rb.provenance.get("inputs", [])}
    inputs = tuple(sorted(p for p in set(ia) | set(ib) if ia.get(p) != ib.get(p)))
    return ReleaseDiff(ra, rb, classes, parcels, changed, inputs)
