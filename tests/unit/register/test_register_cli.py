"""The register, alerts and insurance commands in a fresh interpreter, as a user runs them:
exit codes, one-paragraph errors without tracebacks, ``--json`` shapes."""

from __future__ import annotations

import json
from pathlib import Path

from deltalake import DeltaTable, write_deltalake

from bluecarbon.register.book import REGISTER_TABLE
from tests.unit.register.conftest import run_cli

POLICY = """
id = "p1-sink"
parcel = "p-1"
trigger = 20.0
exit = 10.0
sum_insured = 50000
currency = "CNY"

[index]
kind = "conservative_annual_removal"
"""


def _ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _refused(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return " ".join(result.stderr.split())  # unwrap the console's line breaks


def test_issue_pledge_refusals_show_and_verify(project) -> None:
    cfg, _, tag = project
    issued = json.loads(_ok(run_cli(cfg, "register", "issue", "p-1", "--actor", "bureau", "--json")))
    assert (issued["serial"], issued["actor"], issued["release"]) == (
        "BC-p-1-2023-2024-1-12500",
        "bureau",
        tag,
    )
    assert issued["balances_t_co2e"]["issued"] == 12.5
    assert "net removals -3,666 t CO2e, nothing creditable" in _refused(
        run_cli(cfg, "register", "issue", "p-2")
    )
    pledged = _ok(
        run_cli(cfg, "register", "pledge", "p-1", "-q", "8", "--to", "Bank A", "--expires", "2099-01-01")
    )
    assert "pledge PL-2: 8.000 t CO2e of p-1 pledged by owner to Bank A until 2099-01-01" in pledged
    refused = _refused(run_cli(cfg, "register", "pledge", "p-1", "--quantity", "5", "--to", "Bank B"))
    assert "cannot pledge 5.000 t CO2e of p-1 to Bank B: only 4.500 t CO2e are available to owner" in refused
    refused = _refused(run_cli(cfg, "register", "retire", "p-1", "-q", "6", "--beneficiary", "Port"))
    assert "Pledged units can be neither transferred nor retired: PL-2 to Bank A" in refused
    assert "three decimals" in _refused(
        run_cli(cfg, "register", "transfer", "p-1", "-q", "1.0001", "--to", "X")
    )
    _ok(run_cli(cfg, "register", "transfer", "p-1", "-q", "1.5", "--to", "Buyer"))
    _ok(
        run_cli(
            cfg, "register", "retire", "p-1", "-q", "1", "--beneficiary", "Port", "--purpose", "2026 offset"
        )
    )
    shown = json.loads(_ok(run_cli(cfg, "register", "show", "p-1", "--json")))
    assert {k: shown[k] for k in ("issued", "available", "pledged", "transferred", "retired")} == {
        "issued": 12.5,
        "available": 2.0,
        "pledged": 8.0,
        "transferred": 1.5,
        "retired": 1.0,
    }
    assert shown["holders"] == [
        {"holder": "Buyer", "available_t_co2e": 1.5},
        {"holder": "owner", "available_t_co2e": 2.0},
    ]
    assert [(p["pledge_id"], p["lender"], p["quantity_t_co2e"]) for p in shown["pledges"]] == [
        ("PL-2", "Bank A", 8.0)
    ]
    text = _ok(run_cli(cfg, "register", "show", "p-1"))
    assert "PL-2: 8.000 t to Bank A" in text
    assert "register OK: 4 entries" in _ok(run_cli(cfg, "register", "verify"))
    assert "released" in _ok(run_cli(cfg, "register", "unpledge", "PL-2"))
    assert "already released" in _refused(run_cli(cfg, "register", "unpledge", "PL-2"))
    assert "no pledge 'PL-9'" in _refused(run_cli(cfg, "register", "enforce", "PL-9"))


def test_verify_fails_when_any_entry_is_edited(project) -> None:
    cfg, store, _ = project
    _ok(run_cli(cfg, "register", "issue", "p-1"))
    _ok(run_cli(cfg, "register", "pledge", "p-1", "-q", "8", "--to", "Bank A"))
    uri = store.location.table_uri(REGISTER_TABLE)
    frame = DeltaTable(uri).to_pandas()
    frame.loc[frame["seq"] == 1, "actor"] = "someone else"
    write_deltalake(uri, frame, mode="overwrite")
    result = run_cli(cfg, "register", "verify", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and any("entry 1 was edited" in p for p in report["problems"])
    assert "entry 1 was edited" in _refused(run_cli(cfg, "register", "verify"))
    assert "fails verification" in _refused(run_cli(cfg, "register", "show", "p-1"))


def test_insurance_evaluate_and_alerts(project, tmp_path: Path) -> None:
    cfg, _, tag = project
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    result = json.loads(_ok(run_cli(cfg, "insurance", "evaluate", str(policy), "--json")))
    # index: 12.5 t CO2e over 2023-2024 (1 yr); payout 50,000 x (20 - 12.5) / (20 - 10) = 37,500
    assert (result["index"], result["triggered"], result["payout"], result["release"]) == (
        12.5,
        True,
        37_500.0,
        tag,
    )
    text = _ok(run_cli(cfg, "insurance", "evaluate", str(policy)))
    assert "TRIGGERED" in text and "payout 37,500.00 CNY of 50,000.00 insured" in text
    policy.write_text(POLICY.replace("trigger =", "trigge ="))
    assert "unknown key 'trigge'" in _refused(run_cli(cfg, "insurance", "evaluate", str(policy)))
    assert json.loads(_ok(run_cli(cfg, "alerts", "--json"))) == []
    assert "no alerts" in _ok(run_cli(cfg, "alerts"))
