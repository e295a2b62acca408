from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bluecarbon.errors import ChecksumError, InputError
from bluecarbon.fingerprint import fingerprint
from bluecarbon.manifest import read_manifest, sha256_file, verify_manifest
from bluecarbon.params import ParameterSet

SHIPPED = ParameterSet.shipped()


def test_shipped_manifest_matches_every_file(raw_dir: Path) -> None:
    entries = verify_manifest(raw_dir)
    assert len(entries) >= 50
    files = {p.relative_to(raw_dir).as_posix() for p in raw_dir.rglob("*") if p.is_file()}
    assert files - set(entries) == {"MANIFEST", "README.md"}
    for entry in entries.values():
        assert entry.license and entry.citation and entry.source
    assert not any("modis" in path.lower() for path in entries), "academic-only data must stay out"


def test_changed_file_is_named(tmp_path: Path, raw_dir: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(raw_dir / "peers", raw / "peers")
    shutil.copy(raw_dir / "MANIFEST", raw / "MANIFEST")
    wanted = [p for p in read_manifest(raw) if p.startswith("peers/")]
    verify_manifest(raw, wanted)
    target = raw / "peers/invest_coastal_blue_carbon/transitions.csv"
    target.write_text(target.read_text().replace("accum", "NCC", 1))
    with pytest.raises(ChecksumError, match=r"peers/invest_coastal_blue_carbon/transitions.csv: sha256"):
        verify_manifest(raw, wanted)
    (raw / "peers/invest_coastal_blue_carbon/snapshots.csv").unlink()
    with pytest.raises(ChecksumError, match=r"snapshots.csv: missing"):
        verify_manifest(raw, wanted)


def test_sha256_of_known_bytes(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"abc")
    assert sha256_file(f) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_every_parameter_table_has_units_source_and_flag() -> None:
    for name in SHIPPED.names:
        table = SHIPPED.table(name)
        assert table["verified"].isin([True, False]).all(), name
        assert table["source"].str.len().min() > 3, name


def test_lookup_tier1_value() -> None:
    p = SHIPPED.lookup("ipcc_tier1", "soil_carbon_stock_1m", "seagrass")
    assert (p.value, p.low, p.high) == (108.0, 84.0, 139.0)
    assert "4.11" in p.source
    assert p.verified is False
    with pytest.raises(InputError, match="0 rows match"):
        SHIPPED.lookup("ipcc_tier1", "soil_carbon_stock_1m", "kelp")


def test_fingerprint_is_order_independent_and_sensitive() -> None:
    a = fingerprint(inputs={"a": "1", "b": "2"}, parameters={"x": 1.0}, package_version="1")
    b = fingerprint(inputs={"b": "2", "a": "1"}, parameters={"x": 1.0}, package_version="1")
    assert a == b
    assert a != fingerprint(inputs={"a": "1", "b": "2"}, parameters={"x": 1.5}, package_version="1")
    assert a != fingerprint(inputs={"a": "1", "b": "2"}, parameters={"x": 1.0}, package_version="2")
