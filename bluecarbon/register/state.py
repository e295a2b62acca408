"""The register's state machine: balances are a pure function of the ledger's events.

Why a replay and nothing else: a balance stored in a table can be edited, and two tables (the
holdings and the history) can disagree. Here the only record is the hash-chained event ledger
(:mod:`bluecarbon.store.ledger`); :func:`replay` folds its events, oldest first, into a
:class:`RegisterState`, and every balance, holding and pledge is read off that state. The same
:func:`apply` checks a proposed event before it is appended (under the store's writer lock) and
every recorded event when the chain is verified, so a rule holds for what is written and for
what is read back.

Each unit (1 kg CO2e, :mod:`bluecarbon.register.units`) is in exactly one state:

* ``available``, held by a holder: the holder it was issued to (counted as *available*) or
  another one it was transferred to (counted as *transferred*, the quantity moved away from the
  issue's holder; it stays available to its new holder, who may pledge, transfer or retire it);
* ``pledged`` to a lender under one pledge (neither transferable nor retirable until the pledge
  is released (``unpledge``) or enforced (``enforce``: the units pass to the lender));
* ``retired`` for a beneficiary (final).

So for every parcel and period ``issued = available + transferred + pledged + retired``. Units
of a parcel and crediting period are numbered 1..N in issue order; a later release can only add
units N+1.. up to its creditable figure, never take any back: a release that credits less than
was issued is a *shortfall* (:func:`shortfalls`), reported, never a negative issue.

Events (``kind``: payload keys, quantities in units):

* ``issue``: parcel_id, period, first, last, units, holder, creditable_units, release,
  release_hash;
* ``pledge``: pledge_id, parcel_id, lender, pledgor, expires (ISO date or null), units, serials;
* ``unpledge`` / ``enforce``: pledge_id, parcel_id, units, serials;
* ``transfer``: parcel_id, from, to, units, serials;
* ``retire``: parcel_id, holder, beneficiary, purpose, units, serials.

Every payload also carries ``release``/``release_hash`` (what the actor relied on) and
``balances_after``, the parcel's five balances after the event, which replay recomputes and
compares: an entry whose recorded balances do not follow from the chain is reported.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, Final, Protocol

from bluecarbon.errors import RegisterRefused
from bluecarbon.register.units import Period, SerialRange, fmt_t

KINDS: Final[tuple[str, ...]] = ("issue", "pledge", "unpledge", "enforce", "transfer", "retire")
BALANCES: Final[tuple[str, ...]] = ("issued", "available", "pledged", "transferred", "retired")


class UnitState(StrEnum):
    AVAILABLE = "available"
    PLEDGED = "pledged"
    RETIRED = "retired"


class EventLike(Protocol):
    """What :func:`apply` reads of an event (a ledger entry has these fields)."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Event:
    """An event outside a ledger (tests, and an event being planned)."""

    seq: int
    kind: str
    payload: Mapping[str, Any]
    at: str = ""
    actor: str = ""


@dataclass(frozen=True)
class Lot:
    """A run of consecutive units in one state."""

    first: int
    last: int
    state: UnitState
    holder: str
    issued_to: str
    pledge_id: str | None = None
    retired_by: int | None = None  # seq of the retirement

    @property
    def units(self) -> int:
        return self.last - self.first + 1

    def same_as(self, other: Lot) -> bool:
        return (self.state, self.holder, self.issued_to, self.pledge_id, self.retired_by) == (
            other.state,
            other.holder,
            other.issued_to,
            other.pledge_id,
            other.retired_by,
        )


@dataclass(frozen=True)
class Issuance:
    seq: int
    at: str
    release: str
    release_hash: str
    creditable_units: int
    first: int
    last: int
    holder: str


@dataclass
class Block:
    """The units of one parcel and crediting period."""

    parcel_id: str
    period: Period
    lots: list[Lot] = field(default_factory=list)
    issuances: list[Issuance] = field(default_factory=list)

    @property
    def issued(self) -> int:
        return self.lots[-1].last if self.lots else 0


