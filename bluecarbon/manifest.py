"""The raw-input manifest: what we ship, under which terms, with which checksum.

``data/raw/MANIFEST`` is TOML with one ``[[file]]`` table per file. The pipeline calls
:func:`verify_manifest` before it reads anything, so a file edited by hand, truncated by a
bad copy, or swapped for another version is named and refused instead of silently changing
the numbers of a release. The entries also travel into release provenance, STAC and
statements, which is how licence restrictions reach the people who use the results.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from bluecarbon.errors import ChecksumError, InputError

MANIFEST_NAME = "MANIFEST"


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    sha256: str
    bytes: int
    dataset: str
    source: str
    license: str
    restrictions: str
    citation: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(raw_dir: Path) -> dict[str, ManifestEntry]:
    """Entries keyed by path relative to ``raw_dir``."""
    path = Path(raw_dir) / MANIFEST_NAME
    if not path.is_file():
        raise InputError("manifest not found", file=path, expected="data/raw/MANIFEST (TOML)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"manifest is not valid TOML: {exc}", file=path) from exc
    entries: dict[str, ManifestEntry] = {}
    for index, item in enumerate(data.get("file", []), start=1):
        try:
            entry = ManifestEntry(**item)
        except TypeError as exc:
            raise InputError(
                f"manifest entry {index} is malformed: {exc}",
                file=path,
                expected="keys path, sha256, bytes, dataset, source, license, restrictions, citation",
            ) from exc
        if entry.path in entries:
            raise InputError(f"path {entry.path!r} listed twice", file=path, row=index)
        entries[entry.path] = entry
    return entries


def verify_manifest(raw_dir: Path, paths: list[str] | None = None) -> dict[str, ManifestEntry]:
    """Check sha256 of ``paths`` (all entries when None); return their entries.

    Raises :class:`ChecksumError` naming every file that is missing or changed.
    """
    entries = read_manifest(raw_dir)
    wanted = list(entries) if paths is None else paths
    problems: list[str] = []
    for rel in wanted:
        entry = entries.get(rel)
        if entry is None:
            problems.append(f"{rel}: not listed in MANIFEST")
            continue
        file = Path(raw_dir) / rel
        if not file.is_file():
            problems.append(f"{rel}: missing")
            continue
        actual = sha256_file(file)
        if actual != entry.sha256:
            problems.append(f"{rel}: sha256 {actual[:12]}... differs from MANIFEST {entry.sha256[:12]}...")
    if problems:
        raise ChecksumError(
            "raw inputs do not match data/raw/MANIFEST:\n  " + "\n  ".join(problems),
            file=Path(raw_dir) / MANIFEST_NAME,
            expected="unchanged files (rebuild the manifest with `make manifest` after a deliberate change)",
        )
    return {rel: entries[rel] for rel in wanted}
