"""The parameter set of a run: resolved once, hashed, overridable by file, pinned in releases."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bluecarbon.errors import InputError
from bluecarbon.params import ParameterSet, list_tables, shipped_folder


def _override(folder: Path, name: str, old: str, new: str) -> Path:
    folder.mkdir(exist_ok=True)
    text = (shipped_folder() / f"{name}.csv").read_text(encoding="utf-8")
    assert old in text
    (folder / f"{name}.csv").write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_shipped_set_hashes_the_file_bytes() -> None:
    shipped = ParameterSet.shipped()
    assert shipped.names == list_tables()
    raw = (shipped_folder() / "ipcc_tier1.csv").read_bytes()
    assert shipped.hashes(["ipcc_tier1"]) == {"ipcc_tier1": hashlib.sha256(raw).hexdigest()}
    lines = "\n".join(f"{n}:{h}" for n, h in sorted(shipped.hashes().items()))
    assert shipped.digest == hashlib.sha256(lines.encode()).hexdigest()


def test_override_replaces_one_table_and_changes_the_digest(tmp_path: Path) -> None:
    folder = _override(tmp_path / "p", "ipcc_tier1", "seagrass,,108,84,139", "seagrass,,95,84,139")
    mine = ParameterSet.load(folder)
    shipped = ParameterSet.shipped()
    assert mine.value("ipcc_tier1", "soil_carbon_stock_1m", "seagrass") == 95.0
    assert shipped.value("ipcc_tier1", "soil_carbon_stock_1m", "seagrass") == 108.0
    assert mine.overridden() == ["ipcc_tier1"]
    assert mine.digest != shipped.digest
    changed = {n for n in mine.names if mine.hashes([n]) != shipped.hashes([n])}
    assert changed == {"ipcc_tier1"}
    assert mine.origin("ipcc_tier1") == str(folder / "ipcc_tier1.csv")


def test_unknown_override_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ipcc_tierl.csv").write_text("parameter,value,units,source,verified\n")
    with pytest.raises(InputError, match=r"ipcc_tierl\.csv.*matches no parameter table"):
        ParameterSet.load(tmp_path)
    with pytest.raises(InputError, match="override folder not found"):
        ParameterSet.load(tmp_path / "missing")


def test_override_without_a_source_is_refused(tmp_path: Path) -> None:
    (tmp_path / "intertidal.csv").write_text(
        "parameter,value,units,source,verified,notes\nwater_index_threshold,0.1,1,,false,\n"
    )
    with pytest.raises(InputError, match=r"intertidal.csv, row 2, column 'source': empty source"):
        ParameterSet.load(tmp_path)


def test_release_frame_round_trips_exactly_and_detects_edits() -> None:
    shipped = ParameterSet.shipped()
    frame = shipped.to_frame()
    assert set(frame["origin"]) == {"shipped"}  # no machine paths in a release
    back = ParameterSet.from_frame(frame, origin="release X")
    assert back.digest == shipped.digest
    assert back.text("carbon_prices") == shipped.text("carbon_prices")
    tampered = frame.copy()
    i = tampered.index[tampered["table"] == "uncertainty"][0]
    tampered.loc[i, "csv_text"] = tampered.loc[i, "csv_text"].replace("0.10", "0.01", 1)
    with pytest.raises(InputError, match="'uncertainty' does not match its recorded sha256"):
        ParameterSet.from_frame(tampered, origin="release X")


def test_tracked_view_records_the_tables_read() -> None:
    shipped = ParameterSet.shipped()
    view = shipped.tracked()
    assert view.reads == {}
    view.value("uncertainty", "mc_draws")
    view.table("ipcc_tier1")
    assert view.reads == shipped.hashes(["ipcc_tier1", "uncertainty"])
    assert shipped.reads == {}  # the set itself records nothing
    with pytest.raises(InputError, match="no parameter table 'nope'"):
        view.table("nope")
