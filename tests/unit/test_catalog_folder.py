"""The catalog writer removes only what it wrote and refuses any other folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bluecarbon.catalog.folder import MANIFEST, check_catalog_dir, remove_written, write_manifest
from bluecarbon.catalog.stac import build_catalog
from bluecarbon.errors import CatalogError
from bluecarbon.store import Store
from tests.unit.store.conftest import make_bundle


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(str(tmp_path / "store"), create=True)
    s.publish(make_bundle())
    return s


def test_a_foreign_folder_is_refused_and_left_untouched(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "data.csv").write_text("precious")
    with pytest.raises(CatalogError, match=r"holds files bluecarbon did not write \(sub/data.csv\)"):
        build_catalog(store, folder)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == ["sub", "sub/data.csv"]


def test_rebuilds_replace_only_listed_files_and_keep_the_readme(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "README.md").write_text("about this folder")
    build_catalog(store, folder)
    listed = set(json.loads((folder / MANIFEST).read_text())["files"])
    assert {"catalog.json", "releases.json"} <= listed
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk == listed | {MANIFEST, "README.md"}
    build_catalog(store, folder)  # its own files: replaced without complaint
    assert (folder / "README.md").read_text() == "about this folder"
    (folder / "later.txt").write_text("x")
    with pytest.raises(CatalogError, match=r"later\.txt"):
        build_catalog(store, folder)


def test_a_catalog_written_before_the_manifest_is_recognised(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    build_catalog(store, folder)
    (folder / MANIFEST).unlink()  # as an older version left it: JSON files only
    assert "catalog.json" in check_catalog_dir(folder)
    build_catalog(store, folder)
    assert (folder / MANIFEST).is_file()


def test_manifest_helpers(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.json").write_text("{}")
    write_manifest(tmp_path, {"a/b/x.json"})
    assert check_catalog_dir(tmp_path) == {"a/b/x.json"}
    remove_written(tmp_path, {"a/b/x.json"})
    assert not (tmp_path / "a").exists(), "folders left empty are removed"
    (tmp_path / MANIFEST).write_text("not json")
    with pytest.raises(CatalogError, match="damaged"):
        check_catalog_dir(tmp_path)
    assert check_catalog_dir(tmp_path / "missing") == set()
