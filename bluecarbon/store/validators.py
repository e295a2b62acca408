"""Validators that gate publishing.

They run on the *staged* data (read back from the staging branch and the new Delta
versions), so they check what would be published, not what we meant to write. Errors stop
the publish; warnings (for instance a large change against the previous release) are
recorded in the release metadata as flags and shown wherever the release is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from bluecarbon.errors import UnitError
from bluecarbon.store.schema import PRODUCT_KINDS, TABLES
from bluecarbon.units import canonical_units

#: Relative change of a class total against the previous release that gets flagged.
CHANGE_FLAG_THRESHOLD = 0.25
#: Largest share of NaN carbon values allowed inside one mapped habitat.
MAX_NAN_SHARE = 0.05
#: Relative tolerance of the site balance identity (METHODS.md section 8).
BALANCE_TOLERANCE = 1e-6
#: Columns that may be negative (fluxes, changes, net removals, residuals).
SIGNED_PREFIXES = ("net_", "change_", "reclassification", "project_", "baseline_")

_CF_EXTRA_UNITS = {"1", "m", "degrees_north", "degrees_east", "days since 1970-01-01"}


@dataclass
class Outcome:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)


def check_product(name: str, ds: xr.Dataset) -> Outcome:
    """Attributes complete, units known, kind's variables present, value ranges respected."""
    out = Outcome()
    kind = name.rsplit("/", 1)[-1]
    spec = PRODUCT_KINDS.get(kind)
    if spec is None:
        out.errors.append(f"{name}: unknown product kind {kind!r} (known: {', '.join(PRODUCT_KINDS)})")
        return out
    for var in spec.required_variables:
        if var not in ds.data_vars:
            out.errors.append(f"{name}: required variable {var!r} missing")
    if "spatial_ref" not in ds.variables and "crs" not in ds.variables:
        out.errors.append(f"{name}: no CRS (spatial_ref) variable")
    for var_name, da in ds.data_vars.items():
        where = f"{name}/{var_name}"
        for attr in ("units", "long_name"):
            if attr not in da.attrs:
                out.errors.append(f"{where}: attribute {attr!r} missing")
        if "units" in da.attrs:
            units = str(da.attrs["units"])
            try:
                canonical_units(units)
            except UnitError:
                if units not in _CF_EXTRA_UNITS and not units.startswith(("CNY", "USD", "currency")):
                    out.errors.append(f"{where}: units {units!r} are not recognised")
        if str(var_name).startswith(("carbon_", "net_", "total_net")) and da.attrs.get(
            "carbon_basis"
        ) not in (
            "C",
            "CO2e",
        ):
            out.errors.append(f"{where}: carbon_basis must be 'C' or 'CO2e'")
        lo, hi = da.attrs.get("valid_min"), da.attrs.get("valid_max")
        if lo is not None or hi is not None:
            vmin = float(da.min(skipna=True).values) if da.size else np.nan
            vmax = float(da.max(skipna=True).values) if da.size else np.nan
            if lo is not None and np.isfinite(vmin) and vmin < float(lo):
                out.errors.append(f"{where}: minimum {vmin:g} below valid_min {lo}")
            if hi is not None and np.isfinite(vmax) and vmax > float(hi):
                out.errors.append(f"{where}: maximum {vmax:g} above valid_max {hi}")
    return out


def check_nan_share(site: str, habitat: xr.Dataset, carbon: xr.Dataset) -> Outcome:
    """Within each mapped blue-carbon class, the share of NaN stock must stay small."""
    out = Outcome()
    if "carbon_stock" not in carbon or "habitat" not in habitat:
        return out
    stock = carbon["carbon_stock"]
    classes = habitat["habitat"]
    common = sorted(set(stock["year"].values.tolist()) & set(classes["year"].values.tolist()))
    meanings = str(classes.attrs.get("flag_meanings", "")).split()
    values = classes.attrs.get("flag_values", [])
    for year in common:
        c = classes.sel(year=year).values
        s = stock.sel(year=year).values
        for code, meaning in zip(values, meanings, strict=False):
            inside = c == code
            n = int(inside.sum())
            if n == 0:
                continue
            share = float(np.isnan(s[inside]).sum()) / n
            if share > MAX_NAN_SHARE:
                out.errors.append(
                    f"{site}: {share:.1%} of {meaning} pixels in {year} have no carbon stock "
                    f"(allowed {MAX_NAN_SHARE:.0%})"
                )
    return out


