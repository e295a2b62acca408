"""The demo monitoring flow, for real: Prefect flow runs, Icechunk + Delta store, STAC."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.integration.conftest import copy_project

pytestmark = pytest.mark.slow


def test_demo_publishes_a_release_with_products_and_tables(demo_project) -> None:
    from bluecarbon import open_catalog

    folder, outcome, _ = demo_project
    assert outcome["published"] is True
    cat = open_catalog(str(folder / "store"))
    releases = cat.releases()
    assert list(releases["tag"]) == [outcome["release"]["tag"]]
    assert set(cat.products()) == {
        f"{site}/{kind}"
        for site in ("old_tampa_bay", "rufiji_delta", "aberystwyth_coast", "jiaozhou_bay")
        for kind in ("habitat", "carbon")
    }
    habitat = cat.open("old_tampa_bay/habitat")["habitat"]
    assert habitat.chunks is not None
    assert habitat.sizes["year"] == 17
    seagrass_ha = float((habitat.sel(year=2016) == 1).sum()) * 0.04  # 20 m pixels
    assert seagrass_ha == pytest.approx(4713, rel=0.02)
    assert cat.open("rufiji_delta/habitat")["habitat"].sizes["year"] == 4
    area = cat.table("habitat_area")
    assert area["area_ci_ha"].notna().all()
    assert set(area["area_source"]) == {"survey_polygons", "classified_imagery", "error_adjusted_estimate"}
    accuracy = cat.table("accuracy")
    assessed = accuracy[accuracy["site"] == "aberystwyth_coast"]
    assert (assessed["status"] == "assessed").all() and assessed["users_accuracy"].between(0.8, 1.0).all()
    assert (accuracy.loc[accuracy["site"] == "rufiji_delta", "status"] == "not assessed").all()
    density = cat.table("soil_density")
    florida = density[(density["site"] == "old_tampa_bay") & (density["habitat"] == "seagrass")].iloc[0]
    # no siliciclastic seagrass cores reach 1 m within 400 km (Florida Bay's carbonate muds do
    # not represent Tampa Bay): the IPCC Tier 1 default, flagged
    assert florida["density_source"] == "ipcc_tier1" and florida["flags"] == "tier1_density"
    rufiji = density[(density["site"] == "rufiji_delta") & (density["habitat"] == "mangrove")].iloc[0]
    assert rufiji["density_source"] == "cores_regional" and rufiji["median_distance_km"] < 25
    harvest = cat.table("class_totals")
    china = harvest[(harvest["site"] == "chn_mariculture") & (harvest["year"] == 2022)]
    assert set(china["habitat"]) == {"shellfish_aquaculture", "seaweed_aquaculture"}
    assert (china["pools"] == "harvest").all()
    carbon = cat.open("old_tampa_bay/carbon")["carbon_stock"]
    assert carbon.attrs["units"] == "Mg ha-1" and carbon.attrs["carbon_basis"] == "C"
    totals = cat.table("class_totals")
    seagrass = totals[
        (totals["site"] == "old_tampa_bay") & (totals["habitat"] == "seagrass") & (totals["year"] == 2022)
    ]
    row = seagrass.iloc[0]
    assert row["stock_t_c"] == pytest.approx(row["area_ha"] * row["stock_mg_c_ha"])
    assert row["stock_mg_c_ha"] == pytest.approx(
        row["soil_mg_c_ha"] + row["biomass_mg_c_ha"] + row["litter_mg_c_ha"]
    )
    assert row["stock_p5_t_c"] < row["stock_t_c"] < row["stock_p95_t_c"]
    assert row["stock_conservative_t_c"] <= row["stock_p5_t_c"]
    assert {"carbon_stock_by_pool", "net_sequestration"} <= set(cat.open("old_tampa_bay/carbon").data_vars)
    assert row["stock_t_co2e"] == pytest.approx(row["stock_t_c"] * 44.0095 / 12.0107)
    parcels = cat.table("parcels")
    # 7 TBEP bay segments + 3 illustrative Jiaozhou Bay parcels (marsh, eelgrass meadow, farm)
    assert len(parcels) == 10 and parcels.crs.to_epsg() == 4326
    assert parcels.loc[parcels["site"] == "jiaozhou_bay", "illustrative"].all()
    info = cat.release()
    assert info.provenance["flow_run_id"]
    paths = {i["path"] for i in info.provenance["inputs"]}
    assert "field/ccrcn/ccn_cores.csv.gz" in paths
    assert all(len(i["sha256"]) == 64 for i in info.provenance["inputs"])


def test_rerun_publishes_nothing(demo_project, tmp_path: Path) -> None:
    from flows.monitoring import monitoring

    folder, first, _ = demo_project
    # a copy: even a rerun that publishes nothing rebuilds the catalog, a write
    second = monitoring(config=str(copy_project(folder, tmp_path)))
    assert second["published"] is False
    assert second["release"]["tag"] == first["release"]["tag"]
    assert all(step["cached"] for step in second["steps"].values())


def test_catalog_is_valid_and_relative(demo_project) -> None:
    import json

    from bluecarbon.catalog.stac import validate_catalog

    folder, outcome, _ = demo_project
    catalog_dir = folder / "catalog"
    assert validate_catalog(catalog_dir) > 4
    text = (catalog_dir / "catalog.json").read_text()
    assert str(folder) not in text, "links are relative"
    item = json.loads(
        (
            catalog_dir
            / "old_tampa_bay-carbon"
            / outcome["release"]["tag"]
            / f"{outcome['release']['tag']}.json"
        ).read_text()
    )
    assert item["assets"]["icechunk"]["icechunk:snapshot_id"] == outcome["release"]["snapshot_id"]
    assert item["properties"]["bluecarbon:input_licences"]


def test_no_network_calls_beyond_loopback(demo_project) -> None:
    _, _, remote = demo_project
    assert remote == [], f"the run contacted {remote}"


def test_run_leaves_readable_artifacts(demo_project) -> None:
    import asyncio
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    _, outcome, _ = demo_project

    async def read(key: str) -> list:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )

    summaries = [a.data for a in asyncio.run(read("monitoring-summary"))]
    release = outcome["release"]
    # (other tests' stores in this session may hold the same tag, or even the same content)
    published = [
        s
        for s in summaries
        if f"Published release `{release['tag']}`" in s
        and f"content hash `{release['content_hash'][:16]}`" in s
    ]
    assert published, summaries
    summary = published[0]
    assert "Coastal Carbon Library" in summary and "| old_tampa_bay | 2022 | seagrass |" in summary
    # the Coastal Carbon Library holds impossible values as published: they are quarantined
    rejected = summary.split("## Rejected")[1].split("## Headline")[0]
    assert "field/ccrcn/ccn_depthseries.csv.gz" in rejected
    quarantine = json.loads(asyncio.run(read("quarantine"))[0].data)
    assert quarantine and {"file", "row", "column", "value", "rule"} <= set(quarantine[0])
    # step facts are rounded for reading: totals to units, ratios to 4 digits
    assert "latest_year_total_c_t: 2,064,199," in summary and "overall_accuracy: 0.99" in summary
    assert "(all classes)" in summary  # the site's net flux beside the habitat rows
    rows = json.loads(asyncio.run(read("class-totals"))[0].data)
    assert {"site", "year", "habitat", "stock_t_co2e"} <= set(rows[0])
    # the table is the release's class totals: harvest removal included
    assert any(r["habitat"] == "shellfish_aquaculture" for r in rows)


def test_store_verifies(demo_project) -> None:
    from bluecarbon.store import Store

    folder, outcome, _ = demo_project
    report = Store.open(str(folder / "store")).verify("latest")
    assert report.ok, report.problems
    assert report.recomputed_hash == outcome["release"]["content_hash"]
    seagrass = next(r for r in outcome["release"]["summary"]["headline"] if r["habitat"] == "seagrass")
    assert np.isfinite(seagrass["stock_t_co2e"]) and seagrass["soil_depth_cm"] == 100.0


def test_the_books_balance_and_no_conservative_value_exceeds_p5(demo_project) -> None:
    """issue 13: the identity in every site_balance row; conservative <= P5 in every row."""
    from bluecarbon import open_catalog

    folder, _, _ = demo_project
    cat = open_catalog(str(folder / "store"))
    balance = cat.table("site_balance")
    assert set(balance["site"]) == {"old_tampa_bay", "rufiji_delta", "aberystwyth_coast", "jiaozhou_bay"}
    lhs = balance["stock_end_t_c"] - balance["stock_start_t_c"]
    rhs = balance["accumulation_t_c"] - balance["emissions_t_c"] + balance["reclassification_t_c"]
    scale = np.maximum(balance[["stock_start_t_c", "stock_end_t_c"]].abs().max(axis=1), 1.0)
    assert ((lhs - rhs).abs() <= 1e-6 * scale).all()
    # carry-over stocks: what no flow explains is only the rescaling to official areas (< 1 %)
    assert (balance["reclassification_t_c"].abs() <= 0.01 * scale).all()
    for name in ("class_totals", "parcel_totals"):
        table = cat.table(name).dropna(subset=["stock_conservative_t_c"])
        assert (table["stock_conservative_t_c"] <= table["stock_p5_t_c"] + 1e-9).all(), name
    # Old Tampa Bay lost seagrass between 2020 and 2022: the site is a net emitter after it,
    # and the headline says so beside the seagrass row
    headline = cat.release().summary["headline"]
    site = next(r for r in headline if r["site"] == "old_tampa_bay" and r["habitat"] == "(all classes)")
    assert site["net_flux_t_co2e_yr"] < 0 and site["flux_period"] == "2022-2023"
    tampa = balance[balance["site"] == "old_tampa_bay"].set_index("period_start")
    assert tampa.loc[2020, "net_flux_t_c_yr"] < 0
    credits = cat.table("parcel_credits")
    assert (credits.loc[credits["net_removals_t_co2e"] <= 0, "creditable_t_co2e"] == 0).all()


def test_harvest_removal_is_named_removal_and_seaweed_matches_the_yearbook(demo_project) -> None:
    from bluecarbon import open_catalog

    folder, _, _ = demo_project
    cat = open_catalog(str(folder / "store"))
    totals = cat.table("class_totals")
    china = totals[(totals["site"] == "chn_mariculture")]
    assert not any(c.startswith("sequestration") for c in totals.columns)
    shellfish = china[(china["year"] == 2022) & (china["habitat"] == "shellfish_aquaculture")].iloc[0]
    assert shellfish["tissue_removal_t_c_yr"] + shellfish["shell_removal_t_c_yr"] == pytest.approx(
        shellfish["removal_t_c_yr"]
    )
    assert shellfish["shell_removal_t_c_yr"] > 0.7 * shellfish["removal_t_c_yr"]  # shell ~80 %
    assert np.isnan(shellfish["stock_t_c"])  # a removal is not a stock
    # China's fishery yearbook: 2.10 Mt (2015) and 2.615 Mt (2020) of seaweed, dry weight
    harvests = cat.table("harvests")
    dry = (
        harvests[(harvests["kind"] == "seaweed") & (harvests["country"] == "CHN")]
        .groupby("year")["dry_t"]
        .sum()
    )
    assert dry.loc[2015] == pytest.approx(2.10e6, rel=0.05)
    assert dry.loc[2020] == pytest.approx(2.615e6, rel=0.05)
