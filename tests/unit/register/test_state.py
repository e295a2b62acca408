"""The register's pure state machine, serials and units, checked by hand.

Every scenario below was worked out on paper first: which serial numbers each event takes and
what the five balances are afterwards (units are kilograms of CO2e, 1000 to the tonne).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bluecarbon.errors import InputError, RegisterRefused
from bluecarbon.register.state import (
    Balances,
    Event,
    RegisterState,
    UnitState,
    apply,
    balances,
    holdings,
    plan_close,
    plan_issue,
    plan_pledge,
    plan_retire,
    plan_transfer,
    replay,
    shortfalls,
)
from bluecarbon.register.units import (
    Period,
    SerialRange,
    fmt_t,
    t_from_units,
    units_from_t,
    units_issuable,
)

FARM = "qd-jzb-oyster-01"
P23 = Period(2023, 2024)
TODAY = date(2026, 12, 4)


class Book:
    """Applies planned events in sequence, as the ledger would."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.state = RegisterState()

    @property
    def seq(self) -> int:
        return len(self.events) + 1

    def add(self, kind: str, payload: dict) -> dict:
        event = Event(self.seq, kind, payload, at=f"2026-12-04T00:00:{self.seq:02d}+00:00")
        self.state = apply(self.state, event)
        self.events.append(event)
        return payload

    def issue(
        self, creditable: int, *, parcel: str = FARM, period: Period = P23, release: str = "r1"
    ) -> dict:
        payload = plan_issue(
            self.state,
            seq=self.seq,
            parcel_id=parcel,
            period=period,
            creditable_units=creditable,
            release=release,
            release_hash="0" * 64,
            holder="owner",
        )
        return self.add("issue", payload)

    def pledge(self, units: int, lender: str, *, pledgor: str = "owner", expires: date | None = None) -> dict:
        payload = plan_pledge(
            self.state,
            seq=self.seq,
            parcel_id=FARM,
            units=units,
            lender=lender,
            pledgor=pledgor,
            expires=expires,
            today=TODAY,
        )
        return self.add("pledge", payload)

    def transfer(self, units: int, to: str, *, source: str = "owner") -> dict:
        payload = plan_transfer(
            self.state, seq=self.seq, parcel_id=FARM, units=units, source=source, target=to
        )
        return self.add("transfer", payload)

    def retire(self, units: int, *, holder: str = "owner") -> dict:
        payload = plan_retire(
            self.state,
            seq=self.seq,
            parcel_id=FARM,
            units=units,
            holder=holder,
            beneficiary="Qingdao Port Group",
            purpose="2026 emissions",
        )
        return self.add("retire", payload)

    def close(self, kind: str, pledge_id: str) -> dict:
        return self.add(kind, plan_close(self.state, seq=self.seq, kind=kind, pledge_id=pledge_id))

    def balances(self) -> Balances:
        return balances(self.state, FARM)


# ------------------------------------------------------------------------------ units, serials
def test_quantities_are_whole_kilograms() -> None:
    assert units_from_t("20") == 20_000
    assert units_from_t(0.001) == 1
    assert units_from_t("1,234.5") == 1_234_500
    for bad in ("1.0005", "0", "-3", "abc", "nan"):
        with pytest.raises(InputError):
            units_from_t(bad)
    assert t_from_units(36_905) == 36.905
    assert fmt_t(1_234_567) == "1,234.567"
    assert fmt_t(-5) == "-0.005"


def test_issuable_units_round_down() -> None:
    assert units_issuable(36.905500000000004) == 36_905  # the farm's 2023 creditable tonnes
    assert units_issuable(25.455887) == 25_455
    assert units_issuable(0.1 * 3) == 300  # 0.30000000000000004: float noise is not a unit
    assert units_issuable(0.0) == 0
    assert units_issuable(-1000.7) == 0
    assert units_issuable(float("nan")) == 0


def test_serials_read_back_from_their_end() -> None:
    r = SerialRange("a-2021-2022", Period(2021, 2022), 1, 25_455)
    assert str(r) == "BC-a-2021-2022-2021-2022-1-25455"
    assert SerialRange.parse(str(r)) == r
    farm = SerialRange.parse("BC-qd-jzb-oyster-01-2023-2024-20001-21500")
    assert (farm.parcel_id, farm.period, farm.first, farm.last, farm.units) == (
        FARM,
        P23,
        20_001,
        21_500,
        1_500,
    )
    with pytest.raises(InputError):
        SerialRange.parse("BC-farm-2023-1-5")
    with pytest.raises(InputError):
        SerialRange(FARM, P23, 5, 4)
    assert Period.parse(" 2023 - 2024 ") == P23
    with pytest.raises(InputError):
        Period.parse("2024-2023")


