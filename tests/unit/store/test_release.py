from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icechunk
import numpy as np
import pytest

from bluecarbon.errors import InvalidReleaseId, PublishRejected, ReleaseNotFound, StoreError
from bluecarbon.store import Store
from bluecarbon.store.ids import parse_release_ref, tag_for

from .conftest import make_bundle


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(str(tmp_path / "store"), create=True)


def test_publish_then_republish_is_a_noop(store: Store, bundle) -> None:
    first = store.publish(bundle, day=date(2026, 11, 27))
    assert first.published and first.release.tag == "2026.11.27"
    again = store.publish(bundle, day=date(2026, 11, 27))
    assert not again.published
    assert again.release.snapshot_id == first.release.snapshot_id
    assert [r.tag for r in store.releases()] == ["2026.11.27"]


def test_same_day_releases_get_suffixes_and_tags_never_move(store: Store) -> None:
    day = date(2026, 11, 27)
    r1 = store.publish(make_bundle("1" * 64), day=day).release
    r2 = store.publish(make_bundle("2" * 64, scale=1.1), day=day).release
    r3 = store.publish(make_bundle("3" * 64, scale=1.2), day=day).release
    assert [r1.tag, r2.tag, r3.tag] == ["2026.11.27", "2026.11.27.2", "2026.11.27.3"]
    assert store.resolve("2026.11.27").snapshot_id == r1.snapshot_id
    assert store.resolve("latest").tag == r3.tag
    assert store.resolve(r2.snapshot_id).tag == r2.tag
    with pytest.raises(icechunk.AlreadyExistsError, match="immutable"):
        store.repo.create_tag("2026.11.27", r3.snapshot_id)


def test_release_reads_back_products_and_tables_exactly(store: Store, bundle) -> None:
    info = store.publish(bundle, day=date(2026, 1, 2)).release
    ds = store.open_product("s/carbon", info)
    assert ds["carbon_stock"].chunks is not None, "products open lazily"
    np.testing.assert_array_equal(
        ds["carbon_stock"].values, bundle.products["s/carbon"]["carbon_stock"].values
    )
    assert ds.rio.crs.to_epsg() == 32618
    hab = store.open_product("s/habitat", info)["habitat"]
    assert np.isnan(hab.values[0, 1, 2]) and hab.values[0, 0, 0] == 1
    parcels = store.read_table("parcels", info.tag)
    assert parcels.crs.to_epsg() == 32618
    assert parcels.geometry.geom_equals(bundle.tables["parcels"].geometry).all()
    assert info.tables["parcels"]["geometry_column"] == "geometry"


def test_tables_pinned_by_each_release_do_not_change(store: Store) -> None:
    r1 = store.publish(make_bundle("1" * 64), day=date(2026, 1, 1)).release
    r2 = store.publish(make_bundle("2" * 64, scale=2.0), day=date(2026, 1, 2)).release
    assert store.read_table("class_totals", r1)["stock_t_c"].iloc[0] == pytest.approx(3.0)
    assert store.read_table("class_totals", r2)["stock_t_c"].iloc[0] == pytest.approx(6.0)
    assert any("changed from 3 to 6" in f for f in r2.flags), "change against previous release is flagged"


def test_validators_reject_and_publish_nothing(store: Store, bundle) -> None:
    bad = make_bundle("b" * 64)
    bad.products["s/carbon"]["carbon_stock"].attrs.pop("units")
    negative = make_bundle("c" * 64, stock=-5.0)
    for broken, message in ((bad, "attribute 'units' missing"), (negative, "below valid_min")):
        with pytest.raises(PublishRejected, match=message):
            store.publish(broken)
    assert store.releases() == []
    assert store.repo.list_branches() == {"main"}, "staging branches are removed after a rejection"


def test_withdraw_is_visible_and_latest_skips_it(store: Store) -> None:
    r1 = store.publish(make_bundle("1" * 64), day=date(2026, 1, 1)).release
    r2 = store.publish(make_bundle("2" * 64, scale=1.1), day=date(2026, 1, 2)).release
    withdrawn = store.withdraw(r2.tag, "wrong parameter table")
    assert withdrawn.withdrawn and withdrawn.withdrawn_reason == "wrong parameter table"
    assert store.resolve("latest").tag == r1.tag
    assert store.resolve(r2.tag).status == "withdrawn"
    # a withdrawn release's data stay readable and unchanged: what was published under r2
    published = make_bundle("2" * 64, scale=1.1).products["s/carbon"]["carbon_stock"].values
    np.testing.assert_array_equal(store.open_product("s/carbon", r2.tag)["carbon_stock"].values, published)
    assert store.verify(r2.tag).ok
    with pytest.raises(StoreError, match="already withdrawn"):
        store.withdraw(r2.tag, "again")


def test_verify_detects_a_corrupted_chunk(store: Store, tmp_path: Path) -> None:
    info = store.publish(make_bundle(size=400)).release
    assert store.verify(info.tag).ok
    chunks = sorted((tmp_path / "store" / "repo" / "chunks").glob("*"))
    assert chunks, "the repository stores chunk files"
    for chunk in chunks:
        data = bytearray(chunk.read_bytes())
        data[len(data) // 2] ^= 0xFF
        chunk.write_bytes(bytes(data))
    report = store.verify(info.tag)
    assert not report.ok
    assert report.problems


def test_verify_detects_a_corrupted_table_file(store: Store, bundle, tmp_path: Path) -> None:
    info = store.publish(bundle).release
    (parquet,) = (tmp_path / "store" / "tables" / "class_totals").glob("*.parquet")
    parquet.write_bytes(parquet.read_bytes()[:-20] + b"\x00" * 20)
    report = store.verify(info.tag)
    assert not report.ok


def test_as_of_returns_the_release_current_then(store: Store) -> None:
    r1 = store.publish(make_bundle("1" * 64), day=date(2026, 1, 1)).release
    store.publish(make_bundle("2" * 64, scale=1.1), day=date(2026, 1, 2))
    assert store.as_of(r1.created + timedelta(microseconds=1)).tag == r1.tag
    with pytest.raises(ReleaseNotFound):
        store.as_of(datetime(2000, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    "bad", ["../etc", "2026.13.01", "2026.11.27.1", "latest; rm", "", "a" * 20, "2026-11-27"]
)
def test_release_references_are_validated(bad: str) -> None:
    with pytest.raises(InvalidReleaseId):
        parse_release_ref(bad)


def test_tag_sequence() -> None:
    assert tag_for(date(2026, 11, 27), set()) == "2026.11.27"
    assert tag_for(date(2026, 11, 27), {"2026.11.27", "2026.11.27.2"}) == "2026.11.27.3"
    assert parse_release_ref("2026.11.27.12").tag == "2026.11.27.12"


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no bluecarbon store"):
        Store.open(str(tmp_path / "nowhere"))
