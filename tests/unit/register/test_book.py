"""The register of a real (small) store: issue against releases, shortfalls, verification,
tampering, garbage collection, and writers that race."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from deltalake import DeltaTable, write_deltalake

from bluecarbon.errors import IntegrityError, RegisterRefused, StoreError
from bluecarbon.register.book import REGISTER_TABLE, SinkRegister, register_section
from bluecarbon.register.units import Period
from bluecarbon.store import Store
from bluecarbon.store.gc import collect_garbage
from tests.unit.register.conftest import publish

P23 = Period(2023, 2024)


def test_issue_sums_both_streams_and_records_who_when_and_which_release(project) -> None:
    _, store, tag = project
    register = SinkRegister(store)
    entry = register.issue("p-1", actor="analyst")
    info = store.resolve(tag)
    assert entry.actor == "analyst" and datetime.fromisoformat(entry.at).tzinfo is not None
    p = entry.payload
    assert (p["period"], p["units"], p["serial"]) == ("2023-2024", 12_500, "BC-p-1-2023-2024-1-12500")
    assert (p["release"], p["release_hash"]) == (tag, info.content_hash)
    report = register.parcel_report("p-1")
    assert {k: report[k] for k in ("issued", "available", "pledged", "transferred", "retired")} == {
        "issued": 12.5,
        "available": 12.5,
        "pledged": 0.0,
        "transferred": 0.0,
        "retired": 0.0,
    }
    older = register.issue("p-1", actor="analyst", period=Period(2022, 2023))
    assert older.payload["serial"] == "BC-p-1-2022-2023-1-4000"
    assert register.verify().ok


def test_issue_refusals_say_why(project) -> None:
    _, store, tag = project
    register = SinkRegister(store)
    with pytest.raises(
        RegisterRefused, match=r"p-2 2023-2024: net removals -3,666 t CO2e, nothing creditable"
    ):
        register.issue("p-2", actor="a")
    with pytest.raises(RegisterRefused, match="no crediting period in release"):
        register.issue("p-9", actor="a")
    with pytest.raises(
        RegisterRefused, match=r"no crediting period 2019-2020 .* \(periods: 2022-2023, 2023-2024\)"
    ):
        register.issue("p-1", actor="a", period=Period(2019, 2020))
    register.issue("p-1", actor="a")
    with pytest.raises(RegisterRefused, match="nothing more to issue"):
        register.issue("p-1", actor="a")
    store.withdraw(tag, "wrong parameter table")
    with pytest.raises(RegisterRefused, match="was withdrawn"):
        register.issue("p-1", actor="a", release=tag, period=Period(2022, 2023))
    assert len(register.entries()) == 1


def test_later_releases_issue_the_difference_and_a_lower_one_is_a_shortfall(project) -> None:
    _, store, first = project
    register = SinkRegister(store)
    register.issue("p-1", actor="a")  # 12.5 t
    higher = publish(store, "2", date(2026, 2, 1), p1_harvest=12.5)  # 15.0 t
    entry = register.issue("p-1", actor="a", release=higher)
    assert (entry.payload["first"], entry.payload["last"]) == (12_501, 15_000)
    with pytest.raises(RegisterRefused, match=f"already issued from the later release {higher}"):
        register.issue("p-1", actor="a", release=first, period=P23)
    lower = publish(store, "3", date(2026, 3, 1), p1_harvest=6.0)  # 8.5 t
    with pytest.raises(RegisterRefused, match=r"shortfall of 6\.500 t CO2e"):
        register.issue("p-1", actor="a", release=lower)
    report = register.parcel_report("p-1")
    assert report["issued"] == 15.0 and report["shortfall"] == 6.5
    assert any("shortfall of 6.500 t CO2e" in w for w in report["warnings"])
    check = register.verify()
    assert check.ok and any("shortfall" in w for w in check.warnings)
    assert check.balances["p-1"]["shortfall"] == 6.5


def test_an_older_release_superseded_by_a_lower_one_issues_nothing(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "store"), create=True)
    old = publish(store, "1", date(2026, 1, 1))  # 12.5 t
    publish(store, "2", date(2026, 2, 1), p1_harvest=5.0)  # 7.5 t
    with pytest.raises(RegisterRefused, match="superseded by"):
        SinkRegister(store).issue("p-1", actor="a", release=old)


def _rewrite(store: Store, edit) -> None:
    uri = store.location.table_uri(REGISTER_TABLE)
    frame = DeltaTable(uri).to_pandas()
    write_deltalake(uri, edit(frame), mode="overwrite")


def _populate(store: Store) -> SinkRegister:
    register = SinkRegister(store)
    register.issue("p-1", actor="a")
    register.pledge("p-1", quantity_t=5, lender="Bank A", actor="a")
    register.retire("p-1", quantity_t="1.25", beneficiary="Port", actor="a")
    return register


def test_verify_reports_an_edited_or_removed_entry(project) -> None:
    _, store, _ = project
    register = _populate(store)
    assert register.verify().ok

    def edit(frame):
        payload = json.loads(frame.loc[frame["seq"] == 2, "payload"].iloc[0])
        payload["units"] = 1  # shrink the pledge to free the units
        frame.loc[frame["seq"] == 2, "payload"] = json.dumps(payload, sort_keys=True)
        return frame

    _rewrite(store, edit)
    check = register.verify()
    assert not check.ok and any("entry 2 was edited" in p for p in check.problems)
    with pytest.raises(IntegrityError, match="entry 2 was edited"):
        register.pledge(
            "p-1", quantity_t=1, lender="Bank B", actor="a"
        )  # nothing is written on a broken chain
    with pytest.raises(IntegrityError):
        register.parcel_report("p-1")


def test_verify_reports_a_removed_entry(project) -> None:
    _, store, _ = project
    register = _populate(store)
    _rewrite(store, lambda f: f[f["seq"] != 3])
    assert any("entry 3 of 3 is missing" in p for p in register.verify().problems)


def test_statement_section_replays_the_register_as_of_generation(project) -> None:
    _, store, tag = project
    register = _populate(store)
    info = store.resolve(tag)
    now = datetime.now(UTC).isoformat()
    section = register_section(store, "p-1", as_of=now, release=info)
    assert (section["issued_t_co2e"], section["pledged_t_co2e"], section["retired_t_co2e"]) == (
        12.5,
        5.0,
        1.25,
    )
    assert section["pledges"] == [
        {"pledge_id": "PL-2", "lender": "Bank A", "quantity_t_co2e": 5.0, "expires": None}
    ]
    assert section["ledger_entries"] == 3 and section["ledger_head"] == register.ledger.anchor().head
    before = register_section(store, "p-1", as_of="2000-01-01T00:00:00+00:00", release=info)
    assert before["issued_t_co2e"] == 0.0 and before["ledger_entries"] == 0


def test_garbage_collection_keeps_the_register(project) -> None:
    _, store, _ = project
    register = _populate(store)
    for i in range(3):  # more Delta versions of the register than any release pins (none)
        register.transfer("p-1", quantity_t=0.5, to=f"buyer-{i}", actor="a")
    collect_garbage(store, older_than=timedelta(0))
    check = SinkRegister(Store.open(str(store.location.path))).verify()
    assert check.ok, check.problems
    assert check.entries == 6


def test_a_writer_that_loses_the_anchor_race_writes_nothing(project) -> None:
    """Without the writer lock (object stores), a writer whose chain moved under it loses the
    anchor's compare-and-swap: its row is an orphan no reader follows."""
    _, store, _ = project
    register = SinkRegister(store)
    register.issue("p-1", actor="a")
    register.ledger._lock = None  # as on an object store
    racer = SinkRegister(store)
    racer.ledger._lock = None

    def build(chain):
        # the other writer appends while this one is between reading the chain and its CAS
        racer.pledge("p-1", quantity_t=10, lender="Bank A", actor="fast")
        return {"parcel_id": "p-1"}

    with pytest.raises(StoreError, match="another writer appended"):
        register.ledger.append_checked("pledge", build, actor="slow")
    assert [e.actor for e in register.entries()] == ["a", "fast"]
    assert register.verify().ok
    assert len(DeltaTable(store.location.table_uri(REGISTER_TABLE)).to_pandas()) == 3  # the orphan row


