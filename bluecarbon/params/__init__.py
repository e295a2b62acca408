"""Parameter tables, resolved once per run into one immutable :class:`ParameterSet`.

Why a set, passed explicitly: a number a lender relies on must be traceable to the exact
table it came from, and an old release must keep saying what it said when a local table
changes later. So every table (the shipped CSVs of this folder, overridden file by file by a
study's ``[params] dir``) is read once into a :class:`ParameterSet` that holds each table's
exact text, its sha256 and its parsed rows. Computations take the set as an argument (no
module-global state, nothing read at call time); a release publishes the set it used (the
``parameters`` table, with the set's digest in the commit metadata), and statements, ``diff``
and ``verify-statement`` rebuild the set from the release, never from local files.

Each CSV has, on every row, a ``value`` (or the table's own value columns), its ``units``, a
``source`` (citation, table number) and a ``verified`` flag (False until the value has been
checked against the primary document); a table lacking any of these is refused, so a number
without a source cannot enter an estimate.

A :meth:`ParameterSet.tracked` view records which tables a computation read; the pipeline's
step cache keys each result by the hashes of exactly those tables, so a table nobody listed
by hand can never leave a stale cache.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from bluecarbon.errors import InputError

REQUIRED_COLUMNS = ("units", "source", "verified")
#: Columns of the ``parameters`` release table (one row per table).
RELEASE_COLUMNS = ("table", "sha256", "origin", "rows", "unverified_rows", "csv_text")


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "units": self.units,
            "source": self.source,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class ParameterTable:
    """One table: its exact CSV text (what is hashed and published) and its parsed rows."""

    name: str
    text: str
    origin: str
    frame: pd.DataFrame = field(repr=False, compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @classmethod
    def parse(cls, name: str, text: str, origin: str) -> ParameterTable:
        return cls(name=name, text=text, origin=origin, frame=_parse(text, origin))


def _parse(text: str, origin: str) -> pd.DataFrame:
    frame = pd.read_csv(
        io.StringIO(text), dtype={"subtype": "string", "habitat": "string"}, keep_default_na=True
    )
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"parameter table lacks columns {missing}", file=origin, expected=", ".join(REQUIRED_COLUMNS)
        )
    for column in ("units", "source"):
        empty = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if empty.any():
            row = int(empty.to_numpy().nonzero()[0][0]) + 2
            raise InputError(f"empty {column}", file=origin, row=row, column=column)
    frame["verified"] = frame["verified"].astype(str).str.lower().map({"true": True, "false": False})
    if frame["verified"].isna().any():
        row = int(frame["verified"].isna().to_numpy().nonzero()[0][0]) + 2
        raise InputError("verified must be true or false", file=origin, row=row, column="verified")
    return frame


def shipped_folder() -> Path:
    """The folder of the tables shipped with the package."""
    return Path(str(resources.files("bluecarbon.params")))


def list_tables() -> list[str]:
    """Names of the shipped tables."""
    return sorted(p.stem for p in shipped_folder().glob("*.csv"))


class ParameterSet:
    """Every parameter table of a run, immutable, hashed, with an optional read log."""

    def __init__(self, tables: Mapping[str, ParameterTable], *, _reads: set[str] | None = None) -> None:
        self._tables = dict(sorted(tables.items()))
        self._reads = _reads

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, override_dir: Path | None = None) -> ParameterSet:
        """The shipped tables, each replaced by ``<override_dir>/<name>.csv`` where that exists.

        A CSV in ``override_dir`` whose name is not a shipped table is refused (a misspelt
        override would otherwise be ignored in silence).
        """
        tables = dict(_shipped_tables())
        if override_dir is None:
            return cls(tables)
        folder = Path(override_dir)
        if not folder.is_dir():
            raise InputError("parameter override folder not found", file=folder)
        for path in sorted(folder.glob("*.csv")):
            if path.stem not in tables:
                raise InputError(
                    f"override table {path.name!r} matches no parameter table",
                    file=path,
                    expected="the name of a shipped table: " + ", ".join(sorted(tables)),
                )
            tables[path.stem] = ParameterTable.parse(path.stem, _read_text(path), str(path))
        return cls(tables)

    @classmethod
    def shipped(cls) -> ParameterSet:
        """The tables shipped with the package (no override)."""
        return cls(dict(_shipped_tables()))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, origin: str = "release") -> ParameterSet:
        """Rebuild a set from its published ``parameters`` table; every hash is checked."""
        missing = [c for c in ("table", "sha256", "csv_text") if c not in frame.columns]
        if missing:
            raise InputError(f"{origin}: parameters table lacks columns {missing}")
        tables = {}
        for row in frame.itertuples(index=False):
            table = ParameterTable.parse(str(row.table), str(row.csv_text), f"{origin}: {row.table}")
            if table.sha256 != row.sha256:
                raise InputError(
                    f"{origin}: parameter table {row.table!r} does not match its recorded sha256",
                    expected=str(row.sha256),
                )
            tables[table.name] = table
        return cls(tables)

    # --------------------------------------------------------------------- identity
    @property
    def names(self) -> list[str]:
        return list(self._tables)

    def hashes(self, names: Iterable[str] | None = None) -> dict[str, str]:
        """sha256 of each table's text (all tables when ``names`` is None)."""
        chosen = self._tables if names is None else {n: self._get(n) for n in names}
        return {n: t.sha256 for n, t in sorted(chosen.items())}

    @property
    def digest(self) -> str:
        """sha256 over the sorted ``name:sha256`` lines of every table: the set's identity."""
        lines = "\n".join(f"{n}:{h}" for n, h in self.hashes().items())
        return hashlib.sha256(lines.encode()).hexdigest()

    def text(self, name: str) -> str:
        """The exact CSV text of table ``name`` (what is hashed and published)."""
        return self._get(name).text

    def origin(self, name: str) -> str:
        """Where table ``name`` came from (a file path, or the release it was pinned in)."""
        return self._get(name).origin

    def overridden(self) -> list[str]:
        """Tables that differ from the shipped ones."""
        shipped = dict(_shipped_tables())
        return [n for n, t in self._tables.items() if n not in shipped or shipped[n].sha256 != t.sha256]

    # ---------------------------------------------------------------------- reading
    def tracked(self) -> ParameterSet:
        """A view of the same tables that records which tables are read (:attr:`reads`)."""
        return ParameterSet(self._tables, _reads=set())

    @property
    def reads(self) -> dict[str, str]:
        """``{table: sha256}`` of every table read through this view (empty if untracked)."""
        return {n: self._tables[n].sha256 for n in sorted(self._reads or ())}

    def _get(self, name: str) -> ParameterTable:
        try:
            table = self._tables[name]
        except KeyError:
            raise InputError(
                f"no parameter table {name!r}", expected="one of " + ", ".join(self._tables)
            ) from None
        if self._reads is not None:
            self._reads.add(name)
        return table

    def table(self, name: str) -> pd.DataFrame:
        """A copy of table ``name`` (parsed, ``verified`` as booleans)."""
        return self._get(name).frame.copy()

    def lookup(
        self, table: str, parameter: str, habitat: str | None = None, subtype: str | None = None
    ) -> Parameter:
        """The single row of ``table`` matching parameter, habitat and subtype."""
        frame = self._get(table).frame
        mask = frame["parameter"] == parameter
        if habitat is not None:
            mask &= frame["habitat"] == habitat
        if subtype is not None:
            mask &= frame["subtype"] == subtype
        rows = frame[mask]
        if len(rows) != 1:
            raise InputError(
                f"{len(rows)} rows match parameter={parameter!r} habitat={habitat!r} subtype={subtype!r}",
                file=self.origin(table),
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

    def optional(
        self, table: str, parameter: str, habitat: str | None = None, subtype: str | None = None
    ) -> Parameter | None:
        """:meth:`lookup`, or None when no row matches (a parameter that may be absent)."""
        frame = self._get(table).frame
        mask = frame["parameter"] == parameter
        if habitat is not None:
            mask &= frame["habitat"] == habitat
        if subtype is not None:
            mask &= frame["subtype"] == subtype
        if not mask.any():
            return None
        return self.lookup(table, parameter, habitat, subtype)

    def value(
        self, table: str, parameter: str, habitat: str | None = None, subtype: str | None = None
    ) -> float:
        """Shorthand for ``lookup(...).value``."""
        return self.lookup(table, parameter, habitat, subtype).value

    # -------------------------------------------------------------------- publishing
    def to_frame(self) -> pd.DataFrame:
        """The ``parameters`` release table: one row per table with its exact text."""
        rows = [
            {
                "table": t.name,
                "sha256": t.sha256,
                "origin": _portable_origin(t.origin),
                "rows": len(t.frame),
                "unverified_rows": int((~t.frame["verified"].astype(bool)).sum()),
                "csv_text": t.text,
            }
            for t in self._tables.values()
        ]
        return pd.DataFrame(rows, columns=list(RELEASE_COLUMNS))

    def provenance(self) -> dict[str, Any]:
        """Per table: sha256, origin, sources, row count and unverified-row count."""
        return {
            n: {
                "sha256": t.sha256,
                "origin": _portable_origin(t.origin),
                "sources": sorted(set(t.frame["source"].astype(str))),
                "rows": len(t.frame),
                "unverified_rows": int((~t.frame["verified"].astype(bool)).sum()),
            }
            for n, t in self._tables.items()
        }


def _portable_origin(origin: str) -> str:
    """``shipped`` for the package's own tables, else the file name (never a machine path)."""
    path = Path(origin)
    if path.is_absolute() and path.parent == shipped_folder():
        return "shipped"
    return f"override {path.name}" if path.is_absolute() else origin


def _read_text(path: Path) -> str:
    # newline="" keeps the bytes as written: the hash is of the file's own text
    with path.open(encoding="utf-8", newline="") as fh:
        return fh.read()


@cache
def _shipped_tables() -> tuple[tuple[str, ParameterTable], ...]:
    folder = shipped_folder()
    return tuple(
        (p.stem, ParameterTable.parse(p.stem, _read_text(p), str(p))) for p in sorted(folder.glob("*.csv"))
    )


def shipped() -> ParameterSet:
    """The shipped tables: shorthand for :meth:`ParameterSet.shipped`."""
    return ParameterSet.shipped()
