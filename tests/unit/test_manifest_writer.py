"""Writing a MANIFEST for a raw folder (a new study area's, or data/raw via make manifest)."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

from bluecarbon.errors import ChecksumError, InputError
from bluecarbon.manifest import (
    DatasetTerms,
    manifest_entries,
    manifest_text,
    read_manifest,
    verify_manifest,
    write_manifest,
)

ROOT = Path(__file__).resolve().parents[2]
TERMS = DatasetTerms(
    dataset='My "survey" 2024',
    source=r"C:\field\sheet.xlsx",
    license="CC-BY-4.0",
    restrictions="attribution",
    citation="me (2024)",
)


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    (raw / "surveys" / "2024").mkdir(parents=True)
    (raw / "surveys" / "2024" / "b.csv").write_text("x\n1\n")
    (raw / "surveys" / "a.csv").write_text("x\n2\n")
    (raw / "parcels.geojson").write_text("{}")
    (raw / "README.md").write_text("about this folder")
    return raw


def test_written_manifest_reads_back_and_verifies(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    path = write_manifest(raw, {"surveys": TERMS, "parcels.geojson": TERMS}, header="my area\nline two")
    assert path == raw / "MANIFEST"
    text = path.read_text()
    assert text.startswith("# my area\n# line two\nmanifest_version = 1\n")
    entries = read_manifest(raw)
    assert list(entries) == ["surveys/2024/b.csv", "surveys/a.csv", "parcels.geojson"]
    assert entries["surveys/a.csv"].dataset == 'My "survey" 2024'  # quotes survive TOML
    assert entries["surveys/a.csv"].source == r"C:\field\sheet.xlsx"  # backslashes too
    assert entries["surveys/a.csv"].bytes == 4
    assert set(verify_manifest(raw)) == set(entries)
    (raw / "surveys" / "a.csv").write_text("x\n3\n")
    with pytest.raises(ChecksumError, match=r"surveys/a\.csv"):
        verify_manifest(raw)


def test_every_file_needs_terms(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    with pytest.raises(InputError, match=r"no data set entry: parcels\.geojson"):
        manifest_entries(raw, {"surveys": TERMS})
    with pytest.raises(InputError, match="'imagery' has no files"):
        manifest_entries(raw, {"imagery": TERMS, "surveys": TERMS, "parcels.geojson": TERMS})
    assert not (raw / "MANIFEST").exists()


def test_manifest_text_is_valid_toml() -> None:
    entries = manifest_entries(ROOT / "data" / "raw" / "field" / "fao_china_mariculture", {".": TERMS})
    data = tomllib.loads(manifest_text(entries, header="x"))
    assert {f["path"] for f in data["file"]} == {e.path for e in entries}


def test_the_shipped_manifest_is_what_the_build_script_writes() -> None:
    spec = importlib.util.spec_from_file_location("build_manifest", ROOT / "scripts" / "build_manifest.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    datasets = {folder: DatasetTerms(**terms) for folder, terms in script.DATASETS.items()}
    datasets |= {name: DatasetTerms(**script.OVERVIEW_TERMS) for name in script.OVERVIEWS}
    expected = manifest_text(manifest_entries(script.RAW, datasets), header=script.HEADER)
    assert (ROOT / "data" / "raw" / "MANIFEST").read_text(encoding="utf-8") == expected
