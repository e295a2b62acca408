"""Post-loan monitoring: after each release, what changed for the parcels a lender holds.

Why a pure comparison and a separate table: the rule a lender relies on (which changes call
for a look at the loan) must be testable by hand, so :func:`compare_releases` takes plain
figures of two releases and the register's state and returns alerts, nothing else. What it
compares, for every parcel with units under an active pledge:

* ``stock_drop``: the conservative stock (all classes, the parcel's latest map year) fell by
  more than ``drop_fraction`` of its previous value;
* ``creditable_drop``: the creditable removals of a crediting period fell by more than
  ``drop_fraction`` (a period missing from the new release counts as nothing creditable);
* ``release_withdrawn``: a release the parcel's issued units or active pledges rely on has been
  withdrawn;

and, for every parcel with issued units, ``shortfall``: the new release credits fewer tonnes
for a period than were issued. :func:`monitor_release` gathers those figures from the store,
appends the alerts to the ``_alerts`` Delta table (outside every release, so not part of any
content hash; one row per release, parcel, kind and period, never repeated) and returns them;
the publish flow turns them into a Prefect artifact and events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd
import pyarrow as pa

from bluecarbon.register.book import (
    CREDITS_TABLE,
    SinkRegister,
    credit_units,
    release_credits,
    site_map_years,
)
from bluecarbon.register.state import RegisterState, active_pledges
from bluecarbon.register.units import Period, t_from_units
from bluecarbon.store.release import ReleaseInfo, Store

ALERTS_TABLE: Final[str] = "_alerts"
#: Default fall (fraction of the previous value) beyond which a pledged parcel raises an alert.
DEFAULT_DROP_FRACTION: Final[float] = 0.1
ALERT_SCHEMA: Final = pa.schema(
    [
        ("at", pa.string()),
        ("release", pa.string()),
        ("previous_release", pa.string()),
        ("parcel_id", pa.string()),
        ("kind", pa.string()),
        ("period", pa.string()),
        ("previous", pa.float64()),
        ("current", pa.float64()),
        ("change_fraction", pa.float64()),
        ("threshold", pa.float64()),
        ("unit", pa.string()),
        ("pledged_t_co2e", pa.float64()),
        ("lenders", pa.string()),
        ("pledge_ids", pa.string()),
        ("message", pa.string()),
    ]
)


@dataclass(frozen=True)
class ParcelFigures:
    """What a release says about one parcel: its conservative stock (t CO2e, all classes, at its
    site's latest map year; None without a map) and creditable tonnes per crediting period
    (units of 1 kg CO2e)."""

    conservative_stock_t: float | None = None
    creditable: Mapping[Period, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Alert:
    release: str
    previous_release: str | None
    parcel_id: str
    kind: str
    period: str | None
    previous: float | None
    current: float | None
    change_fraction: float | None
    threshold: float | None
    unit: str
    pledged_t_co2e: float
    lenders: str
    pledge_ids: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fall(previous: float, current: float) -> float:
    return (previous - current) / previous


def compare_releases(
    *,
    release: str,
    previous_release: str | None,
    current: Mapping[str, ParcelFigures],
    previous: Mapping[str, ParcelFigures],
    state: RegisterState,
    withdrawn: Mapping[str, str],
    drop_fraction: float,
) -> list[Alert]:
    """Alerts for ``release`` against ``previous_release`` (module docstring). A fall counts when
    it is strictly more than ``drop_fraction`` of a positive previous value."""
    alerts: list[Alert] = []
    pledged_parcels = sorted({p.parcel_id for p in active_pledges(state)})

    def context(parcel_id: str) -> dict[str, Any]:
        mine = active_pledges(state, parcel_id)
        return {
            "pledged_t_co2e": t_from_units(sum(p.units for p in mine)),
            "lenders": ", ".join(sorted({p.lender for p in mine})),
            "pledge_ids": ", ".join(p.pledge_id for p in mine),
        }

    def add(parcel_id: str, kind: str, period: str | None, **values: Any) -> None:
        alerts.append(
            Alert(
                release=release,
                previous_release=previous_release,
                parcel_id=parcel_id,
                kind=kind,
                period=period,
                **(
                    {
                        "previous": None,
                        "current": None,
                        "change_fraction": None,
                        "threshold": None,
                        "unit": "",
                    }
                    | values
                ),
                **context(parcel_id),
            )
        )

    for parcel_id in pledged_parcels:
        now = current.get(parcel_id, ParcelFigures())
        before = previous.get(parcel_id)
        lenders = context(parcel_id)["lenders"]
        if before is not None:
            old, new = before.conservative_stock_t, now.conservative_stock_t
            if old is not None and old > 0:
                fall = _fall(old, new or 0.0)
                if fall > drop_fraction:
                    add(
                        parcel_id,
                        "stock_drop",
                        None,
                        previous=old,
                        current=new,
                        change_fraction=-fall,
                        threshold=drop_fraction,
                        unit="t CO2e",
                        message=(
                            f"{parcel_id}: conservative stock fell {fall:.0%} "
                            f"({old:,.0f} -> {new or 0.0:,.0f} t CO2e) from {previous_release} to {release}; "
                            f"pledged to {lenders}"
                        ),
                    )
            for period, old_units in sorted(before.creditable.items()):
                new_units = now.creditable.get(period, 0)
                if old_units > 0 and _fall(old_units, new_units) > drop_fraction:
                    fall = _fall(old_units, new_units)
                    add(
                        parcel_id,
                        "creditable_drop",
                        str(period),
                        previous=t_from_units(old_units),
                        current=t_from_units(new_units),
                        change_fraction=-fall,
                        threshold=drop_fraction,
                        unit="t CO2e",
                        message=(
                            f"{parcel_id} {period}: creditable removals fell {fall:.0%} "
                            f"({t_from_units(old_units):,.3f} -> {t_from_units(new_units):,.3f} t CO2e) from "
                            f"{previous_release} to {release}; pledged to {lenders}"
                        ),
                    )
        relied = {i.release for b in state.parcel_blocks(parcel_id) for i in b.issuances} | {
            p.release for p in active_pledges(state, parcel_id)
        }
        for tag in sorted(relied & set(withdrawn)):
            add(
                parcel_id,
                "release_withdrawn",
                None,
                message=(
                    f"{parcel_id}: release {tag}, which its issued or pledged units rely on, was withdrawn "
                    f"({withdrawn[tag]}); pledged to {lenders}"
                ),
            )
    for (parcel_id, period), block in sorted(state.blocks.items()):
        have = current.get(parcel_id, ParcelFigures()).creditable.get(period, 0)
        if block.issued > have:
            add(
                parcel_id,
                "shortfall",
                str(period),
                previous=t_from_units(block.issued),
                current=t_from_units(have),
                change_fraction=-_fall(block.issued, have),
                unit="t CO2e",
                message=(
                    f"{parcel_id} {period}: release {release} credits {t_from_units(have):,.3f} t CO2e, "
                    f"{t_from_units(block.issued - have):,.3f} less than the "
                    f"{t_from_units(block.issued):,.3f} issued (shortfall)"
                ),
            )
    return alerts


def release_figures(store: Store, info: ReleaseInfo, parcel_ids: Sequence[str]) -> dict[str, ParcelFigures]:
    """:class:`ParcelFigures` of ``parcel_ids`` in a release."""
    wanted = set(parcel_ids)
    credits = credit_units(release_credits(store, info)) if CREDITS_TABLE in info.tables else {}
    stocks: dict[str, float] = {}
    if "parcel_totals" in info.tables and "class_totals" in info.tables:
        years = site_map_years(store.read_table("class_totals", info))
        totals = store.read_table("parcel_totals", info)
        level = totals["level"] if "level" in totals.columns else pd.Series("all", index=totals.index)
        rows = totals[(totals["kind"] == "stock") & (level == "all") & totals["parcel_id"].isin(list(wanted))]
        for row in rows.itertuples():
            if years.get(str(row.site)) == int(row.year) and pd.notna(row.stock_conservative_t_co2e):
                stocks[str(row.parcel_id)] = float(row.stock_conservative_t_co2e)
    return {
        p: ParcelFigures(stocks.get(p), {period: u for (q, period), u in credits.items() if q == p})
        for p in sorted(wanted)
    }


def previous_release(store: Store, info: ReleaseInfo) -> ReleaseInfo | None:
    """The newest release, not withdrawn, created before ``info``."""
    earlier = [r for r in store.releases() if not r.withdrawn and r.created < info.created]
    return earlier[-1] if earlier else None


def monitor_release(
    store: Store, release: str = "latest", *, drop_fraction: float = DEFAULT_DROP_FRACTION
) -> list[Alert]:
    """Compare ``release`` with the release before it for the register's parcels, record the
    alerts in ``_alerts`` (once each) and return them."""
    info = store.resolve(release)
    register = SinkRegister(store)
    state = register.state()
    if not state.blocks:
        return []
    parcels = state.parcels()
    before = previous_release(store, info)
    alerts = compare_releases(
        release=info.tag,
        previous_release=before.tag if before else None,
        current=release_figures(store, info, parcels),
        previous=release_figures(store, before, parcels) if before else {},
        state=state,
        withdrawn={r.tag: str(r.withdrawn_reason) for r in store.releases() if r.withdrawn},
        drop_fraction=drop_fraction,
    )
    record_alerts(store, alerts)
    return alerts


def record_alerts(store: Store, alerts: Sequence[Alert]) -> int:
    """Append the alerts not yet recorded (same release, parcel, kind and period); returns how
    many were written."""
    from deltalake import write_deltalake

    if not alerts:
        return 0
    with store.writer_lock(60.0):
        existing = _read(store)
        seen = {(r.release, r.parcel_id, r.kind, r.period or "") for r in existing.itertuples()}
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [
            {"at": now, **a.as_dict(), "period": a.period or ""}
            for a in alerts
            if (a.release, a.parcel_id, a.kind, a.period or "") not in seen
        ]
        if not rows:
            return 0
        table = pa.Table.from_pylist(
            [{k: r.get(k) for k in ALERT_SCHEMA.names} for r in rows], schema=ALERT_SCHEMA
        )
        write_deltalake(
            store.location.table_uri(ALERTS_TABLE),
            table,
            mode="append",
            storage_options=store.location.delta_storage_options(),
        )
        return len(rows)


def _read(store: Store) -> pd.DataFrame:
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        return DeltaTable(
            store.location.table_uri(ALERTS_TABLE), storage_options=store.location.delta_storage_options()
        ).to_pandas()
    except TableNotFoundError:
        return pd.DataFrame(columns=ALERT_SCHEMA.names)


def read_alerts(store: Store, *, since: str | None = None) -> pd.DataFrame:
    """Recorded alerts, oldest first; with ``since`` (a release), those of later releases only."""
    frame = _read(store)
    if since is not None:
        cut = store.resolve(since)
        created = {r.tag: r.created for r in store.releases()}
        later = [t for t, c in created.items() if c > cut.created]
        frame = frame[frame["release"].isin(later)]
    order = ["at", "release", "parcel_id", "kind", "period"]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def alerts_markdown(release: str, alerts: Sequence[Alert], *, drop_fraction: float) -> str:
    """The Prefect artifact: one line per alert (or a line saying there were none)."""
    head = (
        f"# Post-loan monitoring, release {release}\n\n"
        f"Threshold: a fall of more than {drop_fraction:.0%}.\n\n"
    )
    if not alerts:
        return head + "No alert: no pledged parcel fell beyond the threshold, no shortfall, no withdrawal.\n"
    lines = ["| parcel | kind | period | lenders | message |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {a.parcel_id} | {a.kind} | {a.period or ''} | {a.lenders} | {a.message} |" for a in alerts]
    return head + "\n".join(lines) + "\n"


__all__ = [
    "ALERTS_TABLE",
    "Alert",
    "ParcelFigures",
    "alerts_markdown",
    "compare_releases",
    "monitor_release",
    "read_alerts",
    "record_alerts",
    "release_figures",
]
