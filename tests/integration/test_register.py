"""The sink-rights register on a copy of the demo release, through the CLI (issue 18's
"done when"): units issued for the illustrative oyster farm, a pledge, a second pledge and a
retirement refused, verify passing and failing after an edit, an alert when a later release
lowers the farm's creditable removals, and an index insurance policy paying out.

Figures of the demo release (tissue basis, buffer 10 %, no uncertainty deduction): the farm's
harvest year 2023 (period 2023-2024) credits 41.006 x 0.9 = 36.905 t CO2e. The second release
raises the non-permanence buffer to 30 %: 41.006 x 0.7 = 28.704 t CO2e, 22 % less.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable, write_deltalake

from bluecarbon.register.book import REGISTER_TABLE
from tests.conftest import write_config
from tests.unit.register.conftest import run_cli

FARM = "qd-jzb-oyster-01"
POLICY = f"""
id = "jzb-oyster-sink-2026"
parcel = "{FARM}"
insurer = "Example Marine Insurance (illustrative)"
insured = "Jiaozhou Bay raft farm 01 (illustrative)"
trigger = 40.0
exit = 20.0
sum_insured = 100000
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
    return " ".join(result.stderr.split())


@pytest.fixture
def project(demo_project, tmp_path: Path) -> Path:
    """A writable copy of the demo release (store and step cache)."""
    demo_folder, _, _ = demo_project
    for name in ("store", "work"):
        shutil.copytree(demo_folder / name, tmp_path / name)
    return write_config(tmp_path)


def _raise_buffer(folder: Path, fraction: float) -> Path:
    """A parameter folder whose uncertainty.csv sets the non-permanence buffer to ``fraction``."""
    from bluecarbon.params import shipped_folder

    overrides = folder / "params"
    overrides.mkdir()
    with (shipped_folder() / "uncertainty.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["parameter"] == "buffer_fraction":
            row["value"] = str(fraction)
            row["source"] = "test: a higher non-permanence risk rating"
    with (overrides / "uncertainty.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return overrides


def _prefect_records() -> tuple[list[str], list]:
    """The post-loan monitoring artifacts and alert events the flow left in Prefect."""
    import asyncio
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.events.filters import EventFilter, EventNameFilter

    async def read() -> tuple[list[str], list]:
        async with get_client() as client:
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["post-loan-monitoring"]))
            )
            page = await client.read_events(
                filter=EventFilter(event=EventNameFilter(name=["bluecarbon.register.alert"])), limit=50
            )
            return [str(a.data) for a in artifacts], list(page.events)

    artifacts, events = asyncio.run(read())
    deadline = time.monotonic() + 30  # events reach the server asynchronously
    while not events and time.monotonic() < deadline:
        time.sleep(1)
        artifacts, events = asyncio.run(read())
    return artifacts, events


