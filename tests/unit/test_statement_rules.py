"""Hand-computed checks of the statement's conservative value and at-risk rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from bluecarbon.report.statement import _at_risk, _conservative, canonical, statement_hash
from bluecarbon.store.release import ReleaseInfo


def _stocks(central: float, p5: float, p95: float) -> dict:
    return {"total": {"t_co2e": central, "p5_t_co2e": p5, "p95_t_co2e": p95}}


def test_conservative_below_allowable_uncertainty() -> None:
    # U = (1100 - 900) / 2 / 1000 = 0.10 < A = 0.20: no deduction; base = min(900, 1000) = 900;
    # buffer 10 %: 90 -> conservative 810
    c = _conservative(_stocks(1000.0, 900.0, 1100.0), [], 0.10, 0.20)
    assert c["uncertainty_u"] == pytest.approx(0.10)
    assert c["vm0033_adjusted_t_co2e"] == pytest.approx(1000.0)
    assert c["base_t_co2e"] == pytest.approx(900.0)
    assert c["buffer_t_co2e"] == pytest.approx(90.0)
    assert c["conservative_t_co2e"] == pytest.approx(810.0)


def test_conservative_above_allowable_uncertainty_and_at_risk() -> None:
    # U = (1500 - 700) / 2 / 1000 = 0.40 > A = 0.20: adjusted = 1000 x (1 - 0.20) = 800;
    # base = min(700, 800) = 700; at risk 100 -> 600; buffer 15 % = 90 -> 510
    risk = [{"t_co2e": 100.0}]
    c = _conservative(_stocks(1000.0, 700.0, 1500.0), risk, 0.15, 0.20)
    assert c["vm0033_deduction_fraction"] == pytest.approx(0.20)
    assert c["vm0033_adjusted_t_co2e"] == pytest.approx(800.0)
    assert c["base_t_co2e"] == pytest.approx(700.0)
    assert c["conservative_t_co2e"] == pytest.approx(510.0)


def test_conservative_never_negative() -> None:
    c = _conservative(_stocks(100.0, 50.0, 150.0), [{"t_co2e": 500.0}], 0.10, 0.20)
    assert c["conservative_t_co2e"] == 0.0


def _info(subclasses: dict) -> ReleaseInfo:
    return ReleaseInfo(
        tag="2026.01.01",
        snapshot_id="A" * 20,
        created=datetime(2026, 1, 1, tzinfo=UTC),
        content_hash="0" * 64,
        idempotency_key="k",
        products=(),
        tables={},
        provenance={"site_subclasses": subclasses},
        summary={},
        flags=(),
        object_hashes={},
        store_format=1,
        package_version="x",
    )


def test_spartina_marsh_is_flagged_at_risk() -> None:
    rows = pd.DataFrame({"habitat": ["salt_marsh", "seagrass"], "stock_t_c": [120.0, 50.0]})
    risk = _at_risk(rows, "jzb", None, _info({"jzb": {"salt_marsh": "spartina"}}))  # type: ignore[arg-type]
    assert len(risk) == 1 and risk[0]["subclass"] == "spartina"
    assert risk[0]["t_co2e"] == pytest.approx(120.0 * 44.0095 / 12.0107, rel=1e-6)
    assert _at_risk(rows, "jzb", None, _info({"jzb": {"salt_marsh": "suaeda"}})) == []  # type: ignore[arg-type]


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
