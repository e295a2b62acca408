"""Every command on a real published demo release, each in a fresh interpreter (as a user
runs it; see tests/cli_harness.py), and the run-time failures a newcomer meets first.

The demo release comes from the session's ``demo_project`` (one real monitoring run);
tests that write get a copy of its store. ``bluecarbon run`` subprocesses use the session's
Prefect test server (``PREFECT_API_URL``) instead of starting their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bluecarbon.manifest import sha256_file
from tests.cli_harness import assert_ok, assert_user_error, cli_env, run_cli
from tests.conftest import RAW, ROOT, write_config
from tests.integration.conftest import REVISED_MIN_CORES, copy_project, warm_work

pytestmark = pytest.mark.slow
INVEST = ROOT / "data" / "raw" / "peers" / "invest_coastal_blue_carbon"
ABER_LABELS = "raster/s2_aberystwyth_coast_20210527/sen2_20210527_aber_cls.tif"
RUFIJI_SCENE = "raster/s2_rufiji_delta_mangrove_timeseries/S2_T37MEM_20190605_sref.tif"
FARM = "illustrative/qingdao_jiaozhou_bay_oyster_farm.geojson"


@pytest.fixture(scope="module")
def project(demo_project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only copy of the demo project for this module's read commands."""
    folder = tmp_path_factory.mktemp("cli")
    copy_project(demo_project[0], folder)
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_read_commands_in_fresh_processes(project: Path, tmp_path: Path) -> None:
    config = project / "bluecarbon.toml"
    listed = json.loads(assert_ok(run_cli("releases", "--json", "-c", config)).stdout)
    tag = listed[0]["tag"]
    assert "Releases in" in assert_ok(run_cli("releases", "-c", config)).stdout
    assert f"Release {tag}" in assert_ok(run_cli("show", "latest", "-c", config)).stdout
    assert json.loads(assert_ok(run_cli("show", tag, "--json", "-c", config)).stdout)["tag"] == tag
    assert "OK, content hash" in assert_ok(run_cli("verify", "latest", "-c", config)).stdout
    assert "identical content" in assert_ok(run_cli("diff", tag, "latest", "-c", config)).stdout
    out = tmp_path / "tables"
    assert_ok(run_cli("export", "latest", "--format", "geoparquet", "-o", out, "-c", config))
    assert (out / "class_totals.parquet").is_file()
    assert "would remove" in assert_ok(run_cli("gc", "--dry-run", "-c", config)).stdout
    statement = tmp_path / "tbep-1.json"
    assert_ok(run_cli("statement", "tbep-1", "-o", statement, "-c", config))
    verified = assert_ok(run_cli("verify-statement", statement, "--shallow", "-c", config)).stdout
    assert ": OK, NOT SIGNED; every figure recomputed" in verified  # no issuer key in this project
    png = tmp_path / "habitat.png"
    assert_ok(run_cli("plot", "map", "old_tampa_bay/habitat", "--year", "2022", "-o", png, "-c", config))
    assert_ok(run_cli("plot", "series", "old_tampa_bay", "-o", tmp_path / "series.png", "-c", config))
    assert png.stat().st_size > 10_000
    nc = tmp_path / "cbc.nc"
    tables = ("--snapshots", "snapshots.csv", "--biophysical", "biophysical_table.csv")
    args = [*(a if a.startswith("--") else INVEST / a for a in tables)]
    args += ["--transitions", INVEST / "transitions.csv", "--analysis-year", "2050", "--output", nc]
    assert_ok(run_cli("transitions", *args))
    assert nc.is_file()


def test_catalog_withdraw_and_crs_in_fresh_processes_then_run_publishes_again(
    demo_project, tmp_path: Path, prefect_api_url: str
) -> None:
    """``catalog`` and ``withdraw`` used to fail in a fresh process ('Dataset' object has no
    attribute 'rio'), and withdrawing every release wedged the store: ``run`` ended in
    Prefect tracebacks and nothing could be published again."""
    config = copy_project(demo_project[0], tmp_path)
    catalog = tmp_path / "catalog"
    assert "STAC objects valid" in assert_ok(run_cli("catalog", "-c", config)).stdout
    crs = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import bluecarbon; cat = bluecarbon.open_catalog({str(tmp_path / 'store')!r}); "
            "print(cat.open('old_tampa_bay/carbon').rio.crs)",
        ],
        capture_output=True,
        text=True,
        env=cli_env(),
        check=False,
    )
    assert crs.returncode == 0 and crs.stdout.strip() == "EPSG:26917", crs.stderr
    tag = json.loads(run_cli("releases", "--json", "-c", config).stdout)[0]["tag"]
    reason = "superseded parameter table"
    withdrawn = assert_ok(run_cli("withdraw", tag, "--reason", reason, "-c", config))
    assert "catalog rebuilt" in withdrawn.stdout
    items = [json.loads(p.read_text()) for p in catalog.rglob(f"{tag}.json")]
    assert len(items) >= 3, "one STAC item per product and one for the tables"
    for item in items:
        assert item["properties"]["bluecarbon:status"] == "withdrawn"
        assert item["properties"]["bluecarbon:withdrawn_reason"] == reason
    assert_user_error(run_cli("show", "latest", "-c", config), "no published release")

    result = run_cli("run", "-c", config, env={"PREFECT_API_URL": prefect_api_url}, timeout=900)
    assert_ok(result)
    assert "published new release" in result.stdout
    releases = json.loads(run_cli("releases", "--json", "-c", config).stdout)
    assert [r["status"] for r in releases] == ["withdrawn", "published"]
    assert releases[1]["content_hash"] == releases[0]["content_hash"], "same inputs, same content"
    assert "removed" in assert_ok(run_cli("gc", "--older-than-hours", "0", "-c", config)).stdout
    assert "OK" in assert_ok(run_cli("verify", releases[0]["tag"], "-c", config)).stdout


