"""Hand-computed checks of the statement's conservative value and at-risk rule."""

from __future__ import annotations

import pandas as pd
import pytest

from bluecarbon.report.statement import _creditable, canonical, statement_hash


def _credits(rows: list[dict]) -> pd.DataFrame:
    base = {
        "parcel_id": "p",
        "site": "s",
        "baseline_t_co2e": 0.0,
        "tissue_only_t_co2e": float("nan"),
        "hy_t_0305_t_co2e": float("nan"),
    }
    return pd.DataFrame([base | r for r in rows])


def test_creditable_section_recomputes_with_the_buffer_asked_for() -> None:
    credits = _credits(
        [
            {
                "stream": "ecosystem",
                "period_start": 2020,
                "period_end": 2022,
                "basis": "b",
                "project_t_co2e": 100.0,
                "uncertainty": 0.25,
            },
            {
                "stream": "ecosystem",
                "period_start": 2018,
                "period_end": 2020,
                "basis": "b",
                "project_t_co2e": 999.0,
                "uncertainty": 0.0,
            },
        ]
    )
    c = _creditable(credits, 2020, buffer=0.15, allowable=0.20)
    # only the period starting at the map year: 100 - 5 (U - A) = 95, buffer 15 % = 14.25 -> 80.75
    assert [s["period"] for s in c["streams"]] == ["2020-2022"]
    assert c["uncertainty_deduction_t_co2e"] == pytest.approx(5.0)
    assert c["buffer_t_co2e"] == pytest.approx(14.25)
    assert c["creditable_t_co2e"] == pytest.approx(80.75)


def test_a_net_emitter_has_nothing_creditable() -> None:
    credits = _credits(
        [
            {
                "stream": "ecosystem",
                "period_start": 2022,
                "period_end": 2023,
                "basis": "b",
                "project_t_co2e": -1000.7,
                "uncertainty": 2.0,
            }
        ]
    )
    c = _creditable(credits, 2022, buffer=0.10, allowable=0.20)
    assert c["net_removals_t_co2e"] == pytest.approx(-1000.7)
    assert c["creditable_t_co2e"] == 0.0 and c["buffer_t_co2e"] == 0.0


def test_statement_hash_ignores_only_the_integrity_block() -> None:
    doc = {"a": 1, "b": [1.5, "海草"], "integrity": {"sha256": "x"}}
    assert statement_hash(doc) == statement_hash({**doc, "integrity": {"sha256": "y"}})
    assert statement_hash(doc) != statement_hash({**doc, "a": 2})
    assert canonical({"b": 1, "a": "海"}) == '{"a":"海","b":1}'


def test_every_recorded_method_has_its_chinese_summary() -> None:
    """A method text changed in assemble.METHOD needs its Chinese summary updated too."""
    from bluecarbon.pipeline.assemble import METHOD
    from bluecarbon.report.i18n import METHOD_NAMES, METHOD_ZH, method_entries, method_text_digest

    assert set(METHOD) == set(METHOD_ZH) == set(METHOD_NAMES)
    for key, text in METHOD.items():
        assert METHOD_ZH[key][0] == method_text_digest(text), f"update METHOD_ZH[{key!r}]"
    zh = {h: (text, recorded) for h, text, recorded in method_entries(METHOD, "zh")}
    assert (
        zh["贝类碳汇"][0].startswith("HY/T 0305-2021 收获移出法") and zh["贝类碳汇"][1] == METHOD["shellfish"]
    )
    # a text the summaries do not translate (an older release) is shown in English only
    old = method_entries({"soil": "core stocks to 30 cm"}, "zh")
    assert old == [("土壤碳", "core stocks to 30 cm", None)]
    assert method_entries(METHOD, "en")[0] == ("validation", METHOD["validation"], None)
