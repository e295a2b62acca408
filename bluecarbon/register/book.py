"""The sink-rights register of a store: issue, pledge, unpledge, enforce, transfer, retire.

Why it is shaped this way: the register is one hash-chained, anchored ledger
(:class:`~bluecarbon.store.ledger.Ledger`, table ``_register``, anchor branch
``ledger-register``) and nothing else. Each operation reads the verified chain under the store's
writer lock, replays it (:mod:`bluecarbon.register.state`), plans the event against that state
and appends it with the anchor's compare-and-swap, all inside one
:meth:`~bluecarbon.store.ledger.Ledger.append_checked`; so two writers racing on the same units
are serialised, and the second is judged against what the first wrote (it gets a
:class:`~bluecarbon.errors.RegisterRefused` naming the balance left), or, on an object store
without the lock, loses the compare-and-swap and writes nothing.

Issues read the creditable tonnes of the release named (its ``parcel_credits`` table, checked
against the table hash in the release metadata), summed over both streams (ecosystem and
harvest) for one parcel and crediting period. Every event records the actor, the UTC time and
the release (tag and content hash) it relied on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import pandas as pd

from bluecarbon.errors import IntegrityError, RegisterRefused, ReleaseNotFound, StoreError
from bluecarbon.register.state import (
    BALANCES,
    Block,
    RegisterState,
    active_pledges,
    balances,
    block_balances,
    holdings,
    plan_close,
    plan_issue,
    plan_pledge,
    plan_retire,
    plan_transfer,
    replay,
    shortfalls,
)
from bluecarbon.register.units import Period, t_from_units, units_from_t, units_issuable
from bluecarbon.store.ledger import Entry, Ledger
from bluecarbon.store.release import ReleaseInfo, Store

REGISTER_TABLE: Final[str] = "_register"
CREDITS_TABLE: Final[str] = "parcel_credits"
#: The holder units are issued to unless another is named: the parcel's sink-right owner.
DEFAULT_HOLDER: Final[str] = "owner"
#: Seconds a register operation waits for the store's writer lock (a publish may hold it).
LOCK_TIMEOUT_S: Final[float] = 60.0


@dataclass(frozen=True)
class CreditFigure:
    """Creditable tonnes of one parcel and crediting period in one release (both streams)."""

    parcel_id: str
    period: Period
    creditable_t: float
    net_removals_t: float
    streams: tuple[str, ...]

    @property
    def units(self) -> int:
        return units_issuable(self.creditable_t)


def release_credits(store: Store, info: ReleaseInfo) -> dict[tuple[str, Period], CreditFigure]:
    """The release's creditable tonnes per parcel and period, read at its pinned version and
    checked against the table hash in its metadata."""
    from bluecarbon.store import hashing
    from bluecarbon.store.tables import read_arrow

    if CREDITS_TABLE not in info.tables:
        raise ReleaseNotFound(
            f"release {info.tag} has no {CREDITS_TABLE} table (it predates creditable quantities); "
            "issue from a later release"
        )
    arrow = read_arrow(
        store.location.table_uri(CREDITS_TABLE),
        int(info.tables[CREDITS_TABLE]["version"]),
        storage_options=store.location.delta_storage_options(),
    )
    expected = info.object_hashes.get(f"table:{CREDITS_TABLE}")
    if expected is not None and hashing.table_hash(CREDITS_TABLE, arrow) != expected:
        raise IntegrityError(
            f"release {info.tag}: table {CREDITS_TABLE} no longer matches its hash in the release "
            "metadata; run `bluecarbon verify` and issue nothing from it"
        )
    frame = arrow.to_pandas()
    out: dict[tuple[str, Period], CreditFigure] = {}
    if frame.empty:
        return out
    for (parcel_id, start, end), rows in frame.groupby(["parcel_id", "period_start", "period_end"]):
        period = Period(int(start), int(end))
        out[(str(parcel_id), period)] = CreditFigure(
            str(parcel_id),
            period,
            float(rows["creditable_t_co2e"].fillna(0.0).sum()),
            float(rows["net_removals_t_co2e"].fillna(0.0).sum()),
            tuple(sorted(str(s) for s in rows["stream"])),
        )
    return out


def site_map_years(class_totals: pd.DataFrame) -> dict[str, int]:
    """Each site's latest map year: the newest year with a mapped stock in ``class_totals`` (the
    rule of the statements; ``parcel_totals`` also holds stocks carried to the end of the last
    flux period, which are not a map)."""
    if class_totals.empty or "stock_t_c" not in class_totals.columns:
        return {}
    mapped = class_totals[class_totals["stock_t_c"].notna()]
    return {str(site): int(years.max()) for site, years in mapped.groupby("site")["year"]}


def credit_units(credits: Mapping[tuple[str, Period], CreditFigure]) -> dict[tuple[str, Period], int]:
    return {key: fig.units for key, fig in credits.items()}


@dataclass(frozen=True)
class RegisterCheck:
    """Outcome of :meth:`SinkRegister.verify`."""

    ok: bool
    entries: int
    head: str
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    balances: Mapping[str, Mapping[str, float]]


class SinkRegister:
    """The register of ``store`` (see the module docstring)."""

    def __init__(self, store: Store, *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        self.store = store
        self.ledger = Ledger(
            store.location, store.repo, REGISTER_TABLE, lock=lambda: store.writer_lock(lock_timeout_s)
        )

    # ------------------------------------------------------------------ reading
    def entries(self, *, as_of: datetime | None = None) -> list[Entry]:
        """The verified chain (raises IntegrityError when it fails), up to ``as_of``."""
        chain = self.ledger.entries()
        if as_of is None:
            return chain
        cut = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)
        return [e for e in chain if datetime.fromisoformat(e.at) <= cut]

    def state(self, *, as_of: datetime | None = None) -> RegisterState:
        try:
            return replay(self.entries(as_of=as_of))
        except RegisterRefused as exc:
            raise IntegrityError(f"the register does not replay: {exc}") from None

    def _latest(self) -> ReleaseInfo | None:
        try:
            return self.store.resolve("latest")
        except ReleaseNotFound:
            return None

    def _relied_on(self, release: str | None) -> tuple[str, str]:
        """(tag, content hash) of the release an event relies on (default: the latest)."""
        info = self.store.resolve(release) if release else self._latest()
        if info is None:
            return "", ""
        if info.withdrawn:
            raise RegisterRefused(
                f"release {info.tag} was withdrawn on {info.withdrawn_at}: {info.withdrawn_reason}; "
                "rely on a published release"
            )
        return info.tag, info.content_hash

    # ------------------------------------------------------------------ writing
    def issue(
        self,
        parcel_id: str,
        *,
        actor: str,
        release: str = "latest",
        period: Period | None = None,
        holder: str = DEFAULT_HOLDER,
    ) -> Entry:
        """Issue the units ``release`` credits for ``parcel_id`` and ``period`` (default: the
        parcel's latest crediting period) beyond those already issued."""
        info = self.store.resolve(release)
        if info.withdrawn:
            raise RegisterRefused(
                f"release {info.tag} was withdrawn on {info.withdrawn_at}: {info.withdrawn_reason}; "
                "nothing can be issued from it"
            )
        credits = release_credits(self.store, info)
        mine = {per: fig for (p, per), fig in credits.items() if p == parcel_id}
        if not mine:
            parcels = sorted({p for p, _ in credits})
            raise RegisterRefused(
                f"parcel {parcel_id!r} has no crediting period in release {info.tag} "
                f"(parcels with one: {', '.join(parcels) or 'none'})"
            )
        chosen = period or max(mine)
        fig = mine.get(chosen)
        if fig is None:
            raise RegisterRefused(
                f"{parcel_id} has no crediting period {chosen} in release {info.tag} "
                f"(periods: {', '.join(str(p) for p in sorted(mine))})"
            )
        if fig.units <= 0:
            why = (
                "nothing creditable"
                if fig.net_removals_t <= 0
                else "all of it taken by the uncertainty deduction and the buffer, nothing creditable"
            )
            raise RegisterRefused(
                f"{parcel_id} {chosen}: net removals {fig.net_removals_t:,.0f} t CO2e, {why} "
                f"(release {info.tag})"
            )
        latest = self._latest()
        superseding = None
        if latest is not None and latest.tag != info.tag and latest.created > info.created:
            superseding = credit_units(release_credits(self.store, latest)).get((parcel_id, chosen), 0)

        def build(chain: Sequence[Entry]) -> Mapping[str, Any]:
            state = replay(chain)
            block = state.blocks.get((parcel_id, chosen))
            if block is not None and block.issuances:
                self._check_order(block, info)
            if superseding is not None and superseding < fig.units:
                raise RegisterRefused(
                    f"{parcel_id} {chosen}: release {info.tag} is superseded by "
                    f"{latest.tag if latest else ''}, which credits {t_from_units(superseding):,.3f} "
                    f"t CO2e, less than {info.tag}'s "
                    f"{t_from_units(fig.units):,.3f}; issue from the latest release"
                )
            return plan_issue(
                state,
                seq=len(chain) + 1,
                parcel_id=parcel_id,
                period=chosen,
                creditable_units=fig.units,
                release=info.tag,
                release_hash=info.content_hash,
                holder=holder,
            )

        return self.ledger.append_checked("issue", build, actor=actor)

    def _check_order(self, block: Block, info: ReleaseInfo) -> None:
        last = block.issuances[-1].release
        if last == info.tag:
            return
        try:
            used = self.store.resolve(last)
        except ReleaseNotFound:
            return
        if used.created > info.created:
            raise RegisterRefused(
                f"{block.parcel_id} {block.period}: units were already issued from the later release "
                f"{used.tag}; issue from it or a newer release, not from {info.tag}"
            )

    def pledge(
        self,
        parcel_id: str,
        *,
        quantity_t: float | str,
        lender: str,
        actor: str,
        expires: date | None = None,
        pledgor: str = DEFAULT_HOLDER,
        period: Period | None = None,
        today: date | None = None,
    ) -> Entry:
        units = units_from_t(quantity_t)
        tag, digest = self._relied_on(None)

        def build(chain: Sequence[Entry]) -> Mapping[str, Any]:
            return plan_pledge(
                replay(chain),
                seq=len(chain) + 1,
                parcel_id=parcel_id,
                units=units,
                lender=lender,
                pledgor=pledgor,
                expires=expires,
                today=today or datetime.now(UTC).date(),
                period=period,
                release=tag,
                release_hash=digest,
            )

        return self.ledger.append_checked("pledge", build, actor=actor)

    def unpledge(self, pledge_id: str, *, actor: str) -> Entry:
        """Release a pledge: its units return to the pledgor, available again."""
        return self._close("unpledge", pledge_id, actor)

    def enforce(self, pledge_id: str, *, actor: str) -> Entry:
        """Enforce a pledge (the loan defaulted): its units pass to the lender, available to it."""
        return self._close("enforce", pledge_id, actor)

    def _close(self, kind: str, pledge_id: str, actor: str) -> Entry:
        tag, digest = self._relied_on(None)

        def build(chain: Sequence[Entry]) -> Mapping[str, Any]:
            return plan_close(
                replay(chain),
                seq=len(chain) + 1,
                kind=kind,
                pledge_id=pledge_id,
                release=tag,
                release_hash=digest,
            )

        return self.ledger.append_checked(kind, build, actor=actor)

    def transfer(
        self,
        parcel_id: str,
        *,
        quantity_t: float | str,
        to: str,
        actor: str,
        holder: str = DEFAULT_HOLDER,
        period: Period | None = None,
    ) -> Entry:
        units = units_from_t(quantity_t)
        tag, digest = self._relied_on(None)

        def build(chain: Sequence[Entry]) -> Mapping[str, Any]:
            return plan_transfer(
                replay(chain),
                seq=len(chain) + 1,
                parcel_id=parcel_id,
                units=units,
                source=holder,
                target=to,
                period=period,
                release=tag,
                release_hash=digest,
            )

        return self.ledger.append_checked("transfer", build, actor=actor)

    def retire(
        self,
        parcel_id: str,
        *,
        quantity_t: float | str,
        beneficiary: str,
        actor: str,
        purpose: str = "",
        holder: str = DEFAULT_HOLDER,
        period: Period | None = None,
    ) -> Entry:
        units = units_from_t(quantity_t)
        tag, digest = self._relied_on(None)

        def build(chain: Sequence[Entry]) -> Mapping[str, Any]:
            return plan_retire(
                replay(chain),
                seq=len(chain) + 1,
                parcel_id=parcel_id,
                units=units,
                holder=holder,
                beneficiary=beneficiary,
                purpose=purpose,
                period=period,
                release=tag,
                release_hash=digest,
            )

        return self.ledger.append_checked("retire", build, actor=actor)

    # ------------------------------------------------------------------ reports
    def parcel_report(
        self, parcel_id: str, *, today: date | None = None, as_of: datetime | None = None
    ) -> dict[str, Any]:
        """Balances (t CO2e), holders, pledges, periods, movements and warnings of a parcel."""
        state = self.state(as_of=as_of)
        return parcel_report(
            state,
            parcel_id,
            latest=self._latest(),
            credits=self._latest_credits(),
            withdrawn=self._withdrawn(),
            today=today or datetime.now(UTC).date(),
        )

    def _latest_credits(self) -> dict[tuple[str, Period], int] | None:
        latest = self._latest()
        if latest is None or CREDITS_TABLE not in latest.tables:
            return None
        return credit_units(release_credits(self.store, latest))

    def _withdrawn(self) -> dict[str, str]:
        return {r.tag: str(r.withdrawn_reason) for r in self.store.releases() if r.withdrawn}

    def verify(self) -> RegisterCheck:
        """Walk the chain against its anchor (edited, removed or re-forged entries), replay every
        event and recompute every balance, check each issue against the release it names; warn of
        shortfalls against the latest release, withdrawn releases relied on and expired pledges."""
        anchor = self.ledger.anchor()
        problems = list(self.ledger.verify())
        warnings: list[str] = []
        if problems:
            return RegisterCheck(False, anchor.count, anchor.head, tuple(problems), (), {})
        chain = self.ledger.entries()
        try:
            state = replay(chain)
        except RegisterRefused as exc:
            return RegisterCheck(
                False, len(chain), anchor.head, (f"the chain does not replay: {exc}",), (), {}
            )
        cache: dict[str, dict[tuple[str, Period], int]] = {}
        for e in chain:
            if e.kind != "issue":
                continue
            tag = str(e.payload["release"])
            try:
                info = self.store.resolve(tag)
                if info.content_hash != e.payload.get("release_hash"):
                    problems.append(
                        f"entry {e.seq}: release {tag} no longer has the content hash it recorded"
                    )
                    continue
                if tag not in cache:
                    cache[tag] = credit_units(release_credits(self.store, info))
            except StoreError as exc:
                problems.append(f"entry {e.seq}: cannot read release {tag}: {exc}")
                continue
            key = (str(e.payload["parcel_id"]), Period.parse(str(e.payload["period"])))
            have = cache[tag].get(key, 0)
            if int(e.payload["creditable_units"]) != have or int(e.payload["last"]) > have:
                problems.append(
                    f"entry {e.seq}: issued {key[0]} {key[1]} up to unit {e.payload['last']} against "
                    f"{e.payload['creditable_units']} creditable, but release {tag} credits {have}"
                )
        withdrawn = self._withdrawn()
        credits = self._latest_credits()
        latest = self._latest()
        today = datetime.now(UTC).date()
        out: dict[str, dict[str, float]] = {}
        for parcel_id in state.parcels():
            report = parcel_report(
                state, parcel_id, latest=latest, credits=credits, withdrawn=withdrawn, today=today
            )
            warnings += report["warnings"]
            out[parcel_id] = {k: report[k] for k in (*BALANCES, "shortfall")}
        return RegisterCheck(not problems, len(chain), anchor.head, tuple(problems), tuple(warnings), out)


def parcel_report(
    state: RegisterState,
    parcel_id: str,
    *,
    latest: ReleaseInfo | None,
    credits: Mapping[tuple[str, Period], int] | None,
    withdrawn: Mapping[str, str],
    today: date,
) -> dict[str, Any]:
    """What ``register show`` prints (a pure function of the state and the latest release)."""
    b = balances(state, parcel_id)
    found = shortfalls(state, credits) if credits is not None else []
    short = {s.period: s for s in found if s.parcel_id == parcel_id}
    warnings: list[str] = []
    periods = []
    for block in state.parcel_blocks(parcel_id):
        pb = block_balances(block)
        gap = short.get(block.period)
        creditable = credits.get((parcel_id, block.period), 0) if credits is not None else None
        issued_from = [
            {
                "release": i.release,
                "quantity_t_co2e": t_from_units(i.last - i.first + 1),
                "serials": f"{i.first}-{i.last}",
                "withdrawn": i.release in withdrawn,
            }
            for i in block.issuances
        ]
        periods.append(
            {
                "period": str(block.period),
                **{k: t_from_units(v) for k, v in pb.as_units().items()},
                "creditable_latest_t_co2e": t_from_units(creditable) if creditable is not None else None,
                "shortfall_t_co2e": t_from_units(gap.units) if gap else 0.0,
                "issued_from": issued_from,
            }
        )
        if gap is not None:
            warnings.append(
                f"{parcel_id} {block.period}: shortfall of {t_from_units(gap.units):,.3f} t CO2e: "
                f"{t_from_units(gap.issued):,.3f} issued, the latest release "
                f"{latest.tag if latest else ''} credits {t_from_units(gap.creditable):,.3f}"
            )
        for i in block.issuances:
            if i.release in withdrawn:
                warnings.append(
                    f"{parcel_id} {block.period}: units {i.first}-{i.last} were issued from release "
                    f"{i.release}, since withdrawn ({withdrawn[i.release]})"
                )
    pledges = []
    for p in sorted(state.pledges.values(), key=lambda x: x.seq):
        if p.parcel_id != parcel_id:
            continue
        expired = p.status == "active" and p.expired(today)
        pledges.append(
            {
                "pledge_id": p.pledge_id,
                "lender": p.lender,
                "pledgor": p.pledgor,
                "quantity_t_co2e": t_from_units(p.units),
                "expires": p.expires,
                "expired": expired,
                "status": p.status,
                "pledged_at": p.at,
                "release": p.release,
                "serials": [str(r) for r in p.serials],
            }
        )
        if expired:
            warnings.append(
                f"{parcel_id}: pledge {p.pledge_id} to {p.lender} expired on {p.expires} and still "
                f"encumbers {t_from_units(p.units):,.3f} t CO2e until released "
                f"(`bluecarbon register unpledge {p.pledge_id}`)"
            )
    movements = [
        {
            "kind": m.kind,
            "at": m.at,
            "from": m.holder,
            ("beneficiary" if m.kind == "retire" else "to"): m.to,
            **({"purpose": m.purpose} if m.kind == "retire" else {}),
            "quantity_t_co2e": t_from_units(m.units),
            "serials": [str(r) for r in m.serials],
        }
        for m in state.movements
        if m.parcel_id == parcel_id
    ]
    return {
        "parcel_id": parcel_id,
        "unit": "t CO2e",
        **{k: t_from_units(v) for k, v in b.as_units().items()},
        "shortfall": t_from_units(sum(s.units for s in short.values())),
        "encumbered": t_from_units(b.pledged),
        "holders": [
            {"holder": h, "available_t_co2e": t_from_units(u)} for h, u in holdings(state, parcel_id).items()
        ],
        "pledges": pledges,
        "active_pledges": len(active_pledges(state, parcel_id)),
        "periods": periods,
        "movements": movements,
        "latest_release": latest.tag if latest else None,
        "warnings": warnings,
    }


def register_section(store: Store, parcel_id: str, *, as_of: str, release: ReleaseInfo) -> dict[str, Any]:
    """The ``register`` section of a sink statement: the parcel's units as the register stood at
    ``as_of`` (the statement's generation time, so verifying the statement replays the same
    entries), its active pledges, and any shortfall of the issued units against ``release``."""
    from bluecarbon.store.ledger import GENESIS

    when = datetime.fromisoformat(as_of)
    register = SinkRegister(store)
    chain = register.entries(as_of=when)
    try:
        state = replay(chain)
    except RegisterRefused as exc:
        raise IntegrityError(f"the register does not replay: {exc}") from None
    b = balances(state, parcel_id)
    credits = credit_units(release_credits(store, release)) if CREDITS_TABLE in release.tables else {}
    gap = sum(s.units for s in shortfalls(state, credits) if s.parcel_id == parcel_id)
    return {
        "as_of": as_of,
        **{f"{k}_t_co2e": t_from_units(v) for k, v in b.as_units().items()},
        "shortfall_t_co2e": t_from_units(gap),
        "pledges": [
            {
                "pledge_id": p.pledge_id,
                "lender": p.lender,
                "quantity_t_co2e": t_from_units(p.units),
                "expires": p.expires,
            }
            for p in active_pledges(state, parcel_id)
        ],
        "ledger_entries": len(chain),
        "ledger_head": chain[-1].entry_hash if chain else GENESIS,
    }