@dataclass
class Pledge:
    pledge_id: str
    parcel_id: str
    lender: str
    pledgor: str
    expires: str | None
    serials: tuple[SerialRange, ...]
    seq: int
    at: str
    release: str
    status: str = "active"  # active, released, enforced
    closed_seq: int | None = None

    @property
    def units(self) -> int:
        return sum(r.units for r in self.serials)

    def expired(self, today: date) -> bool:
        return self.expires is not None and date.fromisoformat(self.expires) < today


@dataclass(frozen=True)
class Movement:
    """A transfer or a retirement, as recorded."""

    seq: int
    at: str
    kind: str
    parcel_id: str
    holder: str
    to: str  # new holder (transfer) or beneficiary (retirement)
    purpose: str
    serials: tuple[SerialRange, ...]

    @property
    def units(self) -> int:
        return sum(r.units for r in self.serials)


@dataclass
class RegisterState:
    blocks: dict[tuple[str, Period], Block] = field(default_factory=dict)
    pledges: dict[str, Pledge] = field(default_factory=dict)
    movements: list[Movement] = field(default_factory=list)
    events: int = 0

    def parcel_blocks(self, parcel_id: str) -> list[Block]:
        return [b for (p, _), b in sorted(self.blocks.items()) if p == parcel_id]

    def parcels(self) -> list[str]:
        return sorted({p for p, _ in self.blocks})


@dataclass(frozen=True)
class Balances:
    """The five balances, in units; ``issued`` is the sum of the other four."""

    issued: int = 0
    available: int = 0
    pledged: int = 0
    transferred: int = 0
    retired: int = 0

    def as_units(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in BALANCES}

    def __add__(self, other: Balances) -> Balances:
        return Balances(**{k: getattr(self, k) + getattr(other, k) for k in BALANCES})


@dataclass(frozen=True)
class Shortfall:
    parcel_id: str
    period: Period
    issued: int
    creditable: int

    @property
    def units(self) -> int:
        return self.issued - self.creditable


# --------------------------------------------------------------------------- reading
def block_balances(block: Block) -> Balances:
    issued = available = pledged = transferred = retired = 0
    for lot in block.lots:
        issued += lot.units
        if lot.state is UnitState.PLEDGED:
            pledged += lot.units
        elif lot.state is UnitState.RETIRED:
            retired += lot.units
        elif lot.holder == lot.issued_to:
            available += lot.units
        else:
            transferred += lot.units
    return Balances(issued, available, pledged, transferred, retired)


def balances(state: RegisterState, parcel_id: str, period: Period | None = None) -> Balances:
    """A parcel's balances (one period, or all of them)."""
    total = Balances()
    for block in state.parcel_blocks(parcel_id):
        if period is None or block.period == period:
            total = total + block_balances(block)
    return total


def holdings(state: RegisterState, parcel_id: str) -> dict[str, int]:
    """Available (unpledged, unretired) units of a parcel by holder."""
    out: dict[str, int] = {}
    for block in state.parcel_blocks(parcel_id):
        for lot in block.lots:
            if lot.state is UnitState.AVAILABLE:
                out[lot.holder] = out.get(lot.holder, 0) + lot.units
    return dict(sorted(out.items()))


def active_pledges(state: RegisterState, parcel_id: str | None = None) -> list[Pledge]:
    return [
        p
        for p in state.pledges.values()
        if p.status == "active" and (parcel_id is None or p.parcel_id == parcel_id)
    ]


def shortfalls(state: RegisterState, creditable: Mapping[tuple[str, Period], int]) -> list[Shortfall]:
    """Parcel-periods where more units were issued than ``creditable`` (units per parcel and
    period in a release; a period missing from it counts as nothing creditable)."""
    out = []
    for key, block in sorted(state.blocks.items()):
        have = creditable.get(key, 0)
        if block.issued > have:
            out.append(Shortfall(block.parcel_id, block.period, block.issued, have))
    return out


# --------------------------------------------------------------------------- replaying
def replay(events: Iterable[EventLike]) -> RegisterState:
    """The state after ``events`` (oldest first); raises RegisterRefused at the first event that
    breaks a rule (naming its seq)."""
    state = RegisterState()
    for event in events:
        _apply(state, event)
    return state


