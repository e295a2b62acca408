"""The commands that say what a release holds and what the next run would do (issue 16):
``parcels``, ``sites``, ``status``, ``run --dry-run/--study/--params-dir``, ``serve``'s next
run, and tables that fit 80 columns without cutting a figure. Each runs in a fresh
interpreter (tests/cli_harness.py) on the session's demo release; answers are checked
against the release's own tables and keys, not against the command's own output.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bluecarbon.formatting import fmt_number
from bluecarbon.manifest import sha256_file
from bluecarbon.params import shipped_folder
from bluecarbon.store import Store
from tests.cli_harness import CliResult, assert_ok, assert_user_error, cli_env, run_cli
from tests.conftest import RAW, ROOT, write_config
from tests.integration.conftest import copy_project

pytestmark = pytest.mark.slow
NARROW = {"COLUMNS": "80"}
#: A raw file the demo study reads (parcel polygons of Tampa Bay).
SEGMENTS = "vector/tampa_bay_seagrass_swfwmd/tbep_bay_segments.geojson"


@pytest.fixture(scope="module")
def project(demo_project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("discovery")
    copy_project(demo_project[0], folder)
    return folder


def _fits_80(result: CliResult) -> str:
    """The command's stdout, after checking no line is wider than 80 and nothing is cut."""
    assert_ok(result)
    text = result.stdout
    long = [line for line in text.splitlines() if len(line) > 80]
    assert not long, long
    assert "…" not in text, text
    return text


def _has_figure(text: str, figure: str) -> bool:
    """``figure`` appears whole (not as part of a longer number)."""
    return re.search(rf"(?<![\d,.]){re.escape(figure)}(?![\d,.])", text) is not None


def _json(*args: Any) -> Any:
    return json.loads(assert_ok(run_cli(*args)).stdout)


def test_releases_and_show_fit_80_columns_with_every_headline_figure_whole(project: Path) -> None:
    config = project / "bluecarbon.toml"
    listed = _json("releases", "--json", "-c", config)
    text = _fits_80(run_cli("releases", "-c", config, env=NARROW))
    for release in listed:
        assert release["tag"] in text
        stock = sum(r.get("stock_t_co2e") or 0.0 for r in release["summary"]["headline"])
        assert _has_figure(text, fmt_number(stock)), (fmt_number(stock), text)
    assert listed[0]["snapshot_id"] not in text  # an optional column at 80 columns ...
    wide = assert_ok(run_cli("releases", "--wide", "-c", config, env=NARROW)).stdout
    assert listed[0]["snapshot_id"] in wide and "…" not in wide  # ... shown with --wide

    shown = _json("show", "latest", "--json", "-c", config)
    assert list(shown)[:5] == ["tag", "snapshot_id", "created", "content_hash", "status"]
    assert list(shown)[-5:] == ["idempotency_key", "products", "tables", "provenance", "object_hashes"]
    text = _fits_80(run_cli("show", "latest", "-c", config, env=NARROW))
    keys = (
        "area_ha",
        "stock_t_co2e",
        "stock_conservative_t_co2e",
        "net_flux_t_co2e_yr",
        "removal_t_co2e_yr",
        "tissue_removal_t_co2e_yr",
    )
    figures = [fmt_number(r[k]) for r in shown["summary"]["headline"] for k in keys if r.get(k) is not None]
    assert figures
    missing = [f for f in figures if not _has_figure(text, f)]
    assert not missing, (missing, text)
    assert shown["content_hash"] in text


def test_parcels_lists_the_release_parcels_table(project: Path) -> None:
    config = project / "bluecarbon.toml"
    store = Store.open(str(project / "store"))
    table = store.read_table("parcels", "latest").sort_values("parcel_id")
    listed = _json("parcels", "--json", "-c", config)
    assert list(listed) == ["release", "parcels"]
    assert listed["release"] == store.resolve("latest").tag
    rows = listed["parcels"]
    assert [list(r) for r in rows] == [
        ["parcel_id", "name", "kind", "site", "area_ha", "illustrative"]
    ] * len(rows)
    assert [r["parcel_id"] for r in rows] == list(table["parcel_id"])
    for row, (_, expected) in zip(rows, table.iterrows(), strict=True):
        assert row["area_ha"] == pytest.approx(float(expected["area_ha"]), abs=1e-3)
        assert row["illustrative"] is bool(expected["illustrative"])
        assert (row["name"], row["kind"], row["site"]) == (
            expected["name"],
            expected["kind"],
            expected["site"],
        )
    text = _fits_80(run_cli("parcels", "-c", config, env=NARROW))
    for row in rows:
        line = next(line for line in text.splitlines() if line.startswith(row["parcel_id"] + " "))
        assert _has_figure(line, fmt_number(row["area_ha"])), line
        assert ("yes" if row["illustrative"] else "no") in line.split()
    assert any(r["illustrative"] for r in rows), "the demo farm parcel is illustrative"


