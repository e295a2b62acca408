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

from bluecarbon.errors import StoreError
from bluecarbon.store import S3Options, Store
from bluecarbon.store.diff import ReleaseDiff, diff_releases
from bluecarbon.store.release import ReleaseInfo


class Catalog:
    """Read-only view of a bluecarbon store.

    With ``verify`` (the default) every table read is checked against the digest of its values
    recorded at publishing, and every chunk of a product as it is read; a mismatch raises
    :class:`~bluecarbon.errors.IntegrityError` naming the object."""

    def __init__(self, store: Store, *, verify: bool = True) -> None:
        self.store = store
        self.verify = verify

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
        return self.store.open_product(product, release, verify=self.verify)

    def table(self, name: str, release: str = "latest") -> pd.DataFrame:
        """Table ``name`` as pinned by the release."""
        return self.store.read_table(name, release, verify=self.verify)

    def as_of(self, when: datetime | str) -> ReleaseInfo:
        """The release current at ``when``."""
        moment = pd.Timestamp(when).to_pydatetime()
        return self.store.as_of(moment)

    def tables(self, release: str = "latest") -> list[str]:
        return sorted(self.store.resolve(release).tables)

    def sql(self, query: str, release: str = "latest") -> pd.DataFrame:
        """Run read-only SQL (DuckDB) over the release's tables, each a view by its name.

        Geometry columns are WKB blobs. DuckDB runs in memory with external access and
        extension loading switched off, so a query can read only this release's tables.
        """
        import duckdb

        from bluecarbon.store.tables import read_arrow

        info = self.store.resolve(release)
        con = duckdb.connect(":memory:")
        try:
            for name, pin in sorted(info.tables.items()):
                arrow = read_arrow(
                    self.store.location.table_uri(name),
                    int(pin["version"]),
                    storage_options=self.store.location.delta_storage_options(),
                )
                if self.verify:
                    self.store.check_table(info, name, arrow)
                con.register(name, arrow)
            con.execute("SET autoinstall_known_extensions = false")
            con.execute("SET autoload_known_extensions = false")
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            return con.execute(query).df()
        except duckdb.Error as exc:
            raise StoreError(f"SQL failed on release {info.tag}: {exc}") from exc
        finally:
            con.close()

    def diff(self, a: str, b: str) -> ReleaseDiff:
        """Per-class and per-parcel differences between releases ``a`` and ``b``."""
        return diff_releases(self.store, a, b)


def open_catalog(location: str | Path, *, s3: S3Options | None = None, verify: bool = True) -> Catalog:
    """Open the catalog of a store given its path or URI (``s3://bucket/prefix``).

    A project folder (one holding ``bluecarbon.toml``) is accepted too: its configured
    store is opened. ``verify=False`` skips checking what is read against the digests
    recorded at publishing (faster, and nothing vouches for the data).
    """
    text = str(location)
    path = Path(text)
    if "://" not in text and (path / "bluecarbon.toml").is_file():
        from bluecarbon.config import load_settings

        settings = load_settings(path / "bluecarbon.toml")
        text = settings.store_uri
        s3 = s3 if s3 is not None else settings.store_s3()  # the project's bucket credentials
    elif "://" not in text:
        text = str(path.resolve())
    return Catalog(Store.open(text, s3=s3), verify=verify)