@pytest.mark.slow  # a monitoring run of its own after the register entries (over a minute)
def test_register_on_the_demo_release(project: Path, tmp_path: Path) -> None:
    from flows.monitoring import monitoring

    cfg = project
    first = json.loads(_ok(run_cli(cfg, "releases", "--json")))[-1]["tag"]

    # issue: the farm's latest crediting period, on the tissue basis
    issued = json.loads(_ok(run_cli(cfg, "register", "issue", FARM, "--actor", "ocean-bureau", "--json")))
    assert (issued["period"], issued["units"], issued["release"]) == ("2023-2024", 36_905, first)
    assert issued["serial"] == f"BC-{FARM}-2023-2024-1-36905"
    # Old Tampa Bay emits in its latest period: nothing to issue, and the message says why
    assert "tbep-1 2022-2023: net removals -1,001 t CO2e, nothing creditable" in _refused(
        run_cli(cfg, "register", "issue", "tbep-1")
    )

    # pledge part to one lender; a second pledge beyond what is left is refused naming the balance
    pledged = json.loads(
        _ok(
            run_cli(
                cfg,
                "register",
                "pledge",
                FARM,
                "-q",
                "20",
                "--to",
                "Bank A",
                "--expires",
                "2099-12-31",
                "--json",
            )
        )
    )
    pledge_id = pledged["pledge_id"]
    refused = _refused(run_cli(cfg, "register", "pledge", FARM, "-q", "20", "--to", "Bank B"))
    assert "only 16.905 t CO2e are available" in refused
    # pledged units cannot be retired
    refused = _refused(run_cli(cfg, "register", "retire", FARM, "-q", "20", "--beneficiary", "Qingdao Port"))
    assert f"Pledged units can be neither transferred nor retired: {pledge_id} to Bank A" in refused
    shown = json.loads(_ok(run_cli(cfg, "register", "show", FARM, "--json")))
    assert {k: shown[k] for k in ("issued", "available", "pledged", "transferred", "retired")} == {
        "issued": 36.905,
        "available": 16.905,
        "pledged": 20.0,
        "transferred": 0.0,
        "retired": 0.0,
    }
    assert "register OK: 2 entries" in _ok(run_cli(cfg, "register", "verify"))

    # index insurance: 100,000 x (40 - 36.905) / (40 - 20) = 15,475.00 CNY
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    result = json.loads(_ok(run_cli(cfg, "insurance", "evaluate", str(policy), "--json")))
    assert (result["index"], result["triggered"], result["payout"]) == (36.905, True, 15_475.0)

    # a later release lowers the farm's creditable removals: alerts, and a shortfall
    cfg.write_text(cfg.read_text() + f'[params]\ndir = "{_raise_buffer(tmp_path, 0.3)}"\n')
    outcome = monitoring(config=str(cfg))
    assert outcome["published"]
    second = outcome["release"]["tag"]
    assert {(a["parcel_id"], a["kind"]) for a in outcome["alerts"]} == {
        (FARM, "creditable_drop"),
        (FARM, "shortfall"),
    }
    artifacts, events = _prefect_records()
    assert any(f"release {second}" in a and "| qd-jzb-oyster-01 | shortfall |" in a for a in artifacts), (
        artifacts
    )
    assert {(e.payload["release"], e.payload["kind"]) for e in events} >= {
        (second, "creditable_drop"),
        (second, "shortfall"),
    }
    alerts = json.loads(_ok(run_cli(cfg, "alerts", "--since", first, "--json")))
    by_kind = {(a["kind"], a["period"]): a for a in alerts if a["parcel_id"] == FARM}
    # the buffer lowers every harvest year by 22 %; units were issued for 2023-2024 only
    assert sorted(by_kind) == [
        ("creditable_drop", "2021-2022"),
        ("creditable_drop", "2022-2023"),
        ("creditable_drop", "2023-2024"),
        ("shortfall", "2023-2024"),
    ]
    drop = by_kind[("creditable_drop", "2023-2024")]
    assert (drop["release"], drop["previous_release"], drop["period"]) == (second, first, "2023-2024")
    assert (drop["previous"], drop["current"], drop["lenders"]) == (36.905, 28.704, "Bank A")
    assert by_kind[("shortfall", "2023-2024")]["message"].endswith(
        "8.201 less than the 36.905 issued (shortfall)"
    )
    assert json.loads(_ok(run_cli(cfg, "alerts", "--since", second, "--json"))) == []
    shown = json.loads(_ok(run_cli(cfg, "register", "show", FARM, "--json")))
    assert shown["shortfall"] == 8.201 and shown["latest_release"] == second
    assert "nothing more to issue" in _refused(run_cli(cfg, "register", "issue", FARM))
    result = json.loads(_ok(run_cli(cfg, "insurance", "evaluate", str(policy), "--json")))
    assert (result["index"], result["payout"], result["release"]) == (28.704, 56_480.0, second)

    # a statement of the farm shows its units as of its generation
    statement = json.loads(_ok(run_cli(cfg, "statement", FARM)))
    assert statement["register"]["issued_t_co2e"] == 36.905
    assert statement["register"]["pledges"][0]["lender"] == "Bank A"
    assert statement["register"]["shortfall_t_co2e"] == 8.201

    # editing any entry of the ledger makes verify fail
    verified = run_cli(cfg, "register", "verify")
    assert verified.returncode == 0 and "shortfall" in verified.stderr
    uri = str(tmp_path / "store" / "tables" / REGISTER_TABLE)
    frame = DeltaTable(uri).to_pandas()
    payload = json.loads(frame.loc[frame["seq"] == 2, "payload"].iloc[0])
    payload["lender"] = "Bank Z"
    frame.loc[frame["seq"] == 2, "payload"] = json.dumps(payload, sort_keys=True)
    write_deltalake(uri, frame, mode="overwrite")
    assert "entry 2 was edited" in _refused(run_cli(cfg, "register", "verify"))
