"""Content hashes anyone can recompute from a release.

The hash must not depend on chunking, compression, Zarr/Parquet versions or row-group
layout, only on the values, so it is defined on decoded data:

* array ``v`` of product ``p``: sha256 over ``"{p}/{v}"``, dtype, dims, shape, canonical JSON
  of its attributes (the ``CONTENT_HASH`` profile of :mod:`bluecarbon.canonical`), then its
  values in C order, little-endian, with every NaN written as the same bit pattern; read in
  slabs of rows so memory stays bounded;
* table ``t``: sha256 over ``t``, then per column its name, a canonical Arrow type and its
  values (fixed-width: validity bytes then values with nulls zeroed; variable-width: int64
  lengths, -1 for null, then the bytes), rows in stored order;
* release: sha256 over the sorted ``name:hex`` lines of all arrays and tables.

``docs/store-format.md`` states the same rules for people re-implementing them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xarray as xr

from bluecarbon.canonical import CONTENT_HASH, canonical_json

_SLAB_BYTES = 64 * 1024 * 1024


def _attrs_json(attrs: Mapping[str, object]) -> str:
    def clean(v: object) -> object:
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return canonical_json({k: clean(v) for k, v in attrs.items()}, CONTENT_HASH)


def _canonical_bytes(block: np.ndarray) -> bytes:
    arr = np.ascontiguousarray(block)
    if arr.dtype.kind == "f":
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=True)
        arr[np.isnan(arr)] = np.nan
    elif arr.dtype.kind in "iub":
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    elif arr.dtype.kind == "M":
        arr = arr.astype("datetime64[ns]").view("<i8")
    elif arr.dtype.kind in "UO":
        return "\x00".join(map(str, arr.ravel().tolist())).encode("utf-8")
    return arr.tobytes()


def variable_hash(name: str, var: xr.Variable) -> str:
    """sha256 of one variable's metadata and decoded values (bounded memory)."""
    digest = hashlib.sha256()
    digest.update(name.encode())
    digest.update(f"|{var.dtype.str}|{','.join(map(str, var.dims))}|{var.shape}|".encode())
    digest.update(_attrs_json(var.attrs).encode())
    if var.ndim == 0:
        digest.update(_canonical_bytes(np.asarray(var.values)))
        return digest.hexdigest()
    row_bytes = max(1, int(np.prod(var.shape[1:])) * var.dtype.itemsize)
    step = max(1, _SLAB_BYTES // row_bytes)
    for start in range(0, var.shape[0], step):
        block = var[start : start + step].values
        digest.update(_canonical_bytes(np.asarray(block)))
    return digest.hexdigest()


def dataset_hashes(
    product: str, ds: xr.Dataset, *, on_variable: Callable[[], None] | None = None
) -> dict[str, str]:
    """``{"product/variable": sha256}`` for every data variable and coordinate; ``on_variable()``
    is called after each one (progress)."""
    out: dict[str, str] = {}
    for name in sorted(map(str, ds.variables)):
        out[f"{product}/{name}"] = variable_hash(f"{product}/{name}", ds.variables[name])
        if on_variable is not None:
            on_variable()
    out[f"{product}/.attrs"] = hashlib.sha256(_attrs_json(ds.attrs).encode()).hexdigest()
    return out


def _canonical_column(col: pa.ChunkedArray | pa.Array) -> tuple[str, list[bytes]]:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = arr.type
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.uint8)
    if (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    ):
        kind = "binary" if (pa.types.is_binary(t) or pa.types.is_large_binary(t)) else "string"
        target = pa.large_binary() if kind == "binary" else pa.large_string()
        filled = pc.fill_null(arr.cast(target), pa.scalar(b"" if kind == "binary" else "", target))
        filled = pa.concat_arrays([filled])  # fresh buffers, offsets start at 0
        offsets = np.frombuffer(filled.buffers()[1], dtype="<i8")[: len(filled) + 1]
        data = filled.buffers()[2]
        lengths = np.diff(offsets).astype("<i8")
        lengths[valid == 0] = -1
        raw = b"" if data is None else data.to_pybytes()[offsets[0] : offsets[-1]]
        return kind, [lengths.tobytes(), raw]
    if pa.types.is_dictionary(t):
        return _canonical_column(arr.cast(t.value_type))
    if pa.types.is_boolean(t):
        values = np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=np.uint8)
        return "bool", [valid.tobytes(), values.tobytes()]
    if pa.types.is_integer(t):
        values = np.asarray(pc.fill_null(arr.cast(pa.int64()), 0).to_numpy(), dtype="<i8")
        return "int64", [valid.tobytes(), values.tobytes()]
    if pa.types.is_floating(t):
        values = np.asarray(pc.fill_null(arr.cast(pa.float64()), 0.0).to_numpy(), dtype="<f8").copy()
        values[np.isnan(values)] = np.nan
        return "float64", [valid.tobytes(), values.tobytes()]
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        ns = (
            arr.cast(pa.timestamp("ns", tz="UTC"))
            if pa.types.is_timestamp(t)
            else arr.cast(pa.timestamp("ns"))
        )
        values = np.asarray(pc.fill_null(ns.cast(pa.int64()), 0).to_numpy(), dtype="<i8")
        return "timestamp_ns", [valid.tobytes(), values.tobytes()]
    # Anything else (lists, structs): canonical JSON per value.
    text = "\n".join(canonical_json(v, CONTENT_HASH) for v in arr.to_pylist())
    return "json", [text.encode()]


def table_hash(name: str, table: pa.Table) -> str:
    """sha256 of a table's column names, canonical types and values."""
    digest = hashlib.sha256()
    digest.update(name.encode())
    digest.update(f"|{table.num_rows}|".encode())
    for field_name, column in zip(table.column_names, table.columns, strict=True):
        kind, parts = _canonical_column(column)
        digest.update(f"|{field_name}:{kind}|".encode())
        for part in parts:
            digest.update(part)
    return digest.hexdigest()


def combine(hashes: Mapping[str, str]) -> str:
    """Release content hash from per-object hashes."""
    lines: Iterable[str] = (f"{k}:{v}" for k, v in sorted(hashes.items()))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
