"""Crash, concurrency, corruption and I/O-failure behaviour of real stores.

Each test drives real publishes in separate processes (killed with SIGKILL, or racing each
other) against a real Icechunk repository and real Delta tables.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bluecarbon.errors import StoreError
from bluecarbon.store import Store
from bluecarbon.store.gc import collect_garbage
from tests.unit.store.conftest import make_bundle

ROOT = Path(__file__).resolve().parents[2]
STAGES = [
    "writing 2 tables as new Delta versions",
    "computing and writing product 1/2: s/carbon",
    "computing and writing product 2/2: s/habitat",
    "validating the staged release",
    "hashing the staged release",
    "moving main to the release commit",
    "tagging release",
]


def _worker(
    store: Path, key: str, scale: float, log: Path | None = None, pause: float = 0.0
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.publish_worker",
            str(store),
            key,
            str(scale),
            str(log) if log else "-",
            str(pause),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_stage(log: Path, stage: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and any(line.startswith(stage) for line in log.read_text().splitlines()):
            return
        if proc.poll() is not None:
            raise AssertionError(f"worker ended before stage {stage!r}: {proc.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError(f"stage {stage!r} not reached")


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, Store, str]:
    store_dir = tmp_path / "store"
    store = Store.open(str(store_dir), create=True)
    first = store.publish(make_bundle("0" * 64, size=1000)).release
    return store_dir, store, first.tag


@pytest.mark.slow  # one killed publishing process per stage (about a minute in all)
@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_at_any_stage_leaves_earlier_release_intact(seeded, tmp_path: Path, stage: str) -> None:
    store_dir, _, first_tag = seeded
    log = tmp_path / "stages.log"
    proc = _worker(store_dir, "9", 2.0, log, pause=2.0)
    _wait_for_stage(log, stage, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store.open(str(store_dir))
    tags = [r.tag for r in store.releases()]
    assert tags[0] == first_tag
    assert store.verify(first_tag).ok, "the earlier release still verifies"
    if stage.startswith("tagging"):
        # main moved to a complete, validated release commit: not listed until reconciled
        assert tags == [first_tag]
        assert store.reconcile() is not None
        assert store.verify("latest").ok
        assert len(store.releases()) == 2
    else:
        assert tags == [first_tag], "no partial release is visible"
        np.testing.assert_allclose(
            float(store.read_table("class_totals", "latest")["stock_t_c"].iloc[0]), 3.0
        )
    # the store recovers: gc removes leftovers, a rerun publishes
    collect_garbage(store, older_than=__import__("datetime").timedelta(0))
    again = store.publish(make_bundle("9" * 64, scale=2.0, size=1000))
    assert store.verify(again.release.tag).ok
    assert store.repo.list_branches() == {"main"}


def test_concurrent_publishes_never_interleave(seeded, tmp_path: Path) -> None:
    store_dir, _, _ = seeded
    a = _worker(store_dir, "a", 2.0, tmp_path / "a.log", pause=0.3)
    b = _worker(store_dir, "b", 3.0, tmp_path / "b.log", pause=0.3)
    outs = [json.loads(p.communicate(timeout=300)[0]) for p in (a, b)]
    assert all(o["published"] for o in outs)
    store = Store.open(str(store_dir))
    releases = store.releases()
    assert len(releases) == 3 and len({r.tag for r in releases}) == 3
    for out, scale in zip(outs, (2.0, 3.0), strict=True):
        r = store.resolve(out["tag"])
        assert store.verify(r.tag).ok
        stock = store.open_product("s/carbon", r)["carbon_stock"].values
        assert np.nanmax(stock) == pytest.approx(100.0 * scale), "each release holds exactly its own data"


def test_identical_concurrent_publishes_yield_one_release(seeded, tmp_path: Path) -> None:
    store_dir, _, _ = seeded
    procs = [_worker(store_dir, "c", 4.0, tmp_path / f"{i}.log", pause=0.2) for i in range(2)]
    outs = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert sorted(o["published"] for o in outs) == [False, True]
    assert outs[0]["tag"] == outs[1]["tag"]
    assert len(Store.open(str(store_dir)).releases()) == 2


def test_io_failure_during_publish_publishes_nothing(seeded) -> None:
    store_dir, store, first_tag = seeded
    chunks = store_dir / "repo" / "chunks"
    backup = store_dir / "chunks.bak"

    def break_disk(message: str) -> None:
        if message.startswith("computing and writing product 1/"):
            shutil.move(chunks, backup)
            chunks.write_text("not a directory")  # every chunk write now fails (ENOTDIR)

    with pytest.raises(StoreError, match="Nothing was published"):
        store.publish(make_bundle("e" * 64, scale=5.0, size=1000), progress=break_disk)
    chunks.unlink()
    shutil.move(backup, chunks)
    assert [r.tag for r in store.releases()] == [first_tag]
    assert store.verify(first_tag).ok
    assert store.publish(make_bundle("e" * 64, scale=5.0, size=1000)).published


def test_table_write_failure_publishes_nothing(seeded) -> None:
    store_dir, store, first_tag = seeded
    victim = store_dir / "tables" / "parcels"
    moved = store_dir / "parcels.bak"

    def break_table(message: str) -> None:
        if message.startswith("writing"):
            shutil.move(victim, moved)
            victim.write_text("not a directory")

    with pytest.raises(StoreError, match="Nothing was published"):
        store.publish(make_bundle("f" * 64, scale=6.0, size=1000), progress=break_table)
    victim.unlink()
    shutil.move(moved, victim)
    assert [r.tag for r in store.releases()] == [first_tag]
    assert store.read_table("parcels", first_tag)["parcel_id"].tolist() == ["p-1", "p-2"]


def test_gc_keeps_everything_a_release_needs(seeded, tmp_path: Path) -> None:
    store_dir, store, first_tag = seeded
    log = tmp_path / "s.log"
    proc = _worker(store_dir, "g", 7.0, log, pause=1.0)
    _wait_for_stage(log, "validating", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    from datetime import timedelta

    assert Store.open(str(store_dir)).repo.list_branches() == {"main"}, (
        "no branch holds the staged data while it is validated"
    )
    dry = collect_garbage(Store.open(str(store_dir)), older_than=timedelta(0), dry_run=True)
    report = collect_garbage(Store.open(str(store_dir)), older_than=timedelta(0))
    assert report.icechunk_objects_deleted and report.icechunk_bytes_deleted, "its staged data are removed"
    assert report.delta_files, "its unpinned table versions' files are removed"
    assert (dry.icechunk_objects_deleted, dry.icechunk_bytes_deleted) == (
        report.icechunk_objects_deleted,
        report.icechunk_bytes_deleted,
    ), "the dry run reports what the real run removes"
    assert (dry.delta_files, dry.delta_bytes) == (report.delta_files, report.delta_bytes)
    store = Store.open(str(store_dir))
    assert store.verify(first_tag).ok
    assert store.repo.list_branches() == {"main"}


@pytest.mark.parametrize("stage", ["computing and writing product 1/", "moving main"])
def test_gc_dry_run_reports_what_gc_removes(seeded, tmp_path: Path, stage: str) -> None:
    """A dry run reported 1.07 MB where the real run removed 19.9 MB: the data a stale
    staging branch held were invisible to it."""
    from datetime import timedelta

    store_dir, _, first_tag = seeded
    log = tmp_path / "s.log"
    proc = _worker(store_dir, "h", 8.0, log, pause=1.0)
    _wait_for_stage(log, stage, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    dry = collect_garbage(Store.open(str(store_dir)), older_than=timedelta(0), dry_run=True)
    real = collect_garbage(Store.open(str(store_dir)), older_than=timedelta(0))
    assert dry.dry_run and not real.dry_run
    assert dry.staging_branches == real.staging_branches
    assert dry.bytes_total == real.bytes_total
    assert dry.icechunk_objects_deleted == real.icechunk_objects_deleted
    assert dry.summary().replace("would remove", "removed") == real.summary()
    assert Store.open(str(store_dir)).verify(first_tag).ok