def test_sites_lists_products_years_habitats_and_parcels(project: Path) -> None:
    config = project / "bluecarbon.toml"
    store = Store.open(str(project / "store"))
    info = store.resolve("latest")
    totals = store.read_table("class_totals", info)
    parcels = store.read_table("parcels", info)
    listed = _json("sites", "--json", "-c", config)
    by_site = {s["site"]: s for s in listed["sites"]}
    expected_sites = set(totals["site"]) | {p.split("/")[0] for p in info.products} | set(parcels["site"])
    assert set(by_site) == expected_sites
    for site, group in totals.groupby("site"):
        entry = by_site[site]
        assert entry["years"] == sorted({int(y) for y in group["year"]})
        assert sorted(entry["habitats"] + entry["other_classes"]) == sorted(set(group["habitat"]))
        assert entry["products"] == sorted(p.split("/")[1] for p in info.products if p.startswith(f"{site}/"))
        assert entry["parcels"] == int((parcels["site"] == site).sum())
    assert "seagrass" in by_site["old_tampa_bay"]["habitats"]
    assert "other" in by_site["old_tampa_bay"]["other_classes"]
    text = _fits_80(run_cli("sites", "-c", config, env=NARROW))
    assert all(site in text for site in by_site)


def test_an_unknown_parcel_lists_the_known_ones(project: Path) -> None:
    result = run_cli("statement", "no-such-parcel", "-c", project / "bluecarbon.toml")
    assert_user_error(result, "'no-such-parcel' is not in release", "tbep-1", "qd-jzb-oyster-01")


def test_a_statement_reports_its_stages(project: Path) -> None:
    from bluecarbon.report.statement import STAGES, build_statement

    said: list[str] = []
    build_statement(Store.open(str(project / "store")), "tbep-1", progress=said.append)
    assert said == list(STAGES)


def _override(folder: Path, table: str, parameter: str, value: str) -> Path:
    """A parameter folder with ``table`` as shipped but ``parameter`` set to ``value``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (shipped_folder() / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert any(r["parameter"] == parameter for r in rows)
    for row in rows:
        if row["parameter"] == parameter:
            row["value"] = value
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _raw_with(tmp_path: Path, rel: str, data: bytes, *, manifest: bool) -> Path:
    """The shipped raw folder (linked) with ``rel`` replaced by ``data``, recorded in the
    MANIFEST when ``manifest`` (a deliberate change) or not (a file changed by hand)."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw, copy_function=os.symlink)
    (raw / rel).unlink()
    (raw / rel).write_bytes(data)
    if manifest:
        text = (raw / "MANIFEST").read_text()
        (raw / "MANIFEST").unlink()
        (raw / "MANIFEST").write_text(text.replace(sha256_file(RAW / rel), hashlib.sha256(data).hexdigest()))
    return raw


