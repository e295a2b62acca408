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
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from bluecarbon.errors import ChecksumError, InputError

MANIFEST_NAME = "MANIFEST"
#: Files at the top of a raw folder that describe it and need no entry.
UNLISTED_FILES = frozenset({MANIFEST_NAME, "README.md"})


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


@dataclass(frozen=True)
class DatasetTerms:
    """Terms shared by every file of one data set: what it is, where it came from, its
    licence (SPDX id where one exists), the restrictions that travel with it, how to cite it."""

    dataset: str
    source: str
    license: str
    restrictions: str
    citation: str


def manifest_entries(raw_dir: Path, datasets: Mapping[str, DatasetTerms]) -> list[ManifestEntry]:
    """One entry per file for a raw folder whose data sets are ``datasets``.

    Keys are folders or single files relative to ``raw_dir``; a folder covers every file
    below it (sorted). Entries follow the order of ``datasets``. Raises :class:`InputError`
    for a key that holds no file and for files that no key covers (other than the folder's
    own MANIFEST and README.md), so nothing reaches a release without its terms.
    """
    raw_dir = Path(raw_dir)
    entries: list[ManifestEntry] = []
    seen: set[Path] = set()
    for key, terms in datasets.items():
        target = raw_dir / key
        files = [target] if target.is_file() else sorted(p for p in target.rglob("*") if p.is_file())
        if not files:
            raise InputError(
                f"data set {key!r} has no files", file=target, expected="a file or a non-empty folder"
            )
        for path in files:
            seen.add(path)
            entries.append(
                ManifestEntry(
                    path=path.relative_to(raw_dir).as_posix(),
                    sha256=sha256_file(path),
                    bytes=path.stat().st_size,
                    **asdict(terms),
                )
            )
    unlisted = sorted(
        p.relative_to(raw_dir).as_posix()
        for p in raw_dir.rglob("*")
        if p.is_file() and p not in seen and p.relative_to(raw_dir).as_posix() not in UNLISTED_FILES
    )
    if unlisted:
        raise InputError(
            "files with no data set entry: " + ", ".join(unlisted),
            file=raw_dir,
            expected="every raw file under a data set (folder or file) with its terms",
        )
    return entries


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def manifest_text(entries: list[ManifestEntry], *, header: str) -> str:
    """The MANIFEST file for ``entries`` (TOML; ``header`` lines become comments)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += ["manifest_version = 1", ""]
    for entry in entries:
        lines.append("[[file]]")
        for key, value in entry.as_dict().items():
            lines.append(f"{key} = {value}" if isinstance(value, int) else f"{key} = {_toml_str(str(value))}")
        lines.append("")
    return "\n".join(lines)


def write_manifest(
    raw_dir: Path,
    datasets: Mapping[str, DatasetTerms],
    *,
    header: str = "MANIFEST: every raw input, its terms and its checksum (TOML).",
) -> Path:
    """Write ``raw_dir/MANIFEST`` for the data sets of a raw folder (see
    :func:`manifest_entries`) and return its path; the pipeline verifies it before each run."""
    path = Path(raw_dir) / MANIFEST_NAME
    path.write_text(manifest_text(manifest_entries(raw_dir, datasets), header=header), encoding="utf-8")
    return path
