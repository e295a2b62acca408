"""Incremental reruns (one new scene; one changed parameter table) and the same monitoring
flow on a dask LocalCluster with worker processes, identical to the local run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import write_config

pytestmark = pytest.mark.slow

HELD_BACK = "raster/s2_rufiji_delta_mangrove_timeseries/S2_T37MEM_20190809_sref.tif"


def _recomputed(outcome: dict) -> set[str]:
    return {name for name, step in outcome["steps"].items() if not step["cached"]}


def test_new_scene_and_changed_table_recompute_only_what_depends_on_them(
    tmp_path_factory: pytest.TempPathFactory, raw_dir: Path, prefect_harness
) -> None:
    from flows.monitoring import monitoring

    folder = tmp_path_factory.mktemp("incremental")
    raw = folder / "raw"
    shutil.copytree(raw_dir, raw)
    held = folder / "held.tif"
    shutil.move(raw / HELD_BACK, held)
    config = write_config(folder, raw=str(raw))
    first = monitoring(config=str(config))
    assert first["published"]

    shutil.move(held, raw / HELD_BACK)  # the new scene arrives
    second = monitoring(config=str(config))
    assert second["published"]
    assert _recomputed(second) == {"habitat rufiji_delta", "carbon rufiji_delta"}
    assert (
        second["steps"]["habitat rufiji_delta"]["info"]["scenes"]
        == first["steps"]["habitat rufiji_delta"]["info"]["scenes"] + 1
    )

    overrides = folder / "params"
    overrides.mkdir()
    rules = (Path(__file__).resolve().parents[2] / "bluecarbon/params/habitat_rules.csv").read_text()
    (overrides / "habitat_rules.csv").write_text(rules.replace("ndvi,>=,0.6", "ndvi,>=,0.7"))
    config.write_text(config.read_text() + f'[params]\ndir = "{overrides}"\n')
    third = monitoring(config=str(config))
    assert third["published"]
    assert _recomputed(third) == {"habitat rufiji_delta", "carbon rufiji_delta"}


def test_distributed_run_matches_local_run(demo_project, tmp_path_factory: pytest.TempPathFactory) -> None:
    from distributed import LocalCluster

    from flows.monitoring import monitoring

    _, local, _ = demo_project
    folder = tmp_path_factory.mktemp("distributed")
    config = write_config(folder)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert len(cluster.workers) == 2
        outcome = monitoring(config=str(config), dask_address=cluster.scheduler_address)
        computed = dict(cluster.scheduler.task_prefixes)
    assert computed, "dask tasks ran on the cluster's workers"
    assert outcome["published"]
    assert _recomputed(outcome) == set(outcome["steps"]), "everything was computed again, on the cluster"
    assert outcome["release"]["content_hash"] == local["release"]["content_hash"]
    assert "Computed on: tcp://" in outcome["summary_markdown"]
