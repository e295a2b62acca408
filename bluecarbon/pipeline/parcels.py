"""The parcels step: the study's parcel files read, validated and combined into one table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path

from bluecarbon.ingest.parcels import ParcelSpec, combine_parcels, read_parcels
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.cache import StepResult, cached_result, finish, out_dir, step_key


def parcels(
    raw_dir: Path,
    sources: tuple[ParcelSpec, ...],
    work_dir: Path,
    hashes: Mapping[str, str],
    *,
    parameters: ParameterSet,
) -> StepResult:
    """Validated parcels from vector files (see :mod:`bluecarbon.ingest.parcels`)."""
    key = step_key(
        "parcels",
        {str(s.file): hashes[str(s.file)] for s in sources},
        {"sources": [asdict(s) for s in sources]},
    )
    if (hit := cached_result(work_dir, "parcels", key, parameters)) is not None:
        return hit
    out = out_dir(work_dir, "parcels", key)
    parameters = parameters.tracked()
    frames = [read_parcels(replace(s, file=raw_dir / s.file)) for s in sources]
    merged = combine_parcels(frames)
    uri = str(out / "parcels.parquet")
    merged.to_parquet(uri, index=False)
    info = {"parcels": len(merged), "geometries_repaired": int(merged["geometry_repaired"].sum())}
    return finish(out, StepResult("parcels", key, {"parcels": uri}, info), parameters)