def apply(state: RegisterState, event: EventLike) -> RegisterState:
    """A new state: ``state`` after ``event`` (``state`` is left unchanged)."""
    new = copy.deepcopy(state)
    _apply(new, event)
    return new


def _apply(state: RegisterState, event: EventLike) -> None:
    handler = _HANDLERS.get(event.kind)
    if handler is None:
        raise RegisterRefused(f"entry {event.seq}: unknown event kind {event.kind!r}")
    p = event.payload
    try:
        parcel_id = str(p["parcel_id"])
        handler(state, event)
    except KeyError as exc:
        raise RegisterRefused(f"entry {event.seq} ({event.kind}): payload lacks {exc}") from None
    except RegisterRefused as exc:
        raise RegisterRefused(f"entry {event.seq} ({event.kind}): {exc}") from None
    recorded = p.get("balances_after")
    if recorded is not None:
        got = balances(state, parcel_id).as_units()
        if {k: int(recorded.get(k, -1)) for k in BALANCES} != got:
            raise RegisterRefused(
                f"entry {event.seq} ({event.kind}): recorded balances {dict(recorded)} of {parcel_id} do "
                f"not follow from the chain, which gives {got}"
            )
    state.events += 1


def _serials(p: Mapping[str, Any]) -> tuple[SerialRange, ...]:
    ranges = tuple(SerialRange.parse(s) for s in p["serials"])
    if any(r.parcel_id != p["parcel_id"] for r in ranges):
        raise RegisterRefused(f"serials {list(p['serials'])} are not all of parcel {p['parcel_id']}")
    if sum(r.units for r in ranges) != int(p["units"]):
        raise RegisterRefused(f"serials {list(p['serials'])} do not hold {p['units']} units")
    return ranges


def _change(
    state: RegisterState,
    ranges: Sequence[SerialRange],
    require: Callable[[Lot], str | None],
    update: Callable[[Lot], Lot],
) -> None:
    """Set every unit of ``ranges`` to ``update(lot)``; each must pass ``require`` (None = ok,
    else the reason it may not change)."""
    for r in ranges:
        block = state.blocks.get((r.parcel_id, r.period))
        if block is None or r.last > block.issued:
            raise RegisterRefused(f"units {r} were never issued")
        lots: list[Lot] = []
        for lot in block.lots:
            if lot.last < r.first or lot.first > r.last:
                lots.append(lot)
                continue
            lo, hi = max(lot.first, r.first), min(lot.last, r.last)
            reason = require(lot)
            if reason is not None:
                part = SerialRange(r.parcel_id, r.period, lo, hi)
                raise RegisterRefused(f"units {part} are {reason}")
            if lot.first < lo:
                lots.append(replace(lot, last=lo - 1))
            lots.append(replace(update(lot), first=lo, last=hi))
            if hi < lot.last:
                lots.append(replace(lot, first=hi + 1))
        block.lots = _merge(lots)


def _merge(lots: list[Lot]) -> list[Lot]:
    out: list[Lot] = []
    for lot in lots:
        if out and out[-1].same_as(lot) and out[-1].last + 1 == lot.first:
            out[-1] = replace(out[-1], last=lot.last)
        else:
            out.append(lot)
    return out


def _describe(lot: Lot) -> str:
    if lot.state is UnitState.PLEDGED:
        return f"pledged ({lot.pledge_id}); pledged units can be neither transferred nor retired"
    if lot.state is UnitState.RETIRED:
        return "retired"
    return f"held by {lot.holder}"


def _available_to(holder: str) -> Callable[[Lot], str | None]:
    def require(lot: Lot) -> str | None:
        if lot.state is UnitState.AVAILABLE and lot.holder == holder:
            return None
        return (
            _describe(lot) if lot.state is not UnitState.AVAILABLE else f"held by {lot.holder}, not {holder}"
        )

    return require