def check_table(name: str, frame: pd.DataFrame) -> Outcome:
    out = Outcome()
    spec = TABLES.get(name)
    if spec is None:
        out.errors.append(f"table {name!r} is not a known table (known: {', '.join(TABLES)})")
        return out
    missing = [c for c in spec.required_columns if c not in frame.columns]
    if missing:
        out.errors.append(f"table {name}: missing columns {missing}")
    for column in frame.columns:
        if (
            column.endswith(("_ha", "_t_c", "_t_co2e"))
            and not column.startswith(SIGNED_PREFIXES)
            and pd.api.types.is_numeric_dtype(frame[column])
        ):
            negative = frame[column] < 0
            if negative.any():
                row = int(np.flatnonzero(negative.to_numpy())[0])
                out.errors.append(
                    f"table {name}: column {column} is negative in row {row} ({frame[column].iloc[row]:g})"
                )
    return out


def check_accounting(tables: Mapping[str, pd.DataFrame]) -> Outcome:
    """The books must balance before anything is published (docs/accounting.md):

    * ``site_balance``: stock_end - stock_start = accumulation - emissions + reclassification,
      to ``BALANCE_TOLERANCE`` of the larger stock, in every row;
    * ``class_totals`` and ``parcel_totals``: the conservative stock never exceeds P5;
    * ``parcel_credits``: creditable within [0, net removals], zero when net removals <= 0.
    """
    out = Outcome()
    balance = tables.get("site_balance")
    if balance is not None and not balance.empty:
        lhs = balance["stock_end_t_c"] - balance["stock_start_t_c"]
        rhs = balance["accumulation_t_c"] - balance["emissions_t_c"] + balance["reclassification_t_c"]
        scale = np.maximum(np.maximum(balance["stock_start_t_c"].abs(), balance["stock_end_t_c"].abs()), 1.0)
        bad = ((lhs - rhs).abs() > BALANCE_TOLERANCE * scale) | lhs.isna() | rhs.isna()
        for r in balance[bad].itertuples():
            out.errors.append(
                f"site_balance {r.site} {r.period_start}-{r.period_end}: stock change does not equal "
                "accumulation - emissions + reclassification"
            )
    for name in ("class_totals", "parcel_totals"):
        frame = tables.get(name)
        if frame is None or frame.empty or "stock_conservative_t_c" not in frame.columns:
            continue
        over = frame["stock_conservative_t_c"] > frame["stock_p5_t_c"] * (1 + 1e-9) + 1e-9
        for i in np.flatnonzero(over.fillna(False).to_numpy())[:5]:
            out.errors.append(f"table {name}: conservative stock above P5 in row {int(i)}")
    credits = tables.get("parcel_credits")
    if credits is not None and not credits.empty:
        c, nr = credits["creditable_t_co2e"], credits["net_removals_t_co2e"]
        bad = (c < 0) | (c > nr.clip(lower=0) + 1e-9) | ((nr <= 0) & (c != 0))
        for i in np.flatnonzero(bad.fillna(True).to_numpy())[:5]:
            out.errors.append(f"table parcel_credits: creditable outside [0, net removals] in row {int(i)}")
    return out


def check_change(
    current: pd.DataFrame, previous: pd.DataFrame | None, *, threshold: float = CHANGE_FLAG_THRESHOLD
) -> Outcome:
    """Flag class totals that moved more than ``threshold`` against the previous release."""
    out = Outcome()
    if previous is None or previous.empty:
        return out
    keys = ["site", "year", "habitat"]
    if not all(k in previous.columns for k in [*keys, "stock_t_c"]):
        return out
    merged = current[[*keys, "stock_t_c"]].merge(
        previous[[*keys, "stock_t_c"]], on=keys, suffixes=("", "_previous")
    )
    base = merged["stock_t_c_previous"].abs()
    rel = (merged["stock_t_c"] - merged["stock_t_c_previous"]).abs() / base.where(base > 0)
    for row in merged[rel > threshold].itertuples():
        out.warnings.append(
            f"{row.site} {row.habitat} {row.year}: stock changed from {row.stock_t_c_previous:,.0f} "
            f"to {row.stock_t_c:,.0f} t C since the previous release"
        )
    return out


def run_all(
    products: Mapping[str, xr.Dataset],
    tables: Mapping[str, pd.DataFrame],
    previous_totals: pd.DataFrame | None,
) -> Outcome:
    out = Outcome()
    for name, ds in sorted(products.items()):
        out.extend(check_product(name, ds))
    sites = {name.rsplit("/", 1)[0] for name in products}
    for site in sorted(sites):
        h, c = products.get(f"{site}/habitat"), products.get(f"{site}/carbon")
        if h is not None and c is not None:
            out.extend(check_nan_share(site, h, c))
    for name, frame in sorted(tables.items()):
        out.extend(check_table(name, frame))
    out.extend(check_accounting(tables))
    if "class_totals" in tables:
        out.extend(check_change(tables["class_totals"], previous_totals))
    return out