RACER = """
import sys
from bluecarbon.store import Store
from bluecarbon.register.book import SinkRegister
from bluecarbon.errors import BlueCarbonError
register = SinkRegister(Store.open(sys.argv[1]))
try:
    if sys.argv[2] == "issue":
        register.issue("p-1", actor=sys.argv[3])
    else:
        register.pledge("p-1", quantity_t=8, lender=sys.argv[3], actor=sys.argv[3])
except BlueCarbonError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
"""


@pytest.mark.parametrize("operation", ["issue", "pledge"])
def test_two_racing_processes_one_wins_the_other_is_told_why(project, operation: str) -> None:
    _, store, _ = project
    if operation == "pledge":
        SinkRegister(store).issue("p-1", actor="a")  # 12.5 t: two pledges of 8 t cannot both fit
    uri = str(store.location.path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, uri, operation, name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("Bank A", "Bank B")
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    expected = "nothing more to issue" if operation == "issue" else "only 4.500 t CO2e are available"
    assert expected in loser and "Traceback" not in loser
    register = SinkRegister(Store.open(uri))
    check = register.verify()
    assert check.ok, check.problems
    report = register.parcel_report("p-1")
    assert report["issued"] == 12.5
    assert report["pledged"] == (8.0 if operation == "pledge" else 0.0)
