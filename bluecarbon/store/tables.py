"""Delta Lake tables of a store: written as complete new versions, read at pinned versions.

Why complete versions: a release pins one version per table; if a publish dies after
writing a table but before tagging, that version is an orphan no release points to, and the
next publish overwrites (never appends to) it, so orphan rows cannot leak into a later
release. Geometry is stored as WKB in a ``geometry`` column with its CRS recorded in the
release metadata (GeoParquet-style encoding), because Zarr mangles WKB and has no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from bluecarbon.errors import IntegrityError


@dataclass(frozen=True)
class TableVersion:
    name: str
    version: int
    rows: int
    geometry_column: str | None
    crs: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "rows": self.rows,
            "geometry_column": self.geometry_column,
            "crs": self.crs,
        }


def to_arrow(frame: pd.DataFrame) -> tuple[pa.Table, str | None, str | None]:
    """Arrow table Delta accepts, plus geometry column name and CRS (if a GeoDataFrame)."""
    geometry_column = crs = None
    data = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame):
        geometry_column = frame.geometry.name
        crs = frame.crs.to_string() if frame.crs is not None else None
        data[geometry_column] = shapely.to_wkb(np.asarray(frame.geometry.values), hex=False)
    data = data.reset_index(drop=True)
    arrays = {}
    for column in data.columns:
        series = data[column]
        if series.dtype.kind == "u":
            series = series.astype("int64")
        if series.dtype == object and series.isna().all():
            series = series.astype("string")
        arrays[str(column)] = series
    table = pa.Table.from_pandas(pd.DataFrame(arrays), preserve_index=False)
    fields = []
    for fld in table.schema:
        t = fld.type
        if pa.types.is_timestamp(t):
            t = pa.timestamp("us", tz="UTC")
        elif pa.types.is_null(t):
            t = pa.string()
        elif pa.types.is_string(t):
            t = pa.large_string()
        elif pa.types.is_unsigned_integer(t):
            t = pa.int64()
        fields.append(pa.field(fld.name, t))
    # One record batch: the writer may process batches in parallel and reorder rows.
    return table.cast(pa.schema(fields)).combine_chunks(), geometry_column, crs


def write_table(
    uri: str,
    name: str,
    frame: pd.DataFrame,
    *,
    storage_options: dict[str, str] | None,
    key: str,
) -> TableVersion:
    """Write ``frame`` as a complete new version of the table at ``uri``."""
    table, geometry_column, crs = to_arrow(frame)
    write_deltalake(
        uri,
        table,
        mode="overwrite",
        schema_mode="overwrite",
        storage_options=storage_options,
        target_file_size=1 << 40,  # one file: rows stay in the order they were written
        commit_properties=CommitProperties(custom_metadata={"bluecarbon.idempotency_key": key}),
    )
    version = DeltaTable(uri, storage_options=storage_options).version()
    return TableVersion(name, int(version), table.num_rows, geometry_column, crs)


def read_arrow(uri: str, version: int, *, storage_options: dict[str, str] | None) -> pa.Table:
    """The table at a pinned version, read through the Delta log.

    A table or data file missing from the store (deleted by hand, a damaged copy) is an
    :class:`~bluecarbon.errors.IntegrityError` naming the table, version and file."""
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    try:
        return DeltaTable(uri, version=version, storage_options=storage_options).to_pyarrow_table()
    except TableNotFoundError:
        raise IntegrityError(
            f"table {name!r} (version {version}) is missing from the store at {uri}; "
            "the store is damaged: restore it from a backup"
        ) from None
    except (OSError, DeltaError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise IntegrityError(
            f"table {name!r} (version {version}) cannot be read from {uri}: {first}. The store is "
            "damaged (a data file deleted or changed by hand?): `bluecarbon verify` checks every "
            "release; restore the store from a backup"
        ) from None


def to_frame(table: pa.Table, geometry_column: str | None, crs: str | None) -> pd.DataFrame:
    """pandas (or GeoDataFrame when the table has geometry)."""
    frame = table.to_pandas()
    if geometry_column and geometry_column in frame.columns:
        geoms = shapely.from_wkb(frame[geometry_column].to_numpy())
        return gpd.GeoDataFrame(frame.drop(columns=[geometry_column]), geometry=geoms, crs=crs)
    return frame
