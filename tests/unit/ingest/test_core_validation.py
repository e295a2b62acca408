"""One test per bad-input case of the core tables, in both modes, plus the real CCN data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bluecarbon.errors import InputError, ValidationFailed
from bluecarbon.ingest.core_validation import validate_core_tables
from bluecarbon.ingest.validation import issues_frame, write_quarantine_report
from bluecarbon.params import ParameterSet
from tests.unit.field_data import ccn, ccn_quarantined, cores, intervals, layered

SHIPPED = ParameterSet.shipped()


def _good() -> tuple[pd.DataFrame, pd.DataFrame]:
    c = cores(("S", "A", "marsh"), ("S", "B", "seagrass"))
    d = pd.concat(
        [layered([(0, 10), (10, 20)], core="A"), layered([(0, 5), (5, 10)], core="B")], ignore_index=True
    )
    return c, d


def _rules(result) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.column, i.rule) for i in result.issues if i.severity == "error"]


def _quarantine(c: pd.DataFrame, d: pd.DataFrame):
    return validate_core_tables(c, d, mode="quarantine", parameters=SHIPPED)


def test_clean_tables_pass_both_modes() -> None:
    c, d = _good()
    result = validate_core_tables(c, d, mode="fail_fast", parameters=SHIPPED)
    assert result.issues == [] and len(result.cores) == 2 and len(result.depthseries) == 4


def test_negative_density_is_reported_and_its_core_held_back() -> None:
    c, d = _good()
    d.loc[1, "dry_bulk_density"] = -0.2
    result = _quarantine(c, d)
    # depth row index 1 is file row 3 (header = row 1)
    assert (3, "dry_bulk_density", "impossible dry bulk density (expected > 0 g cm-3)") in _rules(result)
    assert list(result.cores["core_id"]) == ["B"]
    assert set(result.depthseries["core_id"]) == {"B"}
    held = [i for i in result.issues if i.severity == "held_back"]
    assert [(i.row, i.value) for i in held] == [(2, "S/A: 1 interval row(s)")]
    with pytest.raises(ValidationFailed, match=r"row 3 column 'dry_bulk_density' value -0.2"):
        validate_core_tables(c, d, mode="fail_fast", parameters=SHIPPED)


def test_impossible_density_above_particle_density() -> None:
    c, d = _good()
    d.loc[2, "dry_bulk_density"] = 11.26
    rules = _rules(_quarantine(c, d))
    assert any(r[0] == 4 and "expected <= 2.65 g cm-3" in r[2] for r in rules)


def test_zero_density_is_impossible() -> None:
    c, d = _good()
    d.loc[0, "dry_bulk_density"] = 0.0
    assert any(r[:2] == (2, "dry_bulk_density") for r in _rules(_quarantine(c, d)))


def test_negative_fraction() -> None:
    c, d = _good()
    d.loc[0, "fraction_carbon"] = -0.01
    assert (2, "fraction_carbon", "negative fraction (expected 0-1)") in _rules(_quarantine(c, d))


def test_single_fraction_above_one() -> None:
    c, d = _good()
    d.loc[3, "fraction_carbon"] = 1.4
    assert (5, "fraction_carbon", "fraction above 1 (expected 0-1; a percent value?)") in _rules(
        _quarantine(c, d)
    )


def test_fractions_given_as_percent_hold_the_whole_study_column() -> None:
    c, d = _good()
    d["fraction_carbon"] = [2.0, 1.5, 0.8, 3.0]  # three of four above 1: the study is in percent
    result = _quarantine(c, d)
    flagged = [r for r in _rules(result) if r[2].startswith("fractions given as percent")]
    assert [r[0] for r in flagged] == [2, 3, 4, 5]  # including the 0.8 %, which is not 0.8
    assert result.cores.empty


def test_overlapping_intervals() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10), (8, 20)])
    rules = _rules(_quarantine(c, d))
    assert rules == [
        (
            3,
            "depth_min",
            "overlapping depth intervals in one core (starts above the bottom of a shallower interval)",
        )
    ]


def test_identical_intervals_are_replicates_not_overlaps() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10), (0, 10), (10, 20)])
    assert validate_core_tables(c, d, mode="fail_fast", parameters=SHIPPED).issues == []


def test_inverted_interval() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10), (20, 12)])
    assert (3, "depth_max", "inverted interval (depth_max < depth_min)") in _rules(_quarantine(c, d))


def test_negative_depth() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(-2, 10)])
    assert (2, "depth_min", "negative depth (expected depth_min >= 0 cm)") in _rules(_quarantine(c, d))


def test_measured_interval_without_depths() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10), (np.nan, np.nan)])
    assert any(
        r[0] == 3 and r[2].startswith("measured interval without depths") for r in _rules(_quarantine(c, d))
    )


def test_representative_depths_locate_a_sample_without_sampled_depths() -> None:
    c = cores(("S", "A", "marsh"))
    d = intervals(
        {
            "depth_min": np.nan,
            "depth_max": np.nan,
            "representative_depth_min": 0,
            "representative_depth_max": 15,
            "dry_bulk_density": 1.0,
            "fraction_carbon": 0.02,
        }
    )
    assert validate_core_tables(c, d, mode="fail_fast", parameters=SHIPPED).issues == []


def test_duplicate_core_ids() -> None:
    c = cores(("S", "A", "marsh"), ("S", "A", "marsh"))
    d = layered([(0, 10)])
    result = _quarantine(c, d)
    assert [r for r in _rules(result) if r[2].startswith("duplicate id")] == [
        (2, "core_id", "duplicate id (study_id, core_id)"),
        (3, "core_id", "duplicate id (study_id, core_id)"),
    ]
    assert result.cores.empty and result.depthseries.empty


def test_unknown_habitat() -> None:
    c = cores(("S", "A", "kelp forest"))
    d = layered([(0, 10)])
    result = _quarantine(c, d)
    assert any(r[:2] == (2, "habitat") and r[2].startswith("unknown habitat") for r in _rules(result))
    assert result.cores.empty


def test_chinese_habitat_names_are_known() -> None:
    c = cores(("S", "A", "盐沼"), ("S", "B", "海草床"))
    d = pd.concat([layered([(0, 10)], core="A"), layered([(0, 10)], core="B")], ignore_index=True)
    assert validate_core_tables(c, d, mode="fail_fast", parameters=SHIPPED).issues == []


def test_missing_coordinates() -> None:
    c = cores(("S", "A", "marsh"))
    c.loc[0, "longitude"] = np.nan
    result = _quarantine(c, layered([(0, 10)]))
    assert (2, "latitude", "missing coordinates (latitude/longitude)") in _rules(result)


def test_coordinates_out_of_range() -> None:
    c = cores(("S", "A", "marsh"))
    c.loc[0, "latitude"] = 120.3  # latitude and longitude swapped
    assert (2, "latitude", "latitude outside -90..90 degrees") in _rules(_quarantine(c, layered([(0, 10)])))


def test_interval_of_an_unknown_core() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10)], core="Z")
    assert (2, "core_id", "depth interval of a core that is not in the cores table") in _rules(
        _quarantine(c, d)
    )


def test_text_in_a_numeric_column() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10), (10, 20)]).astype({"dry_bulk_density": object})
    d.loc[1, "dry_bulk_density"] = "1,2"
    assert (3, "dry_bulk_density", "not a number") in _rules(_quarantine(c, d))


def test_impossible_and_implausible_compaction() -> None:
    c = cores(("S", "A", "marsh"), ("S", "B", "marsh"))
    d = pd.concat([layered([(0, 10)], core="A"), layered([(0, 10)], core="B")], ignore_index=True)
    d["compaction_fraction"] = [1.0002, 0.88]
    rules = [r[2] for r in _rules(_quarantine(c, d))]
    assert rules[0].startswith("impossible compaction_fraction") and rules[1].startswith("implausible")


def test_organic_carbon_above_organic_matter_is_a_warning() -> None:
    c = cores(("S", "A", "marsh"))
    d = layered([(0, 10)], foc=0.2).assign(fraction_organic_matter=0.1)
    result = validate_core_tables(c, d, mode="fail_fast", parameters=SHIPPED)
    assert [i.severity for i in result.issues] == ["warning"] and len(result.cores) == 1


def test_quarantine_report_is_written_next_to_results(tmp_path) -> None:
    c, d = _good()
    d.loc[1, "dry_bulk_density"] = -0.2
    c.attrs["source_file"] = "field/my_cores.csv"
    result = _quarantine(c, d)
    path = write_quarantine_report(result.issues, tmp_path / "results")
    report = pd.read_csv(path, encoding="utf-8-sig")
    assert list(report.columns) == ["file", "row", "column", "value", "rule", "severity"]
    assert report.to_dict("records")[0] == {
        "file": "depthseries",
        "row": 3,
        "column": "dry_bulk_density",
        "value": "-0.2",
        "rule": "impossible dry bulk density (expected > 0 g cm-3)",
        "severity": "error",
    }
    assert report["file"].tolist()[-1] == "field/my_cores.csv"


def test_unknown_mode_is_refused() -> None:
    c, d = _good()
    with pytest.raises(InputError, match="unknown validation mode"):
        validate_core_tables(c, d, mode="lenient", parameters=SHIPPED)  # type: ignore[arg-type]


def test_real_ccn_quarantine_catches_published_bad_values() -> None:
    t = ccn()
    result = ccn_quarantined()
    report = issues_frame(result.issues)
    errors = report[report["severity"] == "error"]
    counts = errors.groupby("rule").size()
    assert counts["impossible dry bulk density (expected > 0 g cm-3)"] == 20
    assert counts["missing coordinates (latitude/longitude)"] == 2
    assert counts.filter(like="overlapping").sum() > 500
    assert 200 < result.n_held_back < 400
    assert len(result.cores) + result.n_held_back == len(t.cores)
    # nothing that broke a rule survives: re-validating the clean tables in fail-fast mode passes
    validate_core_tables(result.cores, result.depthseries, t.methods, mode="fail_fast", parameters=SHIPPED)
    # rows point at the real file lines (header = line 1)
    first = errors[errors["rule"] == "impossible dry bulk density (expected > 0 g cm-3)"].iloc[0]
    assert t.depthseries.loc[int(first["row"]) - 2, "dry_bulk_density"] == pytest.approx(
        float(first["value"])
    )


def test_repeated_index_labels_fall_back_to_positions() -> None:
    c, d = _good()
    d.index = [0, 0, 1, 1]  # e.g. two tables concatenated without ignore_index
    d.loc[:, "dry_bulk_density"] = [1.0, -1.0, 1.0, 1.0]
    result = _quarantine(c, d)
    assert (3, "dry_bulk_density", "impossible dry bulk density (expected > 0 g cm-3)") in _rules(result)
    assert list(result.cores["core_id"]) == ["B"]