def _on_issue(state: RegisterState, e: EventLike) -> None:
    p = e.payload
    period = Period.parse(str(p["period"]))
    parcel_id = str(p["parcel_id"])
    first, last, units = int(p["first"]), int(p["last"]), int(p["units"])
    creditable, holder = int(p["creditable_units"]), str(p["holder"])
    block = state.blocks.setdefault((parcel_id, period), Block(parcel_id, period))
    if first != block.issued + 1:
        raise RegisterRefused(
            f"{parcel_id} {period}: units {first}-{last} do not follow the {block.issued} already issued"
        )
    if last < first or units != last - first + 1:
        raise RegisterRefused(f"{parcel_id} {period}: units {first}-{last} do not hold {units} units")
    if last > creditable:
        raise RegisterRefused(
            f"{parcel_id} {period}: issuing up to unit {last} exceeds the {creditable} units creditable in "
            f"release {p['release']}"
        )
    if not holder.strip():
        raise RegisterRefused("an issue needs a holder")
    block.lots.append(Lot(first, last, UnitState.AVAILABLE, holder, holder))
    block.lots = _merge(block.lots)
    block.issuances.append(
        Issuance(e.seq, e.at, str(p["release"]), str(p["release_hash"]), creditable, first, last, holder)
    )


def _on_pledge(state: RegisterState, e: EventLike) -> None:
    p = e.payload
    pledge_id, lender, pledgor = str(p["pledge_id"]), str(p["lender"]), str(p["pledgor"])
    if pledge_id in state.pledges:
        raise RegisterRefused(f"pledge id {pledge_id} is already used")
    if not lender.strip():
        raise RegisterRefused("a pledge needs a lender")
    ranges = _serials(p)
    _change(
        state,
        ranges,
        _available_to(pledgor),
        lambda lot: replace(lot, state=UnitState.PLEDGED, pledge_id=pledge_id),
    )
    expires = p.get("expires")
    state.pledges[pledge_id] = Pledge(
        pledge_id,
        str(p["parcel_id"]),
        lender,
        pledgor,
        str(expires) if expires else None,
        ranges,
        e.seq,
        e.at,
        str(p.get("release", "")),
    )


def _closing(state: RegisterState, e: EventLike) -> tuple[Pledge, tuple[SerialRange, ...]]:
    p = e.payload
    pledge = state.pledges.get(str(p["pledge_id"]))
    if pledge is None:
        raise RegisterRefused(f"no pledge {p['pledge_id']}")
    if pledge.status != "active":
        raise RegisterRefused(f"pledge {pledge.pledge_id} was already {pledge.status}")
    ranges = _serials(p)
    if set(ranges) != set(pledge.serials) or pledge.parcel_id != p["parcel_id"]:
        raise RegisterRefused(f"the units of {pledge.pledge_id} are {[str(r) for r in pledge.serials]}")
    return pledge, ranges


def _pledged_under(pledge_id: str) -> Callable[[Lot], str | None]:
    def require(lot: Lot) -> str | None:
        if lot.state is UnitState.PLEDGED and lot.pledge_id == pledge_id:
            return None
        return f"not pledged under {pledge_id}"

    return require


def _on_unpledge(state: RegisterState, e: EventLike) -> None:
    pledge, ranges = _closing(state, e)
    _change(
        state,
        ranges,
        _pledged_under(pledge.pledge_id),
        lambda lot: replace(lot, state=UnitState.AVAILABLE, pledge_id=None),
    )
    pledge.status, pledge.closed_seq = "released", e.seq


def _on_enforce(state: RegisterState, e: EventLike) -> None:
    pledge, ranges = _closing(state, e)
    _change(
        state,
        ranges,
        _pledged_under(pledge.pledge_id),
        lambda lot: replace(lot, state=UnitState.AVAILABLE, pledge_id=None, holder=pledge.lender),
    )
    pledge.status, pledge.closed_seq = "enforced", e.seq


def _on_transfer(state: RegisterState, e: EventLike) -> None:
    p = e.payload
    source, target = str(p["from"]), str(p["to"])
    if not target.strip() or target == source:
        raise RegisterRefused(f"a transfer needs a new holder other than {source}")
    ranges = _serials(p)
    _change(state, ranges, _available_to(source), lambda lot: replace(lot, holder=target))
    state.movements.append(Movement(e.seq, e.at, "transfer", str(p["parcel_id"]), source, target, "", ranges))