# ------------------------------------------------------------------------------ the state machine
def test_issue_pledge_transfer_retire_by_hand() -> None:
    book = Book()
    issued = book.issue(10_000)
    assert (issued["first"], issued["last"], issued["serial"]) == (
        1,
        10_000,
        "BC-qd-jzb-oyster-01-2023-2024-1-10000",
    )
    pledge = book.pledge(4_000, "Bank A", expires=date(2027, 12, 31))
    assert pledge["pledge_id"] == "PL-2"
    assert pledge["serials"] == ["BC-qd-jzb-oyster-01-2023-2024-1-4000"]
    moved = book.transfer(2_000, "Buyer")
    assert moved["serials"] == ["BC-qd-jzb-oyster-01-2023-2024-4001-6000"]
    retired = book.retire(1_000)
    assert retired["serials"] == ["BC-qd-jzb-oyster-01-2023-2024-6001-7000"]
    assert book.balances() == Balances(
        issued=10_000, available=3_000, pledged=4_000, transferred=2_000, retired=1_000
    )
    assert holdings(book.state, FARM) == {"Buyer": 2_000, "owner": 3_000}
    # the buyer retires half of what it bought: transferred 2 -> 1.5 t, retired 1 -> 1.5 t
    book.retire(1_000 - 500, holder="Buyer")
    assert book.balances() == Balances(10_000, 3_000, 4_000, 1_500, 1_500)
    # repaid: the pledge is released and its units are available to the owner again
    book.close("unpledge", "PL-2")
    assert book.balances() == Balances(10_000, 7_000, 0, 1_500, 1_500)
    # each payload recorded the balances it left, and replaying the events gives the same state
    assert replay(book.events).blocks == book.state.blocks
    assert book.events[-1].payload["balances_after"] == {
        "issued": 10_000,
        "available": 7_000,
        "pledged": 0,
        "transferred": 1_500,
        "retired": 1_500,
    }


def test_a_second_pledge_beyond_the_balance_is_refused_naming_it() -> None:
    book = Book()
    book.issue(36_905)
    book.pledge(20_000, "Bank A")
    with pytest.raises(RegisterRefused, match=r"only 16\.905 t CO2e are available to owner") as refused:
        book.pledge(20_000, "Bank B")
    assert "cannot pledge 20.000 t CO2e of qd-jzb-oyster-01 to Bank B" in str(refused.value)
    assert book.balances().pledged == 20_000  # nothing changed


def test_pledged_units_are_neither_retired_nor_transferred() -> None:
    book = Book()
    book.issue(10_000)
    book.pledge(10_000, "Bank A")
    with pytest.raises(RegisterRefused, match=r"PL-2 to Bank A.*unpledge"):
        book.retire(1)
    with pytest.raises(RegisterRefused, match="neither transferred nor retired"):
        book.transfer(1, "Buyer")
    # a forged retirement naming the pledged serials is refused by the state machine itself
    forged = {
        "parcel_id": FARM,
        "holder": "owner",
        "beneficiary": "x",
        "purpose": "",
        "units": 10,
        "serials": ["BC-qd-jzb-oyster-01-2023-2024-1-10"],
    }
    with pytest.raises(RegisterRefused, match=r"pledged \(PL-2\)"):
        apply(book.state, Event(3, "retire", forged))


def test_enforcement_passes_the_units_to_the_lender() -> None:
    book = Book()
    book.issue(5_000)
    book.pledge(3_000, "Bank A")
    book.close("enforce", "PL-2")
    assert holdings(book.state, FARM) == {"Bank A": 3_000, "owner": 2_000}
    assert book.balances() == Balances(5_000, 2_000, 0, 3_000, 0)  # moved away from the owner
    book.retire(3_000, holder="Bank A")  # the lender may now sell or retire them
    assert book.balances().retired == 3_000
    with pytest.raises(RegisterRefused, match="already enforced"):
        book.close("unpledge", "PL-2")


def test_a_later_release_issues_only_the_difference_and_a_lower_one_is_a_shortfall() -> None:
    book = Book()
    book.issue(10_000, release="r1")
    with pytest.raises(RegisterRefused, match="nothing more to issue"):
        book.issue(10_000, release="r1")
    more = book.issue(12_500, release="r2")
    assert (more["first"], more["last"], more["units"]) == (10_001, 12_500, 2_500)
    with pytest.raises(RegisterRefused, match=r"shortfall of 3\.500 t CO2e"):
        book.issue(9_000, release="r3")
    gaps = shortfalls(book.state, {(FARM, P23): 9_000})
    assert [(g.parcel_id, g.period, g.issued, g.creditable, g.units) for g in gaps] == [
        (FARM, P23, 12_500, 9_000, 3_500)
    ]
    assert shortfalls(book.state, {(FARM, P23): 12_500}) == []
    assert [g.units for g in shortfalls(book.state, {})] == [12_500]  # period gone: all of it


