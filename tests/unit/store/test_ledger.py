"""The hash-chained ledger: append, read, and every tampering a store's owner could try."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable, write_deltalake

from bluecarbon.errors import IntegrityError, StoreError
from bluecarbon.store.ledger import GENESIS, Entry, Ledger
from bluecarbon.store.location import StoreLocation


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    import icechunk

    location = StoreLocation(str(tmp_path / "store"))
    (tmp_path / "store").mkdir()
    repo = icechunk.Repository.create(location.icechunk_storage())
    book = Ledger(location, repo, "_test_ledger")
    for i in range(3):
        book.append("withdraw", {"tag": f"2026.01.0{i + 1}", "reason": f"r{i}"}, actor="tester")
    return book


def test_entries_chain_and_anchor(ledger: Ledger) -> None:
    entries = ledger.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    assert all(e.intact for e in entries)
    # hand check of one hash: sha256 of the canonical JSON of the content and predecessor
    e = entries[1]
    assert e.entry_hash == Entry.digest(e.seq, e.at, e.actor, e.kind, e.payload, e.prev_hash)
    anchor = ledger.anchor()
    assert anchor.count == 3 and anchor.head == entries[-1].entry_hash
    assert ledger.verify() == []


def _rewrite(ledger: Ledger, edit) -> None:
    uri = ledger.location.table_uri(ledger.name)
    frame = DeltaTable(uri).to_pandas()
    frame = edit(frame)
    write_deltalake(uri, frame, mode="overwrite")


def test_an_edited_entry_is_reported(ledger: Ledger) -> None:
    def edit(frame):
        frame.loc[frame["seq"] == 2, "payload"] = json.dumps({"tag": "2026.01.02", "reason": "forged"})
        return frame

    _rewrite(ledger, edit)
    problems = ledger.verify()
    assert any("entry 2 was edited" in p for p in problems)
    with pytest.raises(IntegrityError, match="entry 2 was edited"):
        ledger.entries()


def test_a_deleted_entry_or_table_is_reported(ledger: Ledger) -> None:
    _rewrite(ledger, lambda f: f[f["seq"] != 3])
    assert any("entry 3 of 3 is missing" in p for p in ledger.verify())
    shutil.rmtree(ledger.location.table_uri(ledger.name))
    assert any("missing" in p for p in ledger.verify())


def test_a_recomputed_forged_chain_does_not_match_the_anchor(ledger: Ledger) -> None:
    """A forger who rewrites an entry AND recomputes every hash still breaks the anchor."""

    def forge(frame):
        prev = GENESIS
        for i in frame.sort_values("seq").index:
            payload = json.loads(frame.loc[i, "payload"])
            if frame.loc[i, "seq"] == 1:
                payload["reason"] = "forged"
            r = frame.loc[i]
            digest = Entry.digest(int(r["seq"]), r["at"], r["actor"], r["kind"], payload, prev)
            frame.loc[i, "payload"] = json.dumps(payload, sort_keys=True)
            frame.loc[i, "prev_hash"] = prev
            frame.loc[i, "entry_hash"] = digest
            prev = digest
        return frame

    _rewrite(ledger, forge)
    assert any("missing" in p for p in ledger.verify())


def test_a_racing_writer_loses_cleanly(ledger: Ledger) -> None:
    stale = ledger.anchor()
    entry = ledger.append("withdraw", {"tag": "x"}, actor="winner")
    with pytest.raises(StoreError, match="another writer"):
        ledger._move_anchor(entry, 5, stale)  # the loser's compare-and-swap
    assert [e.seq for e in ledger.entries()] == [1, 2, 3, 4]