def _on_retire(state: RegisterState, e: EventLike) -> None:
    p = e.payload
    holder, beneficiary = str(p["holder"]), str(p["beneficiary"])
    if not beneficiary.strip():
        raise RegisterRefused("a retirement needs a beneficiary")
    ranges = _serials(p)
    seq = e.seq
    _change(
        state,
        ranges,
        _available_to(holder),
        lambda lot: replace(lot, state=UnitState.RETIRED, retired_by=seq),
    )
    state.movements.append(
        Movement(
            seq, e.at, "retire", str(p["parcel_id"]), holder, beneficiary, str(p.get("purpose", "")), ranges
        )
    )


_HANDLERS: Final[dict[str, Callable[[RegisterState, EventLike], None]]] = {
    "issue": _on_issue,
    "pledge": _on_pledge,
    "unpledge": _on_unpledge,
    "enforce": _on_enforce,
    "transfer": _on_transfer,
    "retire": _on_retire,
}


# --------------------------------------------------------------------------- planning
def select_available(
    state: RegisterState, parcel_id: str, units: int, *, holder: str, period: Period | None = None
) -> tuple[SerialRange, ...] | None:
    """The oldest ``units`` available units of ``holder`` (oldest period, lowest serials first),
    or None when the holder has fewer."""
    picked: list[SerialRange] = []
    need = units
    for block in state.parcel_blocks(parcel_id):
        if period is not None and block.period != period:
            continue
        for lot in block.lots:
            if need == 0:
                break
            if lot.state is UnitState.AVAILABLE and lot.holder == holder:
                take = min(need, lot.units)
                picked.append(SerialRange(parcel_id, block.period, lot.first, lot.first + take - 1))
                need -= take
    return tuple(picked) if need == 0 else None


def _shortage(
    state: RegisterState,
    parcel_id: str,
    units: int,
    holder: str,
    period: Period | None,
    verb: str,
    to: str = "",
) -> RegisterRefused:
    have = holdings_of(state, parcel_id, holder, period)
    b = balances(state, parcel_id, period)
    where = f"{parcel_id}" + (f" {period}" if period else "")
    text = (
        f"cannot {verb} {fmt_t(units)} t CO2e of {where}{to}: only {fmt_t(have)} t CO2e are available to "
        f"{holder} (issued {fmt_t(b.issued)}, available {fmt_t(b.available)}, pledged {fmt_t(b.pledged)}, "
        f"transferred {fmt_t(b.transferred)}, retired {fmt_t(b.retired)} t CO2e)."
    )
    mine = [p for p in active_pledges(state, parcel_id) if p.pledgor == holder]
    if mine and verb != "pledge":
        listed = ", ".join(f"{p.pledge_id} to {p.lender} ({fmt_t(p.units)} t)" for p in mine)
        text += (
            f" Pledged units can be neither transferred nor retired: {listed}; a pledge must be released "
            "first (`bluecarbon register unpledge PLEDGE_ID`)."
        )
    return RegisterRefused(text)


def holdings_of(state: RegisterState, parcel_id: str, holder: str, period: Period | None = None) -> int:
    return sum(
        lot.units
        for block in state.parcel_blocks(parcel_id)
        if period is None or block.period == period
        for lot in block.lots
        if lot.state is UnitState.AVAILABLE and lot.holder == holder
    )


