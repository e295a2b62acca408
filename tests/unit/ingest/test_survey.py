"""The survey template: CSV and XLSX, English and Chinese headers, units, wrong units, and
the shipped template files and document."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bluecarbon.carbon.cores import core_stocks
from bluecarbon.errors import InputError, ValidationFailed
from bluecarbon.ingest.core_validation import validate_core_tables
from bluecarbon.ingest.survey import TEMPLATE, read_survey, read_survey_table, template_rows
from bluecarbon.params import ParameterSet

SHIPPED = ParameterSet.shipped()

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "data" / "templates"


def _csv(path: Path, rows: list[list[object]]) -> Path:
    pd.DataFrame(rows).to_csv(path, header=False, index=False, encoding="utf-8-sig")
    return path


def test_chinese_headers_and_units_row_are_converted(tmp_path) -> None:
    path = _csv(
        tmp_path / "分层样品.csv",
        [
            ["调查编号", "岩芯编号", "上界深度", "下界深度", "干容重", "有机碳含量", "碳类型"],
            ["单位", "", "m", "m", "kg/m3", "%", ""],
            ["S", "A", 0.0, 0.1, 1200, 0.5, "有机碳"],
            ["S", "A", 0.1, 0.2, 1300, 0.4, "总碳"],
        ],
    )
    frame = read_survey_table(path, "depth_intervals").frame
    assert list(frame["depth_max"]) == pytest.approx([10.0, 20.0])  # m -> cm
    assert list(frame["dry_bulk_density"]) == pytest.approx([1.2, 1.3])  # kg m-3 -> g cm-3
    assert list(frame["fraction_carbon"]) == pytest.approx([0.005, 0.004])  # % -> fraction
    assert list(frame["fraction_carbon_type"]) == ["organic carbon", "total carbon"]
    assert list(frame["source_row"]) == [3, 4]  # spreadsheet rows: header 1, units 2


def test_units_in_the_header_and_no_units_row(tmp_path) -> None:
    path = _csv(
        tmp_path / "d.csv",
        [["study_id", "core_id", "depth_min (mm)", "Depth Max [cm]"], ["S", "A", 50, 10]],
    )
    frame = read_survey_table(path, "depth_intervals").frame
    assert (frame.loc[0, "depth_min"], frame.loc[0, "depth_max"], frame.loc[0, "source_row"]) == (5.0, 10, 2)


def test_wrong_units_hold_the_table_or_fail(tmp_path) -> None:
    path = _csv(
        tmp_path / "d.csv",
        [
            ["study_id", "core_id", "depth_min", "depth_max", "dry_bulk_density"],
            ["units", "", "cm", "cm", "g"],
            ["S", "A", 0, 10, 1.1],
        ],
    )
    read = read_survey_table(path, "depth_intervals", mode="quarantine")
    assert read.frame.empty
    [issue] = read.issues
    assert (issue.row, issue.column, issue.value, issue.severity) == (2, "dry_bulk_density", "g", "error")
    assert issue.rule.startswith("wrong units: units 'g' cannot be converted to 'g cm-3'")
    assert issue.rule.endswith("(expected g cm-3 or units of the same kind)")
    with pytest.raises(ValidationFailed, match=r"row 2 column 'dry_bulk_density' value 'g': wrong units"):
        read_survey_table(path, "depth_intervals", mode="fail_fast")


def test_unknown_column_is_a_warning_and_missing_required_column_an_error(tmp_path) -> None:
    path = _csv(
        tmp_path / "c.csv",
        [
            ["study_id", "site_id", "core_id", "habitat", "latitude", "longitude", "dry_bulk_densty"],
            ["S", "x", "A", "盐沼", 37.6, 118.6, 1.2],
        ],
    )
    read = read_survey_table(path, "cores")
    assert [(i.row, i.column, i.severity) for i in read.issues] == [(1, "dry_bulk_densty", "warning")]
    bad = _csv(tmp_path / "c2.csv", [["study_id", "core_id", "habitat"], ["S", "A", "marsh"]])
    with pytest.raises(
        InputError, match=r"missing required column\(s\) \['site_id', 'latitude', 'longitude'\]"
    ):
        read_survey_table(bad, "cores")


def test_gb18030_csv_from_chinese_excel(tmp_path) -> None:
    path = tmp_path / "收获.csv"
    pd.DataFrame([["物种", "年份", "收获量"], ["单位", "", "kg"], ["牡蛎", 2023, 2500]]).to_csv(
        path, header=False, index=False, encoding="gb18030"
    )
    frame = read_survey_table(path, "harvests").frame
    assert (frame.loc[0, "species"], frame.loc[0, "harvest_t"]) == ("牡蛎", 2.5)


def test_shipped_templates_match_the_declaration() -> None:
    from openpyxl import load_workbook

    for language in ("en", "zh"):
        book = load_workbook(TEMPLATES / f"survey_template_{language}.xlsx", read_only=True)
        for name, spec in TEMPLATE.items():
            sheet = book[name if language == "en" else spec.zh]
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            header, units = template_rows(name, language=language)
            assert rows[0] == header and [u or None for u in rows[1]] == [u or None for u in units]
        book.close()
        folder = TEMPLATES / f"csv_{language}"
        assert len(list(folder.glob("*.csv"))) == len(TEMPLATE)
        assert read_survey(folder).cores.empty


def test_documentation_lists_every_template_column() -> None:
    doc = (ROOT / "docs" / "survey-template.md").read_text(encoding="utf-8")
    for spec in TEMPLATE.values():
        for column in spec.columns:
            assert f"`{column.name}` | {column.zh} |" in doc, column.name


def test_real_example_workbook_gives_yellow_river_delta_stocks() -> None:
    survey = read_survey(TEMPLATES / "examples" / "survey_example_zh.xlsx", mode="fail_fast")
    assert survey.issues == []
    assert len(survey.cores) == 3 and len(survey.depthseries) == 21 and len(survey.harvests) == 4
    assert survey.depthseries["fraction_carbon"].max() < 0.01  # written in %, read as fractions
    checked = validate_core_tables(survey.cores, survey.depthseries, mode="fail_fast", parameters=SHIPPED)
    stocks = core_stocks(checked.cores, checked.depthseries, depth_cm=100, parameters=SHIPPED)
    assert stocks["reached_depth"].all() and (stocks["habitat"] == "salt_marsh").all()
    # METHODS.md: Shandong marsh cores with a full metre hold about 44-83 Mg C ha-1
    assert stocks["stock_mg_c_ha"].between(40, 90).all()


def test_mg_in_a_tonnes_column_is_refused_and_mg_for_megagram_converted(tmp_path) -> None:
    rows = [
        ["farm_id", "species", "year", "harvest_t", "area_ha"],
        ["units", "", "", "{}", "亩"],
        ["F1", "OYC", 2023, 3.0, 30.0],
    ]
    ok = _csv(tmp_path / "h1.csv", [rows[0], [*rows[1][:3], "Mg", "亩"], rows[2]])
    frame = read_survey_table(ok, "harvests").frame
    # 3 Mg = 3 t; 30 亩 = 30 / 15 ha = 2 ha
    assert (frame.loc[0, "harvest_t"], frame.loc[0, "area_ha"]) == (3.0, pytest.approx(2.0))
    bad = _csv(tmp_path / "h2.csv", [rows[0], [*rows[1][:3], "mg", "亩"], rows[2]])
    with pytest.raises(ValidationFailed, match=r"h2.csv row 2 column 'harvest_t' value 'mg': wrong units"):
        read_survey_table(bad, "harvests")


def test_case_of_units_matters(tmp_path) -> None:
    path = _csv(
        tmp_path / "d.csv",
        [["study_id", "core_id", "depth_min", "depth_max"], ["units", "", "CM", "cm"], ["S", "A", 0, 10]],
    )
    read = read_survey_table(path, "depth_intervals", mode="quarantine")
    [issue] = read.issues
    assert (issue.row, issue.column, issue.value) == (2, "depth_min", "CM")
    assert "unknown units 'CM'" in issue.rule


def test_every_unit_example_in_the_documentation_converts_with_its_factor() -> None:
    import re
    from fractions import Fraction

    from bluecarbon.units import conversion_factor

    doc = (Path(__file__).parents[3] / "docs" / "survey-template.md").read_text(encoding="utf-8")
    section = doc[doc.index("| canonical | examples") : doc.index("A units cell the registry")]
    checked = 0
    for row in section.splitlines()[2:]:
        if not row.startswith("| `"):
            continue
        _, canonical_cell, examples, _ = row.split("|")
        canonical = re.match(r"\s*`([^`]+)`", canonical_cell).group(1)
        for group in examples.split(";"):
            factor = 1.0
            if m := re.search(r"\((x|/) ([0-9.]+)\)", group):
                value = float(Fraction(m.group(2)))
                factor = value if m.group(1) == "x" else 1.0 / value
                group = group[: m.start()]
            group = re.sub(r"\([^)]*\)", "", group)
            for spelling in (s.strip() for s in group.split(",")):
                if spelling:
                    assert conversion_factor(spelling, canonical) == pytest.approx(factor, rel=1e-12), (
                        spelling
                    )
                    checked += 1
    assert checked >= 50  # the table was read (59 spellings when written)
