"""The versioned blue-carbon database: releases over Icechunk (grids) and Delta Lake
(tables), with provenance, validation gates, time travel and integrity checks."""

from bluecarbon.store.location import S3Options, StoreLocation
from bluecarbon.store.release import (
    PublishResult,
    ReleaseBundle,
    ReleaseInfo,
    Store,
    VerifyReport,
)
from bluecarbon.store.schema import PRODUCT_KINDS, STORE_FORMAT_VERSION, TABLES

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