def test_the_state_machine_refuses_events_that_break_a_rule() -> None:
    book = Book()
    book.issue(1_000)
    base = {"parcel_id": FARM, "period": "2023-2024", "holder": "owner", "release": "r", "release_hash": "0"}
    beyond = base | {"first": 1_001, "last": 2_000, "units": 1_000, "creditable_units": 1_500}
    with pytest.raises(RegisterRefused, match="exceeds the 1500 units creditable"):
        apply(book.state, Event(2, "issue", beyond))
    twice = base | {"first": 1, "last": 1_000, "units": 1_000, "creditable_units": 5_000}
    with pytest.raises(RegisterRefused, match="do not follow the 1000 already issued"):
        apply(book.state, Event(2, "issue", twice))
    lying = base | {
        "first": 1_001,
        "last": 2_000,
        "units": 1_000,
        "creditable_units": 2_000,
        "balances_after": {
            "issued": 2_000,
            "available": 1_000,
            "pledged": 0,
            "transferred": 0,
            "retired": 1_000,
        },
    }
    with pytest.raises(RegisterRefused, match="do not follow from the chain"):
        apply(book.state, Event(2, "issue", lying))
    with pytest.raises(RegisterRefused, match="unknown event kind"):
        apply(book.state, Event(2, "mint", {"parcel_id": FARM}))
    with pytest.raises(RegisterRefused, match="never issued"):
        apply(
            book.state,
            Event(
                2,
                "transfer",
                {
                    "parcel_id": FARM,
                    "from": "owner",
                    "to": "x",
                    "units": 1,
                    "serials": [f"BC-{FARM}-2023-2024-1001-1001"],
                },
            ),
        )


def test_pledge_expiry_must_be_in_the_future_and_is_reported() -> None:
    book = Book()
    book.issue(1_000)
    with pytest.raises(RegisterRefused, match="not after today"):
        book.pledge(100, "Bank A", expires=TODAY)
    book.pledge(100, "Bank A", expires=date(2027, 1, 31))
    pledge = book.state.pledges["PL-2"]
    assert not pledge.expired(date(2027, 1, 31)) and pledge.expired(date(2027, 2, 1))


def test_units_come_from_the_oldest_period_first() -> None:
    book = Book()
    book.issue(1_000, period=Period(2022, 2023))
    book.issue(2_000, period=P23)
    pledge = book.pledge(1_500, "Bank A")
    assert pledge["serials"] == [f"BC-{FARM}-2022-2023-1-1000", f"BC-{FARM}-2023-2024-1-500"]


# ------------------------------------------------------------------------------ one state per unit
OPS = st.lists(
    st.tuples(
        st.sampled_from(["issue", "pledge", "transfer", "retire", "unpledge", "enforce"]),
        st.integers(1, 4_000),
        st.sampled_from(["owner", "Buyer", "Bank A"]),
    ),
    max_size=25,
)


@given(OPS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_unit_is_in_exactly_one_state(ops) -> None:
    """Whatever is tried, refused or not: lots tile 1..issued without gap or overlap, and
    issued = available + pledged + transferred + retired."""
    book = Book()
    creditable = 0
    for kind, n, who in ops:
        try:
            if kind == "issue":
                creditable += n
                book.issue(creditable)
            elif kind == "pledge":
                book.pledge(n, "Bank A", pledgor=who)
            elif kind == "transfer":
                book.transfer(n, "Buyer" if who != "Buyer" else "owner", source=who)
            elif kind == "retire":
                book.retire(n, holder=who)
            else:
                active = sorted(p.pledge_id for p in book.state.pledges.values() if p.status == "active")
                if active:
                    book.close(kind, active[n % len(active)])
        except RegisterRefused:
            pass
        for block in book.state.blocks.values():
            expected = 1
            for lot in block.lots:
                assert lot.first == expected and lot.last >= lot.first
                assert (lot.state is UnitState.PLEDGED) == (lot.pledge_id is not None)
                expected = lot.last + 1
            assert expected - 1 == block.issued
        b = book.balances()
        assert b.issued == b.available + b.pledged + b.transferred + b.retired
        pledged = sum(p.units for p in book.state.pledges.values() if p.status == "active")
        assert pledged == b.pledged
    assert replay(book.events).blocks == book.state.blocks
