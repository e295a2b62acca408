"""Reader for the Coastal Carbon Network (CCN) table model: cores, depth series, methods,
species, citations.

The CCN files are the community format for soil cores; we read them as published (no
renaming), with explicit dtypes so that ids stay strings and measurements stay floats, and
we join nothing here: joins happen in the carbon code where the keys are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bluecarbon.errors import InputError

ID_COLUMNS = ("study_id", "site_id", "core_id", "method_id", "sample_id")
CORE_REQUIRED = ("study_id", "site_id", "core_id", "habitat", "latitude", "longitude")
DEPTH_REQUIRED = ("study_id", "core_id", "depth_min", "depth_max", "dry_bulk_density")
#: CCN synthesis folder whose ``fraction_carbon`` is TOTAL carbon and whose
#: ``fraction_organic_matter`` holds the ORGANIC carbon fraction (METHODS.md section 1; the
#: CCN hook script renames "Soil total Carbon" -> fraction_carbon and "Soil organic Carbon" ->
#: fraction_organic_matter). Never push those values through an LOI equation.
FOURQUREAN_TRAP_FOLDER = "Fourqurean_2012"


@dataclass(frozen=True)
class CCNTables:
    """The CCN tables of one data set (methods, species and citations may be empty)."""

    cores: pd.DataFrame
    depthseries: pd.DataFrame
    methods: pd.DataFrame
    species: pd.DataFrame
    citations: pd.DataFrame


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("CCN table not found", file=path)
    try:
        frame = pd.read_csv(path, dtype={c: "string" for c in ID_COLUMNS}, low_memory=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot parse CSV: {exc}", file=path, expected="CCN CSV (UTF-8)") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}", file=path, expected=", ".join(required))
    frame.attrs["source_file"] = str(path)
    return frame


def read_ccn(folder: str | Path, *, prefix: str = "ccn_") -> CCNTables:
    """Read ``{prefix}cores``, ``depthseries``, ``methods``, ``species`` and
    ``study_citations`` from ``folder`` (``.csv`` or ``.csv.gz``)."""
    folder = Path(folder)

    def find(name: str) -> Path | None:
        for suffix in (".csv", ".csv.gz"):
            candidate = folder / f"{prefix}{name}{suffix}"
            if candidate.is_file():
                return candidate
        return None

    cores_path, depth_path = find("cores"), find("depthseries")
    if cores_path is None or depth_path is None:
        raise InputError(
            "CCN cores or depthseries table not found",
            file=folder,
            expected=f"{prefix}cores.csv[.gz] and {prefix}depthseries.csv[.gz]",
        )
    optional = {}
    for name in ("methods", "species", "study_citations"):
        path = find(name)
        optional[name] = (
            _read(path, ("study_id",)) if path else pd.DataFrame({"study_id": pd.Series(dtype="string")})
        )
    return CCNTables(
        cores=_read(cores_path, CORE_REQUIRED),
        depthseries=_read(depth_path, DEPTH_REQUIRED),
        methods=optional["methods"],
        species=optional["species"],
        citations=optional["study_citations"],
    )
