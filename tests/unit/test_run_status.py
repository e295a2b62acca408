"""Pieces of ``bluecarbon status`` / ``run --dry-run``, ``serve``'s next run and stage progress,
each against hand-worked answers (the whole commands run on the demo release in
tests/integration/test_cli_discovery.py)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bluecarbon import progress
from bluecarbon.pipeline.status import InputChanges, RunStatus, input_changes
from bluecarbon.report.statement import unknown_parcel_message
from bluecarbon.store import Store
from bluecarbon.store.gc import STAGES, collect_garbage
from tests.unit.store.conftest import make_bundle


def test_input_changes_name_changed_added_and_removed_files() -> None:
    recorded = [
        {"path": "a.csv", "sha256": "1"},
        {"path": "b.csv", "sha256": "2"},
        {"path": "c.csv", "sha256": "3"},
    ]
    now = {"a.csv": "1", "b.csv": "9", "d.csv": "4"}
    assert input_changes(recorded, now) == InputChanges(
        changed=("b.csv",), added=("d.csv",), removed=("c.csv",)
    )
    assert input_changes(recorded[:1], {"a.csv": "1"}).count == 0


class _Release:
    def __init__(self, tag: str, version: str = "1.0") -> None:
        self.tag, self.package_version = tag, version


def _status(existing: str | None, latest: str | None, version: str = "1.0") -> RunStatus:
    return RunStatus(
        key="k" * 64,
        study_file=Path("demo.toml"),
        n_inputs=3,
        n_parameter_tables=2,
        code_version=version,
        latest=_Release(latest) if latest else None,  # type: ignore[arg-type]
        existing=_Release(existing) if existing else None,  # type: ignore[arg-type]
    )


def test_the_verdict_says_publish_or_which_release_run_returns() -> None:
    assert (
        _status("2026.12.04", "2026.12.04").verdict()
        == "nothing changed: run would return release 2026.12.04"
    )
    assert _status(None, "2026.12.04").verdict() == "run would publish a new release"
    assert _status(None, None).verdict().startswith("run would publish a new release (the store holds no")
    older = _status("2026.11.27", "2026.12.04").verdict()
    assert "run would return release 2026.11.27" in older and "the latest is 2026.12.04" in older
    assert _status(None, "2026.12.04", version="2.0").code_changed
    as_json = _status("2026.12.04", "2026.12.04").as_json()
    assert list(as_json) == [
        "would_publish",
        "verdict",
        "release_key",
        "existing_release",
        "latest_release",
        "code",
        "study",
        "inputs",
        "parameters",
    ]
    assert as_json["would_publish"] is False and as_json["existing_release"] == "2026.12.04"


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        ("0 6 1 * *", datetime(2026, 12, 4, 18, 0, tzinfo=UTC), datetime(2027, 1, 1, 6, 0, tzinfo=UTC)),
        ("0 6 1 * *", datetime(2027, 1, 1, 6, 0, tzinfo=UTC), datetime(2027, 1, 1, 6, 0, tzinfo=UTC)),
        ("0 6 1 * *", datetime(2027, 1, 1, 6, 0, 1, tzinfo=UTC), datetime(2027, 2, 1, 6, 0, tzinfo=UTC)),
        ("*/15 * * * *", datetime(2026, 12, 4, 10, 7, tzinfo=UTC), datetime(2026, 12, 4, 10, 15, tzinfo=UTC)),
        ("30 2 * * 1", datetime(2026, 12, 4, 0, 0, tzinfo=UTC), datetime(2026, 12, 7, 2, 30, tzinfo=UTC)),
    ],
)
def test_next_scheduled_run(cron: str, after: datetime, expected: datetime) -> None:
    from flows.serve import next_cron_run

    assert next_cron_run(cron, after=after) == expected  # 2026-12-07 is a Monday


def test_unknown_parcel_lists_the_known_ids_sorted_and_at_most_twenty() -> None:
    few = unknown_parcel_message("nope", "2026.12.04", ["tbep-2", "tbep-1"])
    assert few == "parcel 'nope' is not in release 2026.12.04 (has: tbep-1, tbep-2)"
    many = unknown_parcel_message("nope", "2026.12.04", [f"p-{i:02d}" for i in range(25)])
    assert "p-19" in many and "p-20" not in many and "and 5 more (`bluecarbon parcels`)" in many


def test_gc_reports_its_stages_in_order(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "store"), create=True)
    store.publish(make_bundle())
    said: list[str] = []
    collect_garbage(store, dry_run=True, progress=said.append)
    assert said == list(STAGES)


def test_stage_bar_counts_stages_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    with progress.stage_bar("statement tbep-1", ("reading", "drawing")) as say:
        say("reading")
    assert capsys.readouterr() == ("", "")  # pytest captures: not a terminal
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with progress.stage_bar("statement tbep-1", ("reading", "drawing"), quiet=True) as say:
        say("reading")
    assert capsys.readouterr() == ("", "")
    with progress.stage_bar("statement tbep-1", ("reading", "drawing")) as say:
        say("reading")
        say("drawing")
    out, err = capsys.readouterr()
    assert out == "" and "statement tbep-1" in err and "2/2" in err
