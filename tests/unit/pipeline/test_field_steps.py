"""The field steps on the real shipped data: outputs, release-table contract, Delta
writability, caching, and the quarantine report next to the results."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from bluecarbon.errors import InputError, ValidationFailed
from bluecarbon.ingest.core_validation import combine_validated, validate_core_tables
from bluecarbon.ingest.survey import read_survey
from bluecarbon.manifest import sha256_file, verify_manifest
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline import field, inputs, soil
from bluecarbon.pipeline.cache import StepResult
from bluecarbon.pipeline.study import CoreSource, HarvestSource, PlotSource, load_study
from bluecarbon.store.schema import TABLES
from bluecarbon.store.tables import write_table
from bluecarbon.store.validators import check_table
from tests.unit.field_data import RAW

SHIPPED = ParameterSet.shipped()

CORES = CoreSource(
    ccn_dir="field/ccrcn",
    files=(
        "field/ccrcn/ccn_cores.csv.gz",
        "field/ccrcn/ccn_depthseries.csv.gz",
        "field/ccrcn/ccn_methods.csv",
        "field/ccrcn/ccn_species.csv.gz",
        "field/ccrcn/ccn_study_citations.csv.gz",
    ),
)
PLOTS = (
    PlotSource(
        "fourqurean2012", "field/seagrass_biomass_fourqurean2012/Fourqurean_2012_biomass.csv", "field/ccrcn"
    ),
    PlotSource("lumcon", "field/saltmarsh_biomass_lumcon/plotData_2013_2018.csv"),
)
HARVESTS = HarvestSource(
    "fao",
    "field/fao_china_mariculture/fao_fishstat_aquaculture_bivalves_seaweeds_CHN_KOR_JPN_TWN.csv",
    ("CHN",),
)


@pytest.fixture(scope="module")
def hashes() -> dict[str, str]:
    files = sorted(set(CORES.files) | {f for p in PLOTS for f in p.files} | {HARVESTS.file})
    return inputs.input_hashes(verify_manifest(RAW, files), files)


@pytest.fixture(scope="module")
def results(tmp_path_factory, hashes) -> tuple[Path, list[StepResult]]:
    work = tmp_path_factory.mktemp("work")
    return work, [
        soil.soil_cores(RAW, CORES, work, hashes, parameters=SHIPPED),
        field.biomass_plots(RAW, PLOTS, work, hashes, parameters=SHIPPED),
        field.shellfish_harvests(RAW, HARVESTS, work, hashes, parameters=SHIPPED),
    ]


def test_release_tables_meet_the_store_contract_and_write_to_delta(results, tmp_path) -> None:
    _, outcomes = results
    tables = field.field_tables(outcomes)
    assert {"cores", "core_stocks", "soil_density", "plots", "harvests", "quarantine", "strata"} <= set(
        tables
    )
    for name, frame in tables.items():
        if name not in TABLES:
            continue  # "strata": proposed table, see bluecarbon/pipeline/field.py
        assert check_table(name, frame).errors == [], name
        write_table(str(tmp_path / name), name, frame, storage_options=None, key="test")
    stocks = tables["core_stocks"]
    assert set(stocks["depth_cm"]) == {30.0, 100.0}
    assert stocks.groupby("depth_cm").size().nunique() == 1  # one row per core and depth
    density = tables["soil_density"].set_index("habitat")
    assert set(density["density_source"]) == {"cores_global"}  # the all-cores reference
    assert (density["soil_se_mg_c_ha"] > 0).all() and (density["n_cores"] >= 40).all()
    assert 200 < density.loc["salt_marsh", "soil_mg_c_ha"] < 340
    quarantine = tables["quarantine"]
    assert set(quarantine["step"]) == {"soil_cores", "biomass_plots"}  # FAO China has no bad row
    assert not quarantine["file"].str.startswith("/").any()  # paths relative to data/raw
    held = quarantine[quarantine["severity"] == "held_back"]
    cores = tables["cores"]
    used = set(cores["study_id"] + "/" + cores["core_id"])
    held_keys = {v.rsplit(":", 1)[0] for v in held["value"]}
    assert len(held_keys) > 200
    assert not held_keys & used


def test_step_info_and_quarantine_csv_next_to_results(results) -> None:
    _, (soil, plots, harvests) = results
    assert soil.info["cores"] == 13687 and soil.info["cores_used"] + soil.info["cores_held_back"] == 13687
    for result in (soil, plots, harvests):
        report = Path(result.uris["quarantine_csv"])
        assert report.parent == Path(result.uris["quarantine"]).parent and report.name == "quarantine.csv"
        frame = pd.read_csv(report, encoding="utf-8-sig")
        assert list(frame.columns) == ["file", "row", "column", "value", "rule", "severity"]
    # 2022, China: bivalve shell + tissue carbon and seaweed carbon, the seaweed's FAO live weight
    # converted with the yearbook dry/live ratio (0.130, not the 0.20 of fresh farm weights)
    assert harvests.info["latest_year_total_c_t"] == pytest.approx(2_064_199, rel=1e-4)
    assert plots.info["plots"] > 250


def test_harvest_table_by_species_and_year(results) -> None:
    _, (_, _, harvests) = results
    table = pd.read_parquet(harvests.uris["harvests"])
    assert not table.duplicated(["country", "species", "year"]).any()
    kelp = table[(table["species"] == "LNJ") & (table["year"] == 2022)].iloc[0]
    assert kelp["harvest_t"] == pytest.approx(9_670_687) and kelp["shell_c_t"] == 0.0
    # FAO live weight x 0.130 (yearbook dry / FAO live) x 0.312 t C per t dry kelp
    assert kelp["total_c_t"] == pytest.approx(9_670_687 * 0.130 * 0.312)
    assert kelp["coefficient_source"] == "class_default+fao_live_to_dry"
    totals = pd.read_parquet(harvests.uris["harvest_totals"]).set_index("year")
    assert totals.loc[2022, "total_co2e_t"] == pytest.approx(
        totals.loc[2022, "total_c_t"] * 44.0095 / 12.0107
    )


def test_steps_are_cached(results, hashes) -> None:
    work, _ = results
    assert soil.soil_cores(RAW, CORES, work, hashes, parameters=SHIPPED).cached
    assert field.biomass_plots(RAW, PLOTS, work, hashes, parameters=SHIPPED).cached
    assert field.shellfish_harvests(RAW, HARVESTS, work, hashes, parameters=SHIPPED).cached


def test_fail_fast_mode_stops_on_the_published_ccn_values(tmp_path, hashes) -> None:
    with pytest.raises(ValidationFailed, match="validation error"):
        soil.soil_cores(RAW, CORES, tmp_path, hashes, mode="fail_fast", parameters=SHIPPED)


def test_demo_study_names_plots_and_harvests() -> None:
    study = load_study(Path(__file__).resolve().parents[3] / "data/studies/demo.toml")
    assert [p.kind for p in study.plots] == ["lumcon", "fourqurean2012"]
    assert study.harvests[0] == HARVESTS
    assert study.harvests[1].kind == "template" and study.harvests[1].illustrative
    files = study.raw_files(RAW)
    assert HARVESTS.file in files and PLOTS[0].file in files


EXAMPLE_SURVEY = Path(__file__).resolve().parents[3] / "data/templates/examples/survey_example_zh.xlsx"


def _raw_with_survey(tmp_path: Path, *, with_ccn: bool) -> tuple[Path, CoreSource, dict[str, str]]:
    """A raw folder holding the example survey workbook (3 Yellow River Delta marsh cores,
    Chinese headers), and the CCN tables too when asked."""
    raw = tmp_path / "raw"
    (raw / "surveys").mkdir(parents=True)
    shutil.copy2(EXAMPLE_SURVEY, raw / "surveys/survey_2024.xlsx")
    if with_ccn:
        shutil.copytree(RAW / "field/ccrcn", raw / "field/ccrcn")
    source = replace(CORES, surveys=("surveys/survey_2024.xlsx",))
    if not with_ccn:
        source = CoreSource(surveys=("surveys/survey_2024.xlsx",))
    hashes = {f: sha256_file(raw / f) for f in source.all_files(raw)}
    return raw, source, hashes


def test_survey_workbook_cores_enter_the_soil_step(tmp_path) -> None:
    raw, source, hashes = _raw_with_survey(tmp_path, with_ccn=False)
    result = soil.soil_cores(raw, source, tmp_path / "work", hashes, mode="fail_fast", parameters=SHIPPED)
    assert result.info["cores"] == 3 and result.info["cores_used"] == 3
    assert result.info["cores_reaching_100cm"] == 3
    stocks = pd.read_parquet(result.uris["core_stocks"])
    metre = stocks[stocks["depth_cm"] == 100.0]
    assert (metre["habitat"] == "salt_marsh").all() and metre["stock_mg_c_ha"].between(40, 90).all()
    density = pd.read_parquet(result.uris["soil_density"]).set_index("habitat")
    # three cores reach a metre, fewer than the 5 a density needs: the all-cores reference is Tier 1
    assert density.loc["salt_marsh", "density_source"] == "ipcc_tier1"
    assert density.loc["salt_marsh", "n_cores"] == 3
    assert density.loc["seagrass", "density_source"] == "ipcc_tier1"
    # a changed workbook is a new step key; the same one is cached
    assert (
        soil.soil_cores(raw, source, tmp_path / "work", hashes, parameters=SHIPPED).cached is False
    )  # other mode
    assert soil.soil_cores(raw, source, tmp_path / "work", hashes, parameters=SHIPPED).cached


def test_survey_cores_repeating_library_cores_are_held_back_naming_both_files(tmp_path) -> None:
    raw, source, hashes = _raw_with_survey(tmp_path, with_ccn=True)
    result = soil.soil_cores(raw, source, tmp_path / "work", hashes, parameters=SHIPPED)
    assert result.info["cores"] == 13687 + 3
    assert result.info["cores_used"] + result.info["cores_held_back"] == 13687 + 3
    assert result.info["cores_held_back"] == 281 + 3  # the library's own 281, and the 3 repeats
    report = pd.read_parquet(result.uris["quarantine"])
    dups = report[report["rule"].str.contains("across sources", regex=False)]
    assert sorted(dups["value"]) == [f"Xia_et_al_2022/Yellow River Estuary {i}" for i in (2, 3, 4)]
    assert set(dups["file"]) == {"surveys/survey_2024.xlsx#岩芯"}  # the workbook's cores sheet
    assert dups["rule"].str.endswith("already in field/ccrcn/ccn_cores.csv.gz").all()
    assert sorted(dups["row"]) == [3, 4, 5]  # the workbook rows (two header rows)
    with pytest.raises(ValidationFailed, match="across sources"):
        combine_validated(
            [
                validate_core_tables(*_survey_tables(), mode="fail_fast", parameters=SHIPPED),
                validate_core_tables(*_survey_tables(), mode="fail_fast", parameters=SHIPPED),
            ],
            mode="fail_fast",
        )


def _survey_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    survey = read_survey(EXAMPLE_SURVEY, tables=["cores", "depth_intervals"])
    assert survey.plots.empty and survey.harvests.empty  # only the asked tables are read
    return survey.cores, survey.depthseries


def test_study_cores_may_come_from_surveys_alone(tmp_path) -> None:
    study = tmp_path / "study.toml"
    body = (
        '[[sites]]\nid = "a"\nsource = "polygons"\npolygons = "p.gpkg"\n'
        'class_map = {}\ncrs = "EPSG:3857"\nresolution_m = 10\n'
    )
    study.write_text('[cores]\nsurveys = ["surveys/s.xlsx"]\n' + body)
    loaded = load_study(study)
    assert loaded.cores == CoreSource(surveys=("surveys/s.xlsx",))
    for cores, message in (
        ("[cores]\n", "names no cores"),
        ('[cores]\nfiles = ["x.csv"]\n', "files without ccn_dir"),
        ('[cores]\nccn_dir = "c"\n', "ccn_dir without files"),
        ('[cores]\nsurveys = "s.xlsx"\n', "expected a list of strings"),
    ):
        study.write_text(cores + body)
        with pytest.raises(InputError, match=message):
            load_study(study)


DEMO_STUDY = Path(__file__).resolve().parents[3] / "data/studies/demo.toml"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'background = "other"',
            'backgrnd = "other"',
            r"column 'backgrnd': \[\[sites\]\] #1 \(old_tampa_bay\): unknown key 'backgrnd'; "
            r"did you mean 'background'\?",
        ),
        ("resolution_m = 20.0", 'resolution_m = "20"', r"resolution_m = '20' \(expected a number above 0"),
        ("seed = 20210527", 'seed = "1"', r"#3 \(aberystwyth_coast\): seed = '1' \(expected an integer"),
        ("repair = true", 'repair = "yes"', r"\[\[parcels\]\] #1: repair = 'yes' \(expected true or false"),
        ('countries = ["CHN"]', 'country = ["CHN"]', r"\[\[harvests\]\] #1: unknown key 'country'"),
        (
            "[cores]\n",
            "[cores]\nccn_dirs = 1\n",
            r"\[cores\]: unknown key 'ccn_dirs'; did you mean 'ccn_dir'",
        ),
        ('name = "bluecarbon demo"', 'nmae = "x"', r"the study: unknown key 'nmae'; did you mean 'name'"),
        ('setting = "siliciclastic"', 'setting = "reef"', r"setting = 'reef'"),
        (
            'date_pattern = "S2_T37MEM_',
            'date_pattern = "(S2_T37MEM_',
            r"date_pattern = .* \(expected a valid",
        ),
    ],
)
def test_study_keys_and_types_are_checked(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = DEMO_STUDY.read_text(encoding="utf-8")
    assert old in text
    study = tmp_path / "study.toml"
    study.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_study(study)


def test_site_keys_of_the_carbon_engine_are_checked(tmp_path: Path) -> None:
    text = DEMO_STUDY.read_text(encoding="utf-8")
    assert 'subclass_map = { "patchy" = "patchy", "cont." = "continuous" }' in text
    study = tmp_path / "study.toml"
    study.write_text(
        text.replace(
            'crs = "EPSG:26917"',
            'crs = "EPSG:26917"\nclimate_zone = "subtropical"\nreference_point = [-82.6, 27.9]',
            1,
        ),
        encoding="utf-8",
    )
    site = load_study(study).sites[0]
    assert site.options["setting"] == "siliciclastic" and site.options["reference_point"] == [-82.6, 27.9]
    assert site.options["subclass_map"] == {"patchy": "patchy", "cont.": "continuous"}
    study.write_text(text.replace('"patchy" = "patchy"', '"patchy" = "sparse"', 1), encoding="utf-8")
    with pytest.raises(InputError, match="subclass_map"):
        load_study(study)


FARM_HARVESTS = "illustrative/qingdao_oyster_farm_harvests_zh.csv"


def _farm_total(tmp_path: Path, lines: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    raw = tmp_path / "raw"
    (raw / "illustrative").mkdir(parents=True)
    (raw / FARM_HARVESTS).write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    source = HarvestSource(kind="template", file=FARM_HARVESTS, illustrative=True)
    hashes = {FARM_HARVESTS: sha256_file(raw / FARM_HARVESTS)}
    result = field.shellfish_harvests(raw, source, tmp_path / "work", hashes, parameters=SHIPPED)
    totals = pd.read_parquet(result.uris["harvest_totals"])
    quarantine = pd.read_parquet(result.uris["quarantine"])
    return totals.select_dtypes("number").drop(columns="year").sum(), quarantine


def test_a_copied_harvest_row_does_not_cost_the_genuine_one(tmp_path: Path) -> None:
    """The farm total fell (51.66 -> 6.61 t C) when a duplicated row held back its original."""
    lines = (RAW / FARM_HARVESTS).read_text(encoding="utf-8-sig").splitlines()
    clean, _ = _farm_total(tmp_path / "clean", lines)
    copied, quarantine = _farm_total(tmp_path / "copied", [*lines, lines[3]])
    pd.testing.assert_series_equal(copied, clean)  # every quantity, whatever its name
    (warning,) = quarantine[quarantine["severity"] == "warning"].itertuples()
    assert warning.row == len(lines) + 1 and "exact copy of row 4" in warning.rule
    conflicting = lines[3].replace(",455,", ",555,")
    held, quarantine = _farm_total(tmp_path / "conflict", [*lines, conflicting])
    errors = quarantine[quarantine["severity"] == "error"]
    assert sorted(errors["row"]) == [4, len(lines) + 1], "both copies held back, naming each other"
    assert (held <= clean).all() and (held < clean).any()


def test_allowed_site_keys_are_the_typed_specs_fields() -> None:
    """A key a study may give is a field the pipeline reads, and every field can be given."""
    from dataclasses import fields

    from bluecarbon.habitat.specs import ImageryMapping, PolygonMapping, mapping_keys
    from bluecarbon.pipeline.study import SITE_COMMON_KEYS, SITE_KEYS, Site

    site_fields = {f.name for f in fields(Site)} - {"mapping", "options"}
    assert set(SITE_COMMON_KEYS) == site_fields | {"source"}
    assert set(SITE_KEYS["polygons"]) == set(mapping_keys(PolygonMapping))
    assert set(SITE_KEYS["imagery"]) == set(mapping_keys(ImageryMapping))


def test_sites_are_typed_with_their_defaults() -> None:
    from bluecarbon.habitat.specs import ImageryMapping, PolygonMapping

    study = load_study(DEMO_STUDY)
    tampa, rufiji = study.sites[0], study.sites[1]
    assert isinstance(tampa.mapping, PolygonMapping) and tampa.source == "polygons"
    # a key the study leaves out takes the spec's default, in one place
    assert "background" not in tampa.options or tampa.mapping.background == tampa.options["background"]
    assert rufiji.mapping.train_per_class == rufiji.options.get("train_per_class", 300)
    assert tampa.setting == "siliciclastic" and tampa.mapping.subclass_map["patchy"] == "patchy"
    assert isinstance(rufiji.mapping, ImageryMapping) and rufiji.source == "imagery"
    assert rufiji.mapping.water_index == "mndwi" and all(isinstance(y, int) for y in rufiji.mapping.years)
