"""Verified reads: every stored object a release pins is checked against a digest when read.

Why a second kind of digest. A release's content hash (:mod:`bluecarbon.store.hashing`) is over
decoded values, so anyone can recompute it; but recomputing it means reading everything, and
a reader of one parcel's figures must not pay that. So publishing also records:

* for each table, the hash of its decoded values (``table:<name>`` in the release metadata,
  already part of the content hash): a table read is hashed and compared, which costs little
  because tables are small;
* for each array object (every ``zarr.json`` and every chunk), the sha256 of its stored bytes,
  in the release table ``array_digests``: a product opened for reading is wrapped in
  :class:`VerifyingStore`, which checks each object as it is fetched, so a read costs one
  sha256 per chunk it touches and nothing for the chunks it does not.

A re-encoded chunk (valid compression, other values), a flipped byte (which would otherwise
surface as a decompression traceback) or a deleted chunk (which Zarr would silently read as
fill values) each raise :class:`~bluecarbon.errors.IntegrityError` naming the product, the
variable and the chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import icechunk
import pandas as pd
from zarr.abc.store import ByteRequest, Store
from zarr.core.buffer import Buffer, BufferPrototype, default_buffer_prototype
from zarr.core.sync import sync
from zarr.storage import WrapperStore

from bluecarbon.errors import IntegrityError

#: The release table holding the sha256 of every stored array object.
ARRAY_DIGESTS_TABLE = "array_digests"
DIGEST_COLUMNS = ("key", "sha256", "nbytes")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def describe_key(key: str) -> str:
    """``site/kind/variable/c/0/1/2`` as words: product, variable and chunk."""
    parts = key.split("/")
    if "c" in parts:
        i = parts.index("c")
        product, variable = "/".join(parts[: i - 1]), parts[i - 1]
        return f"product {product} variable {variable} chunk {'.'.join(parts[i + 1 :]) or '0'}"
    if parts[-1] == "zarr.json":
        return f"metadata of {'/'.join(parts[:-1]) or 'the store root'}"
    return key


def array_digests(store: Store, products: list[str]) -> pd.DataFrame:
    """sha256 and size of every stored object (metadata and chunks) under each product."""

    async def collect() -> list[tuple[str, str, int]]:
        rows = []
        prototype = default_buffer_prototype()
        for product in sorted(products):
            keys = sorted([key async for key in store.list_prefix(f"{product}/")])
            for key in keys:
                buffer = await store.get(key, prototype=prototype)
                if buffer is None:  # listed, then gone: only a concurrent writer does that
                    raise IntegrityError(f"{describe_key(key)} vanished while it was being digested")
                data = buffer.to_bytes()
                rows.append((key, sha256(data), len(data)))
        return rows

    rows = sync(collect())
    return pd.DataFrame(rows, columns=list(DIGEST_COLUMNS)).astype({"nbytes": "int64"})


@dataclass(frozen=True)
class Digests:
    """Expected digests of one release's array objects, by store key."""

    release: str
    by_key: Mapping[str, str]

    @classmethod
    def from_frame(cls, release: str, frame: pd.DataFrame) -> Digests:
        return cls(release, dict(zip(frame["key"].astype(str), frame["sha256"].astype(str), strict=True)))

    def check(self, key: str, data: bytes | None) -> None:
        expected = self.by_key.get(key)
        if data is None:
            if expected is not None:
                raise IntegrityError(
                    f"release {self.release}: {describe_key(key)} is missing from the store "
                    "(deleted after publishing); it would otherwise be read as fill values"
                )
            return
        if expected is None:
            raise IntegrityError(
                f"release {self.release}: {describe_key(key)} was not part of the release as published "
                "(an object was added to the store after publishing)"
            )
        if sha256(data) != expected:
            raise IntegrityError(
                f"release {self.release}: {describe_key(key)} does not match the digest recorded when "
                "it was published (the stored bytes were changed); not reading it"
            )


class VerifyingStore(WrapperStore[Any]):
    """A read-only Zarr store that checks every object it returns against the release's digests.

    Partial reads (byte ranges) are refused: a digest is over a whole object, and bluecarbon's
    arrays are never sharded, so Zarr always fetches whole objects.
    """

    def __init__(self, store: Store, digests: Digests) -> None:
        super().__init__(store)
        self._digests = digests

    def __getstate__(self) -> dict[str, Any]:
        return {"store": self._store, "digests": self._digests}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["store"], state["digests"])  # type: ignore[misc]

    def _with_store(self, store: Store) -> VerifyingStore:
        return type(self)(store, self._digests)

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        if byte_range is not None:
            raise IntegrityError(f"{describe_key(key)}: partial reads cannot be verified")
        try:
            buffer = await self._store.get(key, prototype, None)
        except (OSError, icechunk.IcechunkError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise IntegrityError(
                f"release {self._digests.release}: {describe_key(key)} cannot be read from the store "
                f"({first}); it was deleted or damaged after publishing"
            ) from None
        self._digests.check(key, None if buffer is None else buffer.to_bytes())
        return buffer

    async def get_partial_values(self, prototype: BufferPrototype, key_ranges: Any) -> list[Buffer | None]:
        raise IntegrityError("partial reads cannot be verified")
