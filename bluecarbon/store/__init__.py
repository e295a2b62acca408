"""The versioned blue-carbon database: releases over Icechunk (grids) and Delta Lake
(tables), with provenance, validation gates, time travel and integrity checks.

Names are imported lazily (PEP 562): ``bluecarbon.store.ids`` (release tags, name checks) is
used by cheap code paths, such as validating a study file before a run, that must not pay
for Icechunk, Delta Lake and xarray.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bluecarbon.store.location import S3Options, StoreLocation
    from bluecarbon.store.release import (
        PublishResult,
        ReleaseBundle,
        ReleaseInfo,
        Store,
        VerifyReport,
    )
    from bluecarbon.store.schema import PRODUCT_KINDS, STORE_FORMAT_VERSION, TABLES

_WHERE = {
    "S3Options": "location",
    "StoreLocation": "location",
    "PublishResult": "release",
    "ReleaseBundle": "release",
    "ReleaseInfo": "release",
    "Store": "release",
    "VerifyReport": "release",
    "PRODUCT_KINDS": "schema",
    "STORE_FORMAT_VERSION": "schema",
    "TABLES": "schema",
}

__all__ = [
    "PRODUCT_KINDS",
    "STORE_FORMAT_VERSION",
    "TABLES",
    "PublishResult",
    "ReleaseBundle",
    "ReleaseInfo",
    "S3Options",
    "Store",
    "StoreLocation",
    "VerifyReport",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"bluecarbon.store.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'bluecarbon.store' has no attribute {name!r}")