def _finish(state: RegisterState, seq: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with the balances it leaves (checked by applying it)."""
    after = apply(state, Event(seq, kind, payload))
    return payload | {"balances_after": balances(after, str(payload["parcel_id"])).as_units()}


def plan_issue(
    state: RegisterState,
    *,
    seq: int,
    parcel_id: str,
    period: Period,
    creditable_units: int,
    release: str,
    release_hash: str,
    holder: str,
) -> dict[str, Any]:
    """The ``issue`` payload for what ``release`` credits beyond what is already issued."""
    block = state.blocks.get((parcel_id, period))
    issued = block.issued if block else 0
    if creditable_units <= issued:
        text = (
            f"{parcel_id} {period}: {fmt_t(issued)} t CO2e already issued and release {release} credits "
            f"{fmt_t(creditable_units)} t CO2e: nothing more to issue"
        )
        if creditable_units < issued:
            text += f" (a shortfall of {fmt_t(issued - creditable_units)} t CO2e against the units issued)"
        raise RegisterRefused(text)
    payload = {
        "parcel_id": parcel_id,
        "period": str(period),
        "first": issued + 1,
        "last": creditable_units,
        "units": creditable_units - issued,
        "serial": str(SerialRange(parcel_id, period, issued + 1, creditable_units)),
        "holder": holder,
        "creditable_units": creditable_units,
        "release": release,
        "release_hash": release_hash,
    }
    return _finish(state, seq, "issue", payload)


def plan_pledge(
    state: RegisterState,
    *,
    seq: int,
    parcel_id: str,
    units: int,
    lender: str,
    pledgor: str,
    expires: date | None,
    today: date,
    period: Period | None = None,
    release: str = "",
    release_hash: str = "",
) -> dict[str, Any]:
    if expires is not None and expires <= today:
        raise RegisterRefused(f"pledge expiry {expires} is not after today ({today})")
    ranges = select_available(state, parcel_id, units, holder=pledgor, period=period)
    if ranges is None:
        raise _shortage(state, parcel_id, units, pledgor, period, "pledge", f" to {lender}")
    payload = {
        "pledge_id": f"PL-{seq}",
        "parcel_id": parcel_id,
        "lender": lender,
        "pledgor": pledgor,
        "expires": expires.isoformat() if expires else None,
        "units": units,
        "serials": [str(r) for r in ranges],
        "release": release,
        "release_hash": release_hash,
    }
    return _finish(state, seq, "pledge", payload)


def plan_close(
    state: RegisterState, *, seq: int, kind: str, pledge_id: str, release: str = "", release_hash: str = ""
) -> dict[str, Any]:
    """An ``unpledge`` (release the units to the pledgor) or ``enforce`` (to the lender)."""
    pledge = state.pledges.get(pledge_id)
    if pledge is None:
        known = ", ".join(p.pledge_id for p in active_pledges(state)) or "none"
        raise RegisterRefused(f"no pledge {pledge_id!r} in the register (active pledges: {known})")
    if pledge.status != "active":
        raise RegisterRefused(f"pledge {pledge_id} was already {pledge.status} (entry {pledge.closed_seq})")
    payload = {
        "pledge_id": pledge_id,
        "parcel_id": pledge.parcel_id,
        "lender": pledge.lender,
        "pledgor": pledge.pledgor,
        "units": pledge.units,
        "serials": [str(r) for r in pledge.serials],
        "release": release,
        "release_hash": release_hash,
    }
    return _finish(state, seq, kind, payload)


def plan_transfer(
    state: RegisterState,
    *,
    seq: int,
    parcel_id: str,
    units: int,
    source: str,
    target: str,
    period: Period | None = None,
    release: str = "",
    release_hash: str = "",
) -> dict[str, Any]:
    if not target.strip() or target == source:
        raise RegisterRefused(f"a transfer needs a new holder other than {source}")
    ranges = select_available(state, parcel_id, units, holder=source, period=period)
    if ranges is None:
        raise _shortage(state, parcel_id, units, source, period, "transfer", f" to {target}")
    payload = {
        "parcel_id": parcel_id,
        "from": source,
        "to": target,
        "units": units,
        "serials": [str(r) for r in ranges],
        "release": release,
        "release_hash": release_hash,
    }
    return _finish(state, seq, "transfer", payload)


def plan_retire(
    state: RegisterState,
    *,
    seq: int,
    parcel_id: str,
    units: int,
    holder: str,
    beneficiary: str,
    purpose: str,
    period: Period | None = None,
    release: str = "",
    release_hash: str = "",
) -> dict[str, Any]:
    if not beneficiary.strip():
        raise RegisterRefused("a retirement needs a beneficiary (--beneficiary NAME)")
    ranges = select_available(state, parcel_id, units, holder=holder, period=period)
    if ranges is None:
        raise _shortage(state, parcel_id, units, holder, period, "retire")
    payload = {
        "parcel_id": parcel_id,
        "holder": holder,
        "beneficiary": beneficiary,
        "purpose": purpose,
        "units": units,
        "serials": [str(r) for r in ranges],
        "release": release,
        "release_hash": release_hash,
    }
    return _finish(state, seq, "retire", payload)