def test_api_in_a_fresh_process_is_closed_without_a_token(project: Path, tmp_path: Path) -> None:
    token_out = assert_ok(run_cli("api-token", "bank-a")).stdout
    token = token_out.splitlines()[1].strip()
    config = write_config(tmp_path, store=str(project / "store"))
    config.write_text(config.read_text() + token_out[token_out.index("[[api.tokens]]") :])
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bluecarbon.cli", "api", "-c", str(config), "--port", str(port)],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        assert httpx.get(f"{base}/releases").json() == [], "closed by default"
        tag = json.loads(run_cli("releases", "--json", "-c", config).stdout)[0]["tag"]
        for ref in ("latest", tag, "2099.01.01"):  # a restricted tag and a missing one look alike
            response = httpx.get(f"{base}/releases/{ref}")
            assert response.status_code == 401
            body = response.text
            assert (tag not in body or ref == tag) and str(project) not in body and "/tmp" not in body
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/releases/latest", headers=auth).json()["tag"] == tag
        missing = httpx.get(f"{base}/releases/1999.01.01", headers=auth)
        assert missing.status_code == 404 and str(project) not in missing.text
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=60)
    assert "Traceback" not in stderr and "no public releases" not in stderr


def _raw_with(tmp_path: Path, changes: dict[str, bytes]) -> Path:
    """The shipped raw folder (files linked, not copied) with ``changes`` written in and
    recorded in its MANIFEST, as an analyst would after a deliberate change."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw, copy_function=os.symlink)
    manifest = (raw / "MANIFEST").read_text()
    (raw / "MANIFEST").unlink()
    for rel, data in changes.items():
        old = sha256_file(RAW / rel)
        (raw / rel).unlink()
        (raw / rel).write_bytes(data)
        manifest = manifest.replace(old, hashlib.sha256(data).hexdigest())
    (raw / "MANIFEST").write_text(manifest)
    return raw


def _labels_with_wrong_crs(tmp_path: Path) -> bytes:
    import rasterio

    copy = tmp_path / "labels.tif"
    shutil.copy(RAW / ABER_LABELS, copy)
    with rasterio.open(copy, "r+", IGNORE_COG_LAYOUT_BREAK="YES") as dst:
        dst.crs = "EPSG:32630"  # the numbers of British National Grid read as UTM 30N
    return copy.read_bytes()


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        ("nan_parcel", [FARM, "row 1", "qd-jzb-oyster-01", "not a number"]),
        ("truncated_geotiff", ["S2_T37MEM_20190605_sref.tif", "truncated"]),
        ("labels_wrong_crs", ["sen2_20210527_aber_cls.tif", "does not overlap", "EPSG:32630"]),
    ],
)
def test_bad_input_ends_a_run_with_one_paragraph_naming_the_file(
    demo_project, tmp_path: Path, prefect_api_url: str, case: str, needles: list[str]
) -> None:
    if case == "nan_parcel":
        text = (RAW / FARM).read_text(encoding="utf-8")
        changes = {FARM: text.replace("[ 120.3039, 36.2200 ]", "[ NaN, 36.2200 ]", 1).encode()}
    elif case == "truncated_geotiff":
        data = (RAW / RUFIJI_SCENE).read_bytes()
        changes = {RUFIJI_SCENE: data[: len(data) // 3]}
    else:
        changes = {ABER_LABELS: _labels_with_wrong_crs(tmp_path)}
    raw = _raw_with(tmp_path, changes)
    config = write_config(tmp_path, raw=str(raw), work=str(warm_work(demo_project[0], tmp_path)))
    result = run_cli("run", "-c", config, env={"PREFECT_API_URL": prefect_api_url}, timeout=900)
    message = assert_user_error(result, *needles)
    assert "\n\n" not in message
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())


def test_sigkill_of_run_leaves_no_prefect_server_behind(tmp_path: Path) -> None:
    """Prefect's embedded server is a child of ``bluecarbon run``; killed with SIGKILL, the
    run used to orphan it (still holding its port)."""
    import psutil

    config = write_config(tmp_path)
    home = tmp_path / "prefect-home"
    config.write_text(
        config.read_text().replace(config.read_text().split('home = "')[1].split('"')[0], str(home))
    )
    env = cli_env({"PREFECT_LOGGING_LEVEL": "INFO"})
    env.pop("PREFECT_HOME", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "bluecarbon.cli", "run", "-c", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    port = None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert run.stderr is not None
        while port is None and time.monotonic() < deadline:
            line = run.stderr.readline()
            lines.append(line)
            if found := re.search(r"Starting temporary server on http://127\.0\.0\.1:(\d+)", line):
                port = int(found.group(1))
            if not line and run.poll() is not None:
                break
        assert port is not None, "".join(lines)
        while time.monotonic() < deadline:  # wait until the server answers: it is up
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        servers = [
            p
            for p in psutil.process_iter(["cmdline"])
            if "--port" in (p.info["cmdline"] or []) and str(port) in (p.info["cmdline"] or [])
        ]
        assert servers, "the server runs as a child process"
        assert all(s.ppid() == run.pid for s in servers)
    finally:
        run.kill()  # SIGKILL: no exit handler of the run runs
        run.wait()
    _, alive = psutil.wait_procs(servers, timeout=30)
    assert not alive, f"orphaned Prefect server(s): {[p.pid for p in alive]}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # the port is free again


def _shipped_value(table: str, parameter: str) -> str:
    import csv

    from bluecarbon.params import shipped_folder

    with (shipped_folder() / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
        return next(r["value"] for r in csv.DictReader(fh) if r["parameter"] == parameter)


def test_diff_of_a_parameter_revision_in_a_fresh_process(notebook_project: Path) -> None:
    """After a parameter change the text diff used to print "0 changed input(s)" and "no
    changes per class": it compared stock_t_c only, and no parameter at all."""
    config = notebook_project / "bluecarbon.toml"
    tags = [r["tag"] for r in json.loads(run_cli("releases", "--json", "-c", config).stdout)]
    result = assert_ok(run_cli("diff", tags[0], tags[1], "-c", config))
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    text = result.stdout
    assert "1 changed parameter table(s)" in text
    assert "soil_defaults" in text and "parameter=min_cores_for_site_estimate" in text
    shipped = _shipped_value("soil_defaults", "min_cores_for_site_estimate")
    assert f"value: {shipped} -> {REVISED_MIN_CORES}" in text
    quantities = text[text.index("changed quantities") : text.index("changed rows")]
    # a soil density moves stocks, and with them the emissions of habitat lost: the net flux
    for name in ("soil_mg_c_ha", "stock_t_c", "stock_conservative_t_c", "net_flux_t_co2e_yr"):
        assert re.search(rf"^\s+{name}\s", quantities, flags=re.MULTILINE), (name, quantities)
    as_json = json.loads(assert_ok(run_cli("diff", tags[0], tags[1], "--json", "-c", config)).stdout)
    assert list(as_json) == [
        "a",
        "b",
        "identical",
        "changed_objects",
        "changed_inputs",
        "parameters",
        "tables",
    ]
    (table,) = as_json["parameters"]["tables"]
    assert table["rows"] == [
        {
            "key": {"parameter": "min_cores_for_site_estimate"},
            "status": "changed",
            "changes": {
                "value": {"a": shipped, "b": str(REVISED_MIN_CORES)},
                "source": {
                    "a": table["rows"][0]["changes"]["source"]["a"],
                    "b": f"analyst revision: a regional estimate needs at least {REVISED_MIN_CORES} cores "
                    "reaching 1 m",
                },
            },
        }
    ]
    classes = next(t for t in as_json["tables"] if t["table"] == "class_totals")
    assert classes["rows_changed"] > 0 and "net_flux_t_co2e_yr" in classes["compared_columns"]


def test_serve_in_a_fresh_process_registers_and_stops(project: Path, prefect_api_url: str) -> None:
    config = project / "bluecarbon.toml"
    serve = subprocess.Popen(
        [sys.executable, "-m", "bluecarbon.cli", "serve", "-c", str(config), "--interval", "86400"],
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
            if "bluecarbon-monitoring" in line or (not line and serve.poll() is not None):
                break
        assert any("bluecarbon-monitoring" in line for line in seen), "".join(seen)
        # Ctrl-C once serving: a SIGINT in the instant between the message and Prefect's
        # event loop starting lands in asyncio's loop construction (noise, no failure)
        time.sleep(3)
    finally:
        serve.send_signal(signal.SIGINT)
        out, err = serve.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert "serving bluecarbon monitoring (every 86400 s)" in "".join(seen) + out
