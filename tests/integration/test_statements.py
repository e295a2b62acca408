"""Sink statements on the demo release: real parcels, both languages, verification and
tampering, withdrawn releases, rendering (HTML, PDF, and a real headless browser)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bluecarbon.errors import ReleaseNotFound
from bluecarbon.report.render import CHROMIUM_FLAGS, cjk_font_file, find_chromium, render_html, render_pdf
from bluecarbon.report.statement import build_statement, statement_hash, validate_statement, verify_statement
from bluecarbon.store import Store
from tests.conftest import missing_system_package

pytestmark = pytest.mark.slow
FARM = "qd-jzb-oyster-01"


@pytest.fixture(scope="module")
def store(demo_project) -> Store:
    folder, _, _ = demo_project
    return Store.open(str(folder / "store"))


@pytest.fixture(scope="module")
def meadow(store: Store) -> dict[str, dict]:
    return {lang: build_statement(store, "tbep-1", lang=lang) for lang in ("en", "zh")}


def test_statement_of_a_real_parcel(store: Store, meadow: dict[str, dict]) -> None:
    en, zh = meadow["en"], meadow["zh"]
    assert validate_statement(en) == [] and validate_statement(zh) == []
    assert en["habitats"] == zh["habitats"]
    for section in ("stock", "flux", "creditable", "valuation"):
        a, b = json.loads(json.dumps(en[section])), json.loads(json.dumps(zh[section]))
        for row in a.get("by_pool", []) + b.get("by_pool", []):
            row.pop("pool_label")
        assert a == b, f"{section}: the two languages carry the same figures"
    release = store.resolve("latest")
    assert en["release"]["tag"] == release.tag and en["provenance"]["content_hash"] == release.content_hash
    assert {i["path"] for i in en["provenance"]["input_checksums"]} >= {"field/ccrcn/ccn_cores.csv.gz"}
    seagrass = next(h for h in en["habitats"] if h["habitat"] == "seagrass")
    assert 1500 < seagrass["area_ha"] < 2200 and seagrass["area_ci95_ha"] > 0
    stock = en["stock"]
    assert stock["depth_cm"] == 100.0 and stock["extrapolation"] == "none"
    assert stock["p5_t_co2e"] < stock["central_t_co2e"] < stock["p95_t_co2e"]
    assert stock["conservative_t_co2e"] <= stock["p5_t_co2e"]
    # the statement's conservative stock is exactly the release's parcel_totals value
    totals = store.read_table("parcel_totals", release)
    row = totals[
        (totals["parcel_id"] == "tbep-1")
        & (totals["level"] == "blue_carbon")
        & (totals["kind"] == "stock")
        & (totals["year"] == en["map_year"])
    ].iloc[0]
    assert stock["conservative_t_co2e"] == pytest.approx(row["stock_conservative_t_co2e"], abs=1e-3)
    # Old Tampa Bay lost a third of its seagrass between 2020 and 2022: the segment emits
    flux = en["flux"]
    assert flux["period"] == "2022-2023" and flux["net_t_co2e_per_yr"] < 0
    assert flux["emissions_t_co2e_per_yr"] > flux["accumulation_t_co2e_per_yr"] > 0
    codes = [f["code"] for f in en["flags"]]
    assert {"net_emitter", "tier1_density", "tier1_rates", "area_not_assessed", "indicative_price"} <= set(
        codes
    )
    assert {"unverified_parameters"} <= set(codes) and "geometry_repaired" not in codes  # tbep-1 was valid
    assert [f["code"] for f in zh["flags"]] == codes and all(f["message_zh"] for f in zh["flags"])
    assert "海草床" in next(f["message_zh"] for f in zh["flags"] if f["code"] == "tier1_density")
    # a net emitter earns no credit, and a stock is never valued as one
    assert en["creditable"]["creditable_t_co2e"] == 0.0 and en["valuation"]["creditable_value"] == 0.0
    assert en["creditable"]["streams"][0]["net_removals_t_co2e"] < 0
    assert en["valuation"]["price_id"] == "cea_2024_average" and en["valuation"]["indicative"]
    assert en["parameters"]["buffer"]["source"] and en["parameters"]["price"]["source"]
    seagrass_density = next(d for d in stock["soil_density"] if d["habitat"] == "seagrass")
    assert seagrass_density["density_source"] == "ipcc_tier1" and seagrass_density["soil_mg_c_ha"] == 108.0
    assert any(p["unverified_rows"] > 0 for p in en["parameters"]["tables"])
    assert any(lic["license"] == "CC-BY-4.0" for lic in en["licences"])
    assert en["map"]["grid"] and "1" in en["map"]["classes"]


def test_farm_statement_keeps_shell_and_tissue_apart(store: Store) -> None:
    doc = build_statement(store, FARM, lang="zh", price=200.0, buffer_pct=20.0)
    assert validate_statement(doc) == []
    codes = {f["code"] for f in doc["flags"]}
    assert doc["parcel"]["illustrative"] and "illustrative_data" in codes
    # the farm lies on the mapped Jiaozhou Bay site (water between its rafts)
    assert "no_habitat_map" not in codes and doc["map_year"] == 2023
    assert doc["parcel"]["name_zh"] == "胶州湾筏式养殖场01（示意）"
    records = doc["removal"]["records"]
    assert {(r["year"], r["species"]) for r in records} >= {(2023, "长牡蛎"), (2023, "栉孔扇贝")}
    oyster = next(r for r in records if r["year"] == 2021)
    # 420 t x 0.6510 x 0.9386 x 0.1268 (shell) and x 0.0614 x 0.4598 (tissue)
    assert oyster["shell_c_t"] == pytest.approx(420 * 0.6510 * 0.9386 * 0.1268, rel=1e-3)
    assert oyster["tissue_c_t"] == pytest.approx(420 * 0.6510 * 0.0614 * 0.4598, rel=1e-3)
    latest = doc["removal"]["latest"]
    assert latest["total_t_co2e_per_yr"] == pytest.approx(
        latest["tissue_t_co2e_per_yr"] + latest["shell_t_co2e_per_yr"], rel=1e-4
    )
    assert latest["shell_t_co2e_per_yr"] > 3 * latest["tissue_t_co2e_per_yr"]  # shell ~80 %
    # credits count tissue carbon only (the crediting table's default), buffer 20 % as asked
    # the farm's mapped water holds no carbon: its ecosystem stream credits nothing
    assert all(
        s["creditable_t_co2e"] == 0.0 for s in doc["creditable"]["streams"] if s["stream"] == "ecosystem"
    )
    (stream,) = [s for s in doc["creditable"]["streams"] if s["stream"] == "harvest"]
    assert stream["net_removals_t_co2e"] == pytest.approx(latest["tissue_t_co2e_per_yr"], rel=1e-4)
    assert doc["creditable"]["creditable_t_co2e"] == pytest.approx(
        stream["net_removals_t_co2e"] * 0.8, rel=1e-3
    )
    assert doc["stock"]["central_t_co2e"] == 0.0  # a farm holds no mapped stock
    assert doc["parameters"]["buffer"]["given_by_user"] and doc["parameters"]["buffer"]["value"] == 0.2
    assert doc["valuation"]["price_per_t_co2e"] == 200.0
    assert doc["valuation"]["creditable_value"] == pytest.approx(
        doc["creditable"]["creditable_t_co2e"] * 200, rel=1e-3
    )
    html = render_html(doc)
    assert "示意数据" in html and "贝壳" in html and "可签发碳汇量" in html


def test_verification_and_tampering(store: Store, meadow: dict[str, dict], tmp_path: Path) -> None:
    doc = json.loads(json.dumps(meadow["en"]))
    assert verify_statement(store, doc).ok
    edited = json.loads(json.dumps(doc))
    edited["stock"]["conservative_t_co2e"] *= 1.5
    check = verify_statement(store, edited, deep=False)
    assert not check.ok and any("integrity" in p for p in check.problems)
    edited["integrity"]["sha256"] = statement_hash(edited)  # a forger recomputes the hash
    check = verify_statement(store, edited, deep=False)
    assert not check.ok and any("/stock/conservative_t_co2e" in p for p in check.problems)
    renamed = json.loads(json.dumps(doc))
    renamed["parcel"]["name"] = "Somewhere Else"
    renamed["integrity"]["sha256"] = statement_hash(renamed)
    assert any("/parcel/name" in p for p in verify_statement(store, renamed, deep=False).problems)


def test_withdrawn_release_says_so(demo_project, tmp_path: Path) -> None:
    folder, _, _ = demo_project
    shutil.copytree(folder / "store", tmp_path / "store")
    copy = Store.open(str(tmp_path / "store"))
    tag = copy.resolve("latest").tag
    copy.withdraw(tag, "test: superseded parameter table")
    doc = build_statement(copy, "tbep-1", release=tag, lang="en")
    assert doc["release"]["status"] == "withdrawn"
    assert "withdrawn_release" in {f["code"] for f in doc["flags"]}
    assert 'id="withdrawn"' in render_html(doc)
    assert verify_statement(copy, doc, deep=False).ok


def test_statements_only_from_published_releases(store: Store, tmp_path: Path, demo_project) -> None:
    folder, _, _ = demo_project
    shutil.copytree(folder / "store", tmp_path / "store")
    copy = Store.open(str(tmp_path / "store"))
    main = copy.repo.lookup_branch("main")
    copy.repo.create_branch("staging-test", main)
    session = copy.repo.writable_session("staging-test")
    staged = session.commit("unpublished", allow_empty=True)
    with pytest.raises(ReleaseNotFound):
        build_statement(copy, "tbep-1", release=staged)
    with pytest.raises(ReleaseNotFound, match="not in release"):
        build_statement(store, "no-such-parcel")


def test_pdf_with_fpdf2(meadow: dict[str, dict], tmp_path: Path) -> None:
    out = tmp_path / "en.pdf"
    assert render_pdf(meadow["en"], out, engine="fpdf2") == "fpdf2"
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_size > 20_000
    if cjk_font_file() is None:
        missing_system_package(
            "no CJK font installed (Debian: fonts-noto-cjk): Chinese fpdf2 PDF not checked"
        )
    zh = tmp_path / "zh.pdf"
    render_pdf(meadow["zh"], zh, engine="fpdf2")
    assert zh.read_bytes().startswith(b"%PDF")


@pytest.mark.browser
def test_html_renders_in_headless_chromium(meadow: dict[str, dict], tmp_path: Path) -> None:
    chromium = find_chromium()
    if chromium is None:
        missing_system_package("Chromium not installed (Debian package chromium)")
    shots = {}
    for lang, doc in meadow.items():
        page = tmp_path / f"{lang}.html"
        page.write_text(render_html(doc), encoding="utf-8")
        png = tmp_path / f"{lang}.png"
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path}/profile-{lang}",
                f"--screenshot={png}",
                "--window-size=1000,1400",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=180,
            check=True,
        )
        image = np.asarray(Image.open(png).convert("L"), dtype=float)
        assert image.shape == (1400, 1000)
        dark = (image < 128).mean()
        assert 0.01 < dark < 0.5, f"{lang}: the page rendered text and a map ({dark:.3f} dark)"
        shots[lang] = image
    assert np.abs(shots["en"] - shots["zh"]).mean() > 1.0, "the Chinese page differs from the English one"
    pdf = tmp_path / "zh.pdf"
    assert render_pdf(meadow["zh"], pdf, engine="chromium") == "chromium"
    assert pdf.read_bytes().startswith(b"%PDF")


def test_api_serves_statements(store: Store) -> None:
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    from bluecarbon.report.render import render_html as html_renderer
    from bluecarbon.server import AccessPolicy, ApiConfig, create_app

    app = create_app(
        ApiConfig(
            store=store,
            policy=AccessPolicy(public_releases=("*",)),
            build_statement=build_statement,
            render_html=html_renderer,
        )
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        base = f"http://127.0.0.1:{port}/releases/latest/parcels"
        doc = httpx.get(f"{base}/{FARM}/statement", params={"lang": "zh"}, timeout=120).json()
        assert doc["parcel"]["parcel_id"] == FARM and validate_statement(doc) == []
        html = httpx.get(f"{base}/tbep-1/statement", params={"format": "html"}, timeout=120)
        assert html.status_code == 200 and "Blue-carbon sink statement" in html.text
        assert httpx.get(f"{base}/tbep-1/statement", params={"price": -1}).status_code == 400
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_cli_statement_and_verify_statement(demo_project, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bluecarbon.cli import app

    folder, _, _ = demo_project
    config = str(folder / "bluecarbon.toml")
    runner = CliRunner()
    out = tmp_path / "farm.json"
    made = runner.invoke(
        app, ["statement", FARM, "--format", "json", "--lang", "en", "-o", str(out), "-c", config]
    )
    assert made.exit_code == 0, made.output
    # a farm has no mapped stock: the message gives its annual harvest removal and the credits
    doc = json.loads(out.read_text())
    removal = doc["removal"]["latest"]["total_t_co2e_per_yr"]
    assert "conservative stock 0 t CO2e" in made.output
    assert f"harvest removal 2023 {removal:,.1f} t CO2e/yr" in made.output
    assert "creditable" in made.output and "illustrative_data" in made.output
    ok = runner.invoke(app, ["verify-statement", str(out), "--shallow", "-c", config])
    assert ok.exit_code == 0 and "OK" in ok.output, ok.output
    doc["removal"]["latest"]["shell_t_co2e_per_yr"] *= 2  # an edited figure
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1))
    bad = runner.invoke(app, ["verify-statement", str(out), "--shallow", "-c", config])
    assert (
        bad.exit_code == 1 and "FAILED" in bad.output and "/removal/latest/shell_t_co2e_per_yr" in bad.output
    )
