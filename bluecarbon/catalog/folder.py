"""The catalog folder: what the STAC writer may replace, and nothing else.

The folder is configuration (``[catalog] dir``, ``BLUECARBON_CATALOG_DIR``), so a typo or a
hostile setting can point it anywhere. The writer therefore removes only files it wrote
itself, listed in a manifest (``.bluecarbon-catalog.json``) next to them, and refuses a folder
holding anything else (a project's README.md and .gitignore excepted), leaving it untouched.
The manifest is rewritten before old files are removed (listing old and new) and after the
new ones are saved, so a crash never leaves a file of ours unlisted. A catalog written before
the manifest existed (only JSON files, ``catalog.json`` with bluecarbon's id) is recognised.

Standard library only: ``bluecarbon run`` checks the folder before Prefect starts.
"""

from __future__ import annotations

import json
from pathlib import Path

from bluecarbon.errors import CatalogError

CATALOG_ID = "bluecarbon"
README = "README.md"
#: Files a project may keep in its catalog folder (they are never touched).
KEPT = frozenset({README, ".gitignore"})
#: The manifest of the files the writer wrote.
MANIFEST = ".bluecarbon-catalog.json"
RELEASES_JSON = "releases.json"


def check_catalog_dir(catalog_dir: Path) -> set[str]:
    """The files of ``catalog_dir`` the writer may replace (those it wrote); raises
    :class:`CatalogError`, touching nothing, when the folder holds anything else."""
    catalog_dir = Path(catalog_dir)
    if catalog_dir.exists() and not catalog_dir.is_dir():
        raise CatalogError(f"catalog folder {catalog_dir} is a file, not a folder")
    if not catalog_dir.exists():
        return set()
    present = {
        p.relative_to(catalog_dir).as_posix()
        for p in catalog_dir.rglob("*")
        if not p.is_dir() or p.is_symlink()
    } - KEPT
    ours: set[str] = set()
    manifest = catalog_dir / MANIFEST
    if manifest.is_file():
        try:
            ours = set(json.loads(manifest.read_text(encoding="utf-8"))["files"])
        except (ValueError, KeyError, TypeError):
            raise CatalogError(
                f"{manifest} is damaged: cannot tell which files bluecarbon wrote; "
                "empty the folder or point [catalog] dir elsewhere"
            ) from None
        present.discard(MANIFEST)
    elif _legacy_catalog(catalog_dir, present):
        ours = present  # written by a version before the manifest existed
    foreign = sorted(present - ours)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise CatalogError(
            f"catalog folder {catalog_dir} holds files bluecarbon did not write ({shown}); "
            "nothing was changed. Point [catalog] dir (or BLUECARBON_CATALOG_DIR) at an empty "
            "folder or an existing bluecarbon catalog"
        )
    return ours & present


def _legacy_catalog(catalog_dir: Path, present: set[str]) -> bool:
    """A catalog written before the manifest: catalog.json with our id, and JSON only."""
    if "catalog.json" not in present or not all(p.endswith(".json") for p in present):
        return False
    try:
        return json.loads((catalog_dir / "catalog.json").read_text(encoding="utf-8")).get("id") == CATALOG_ID
    except (OSError, ValueError, AttributeError):
        return False


def write_manifest(catalog_dir: Path, files: set[str]) -> None:
    text = json.dumps({"written_by": "bluecarbon", "files": sorted(files)}, indent=1)
    tmp = catalog_dir / (MANIFEST + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(catalog_dir / MANIFEST)


def remove_written(catalog_dir: Path, files: set[str]) -> None:
    """Delete ``files`` (relative paths) and the folders they leave empty."""
    folders: set[Path] = set()
    for rel in files:
        path = catalog_dir / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
        folders.update(p for p in path.parents if catalog_dir in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
