"""GeoTIFF export reads variables in memory-budgeted slabs and reports files as they are written;
NetCDF export and verification report progress too; results do not depend on either."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bluecarbon.store import Store, export
from bluecarbon.store.export import export_release

from .conftest import make_bundle


@pytest.fixture
def store_and_tag(tmp_path: Path) -> tuple[Store, str]:
    store = Store.open(str(tmp_path / "store"), create=True)
    tag = store.publish(make_bundle("3" * 64, size=40), day=date(2026, 3, 1)).release.tag
    return store, tag


def test_geotiff_files_do_not_depend_on_the_memory_budget(store_and_tag, tmp_path: Path, monkeypatch) -> None:
    store, tag = store_and_tag
    calls: list[tuple[int, int]] = []
    whole = export_release(
        store, tag, fmt="geotiff", output=tmp_path / "whole", progress=lambda d, t: calls.append((d, t))
    )
    monkeypatch.setattr(export, "GEOTIFF_MEMORY_BUDGET", 1)  # one leading index per read
    slabs = export_release(store, tag, fmt="geotiff", output=tmp_path / "slabs")
    assert [p.name for p in whole] == [p.name for p in slabs]
    assert len(whole) == 4  # carbon_stock and habitat, two years each
    for a, b in zip(whole, slabs, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_netcdf_export_and_verify_report_progress(store_and_tag, tmp_path: Path) -> None:
    store, tag = store_and_tag
    calls: list[tuple[int, int]] = []
    export_release(
        store, tag, fmt="netcdf", output=tmp_path / "r.nc", progress=lambda d, t: calls.append((d, t))
    )
    assert calls and calls[-1][0] == calls[-1][1] > 0
    seen: list[tuple[int, int]] = []
    report = store.verify(tag, progress=lambda d, t: seen.append((d, t)))
    assert report.ok
    assert seen[-1][0] == seen[-1][1] == len(seen)
