"""Index insurance (policy model, index, payout) and post-loan alerts, against hand-computed values."""

from __future__ import annotations

import pandas as pd
import pytest

from bluecarbon.errors import InputError
from bluecarbon.register.alerts import ParcelFigures, alerts_markdown, compare_releases
from bluecarbon.register.insurance import IndexSpec, index_value, payout, policy_from_mapping
from bluecarbon.register.state import Event, RegisterState, apply, plan_issue, plan_pledge
from bluecarbon.register.units import Period

POLICY = {
    "id": "jzb-oyster-sink-2026",
    "parcel": "qd-jzb-oyster-01",
    "trigger": 40.0,
    "exit": 20.0,
    "sum_insured": 100_000,
    "currency": "CNY",
    "index": {"kind": "conservative_annual_removal"},
}


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (45.0, 0.0),  # above the trigger: nothing
        (40.0, 0.0),  # at the trigger: nothing
        (36.905, 15_475.0),  # 100,000 x (40 - 36.905) / (40 - 20) = 100,000 x 0.15475
        (30.0, 50_000.0),  # half way
        (20.0, 100_000.0),  # at the exit: the sum insured
        (5.0, 100_000.0),  # below the exit: never more
    ],
)
def test_payout_is_linear_between_trigger_and_exit(index: float, expected: float) -> None:
    assert payout(sum_insured=100_000, trigger=40.0, exit=20.0, index=index) == expected


def test_policy_keys_are_checked_and_named() -> None:
    policy = policy_from_mapping(POLICY)
    assert policy.index.kind == "conservative_annual_removal" and policy.sum_insured == 100_000
    with pytest.raises(InputError, match="unknown key 'trigge'"):
        policy_from_mapping({k: v for k, v in POLICY.items() if k != "trigger"} | {"trigge": 40})
    with pytest.raises(InputError, match="missing key 'trigger'"):
        policy_from_mapping({k: v for k, v in POLICY.items() if k != "trigger"})
    with pytest.raises(InputError, match=r"unknown key 'index\.area'"):
        policy_from_mapping(POLICY | {"index": {"kind": "habitat_area", "habitat": "seagrass", "area": 1}})
    with pytest.raises(InputError, match="must be below trigger"):
        policy_from_mapping(POLICY | {"exit": 40.0})
    with pytest.raises(InputError, match=r"needs index\.habitat"):
        policy_from_mapping(POLICY | {"index": {"kind": "habitat_area"}})
    with pytest.raises(InputError, match="unknown habitat 'kelp'"):
        policy_from_mapping(POLICY | {"index": {"kind": "habitat_area", "habitat": "kelp"}})
    with pytest.raises(InputError, match="currency"):
        policy_from_mapping(POLICY | {"currency": "yuan"})
    with pytest.raises(InputError, match="parcel id"):
        policy_from_mapping(POLICY | {"parcel": "../etc"})


def _credits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parcel_id": ["m", "m", "m"],
            "stream": ["ecosystem", "harvest", "ecosystem"],
            "period_start": [2020, 2020, 2022],
            "period_end": [2022, 2022, 2023],
            "creditable_t_co2e": [30.0, 10.0, 0.0],
        }
    )


def _totals() -> pd.DataFrame:
    rows = [
        # parcel m, site s: mapped in 2022; 2023 is the stock carried to the end of the last period
        ("m", "s", "stock", 2022, "seagrass", "habitat", 12.5, 900.0),
        ("m", "s", "stock", 2022, "tidal_flat", "habitat", 7.5, 100.0),
        ("m", "s", "stock", 2022, "(all classes)", "all", 20.0, 1000.0),
        ("m", "s", "stock", 2023, "seagrass", "habitat", 99.0, 999.0),
        ("m", "s", "stock", 2023, "(all classes)", "all", 99.0, 9999.0),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "parcel_id",
            "site",
            "kind",
            "year",
            "habitat",
            "level",
            "area_ha",
            "stock_conservative_t_co2e",
        ],
    )


def test_index_values_by_hand() -> None:
    years = {"s": 2022}
    annual = index_value(
        IndexSpec(kind="conservative_annual_removal", period="2020-2022"),
        "m",
        parcel_totals=pd.DataFrame(),
        parcel_credits=_credits(),
        map_years=years,
    )
    assert (annual.value, annual.unit) == (20.0, "t CO2e/yr")  # (30 + 10) t over 2 years
    latest = index_value(
        IndexSpec(kind="conservative_annual_removal"),
        "m",
        parcel_totals=pd.DataFrame(),
        parcel_credits=_credits(),
        map_years=years,
    )
    assert latest.value == 0.0  # the latest period, 2022-2023, credits nothing
    area = index_value(
        IndexSpec(kind="habitat_area", habitat="seagrass"),
        "m",
        parcel_totals=_totals(),
        parcel_credits=pd.DataFrame(),
        map_years=years,
    )
    assert (area.value, area.unit) == (12.5, "ha")  # the 2022 map, not the carried 2023 row
    gone = index_value(
        IndexSpec(kind="habitat_area", habitat="mangrove"),
        "m",
        parcel_totals=_totals(),
        parcel_credits=pd.DataFrame(),
        map_years=years,
    )
    assert gone.value == 0.0
    stock = index_value(
        IndexSpec(kind="conservative_stock"),
        "m",
        parcel_totals=_totals(),
        parcel_credits=pd.DataFrame(),
        map_years=years,
    )
    assert stock.value == 1000.0
    with pytest.raises(InputError, match="no habitat map"):
        index_value(
            IndexSpec(kind="conservative_stock"),
            "farm",
            parcel_totals=_totals(),
            parcel_credits=pd.DataFrame(),
            map_years=years,
        )
    with pytest.raises(InputError, match="no crediting period 2018-2020"):
        index_value(
            IndexSpec(kind="conservative_annual_removal", period="2018-2020"),
            "m",
            parcel_totals=pd.DataFrame(),
            parcel_credits=_credits(),
            map_years=years,
        )


