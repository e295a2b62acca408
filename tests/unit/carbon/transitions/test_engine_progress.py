"""The NetCDF writer reports windows as it stores them; the CLI takes --quiet."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bluecarbon.carbon.transitions.workflow import invest_transition_analysis
from bluecarbon.cli import app
from bluecarbon.params import ParameterSet

ROOT = Path(__file__).resolve().parents[4]
SHARED = ROOT / "data" / "raw" / "peers" / "invest_coastal_blue_carbon"


def test_writer_reports_every_window(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    invest_transition_analysis(
        snapshots_csv=SHARED / "snapshots.csv",
        biophysical_csv=SHARED / "biophysical_table.csv",
        transitions_csv=SHARED / "transitions.csv",
        output=tmp_path / "cbc.nc",
        parameters=ParameterSet.shipped(),
        progress=lambda done, total: calls.append((done, total)),
    )
    total = calls[0][1]
    assert calls == [(done, total) for done in range(total + 1)]


def test_transitions_quiet(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "transitions",
            "--snapshots", str(SHARED / "snapshots.csv"),
            "--biophysical", str(SHARED / "biophysical_table.csv"),
            "--transitions", str(SHARED / "transitions.csv"),
            "--output", str(tmp_path / "cbc.nc"),
            "--quiet",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
