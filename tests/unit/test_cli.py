from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bluecarbon.cli import app
from bluecarbon.store import Store
from tests.unit.store.conftest import make_bundle

runner = CliRunner()


def _project(tmp_path: Path) -> Path:
    cfg = tmp_path / "bluecarbon.toml"
    cfg.write_text(f'[store]\nuri = "{tmp_path / "store"}"\n[catalog]\ndir = "{tmp_path / "catalog"}"\n')
    return cfg


def test_help_lists_the_stages() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "releases", "show", "verify", "withdraw", "catalog"):
        assert command in result.output


def test_releases_show_verify_withdraw(tmp_path: Path) -> None:
    cfg = _project(tmp_path)
    store = Store.open(str(tmp_path / "store"), create=True)
    tag = store.publish(make_bundle()).release.tag
    out = runner.invoke(app, ["releases", "--json", "-c", str(cfg)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)[0]["tag"] == tag
    shown = runner.invoke(app, ["show", tag, "-c", str(cfg), "--json"])
    assert json.loads(shown.output)["tables"]["parcels"]["rows"] == 2
    assert runner.invoke(app, ["verify", tag, "-c", str(cfg)]).exit_code == 0
    w = runner.invoke(app, ["withdraw", tag, "--reason", "test withdrawal", "-c", str(cfg)])
    assert w.exit_code == 0, w.output
    again = runner.invoke(app, ["show", tag, "-c", str(cfg)])
    assert "WITHDRAWN" in again.output
    catalog = json.loads((tmp_path / "catalog" / "releases.json").read_text())
    assert catalog[0]["status"] == "withdrawn"


def test_bad_release_id_is_refused_cleanly(tmp_path: Path) -> None:
    cfg = _project(tmp_path)
    Store.open(str(tmp_path / "store"), create=True)
    result = runner.invoke(app, ["show", "../../etc/passwd", "-c", str(cfg)])
    assert result.exit_code == 1
    assert "is not a release" in result.output


def test_missing_store_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["releases", "-c", str(_project(tmp_path))])
    assert result.exit_code == 1
    assert "bluecarbon run" in result.output
    assert "--config" not in result.output  # a config was given: the store itself is missing


def test_outside_a_project_the_error_points_at_config(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no bluecarbon.toml here or above (tmp is outside the repo)
    monkeypatch.delenv("BLUECARBON_STORE_URI", raising=False)
    result = runner.invoke(app, ["releases"])
    assert result.exit_code == 1
    assert "no bluecarbon.toml in" in result.output and "--config" in result.output