# ------------------------------------------------------------------------------ alerts
P = Period(2023, 2024)


def _state(*, pledge: bool = True) -> RegisterState:
    state = RegisterState()
    issue = plan_issue(
        state,
        seq=1,
        parcel_id="farm",
        period=P,
        creditable_units=36_905,
        release="r1",
        release_hash="0" * 64,
        holder="owner",
    )
    state = apply(state, Event(1, "issue", issue))
    issue2 = plan_issue(
        state,
        seq=2,
        parcel_id="quiet",
        period=P,
        creditable_units=1_000,
        release="r1",
        release_hash="0" * 64,
        holder="owner",
    )
    state = apply(state, Event(2, "issue", issue2))
    if pledge:
        from datetime import date

        p = plan_pledge(
            state,
            seq=3,
            parcel_id="farm",
            units=20_000,
            lender="Bank A",
            pledgor="owner",
            expires=None,
            today=date(2026, 12, 4),
        )
        state = apply(state, Event(3, "pledge", p))
    return state


def _compare(current, previous, *, withdrawn=None, state=None):
    return compare_releases(
        release="r2",
        previous_release="r1",
        current=current,
        previous=previous,
        state=state or _state(),
        withdrawn=withdrawn or {},
        drop_fraction=0.1,
    )


def test_no_alert_when_nothing_fell_beyond_the_threshold() -> None:
    before = {"farm": ParcelFigures(1000.0, {P: 36_905}), "quiet": ParcelFigures(None, {P: 1_000})}
    # stock -10 % exactly (not beyond), creditable -9.99 %: no alert; quiet unchanged
    after = {"farm": ParcelFigures(900.0, {P: 36_905}), "quiet": ParcelFigures(None, {P: 1_000})}
    assert _compare(after, before) == []


def test_drops_shortfalls_and_withdrawals_raise_alerts() -> None:
    before = {"farm": ParcelFigures(1000.0, {P: 36_905}), "quiet": ParcelFigures(None, {P: 1_000})}
    after = {"farm": ParcelFigures(850.0, {P: 28_704}), "quiet": ParcelFigures(None, {P: 500})}
    alerts = _compare(after, before, withdrawn={"r1": "wrong parameter table"})
    kinds = [(a.parcel_id, a.kind, a.period) for a in alerts]
    assert kinds == [
        ("farm", "stock_drop", None),
        ("farm", "creditable_drop", "2023-2024"),
        ("farm", "release_withdrawn", None),
        ("farm", "shortfall", "2023-2024"),
        ("quiet", "shortfall", "2023-2024"),  # not pledged: no drop alert, but a shortfall all the same
    ]
    stock, credit, _, short, _ = alerts
    assert stock.change_fraction == pytest.approx(-0.15)
    assert (credit.previous, credit.current) == (36.905, 28.704)
    assert credit.change_fraction == pytest.approx(-(36_905 - 28_704) / 36_905)
    assert (short.previous, short.current) == (36.905, 28.704)
    assert "8.201 less than the 36.905 issued" in short.message
    assert stock.lenders == "Bank A" and stock.pledge_ids == "PL-3" and stock.pledged_t_co2e == 20.0
    assert "| farm | stock_drop |" in alerts_markdown("r2", alerts, drop_fraction=0.1)
    assert "No alert" in alerts_markdown("r2", [], drop_fraction=0.1)


def test_a_parcel_missing_from_the_new_release_has_fallen_to_nothing() -> None:
    before = {"farm": ParcelFigures(None, {P: 36_905})}
    alerts = _compare({}, before)
    assert [(a.kind, a.current) for a in alerts] == [
        ("creditable_drop", 0.0),
        ("shortfall", 0.0),
        ("shortfall", 0.0),
    ]


def test_unpledged_parcels_raise_no_drop_alert() -> None:
    before = {"farm": ParcelFigures(1000.0, {P: 36_905}), "quiet": ParcelFigures(None, {P: 1_000})}
    after = {"farm": ParcelFigures(100.0, {P: 36_905}), "quiet": ParcelFigures(None, {P: 1_000})}
    assert _compare(after, before, state=_state(pledge=False)) == []
