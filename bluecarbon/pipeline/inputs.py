"""Raw inputs of a run: checked against the manifest, hashed, and named relative to the raw
folder in everything a release or a report carries (never the machine's absolute paths)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from bluecarbon.errors import Issue
from bluecarbon.manifest import ManifestEntry, verify_manifest


def check_inputs(raw_dir: Path, files: list[str]) -> dict[str, ManifestEntry]:
    """Verify sha256 of every raw file the study reads (names any that changed)."""
    return verify_manifest(raw_dir, files)


def input_hashes(entries: Mapping[str, ManifestEntry], files: list[str]) -> dict[str, str]:
    return {f: entries[f].sha256 for f in files}


def relative_label(label: str, raw_dir: Path) -> str:
    """A file label relative to ``raw_dir`` when it lies inside it (reports must not carry the
    machine's absolute paths)."""
    path, root = Path(label).resolve(), raw_dir.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else label


def relative_issue(issue: Issue, raw_dir: Path) -> Issue:
    """The issue with its file named relative to ``raw_dir``."""
    return replace(issue, file=relative_label(issue.file, raw_dir))


def relative_source(frame: pd.DataFrame, raw_dir: Path) -> pd.DataFrame:
    """Name the frame's source file relative to ``raw_dir``."""
    label = frame.attrs.get("source_file")
    if label:
        frame.attrs["source_file"] = relative_label(str(label), raw_dir)
    return frame
