"""Bad input in a run configured to fail: the run fails with the validation report attached
as an artifact, nothing is published, the previous release stays current."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from pathlib import Path

import pytest

from bluecarbon.errors import ValidationFailed
from bluecarbon.manifest import sha256_file
from tests.conftest import write_config
from tests.integration.conftest import warm_work

pytestmark = pytest.mark.slow
FAO = "field/fao_china_mariculture/fao_fishstat_aquaculture_bivalves_seaweeds_CHN_KOR_JPN_TWN.csv"


def test_invalid_harvest_fails_the_run_and_publishes_nothing(
    demo_project, raw_dir: Path, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from bluecarbon.store import Store
    from flows.monitoring import monitoring

    demo_folder, outcome, _ = demo_project
    shutil.copytree(demo_folder / "store", tmp_path / "store")  # a store whose current release is the demo's
    raw = tmp_path / "raw"
    shutil.copytree(raw_dir, raw)
    fao = raw / FAO
    old = sha256_file(fao)
    with fao.open(newline="") as fh:
        rows = list(csv.reader(fh))
    victim = next(i for i, row in enumerate(rows) if row[:2] == ["CHN", "2022"])
    rows[victim][rows[0].index("value")] = "-1500"  # a negative harvest: impossible
    with fao.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    manifest = raw / "MANIFEST"
    manifest.write_text(manifest.read_text().replace(old, sha256_file(fao)))  # a deliberate, recorded change
    config = write_config(tmp_path, raw=str(raw), work=str(warm_work(demo_folder, tmp_path)))
    config.write_text(config.read_text() + '[pipeline]\non_invalid = "fail"\n')

    with pytest.raises(ValidationFailed, match="validation error"):
        monitoring(config=str(config))

    releases = Store.open(str(tmp_path / "store")).releases()
    assert [r.tag for r in releases] == [outcome["release"]["tag"]], "nothing was published"

    async def read(key: str) -> list:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )

    # in fail mode the published-as-is CCN cores fail too; each step attaches its own report
    reports = [json.loads(a.data) for a in asyncio.run(read("validation-report"))]
    bad = [r for report in reports for r in report if r["file"] == FAO]
    assert len(bad) == 1, [r[:2] for r in reports]
    assert bad[0]["row"] == victim + 1, "file line number (header = line 1)"
    assert bad[0]["column"] == "harvest_t" and float(bad[0]["value"]) == -1500.0
    failed = [a.data for a in asyncio.run(read("validation-failed"))]
    assert any("harvests" in f and "nothing was published" in f for f in failed)
