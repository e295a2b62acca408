"""Researcher API: ``bluecarbon.open_catalog(location)``.

Notebooks should not need to know about Icechunk sessions or Delta versions. A
:class:`Catalog` wraps a store and answers in xarray and (Geo)pandas: list releases, open a
product lazily, read a table as it was in a release, find the release current at a date.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import xarray as xr

from bluecarbon.store import S3Options, Store
from bluecarbon.store.release import ReleaseInfo


class Catalog:
    """Read-only view of a bluecarbon store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def releases(self) -> pd.DataFrame:
        """One row per release (oldest first): tag, snapshot id, created, hash, status."""
        rows = [r.as_dict() for r in self.store.releases()]
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame["created"] = pd.to_datetime(frame["created"])
        return frame

    def release(self, release: str = "latest") -> ReleaseInfo:
        return self.store.resolve(release)

    def products(self, release: str = "latest") -> list[str]:
        return list(self.store.resolve(release).products)

    def open(self, product: str, release: str = "latest") -> xr.Dataset:
        """Product ``site/kind`` of a release as a lazy Dataset."""
        return self.store.open_product(product, release)

    def table(self, name: str, release: str = "latest") -> pd.DataFrame:
        """Table ``name`` as pinned by the release."""
        return self.store.read_table(name, release)

    def as_of(self, when: datetime | str) -> ReleaseInfo:
        """The release current at ``when``."""
        moment = pd.Timestamp(when).to_pydatetime()
        return self.store.as_of(moment)


def open_catalog(location: str | Path, *, s3: S3Options | None = None) -> Catalog:
    """Open the catalog of a store given its path or URI (``s3://bucket/prefix``).

    A project folder (one holding ``bluecarbon.toml``) is accepted too: its configured
    store is opened.
    """
    text = str(location)
    path = Path(text)
    if "://" not in text and (path / "bluecarbon.toml").is_file():
        from bluecarbon.config import load_settings

        settings = load_settings(path / "bluecarbon.toml")
        text = settings.store_uri
    elif "://" not in text:
        text = str(path.resolve())
    return Catalog(Store.open(text, s3=s3))