def test_status_says_nothing_changed_then_names_each_change(project: Path, tmp_path: Path) -> None:
    config = project / "bluecarbon.toml"
    latest = _json("show", "latest", "--json", "-c", config)
    text = _fits_80(run_cli("status", "-c", config, env=NARROW))
    assert f"nothing changed: run would return release {latest['tag']}" in text
    status = _json("status", "--json", "-c", config)
    assert status["release_key"] == latest["idempotency_key"] and status["would_publish"] is False

    params = _override(tmp_path / "params", "uncertainty", "mc_seed", "20261128")
    text = _fits_80(run_cli("status", "--params-dir", params, "-c", config, env=NARROW))
    assert "run would publish a new release" in text
    assert "uncertainty (shipped -> override uncertainty.csv): 1 row(s) changed" in text
    assert "parameter=mc_seed" in text and "value: 20261127 -> 20261128" in text
    assert "inputs: all" in text and "study: unchanged" in text and "code: unchanged" in text

    study = tmp_path / "demo.toml"
    study.write_text(
        (ROOT / "data" / "studies" / "demo.toml").read_text().replace("bluecarbon demo", "renamed", 1)
    )
    text = _fits_80(run_cli("status", "--study", study, "-c", config, env=NARROW))
    assert "run would publish a new release" in text and "study: changed" in text

    segments = (RAW / SEGMENTS).read_bytes() + b"\n"
    raw = _raw_with(tmp_path / "deliberate", SEGMENTS, segments, manifest=True)
    moved = write_config(tmp_path / "deliberate", store=str(project / "store"), raw=str(raw))
    text = _fits_80(run_cli("status", "-c", moved, env=NARROW))
    assert "inputs: 1 changed, 0 added, 0 no longer read" in text and f"changed: {SEGMENTS}" in text

    raw = _raw_with(tmp_path / "by-hand", SEGMENTS, segments, manifest=False)
    edited = write_config(tmp_path / "by-hand", store=str(project / "store"), raw=str(raw))
    assert_user_error(run_cli("status", "-c", edited), "run would stop before publishing", SEGMENTS)

    before = _json("releases", "--json", "-c", config)
    dry = assert_ok(run_cli("run", "--dry-run", "--params-dir", params, "-c", config))
    assert "run would publish a new release" in dry.stdout and "parameter=mc_seed" in dry.stdout
    assert "dry run: nothing was computed or published" in dry.stdout
    assert _json("releases", "--json", "-c", config) == before


def test_the_status_key_is_the_key_run_publishes_under(notebook_project: Path, tmp_path: Path) -> None:
    """The notebook project's second release was made with a parameter override folder and
    its first with the shipped tables: status with and without the override names each."""
    config = notebook_project / "bluecarbon.toml"
    first, second = (
        _json("show", r["tag"], "--json", "-c", config) for r in _json("releases", "--json", "-c", config)
    )
    with_override = _json("status", "--json", "-c", config)
    assert with_override["release_key"] == second["idempotency_key"]
    assert with_override["existing_release"] == second["tag"]
    (tmp_path / "none").mkdir()
    shipped = _json("status", "--json", "--params-dir", tmp_path / "none", "-c", config)
    assert shipped["release_key"] == first["idempotency_key"]
    assert shipped["existing_release"] == first["tag"] and not shipped["would_publish"]
    assert shipped["verdict"].startswith(f"no new release: run would return release {first['tag']}")


def test_run_params_dir_reaches_the_flow(
    notebook_project: Path, tmp_path: Path, prefect_api_url: str
) -> None:
    """Without ``--params-dir`` the copied project (no [params] dir) computes the shipped key,
    the first release; with the notebook's override folder it must return the second one."""
    config = copy_project(notebook_project, tmp_path)
    tags = [r["tag"] for r in _json("releases", "--json", "-c", config)]
    env = {"PREFECT_API_URL": prefect_api_url, "PREFECT_LOGGING_LEVEL": "INFO"}
    result = run_cli("run", "--params-dir", notebook_project / "params", "-c", config, env=env, timeout=900)
    assert_ok(result)
    assert f"nothing changed; existing release {tags[1]}" in result.stdout
    for step in ("step 1/4 ingest", "step 2/4 habitat", "step 3/4 estimate", "step 4/4 publish"):
        assert step in result.stderr, step
    assert [r["tag"] for r in _json("releases", "--json", "-c", config)] == tags


def _next_first_of_month_6am(now: datetime) -> datetime:
    candidate = now.replace(day=1, hour=6, minute=0, second=0, microsecond=0)
    if candidate >= now:
        return candidate
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return candidate.replace(year=year, month=month)


def test_serve_prints_the_next_scheduled_run(project: Path, prefect_api_url: str) -> None:
    config = project / "bluecarbon.toml"
    started = datetime.now(UTC)
    serve = subprocess.Popen(
        [sys.executable, "-m", "bluecarbon.cli", "serve", "-c", str(config), "--cron", "0 6 1 * *"],
        env=cli_env({"PREFECT_API_URL": prefect_api_url}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert serve.stdout is not None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = serve.stdout.readline()
            seen.append(line)
            if line.startswith("next scheduled run:") or (not line and serve.poll() is not None):
                break
    finally:
        serve.send_signal(signal.SIGINT)
        _, err = serve.communicate(timeout=120)
    expected = _next_first_of_month_6am(started)
    assert f"next scheduled run: {expected:%Y-%m-%d %H:%M} UTC\n" in seen, "".join(seen) + err
    assert "Traceback" not in err, err
