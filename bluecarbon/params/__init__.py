"""Parameter tables: data, never literals inside functions.

Each table is a CSV in this folder with, on every row, a ``value``, its ``units``, a
``source`` (citation, table number) and a ``verified`` flag (False until the value has been
checked against the primary document). :func:`load_table` refuses a table that lacks any of
these, so a number without a source cannot enter an estimate. :func:`table_hashes` feeds
the release fingerprint: changing a parameter changes the release.

A study can override any shipped table with its own file of the same name (site survey
results, local coefficients): :func:`use_directory` points the loader at a folder whose
``<name>.csv`` files take precedence. Only the CLI and the flows call it (from the
``[params] dir`` setting); the overriding file's hash is what enters fingerprints, so a
changed table invalidates exactly the steps that read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from bluecarbon.errors import InputError
from bluecarbon.manifest import sha256_file

REQUIRED_COLUMNS = ("units", "source", "verified")

_override_dir: Path | None = None


@contextmanager
def overrides(folder: Path | None) -> Iterator[None]:
    """Use ``folder``'s tables inside the block, then restore the previous choice."""
    previous = _override_dir
    use_directory(folder)
    try:
        yield
    finally:
        use_directory(previous)


def use_directory(folder: Path | None) -> None:
    """Prefer ``<folder>/<name>.csv`` over the shipped table (None: shipped tables only)."""
    global _override_dir
    if folder is not None and not Path(folder).is_dir():
        raise InputError("parameter override folder not found", file=folder)
    _override_dir = Path(folder) if folder is not None else None


@dataclass(frozen=True)
class Parameter:
    """One parameter value with its range, units and provenance."""

    name: str
    value: float
    low: float | None
    high: float | None
    units: str
    source: str
    verified: bool
    habitat: str | None = None
    subtype: str | None = None


def table_path(name: str) -> Path:
    """Path of table ``name`` (without .csv): the override folder's, else the shipped one."""
    if _override_dir is not None and (_override_dir / f"{name}.csv").is_file():
        return _override_dir / f"{name}.csv"
    path = Path(str(resources.files("bluecarbon.params").joinpath(f"{name}.csv")))
    if not path.is_file():
        available = ", ".join(list_tables())
        raise InputError(f"no parameter table {name!r}", expected=f"one of {available}")
    return path


def list_tables() -> list[str]:
    folder = Path(str(resources.files("bluecarbon.params")))
    return sorted(p.stem for p in folder.glob("*.csv"))


@cache
def _load_cached(path: Path, mtime_ns: int) -> pd.DataFrame:
    return _parse(path)


def _load(path: Path) -> pd.DataFrame:
    return _load_cached(path, path.stat().st_mtime_ns)


def _parse(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"subtype": "string", "habitat": "string"}, keep_default_na=True)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"parameter table lacks columns {missing}", file=path, expected=", ".join(REQUIRED_COLUMNS)
        )
    for column in ("units", "source"):
        empty = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if empty.any():
            row = int(empty.to_numpy().nonzero()[0][0]) + 2
            raise InputError(f"empty {column}", file=path, row=row, column=column)
    frame["verified"] = frame["verified"].astype(str).str.lower().map({"true": True, "false": False})
    if frame["verified"].isna().any():
        row = int(frame["verified"].isna().to_numpy().nonzero()[0][0]) + 2
        raise InputError("verified must be true or false", file=path, row=row, column="verified")
    return frame


def load_table(name: str) -> pd.DataFrame:
    """A copy of the shipped parameter table ``name``."""
    return _load(table_path(name)).copy()


def lookup(table: str, parameter: str, habitat: str | None = None, subtype: str | None = None) -> Parameter:
    """The single row of ``table`` matching parameter, habitat and subtype."""
    frame = load_table(table)
    mask = frame["parameter"] == parameter
    if habitat is not None:
        mask &= frame["habitat"] == habitat
    if subtype is not None:
        mask &= frame["subtype"] == subtype
    rows = frame[mask]
    if len(rows) != 1:
        raise InputError(
            f"{len(rows)} rows match parameter={parameter!r} habitat={habitat!r} subtype={subtype!r}",
            file=table_path(table),
            expected="exactly one",
        )
    row = rows.iloc[0]
    return Parameter(
        name=parameter,
        value=float(row["value"]),
        low=None if pd.isna(row.get("low")) else float(row["low"]),
        high=None if pd.isna(row.get("high")) else float(row["high"]),
        units=str(row["units"]),
        source=str(row["source"]),
        verified=bool(row["verified"]),
        habitat=habitat,
        subtype=subtype,
    )


def table_hashes(names: list[str] | None = None) -> dict[str, str]:
    """sha256 of each shipped table (all when ``names`` is None)."""
    return {name: sha256_file(table_path(name)) for name in (list_tables() if names is None else names)}
