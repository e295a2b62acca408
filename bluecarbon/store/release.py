"""The release ledger: atomic, immutable, idempotent releases over Icechunk and Delta Lake.

A release is one Icechunk commit on ``main`` plus an immutable calendar tag. The commit's
metadata pins one version of every Delta table, the provenance and a content hash. Publishing:

1. return the existing release when one has the same idempotency key (no-op);
2. take the writer lock (local stores), finish any release a crash left untagged;
3. write each table as a complete new Delta version;
4. write the gridded products to a fresh ``staging-*`` branch, commit them and delete the
   branch at once: while the staged snapshot is validated no ref holds it, so a publish
   that dies leaves only unreferenced objects, which ``gc`` removes and ``gc --dry-run``
   counts exactly;
5. read the staged data back, run the validators and hash it; on any error stop here:
   ``main`` and the tags are untouched and the staged data are orphans for ``gc``;
6. add a release commit carrying the metadata on a staging branch recreated at the staged
   snapshot for that one commit;
7. move ``main`` to it with a compare-and-swap (fails cleanly if ``main`` moved);
8. create the tag (tags are immutable; Icechunk refuses to overwrite one).

Step 7 is the point of no return. A crash between 7 and 8 leaves a validated release commit
at the tip of ``main`` without its tag; the next publish (or ``Store.reconcile``) creates it.
Withdrawals are appended to a ``_status`` Delta table, so a release is never changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import icechunk
import pandas as pd
import rioxarray  # noqa: F401  (registers .rio: products are opened "with their CRS")
import xarray as xr
import zarr
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError
from icechunk.xarray import to_icechunk

from bluecarbon.errors import (
    IntegrityError,
    PublishRejected,
    ReleaseNotFound,
    StoreError,
)
from bluecarbon.fingerprint import code_version
from bluecarbon.params import ParameterSet
from bluecarbon.store import hashing, validators
from bluecarbon.store.ids import ReleaseRef, check_name, check_product, parse_release_ref, tag_for
from bluecarbon.store.location import StoreLocation, as_transient, is_transient
from bluecarbon.store.lock import writer_lock
from bluecarbon.store.schema import STORE_FORMAT_VERSION
from bluecarbon.store.tables import TableVersion, read_arrow, to_frame, write_table

log = logging.getLogger(__name__)

META_KEY = "bluecarbon"
MAIN = "main"
STATUS_TABLE = "_status"
#: The release table holding the parameter tables a release was computed with.
PARAMETERS_TABLE = "parameters"

Progress = Callable[[str], None]


def _quiet_icechunk() -> None:
    # Icechunk logs a warning on every local repository open; our lock makes it moot.
    icechunk.set_logs_filter("error")


@dataclass(frozen=True)
class ReleaseBundle:
    """Everything one release publishes.

    ``products`` maps ``<site>/<kind>`` to a Dataset (may be dask-backed; publishing computes
    it), ``tables`` maps table names to (Geo)DataFrames, ``provenance`` is JSON-serialisable.
    """

    products: Mapping[str, xr.Dataset]
    tables: Mapping[str, pd.DataFrame]
    idempotency_key: str
    provenance: Mapping[str, Any]
    summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReleaseInfo:
    """What the ledger knows about one release."""

    tag: str
    snapshot_id: str
    created: datetime
    content_hash: str
    idempotency_key: str
    products: tuple[str, ...]
    tables: Mapping[str, Mapping[str, Any]]
    provenance: Mapping[str, Any]
    summary: Mapping[str, Any]
    flags: tuple[str, ...]
    object_hashes: Mapping[str, str]
    store_format: int
    package_version: str
    status: str = "published"
    withdrawn_reason: str | None = None
    withdrawn_at: datetime | None = None
    parameters_sha256: str | None = None

    @property
    def withdrawn(self) -> bool:
        return self.status == "withdrawn"

    def as_dict(self, *, full: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tag": self.tag,
            "snapshot_id": self.snapshot_id,
            "created": self.created.isoformat(),
            "content_hash": self.content_hash,
            "status": self.status,
            "withdrawn_reason": self.withdrawn_reason,
            "withdrawn_at": self.withdrawn_at.isoformat() if self.withdrawn_at else None,
            "summary": dict(self.summary),
            "flags": list(self.flags),
            "package_version": self.package_version,
            "store_format": self.store_format,
            "parameters_sha256": self.parameters_sha256,
        }
        if full:
            out |= {
                "idempotency_key": self.idempotency_key,
                "products": list(self.products),
                "tables": {k: dict(v) for k, v in self.tables.items()},
                "provenance": dict(self.provenance),
                "object_hashes": dict(self.object_hashes),
            }
        return out


@dataclass(frozen=True)
class PublishResult:
    release: ReleaseInfo
    published: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerifyReport:
    release: ReleaseInfo
    ok: bool
    problems: tuple[str, ...]
    recomputed_hash: str | None


class Store:
    """A versioned blue-carbon store (local folder or S3-compatible prefix)."""

    def __init__(self, location: StoreLocation, *, create: bool = False) -> None:
        _quiet_icechunk()
        self.location = location
        storage = location.icechunk_storage()
        try:
            exists = icechunk.Repository.exists(storage)
            if exists:
                self.repo = icechunk.Repository.open(storage)
            elif create:
                if location.is_local:
                    location.path.mkdir(parents=True, exist_ok=True)
                self.repo = icechunk.Repository.create(storage)
        except (icechunk.IcechunkError, OSError) as exc:
            if not location.is_local and is_transient(exc):
                raise as_transient(exc, location.uri) from exc
            raise
        if not exists and not create:
            raise StoreError(
                f"no bluecarbon store at {location.uri}: run `bluecarbon run` to publish a first release"
            )

    @classmethod
    def open(cls, uri: str, *, s3: Any = None, create: bool = False) -> Store:
        return cls(StoreLocation(uri, s3), create=create)

    # ----------------------------------------------------------------- reading the ledger
    def _info(self, tag: str, snapshot_id: str, status: Mapping[str, dict[str, Any]]) -> ReleaseInfo | None:
        snap = self.repo.lookup_snapshot(snapshot_id)
        meta = (snap.metadata or {}).get(META_KEY)
        if not meta or meta.get("kind") != "release":
            return None
        st = status.get(tag, {})
        return ReleaseInfo(
            tag=tag,
            snapshot_id=snapshot_id,
            created=datetime.fromisoformat(meta["created"]),
            content_hash=meta["content_hash"],
            idempotency_key=meta["idempotency_key"],
            products=tuple(meta.get("products", [])),
            tables=meta.get("tables", {}),
            provenance=meta.get("provenance", {}),
            summary=meta.get("summary", {}),
            flags=tuple(meta.get("flags", [])),
            object_hashes=meta.get("object_hashes", {}),
            store_format=int(meta.get("store_format", 0)),
            package_version=meta.get("package_version", ""),
            status=st.get("status", "published"),
            withdrawn_reason=st.get("reason"),
            withdrawn_at=st.get("at"),
            parameters_sha256=meta.get("parameters_sha256"),
        )

    def _status(self) -> dict[str, dict[str, Any]]:
        uri = self.location.table_uri(STATUS_TABLE)
        try:
            frame = DeltaTable(uri, storage_options=self.location.delta_storage_options()).to_pandas()
        except TableNotFoundError:
            return {}
        except (OSError, DeltaError) as exc:
            raise IntegrityError(
                f"the withdrawal ledger ({STATUS_TABLE}) cannot be read from {uri}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}; "
                "the store is damaged: restore it from a backup"
            ) from None
        out: dict[str, dict[str, Any]] = {}
        for row in frame.sort_values("at").itertuples():
            out[row.tag] = {"status": row.status, "reason": row.reason, "at": row.at.to_pydatetime()}
        return out

    def releases(self) -> list[ReleaseInfo]:
        """All releases, oldest first, with their withdrawal status."""
        status = self._status()
        infos = []
        for tag in self.repo.list_tags():
            info = self._info(tag, self.repo.lookup_tag(tag), status)
            if info is not None:
                infos.append(info)
        return sorted(infos, key=lambda r: (r.created, r.tag))

    def resolve(self, ref: str | ReleaseRef) -> ReleaseInfo:
        """A release from a tag, ``latest`` (newest not withdrawn) or a snapshot id."""
        parsed = parse_release_ref(ref) if isinstance(ref, str) else ref
        releases = self.releases()
        if parsed.latest:
            current = [r for r in releases if not r.withdrawn]
            if not current:
                raise ReleaseNotFound(f"no published release in {self.location.uri}")
            return current[-1]
        for r in releases:
            if r.tag == parsed.tag or r.snapshot_id == parsed.snapshot_id:
                return r
        known = ", ".join(r.tag for r in releases[-5:]) or "none"
        raise ReleaseNotFound(
            f"release {parsed.tag or parsed.snapshot_id} not found in {self.location.uri} (latest: {known})"
        )

    def as_of(self, when: datetime) -> ReleaseInfo:
        """The release that was current at ``when`` (newest created at or before it)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        candidates = [r for r in self.releases() if r.created <= when]
        if not candidates:
            raise ReleaseNotFound(f"no release existed at {when.isoformat()}")
        return candidates[-1]

    def find_by_key(self, key: str) -> ReleaseInfo | None:
        """The current (not withdrawn) release computed from exactly these inputs, if any.

        A withdrawn release does not count: publishing the same content again after a
        withdrawal makes a new release (otherwise withdrawing every release would leave
        nothing ever publishable again)."""
        for r in self.releases():
            if r.idempotency_key == key and not r.withdrawn:
                return r
        return None

    # ------------------------------------------------------------------ reading releases
    def session(self, release: ReleaseInfo) -> icechunk.Session:
        return self.repo.readonly_session(snapshot_id=release.snapshot_id)

    def open_product(self, product: str, release: ReleaseInfo | str = "latest") -> xr.Dataset:
        """A product of a release as a lazy (dask-backed) Dataset with its CRS."""
        info = self.resolve(release) if isinstance(release, str | ReleaseRef) else release
        check_product(product)
        if product not in info.products:
            raise ReleaseNotFound(
                f"product {product!r} not in release {info.tag} (has: {', '.join(info.products)})"
            )
        return _open_group(self.session(info), product)

    def read_table(self, name: str, release: ReleaseInfo | str = "latest") -> pd.DataFrame:
        """A table at the version pinned by the release ((Geo)DataFrame)."""
        info = self.resolve(release) if isinstance(release, str | ReleaseRef) else release
        check_name(name, kind="table")
        if name not in info.tables:
            raise ReleaseNotFound(
                f"table {name!r} not in release {info.tag} (has: {', '.join(sorted(info.tables))})"
            )
        pin = info.tables[name]
        arrow = read_arrow(
            self.location.table_uri(name),
            int(pin["version"]),
            storage_options=self.location.delta_storage_options(),
        )
        return to_frame(arrow, pin.get("geometry_column"), pin.get("crs"))

    def parameters(self, release: ReleaseInfo | str = "latest") -> ParameterSet:
        """The parameter tables a release was computed with (its ``parameters`` table), checked
        against the digest in its commit metadata. Local parameter files play no part."""
        info = self.resolve(release) if isinstance(release, str | ReleaseRef) else release
        if PARAMETERS_TABLE not in info.tables:
            raise ReleaseNotFound(
                f"release {info.tag} predates pinned parameter tables (store format "
                f"{info.store_format}); publish a new release to issue statements from it"
            )
        pinned = ParameterSet.from_frame(
            self.read_table(PARAMETERS_TABLE, info), origin=f"release {info.tag} table {PARAMETERS_TABLE}"
        )
        if info.parameters_sha256 is not None and pinned.digest != info.parameters_sha256:
            raise IntegrityError(
                f"release {info.tag}: parameter tables do not match the digest in the release metadata"
            )
        return pinned

    # ------------------------------------------------------------------------ publishing
    def writer_lock(self, timeout_s: float) -> Any:
        """Exclusive writer lock for local stores; object stores rely on Icechunk's
        conditional updates (a no-op context here)."""
        if self.location.is_local:
            return writer_lock(self.location.path, timeout_s=timeout_s)
        from contextlib import nullcontext

        return nullcontext()

    def reconcile(self) -> str | None:
        """Tag a validated release commit a crash left at the tip of ``main`` untagged."""
        tip = self.repo.lookup_branch(MAIN)
        meta = (self.repo.lookup_snapshot(tip).metadata or {}).get(META_KEY) or {}
        if meta.get("kind") != "release":
            return None
        tag = meta["tag"]
        if tag in self.repo.list_tags():
            return None
        self.repo.create_tag(tag, tip)
        log.warning("finished release %s left untagged by an interrupted publish", tag)
        return tag

    def publish(
        self,
        bundle: ReleaseBundle,
        *,
        day: date | None = None,
        lock_timeout_s: float = 600.0,
        progress: Progress | None = None,
    ) -> PublishResult:
        """Publish ``bundle`` atomically, or report the release that already holds it."""
        say = progress or (lambda _msg: None)
        for name in bundle.tables:
            check_name(name, kind="table")
        for name in bundle.products:
            check_product(name)
        existing = self.find_by_key(bundle.idempotency_key)
        if existing is not None:
            return PublishResult(existing, published=False)
        with self.writer_lock(lock_timeout_s):
            self.reconcile()
            existing = self.find_by_key(bundle.idempotency_key)
            if existing is not None:  # an identical publish finished while we waited
                return PublishResult(existing, published=False)
            try:
                return self._publish_locked(bundle, day or datetime.now(UTC).date(), say)
            except (OSError, icechunk.IcechunkError, DeltaError) as exc:
                if not self.location.is_local and is_transient(exc):
                    raise as_transient(exc, self.location.uri) from exc
                raise StoreError(
                    f"publish failed while writing to {self.location.uri}: {type(exc).__name__}: {exc}. "
                    "Nothing was published; earlier releases are intact. Fix the cause and rerun; "
                    "`bluecarbon gc` removes the partial data."
                ) from exc

    def _publish_locked(self, bundle: ReleaseBundle, day: date, say: Progress) -> PublishResult:
        previous = self.latest_or_none()
        base = self.repo.lookup_branch(MAIN)
        key = bundle.idempotency_key
        opts = self.location.delta_storage_options()

        say(f"writing {len(bundle.tables)} tables as new Delta versions")
        pins: dict[str, TableVersion] = {}
        for name, frame in sorted(bundle.tables.items()):
            pins[name] = write_table(
                self.location.table_uri(name), name, frame, storage_options=opts, key=key
            )

        branch = f"staging-{key[:16]}-{time.time_ns()}"
        self.repo.create_branch(branch, base)
        session = self.repo.writable_session(branch)
        root = zarr.open_group(session.store, mode="a")
        for child in list(root.keys()):
            del root[child]
        root.attrs["bluecarbon_store_format"] = STORE_FORMAT_VERSION
        for i, (name, ds) in enumerate(sorted(bundle.products.items()), start=1):
            say(f"computing and writing product {i}/{len(bundle.products)}: {name}")
            to_icechunk(_prepare(ds), session, group=name, mode="w")
        data_snapshot = session.commit(f"stage data {key[:16]}")
        self.repo.delete_branch(branch)  # see step 4 of the module docstring

        say("validating the staged release")
        staged = self.repo.readonly_session(snapshot_id=data_snapshot)
        products = {name: _open_group(staged, name) for name in bundle.products}
        tables = {
            name: to_frame(
                read_arrow(self.location.table_uri(name), pin.version, storage_options=opts),
                pin.geometry_column,
                pin.crs,
            )
            for name, pin in pins.items()
        }
        previous_totals = (
            self.read_table("class_totals", previous)
            if previous is not None and "class_totals" in previous.tables
            else None
        )
        outcome = validators.run_all(products, tables, previous_totals)
        if outcome.errors:
            raise PublishRejected(outcome.errors)

        say("hashing the staged release")
        object_hashes = self._hash_objects(products, {n: p.version for n, p in pins.items()})
        content_hash = hashing.combine(object_hashes)
        tag = tag_for(day, set(self.repo.list_tags()))
        created = datetime.now(UTC)
        parameters_sha256 = (
            ParameterSet.from_frame(tables[PARAMETERS_TABLE]).digest if PARAMETERS_TABLE in tables else None
        )
        metadata = {
            META_KEY: {
                "kind": "release",
                "tag": tag,
                "created": created.isoformat(),
                "store_format": STORE_FORMAT_VERSION,
                "package_version": code_version(),
                "idempotency_key": key,
                "content_hash": content_hash,
                "parameters_sha256": parameters_sha256,
                "object_hashes": object_hashes,
                "data_snapshot_id": data_snapshot,
                "products": sorted(bundle.products),
                "tables": {n: p.as_dict() for n, p in pins.items()},
                "provenance": dict(bundle.provenance),
                "summary": dict(bundle.summary),
                "flags": outcome.warnings,
            }
        }
        self.repo.create_branch(branch, data_snapshot)
        release_session = self.repo.writable_session(branch)
        release_snapshot = release_session.commit(f"release {tag}", metadata=metadata, allow_empty=True)
        self.repo.delete_branch(branch)  # again no ref holds unpublished data (step 4)
        say("moving main to the release commit")
        try:
            self.repo.reset_branch(MAIN, release_snapshot, from_snapshot_id=base)
        except icechunk.ConflictError as exc:
            raise StoreError(
                "another publish moved 'main' while this one was validating; nothing was "
                "published by this run. Rerun it."
            ) from exc
        say(f"tagging release {tag}")
        self.repo.create_tag(tag, release_snapshot)
        say(f"published release {tag}")
        return PublishResult(self.resolve(tag), published=True, warnings=tuple(outcome.warnings))

    def latest_or_none(self) -> ReleaseInfo | None:
        """The current release, or None when there is none (empty store, all withdrawn)."""
        try:
            return self.resolve("latest")
        except ReleaseNotFound:
            return None

    def _hash_objects(
        self, products: Mapping[str, xr.Dataset], versions: Mapping[str, int]
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, ds in sorted(products.items()):
            out.update(hashing.dataset_hashes(name, ds))
        for name, version in sorted(versions.items()):
            arrow = read_arrow(
                self.location.table_uri(name), version, storage_options=self.location.delta_storage_options()
            )
            out[f"table:{name}"] = hashing.table_hash(name, arrow)
        return out

    # -------------------------------------------------------------- status and integrity
    def withdraw(self, ref: str, reason: str) -> ReleaseInfo:
        """Mark a release withdrawn (append-only); its data stay readable and unchanged."""
        if not reason.strip():
            raise StoreError("a withdrawal needs a reason")
        info = self.resolve(ref)
        if info.withdrawn:
            raise StoreError(
                f"release {info.tag} was already withdrawn on {info.withdrawn_at}: {info.withdrawn_reason}"
            )
        row = pd.DataFrame(
            {
                "tag": [info.tag],
                "snapshot_id": [info.snapshot_id],
                "status": ["withdrawn"],
                "reason": [reason.strip()],
                "at": [pd.Timestamp.now(tz="UTC")],
            }
        )
        with self.writer_lock(60.0):
            write_deltalake(
                self.location.table_uri(STATUS_TABLE),
                row,
                mode="append",
                storage_options=self.location.delta_storage_options(),
            )
        return self.resolve(info.tag)

    def verify(self, ref: str = "latest") -> VerifyReport:
        """Recompute every object hash of a release and compare with its ledger entry."""
        info = self.resolve(ref)
        problems: list[str] = []
        recomputed: dict[str, str] = {}
        try:
            session = self.session(info)
            products = {name: _open_group(session, name) for name in info.products}
            recomputed = self._hash_objects(products, {n: int(p["version"]) for n, p in info.tables.items()})
        except (OSError, ValueError, KeyError, StoreError, icechunk.IcechunkError) as exc:
            problems.append(f"cannot read release data: {type(exc).__name__}: {exc}")
        for name, expected in sorted(info.object_hashes.items()):
            got = recomputed.get(name)
            if recomputed and got != expected:
                problems.append(
                    f"{name}: stored data hash {str(got)[:12]} differs from the ledger {expected[:12]}"
                )
        combined = hashing.combine(recomputed) if recomputed else None
        if combined is not None and combined != info.content_hash:
            problems.append(f"content hash {combined[:12]} differs from the ledger {info.content_hash[:12]}")
        return VerifyReport(info, ok=not problems, problems=tuple(problems), recomputed_hash=combined)


def _prepare(ds: xr.Dataset) -> xr.Dataset:
    """Drop encodings that conflict with Zarr v3 (chunks from source files, compressors)."""
    out = ds.copy()
    for var in out.variables.values():
        keep = {
            k: v
            for k, v in var.encoding.items()
            if k in ("dtype", "_FillValue", "units", "calendar", "scale_factor", "add_offset")
        }
        var.encoding = keep
    return out


def _open_group(session: icechunk.Session, group: str) -> xr.Dataset:
    return xr.open_zarr(session.store, group=group, consolidated=False, decode_coords="all", chunks={})
