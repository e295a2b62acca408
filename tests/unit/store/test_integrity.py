"""What a tamperer would try on a published release, and what readers and ``verify`` then say.

Each case edits the store's files directly, as someone with access to the disk or bucket could,
and keeps the edit plausible (valid compression, a Delta log that matches the new file), so
only the digests recorded at publishing can tell.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numcodecs
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bluecarbon.errors import IntegrityError
from bluecarbon.store import Store
from bluecarbon.store.integrity import ARRAY_DIGESTS_TABLE, describe_key
from bluecarbon.store.release import STATUS_TABLE

from .conftest import make_bundle


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(str(tmp_path / "store"), create=True)


def _coordinate_chunk_files(root: Path) -> list[Path]:
    """The chunk files of the 400 x coordinates (float64, 5 m to 3995 m): the bundle's other
    arrays compress so well that Icechunk inlines them in its manifests."""
    out = []
    for path in sorted((root / "repo" / "chunks").glob("*")):
        values = np.frombuffer(numcodecs.Zstd().decode(path.read_bytes()), dtype="<f8")
        if values.size == 400 and values[0] == 5.0:
            out.append(path)
    assert out, "the test bundle stores its x coordinates as chunk files"
    return out


def test_release_records_a_digest_of_every_array_object(store: Store) -> None:
    info = store.publish(make_bundle(size=400)).release
    assert info.store_format >= 3 and ARRAY_DIGESTS_TABLE in info.tables
    digests = store.read_table(ARRAY_DIGESTS_TABLE, info)
    keys = set(digests["key"])
    assert {"s/habitat/zarr.json", "s/carbon/carbon_stock/zarr.json"} <= keys
    assert any(k.startswith("s/habitat/habitat/c/") for k in keys)
    assert digests["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert (digests["nbytes"] > 0).all()


def test_re_encoded_chunk_is_refused_when_read(store: Store, tmp_path: Path) -> None:
    info = store.publish(make_bundle(size=400)).release
    for chunk in _coordinate_chunk_files(tmp_path / "store"):
        x = np.frombuffer(numcodecs.Zstd().decode(chunk.read_bytes()), dtype="<f8")
        chunk.write_bytes(numcodecs.Zstd(level=0).encode(x + 1000.0))  # the map moved 1 km east
    fresh = Store.open(str(tmp_path / "store"))
    # without verification the forged coordinates are read silently: the attack is real
    assert fresh.open_product("s/habitat", info, verify=False)["x"].values[0] == 1005.0
    with pytest.raises(IntegrityError, match=r"product s/habitat variable x chunk 0 does not match"):
        fresh.open_product("s/habitat", info)
    report = fresh.verify(info.tag)
    assert not report.ok
    assert any("variable x chunk 0 does not match" in p for p in report.problems), report.problems


def test_flipped_byte_is_a_named_problem_not_a_traceback(store: Store, tmp_path: Path) -> None:
    info = store.publish(make_bundle(size=400)).release
    for chunk in _coordinate_chunk_files(tmp_path / "store"):
        data = bytearray(chunk.read_bytes())
        data[len(data) // 2] ^= 0xFF
        chunk.write_bytes(bytes(data))
    report = Store.open(str(tmp_path / "store")).verify(info.tag)
    assert not report.ok
    assert all("Traceback" not in p and "zstd" not in p.lower() for p in report.problems)
    assert any("does not match the digest" in p for p in report.problems), report.problems


def test_deleted_chunk_is_reported_not_read_as_fill(store: Store, tmp_path: Path) -> None:
    info = store.publish(make_bundle(size=400)).release
    for chunk in _coordinate_chunk_files(tmp_path / "store"):
        chunk.unlink()
    fresh = Store.open(str(tmp_path / "store"))
    with pytest.raises(IntegrityError, match="s/habitat variable x chunk 0"):
        fresh.open_product("s/habitat", info)
    assert not fresh.verify(info.tag).ok


def _rewrite_table(root: Path, name: str, edit) -> None:  # type: ignore[no-untyped-def]
    """Rewrite a Delta table's only data file and fix its size in the log, as a careful
    tamperer would, so Delta itself reads the new file without complaint."""
    folder = root / "tables" / name
    (parquet,) = folder.glob("*.parquet")
    table = pq.read_table(parquet)
    pq.write_table(edit(table), parquet)
    for log in sorted((folder / "_delta_log").glob("*.json")):
        lines = []
        for line in log.read_text().splitlines():
            action = json.loads(line)
            if "add" in action and action["add"]["path"] == parquet.name:
                action["add"]["size"] = parquet.stat().st_size
                action["add"].pop("stats", None)
            lines.append(json.dumps(action))
        log.write_text("\n".join(lines) + "\n")


def _double(column: str):  # type: ignore[no-untyped-def]
    def edit(table: pa.Table) -> pa.Table:
        i = table.schema.get_field_index(column)
        return table.set_column(i, column, pa.compute.multiply(table[column], 2.0))

    return edit


def test_rewritten_table_file_is_refused_by_readers_and_verify(store: Store, tmp_path: Path) -> None:
    info = store.publish(make_bundle()).release
    _rewrite_table(tmp_path / "store", "class_totals", _double("stock_t_c"))
    fresh = Store.open(str(tmp_path / "store"))
    doubled = fresh.read_table("class_totals", info, verify=False)["stock_t_c"]
    assert doubled.iloc[0] == pytest.approx(6.0)  # Delta serves the doubled figures
    with pytest.raises(IntegrityError, match="table class_totals does not match the digest"):
        fresh.read_table("class_totals", info)
    report = fresh.verify(info.tag)
    assert any("table:class_totals" in p for p in report.problems), report.problems


def test_withdrawals_are_chained_and_deleting_them_is_reported(store: Store, tmp_path: Path) -> None:
    first = store.publish(make_bundle("1" * 64)).release
    store.withdraw(first.tag, "superseded parameter table")
    second = store.publish(make_bundle("2" * 64, scale=1.1)).release
    assert second.status_anchor == {"head": store.status_ledger().anchor().head, "count": 1}
    assert store.verify(second.tag).ok
    assert store.resolve("latest").tag == second.tag

    shutil.rmtree(tmp_path / "store" / "tables" / STATUS_TABLE)  # the attack of issue 14
    fresh = Store.open(str(tmp_path / "store"))
    with pytest.raises(IntegrityError, match="Withdrawals cannot be trusted"):
        fresh.resolve(first.tag)  # never silently un-withdrawn
    report = fresh.verify(second.tag)
    assert any("entry 1 of 1 is missing" in p for p in report.problems), report.problems

    fresh.repo.delete_branch(fresh.status_ledger().branch)  # and its anchor too
    again = Store.open(str(tmp_path / "store"))
    report = again.verify(second.tag)
    assert any("held 1 entries when release" in p for p in report.problems), report.problems


def test_edited_withdrawal_reason_is_reported(store: Store, tmp_path: Path) -> None:
    info = store.publish(make_bundle()).release
    store.withdraw(info.tag, "a wrong price table")

    def edit(table: pa.Table) -> pa.Table:
        payload = json.loads(table["payload"][0].as_py())
        payload["reason"] = "nothing wrong"
        i = table.schema.get_field_index("payload")
        return table.set_column(i, "payload", pa.array([json.dumps(payload, sort_keys=True)]))

    _rewrite_table(tmp_path / "store", STATUS_TABLE, edit)
    fresh = Store.open(str(tmp_path / "store"))
    assert any("was edited" in p for p in fresh.verify(info.tag).problems)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("site/carbon/carbon_stock/c/0/1/2", "product site/carbon variable carbon_stock chunk 0.1.2"),
        ("site/habitat/zarr.json", "metadata of site/habitat"),
        ("site/habitat/x/c/0", "product site/habitat variable x chunk 0"),
    ],
)
def test_store_keys_are_named_in_words(key: str, words: str) -> None:
    assert describe_key(key) == words
