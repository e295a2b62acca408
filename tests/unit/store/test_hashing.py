from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from bluecarbon.store import hashing


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 40),
    cols=st.integers(1, 40),
    chunk_y=st.integers(1, 40),
    chunk_x=st.integers(1, 40),
    seed=st.integers(0, 2**16),
)
def test_variable_hash_ignores_chunking(rows: int, cols: int, chunk_y: int, chunk_x: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.random((rows, cols)).astype("float32")
    values[rng.random((rows, cols)) < 0.2] = np.nan
    da = xr.DataArray(values, dims=("y", "x"), attrs={"units": "1"})
    eager = hashing.variable_hash("v", da.variable)
    lazy = hashing.variable_hash("v", da.chunk({"y": chunk_y, "x": chunk_x}).variable)
    assert eager == lazy


def test_variable_hash_sees_one_changed_value_and_attrs() -> None:
    da = xr.DataArray(np.arange(12, dtype="float64").reshape(3, 4), dims=("y", "x"), attrs={"units": "1"})
    base = hashing.variable_hash("v", da.variable)
    changed = da.copy()
    changed[2, 3] = 11.000001
    assert hashing.variable_hash("v", changed.variable) != base
    assert hashing.variable_hash("v", da.assign_attrs(units="m").variable) != base


def test_nan_payloads_hash_alike() -> None:
    a = np.array([np.nan, 1.0])
    b = a.copy()
    b.view("u8")[0] = 0x7FF8000000000001  # a different NaN bit pattern
    assert hashing.variable_hash("v", xr.Variable("x", a)) == hashing.variable_hash("v", xr.Variable("x", b))


def test_table_hash_independent_of_arrow_layout() -> None:
    frame = pd.DataFrame({"id": ["a", None, "ccc"], "value": [1.5, np.nan, 3.0], "n": [1, 2, 3]})
    one = pa.Table.from_pandas(frame, preserve_index=False)
    chunked = pa.concat_tables([one.slice(0, 1), one.slice(1, 2)])
    large = one.cast(
        pa.schema(
            [pa.field("id", pa.large_string()), pa.field("value", pa.float64()), pa.field("n", pa.int32())]
        )
    )
    h = hashing.table_hash("t", one)
    assert hashing.table_hash("t", chunked) == h
    assert hashing.table_hash("t", large) == h
    assert (
        hashing.table_hash("t", pa.Table.from_pandas(frame.assign(id=["a", "", "ccc"]), preserve_index=False))
        != h
    )


def test_combine_is_order_independent() -> None:
    assert hashing.combine({"a": "1", "b": "2"}) == hashing.combine({"b": "2", "a": "1"})
