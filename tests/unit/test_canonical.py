"""The one canonical JSON encoder: every digest that was published before it existed is pinned
here, so a change of a single byte in any profile fails (it would change every published
statement hash and signature, release content hash or release key)."""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import xarray as xr

from bluecarbon.canonical import CONTENT_HASH, FINGERPRINT, SIGNED, canonical_json, canonical_sha256
from bluecarbon.fingerprint import fingerprint
from bluecarbon.report.statement import canonical, statement_hash
from bluecarbon.store import hashing
from bluecarbon.store.ledger import Entry

DOC = {
    "b": [1, 2.5, 0.1, 1e-7, 3e20],
    "a": "海草 seagrass",
    "c": {"z": None, "y": True, "x": -0.0},
    "d": 'quote"\\/\n',
}
ATTRS = {
    "units": "Mg ha-1",
    "long_name": "海 stock",
    "valid_min": np.float32(0.5),
    "n": np.int64(3),
    "arr": np.array([1, 2]),
    "lst": [np.float64(0.1), 2],
    "nan": float("nan"),
    "flag": np.bool_(True),
    "tup": (1, "a"),
    "when": datetime.date(2026, 1, 2),
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_three_profiles_write_the_bytes_they_always_wrote() -> None:
    small = {"b": 1.5, "a": "海", "c": [1, None]}
    assert canonical_json(small, SIGNED) == '{"a":"海","b":1.5,"c":[1,null]}'
    assert canonical_json(small, FINGERPRINT) == '{"a":"\\u6d77","b":1.5,"c":[1,null]}'
    assert canonical_json(small, CONTENT_HASH) == '{"a": "\\u6d77", "b": 1.5, "c": [1, null]}'


def test_statement_digest_is_pinned() -> None:
    # digests computed with report.statement.canonical before the encoder moved (commit cf76750)
    pinned = "b5af284869eb9b567c772b105f01f8da460fa1381c4f23d209a075a5881c995c"
    assert _sha(canonical(DOC)) == pinned
    assert canonical_sha256(DOC, SIGNED) == pinned
    assert statement_hash({**DOC, "integrity": {"x": 1}}) == pinned


def test_fingerprint_and_release_key_digests_are_pinned() -> None:
    from bluecarbon.fingerprint import canonical_json as fingerprint_json

    doc = {**DOC, "p": Path("raw/x.csv"), "t": datetime.date(2026, 1, 2)}
    assert _sha(fingerprint_json(doc)) == "fd1f4d568b7f47be00b0926500c40ee0d8d1e00aa006c7cdbe0020212fc262ee"
    key = fingerprint(
        inputs={"b.csv": "00ff", "a.csv": "11ee"},
        parameters={"tables": "abc", "study": "海"},
        package_version="0.1.0",
    )
    assert key == "76dbd6eca981558fa7ff6d6b98edb24a1a2233a0c3c0c80464f4b0400d4b9d06"


def test_ledger_entry_digest_is_pinned() -> None:
    digest = Entry.digest(
        3, "2026-12-04T00:00:00.000000+00:00", "ana", "issue", {"units": 5, "note": "海", "f": 0.1}, "0" * 64
    )
    assert digest == "10a23d334102713f8b7477d02c1d32570e6595e001aeb7c19a8b09085239607c"


def test_content_hash_digests_are_pinned() -> None:
    var = xr.Variable(("y", "x"), np.arange(6, dtype="float32").reshape(2, 3), attrs=ATTRS)
    assert hashing.variable_hash("p/v", var) == (
        "318a8f5a2d37e0e205d88763e7da1287ab52e48c9cee672b6eb019a3002e8bee"
    )
    assert hashing.dataset_hashes("p", xr.Dataset(attrs=ATTRS))["p/.attrs"] == (
        "d28f307890aac15ab95e868a07a139ea8f4767168d6d5fcce4ef0f58c8abb28e"
    )
    nested = pa.table(
        {
            "l": pa.array([[1, 2], None, [3]]),
            "s": pa.array([{"a": 1, "b": "海"}, None, {"a": 2, "b": "x"}]),
        }
    )
    assert hashing.table_hash("t", nested) == (
        "f36510ee4b8d49556d551722858e8c5ef516eef12d30d03592957790154758bc"
    )


def test_signed_profile_refuses_nan_and_values_json_cannot_hold() -> None:
    with pytest.raises(ValueError, match="Out of range float values"):
        canonical_json({"x": float("nan")}, SIGNED)
    with pytest.raises(TypeError, match="PosixPath"):
        canonical_json({"p": Path("a")}, SIGNED)
    assert canonical_json({"x": float("nan")}, CONTENT_HASH) == '{"x": NaN}'
    assert canonical_json({"p": Path("a")}, FINGERPRINT) == '{"p":"a"}'
