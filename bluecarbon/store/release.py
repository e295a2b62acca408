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

Reads are verified (:mod:`bluecarbon.store.integrity`): a table read is checked against the
hash of its values in the release metadata, a product is opened through a store that checks
each object against the release's ``array_digests`` table, so what a statement or the API
serves is what was published, or an error naming the object. Withdrawals are entries of the
hash-chained ``_status`` ledger (:mod:`bluecarbon.store.ledger`), so a release is never
changed and a deleted or edited withdrawal is reported by ``verify``.
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
from deltalake.exceptions import DeltaError
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
from bluecarbon.store.integrity import ARRAY_DIGESTS_TABLE, Digests, VerifyingStore, array_digests
from bluecarbon.store.ledger import Ledger
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
    #: Head and length of the withdrawal ledger when the release was published.
    status_anchor: Mapping[str, Any] | None = None

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
        self._digest_cache: dict[str, Digests] = {}
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
        meta = _key_sorted(meta)  # Icechunk returns metadata maps in a per-process order
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
            status_anchor=meta.get("status_ledger"),
        )

    def status_ledger(self) -> Ledger:
        """The hash-chained ledger of withdrawals."""
        return Ledger(self.location, self.repo, STATUS_TABLE, lock=lambda: self.writer_lock(60.0))

    def _status(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        try:
            entries = self.status_ledger().entries()
        except IntegrityError as exc:
            raise IntegrityError(
                f"{exc}. Withdrawals cannot be trusted, so no release is served: restore the store "
                "from a backup (`bluecarbon verify` lists the damage)"
            ) from None
        except (OSError, DeltaError) as exc:
            raise IntegrityError(
                f"the withdrawal ledger ({STATUS_TABLE}) cannot be read from {self.location.uri}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}; "
                "the store is damaged: restore it from a backup"
            ) from None
        for entry in entries:
            if entry.kind == "withdraw":
                out[str(entry.payload["tag"])] = {
                    "status": "withdrawn",
                    "reason": entry.payload["reason"],
                    "at": datetime.fromisoformat(entry.at),
                }
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

    def open_product(
        self, product: str, release: ReleaseInfo | str = "latest", *, verify: bool = True
    ) -> xr.Dataset:
        """A product of a release as a lazy (dask-backed) Dataset with its CRS.

        With ``verify`` (the default) every object read is checked against the release's
        ``array_digests``; a changed, added or missing chunk raises IntegrityError naming it."""
        info = self.resolve(release) if isinstance(release, str | ReleaseRef) else release
        check_product(product)
        if product not in info.products:
            raise ReleaseNotFound(
                f"product {product!r} not in release {info.tag} (has: {', '.join(info.products)})"
            )
        return _open_group(self._array_store(info, verify=verify), product)

    def _array_store(self, info: ReleaseInfo, *, verify: bool) -> Any:
        store = self.session(info).store
        if not verify:
            return store
        if ARRAY_DIGESTS_TABLE not in info.tables:
            if info.store_format >= 3:
                raise IntegrityError(
                    f"release {info.tag}: its {ARRAY_DIGESTS_TABLE} table is missing from the metadata"
                )
            return store  # published before digests were recorded (store format < 3)
        digests = self._digest_cache.get(info.snapshot_id)
        if digests is None:
            digests = Digests.from_frame(info.tag, self.read_table(ARRAY_DIGESTS_TABLE, info))
            self._digest_cache[info.snapshot_id] = digests
        return VerifyingStore(store, digests)

    def read_table(
        self, name: str, release: ReleaseInfo | str = "latest", *, verify: bool = True
    ) -> pd.DataFrame:
        """A table at the version pinned by the release ((Geo)DataFrame), checked (``verify``)
        against the hash of its values recorded when it was published."""
        info = self.resolve(release) if isinstance(release, str | ReleaseRef) else release
        check_name(name, kind="table")
        if name not in info.tables:
            raise ReleaseNotFound(
                f"table {name!r} not in release {info.tag} (has: {', '.join(sorted(info.tables))})"
            )
        pin = info.tables[name]
        try:
            arrow = read_arrow(
                self.location.table_uri(name),
                int(pin["version"]),
                storage_options=self.location.delta_storage_options(),
            )
        except (OSError, DeltaError, ValueError) as exc:
            raise IntegrityError(
                f"release {info.tag}: table {name} (Delta version {pin['version']}) cannot be read: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
            ) from None
        if verify:
            self.check_table(info, name, arrow)
        return to_frame(arrow, pin.get("geometry_column"), pin.get("crs"))

    @staticmethod
    def check_table(info: ReleaseInfo, name: str, arrow: Any) -> None:
        """Raise IntegrityError unless ``arrow`` holds the values table ``name`` of ``info``
        was published with."""
        expected = info.object_hashes.get(f"table:{name}")
        if expected is None:
            if info.store_format >= 3:
                raise IntegrityError(f"release {info.tag}: no digest recorded for table {name}")
            return
        if hashing.table_hash(name, arrow) != expected:
            raise IntegrityError(
                f"release {info.tag}: table {name} does not match the digest recorded when it was "
                "published (its stored files were changed afterwards); refusing to read it"
            )

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
            if name == ARRAY_DIGESTS_TABLE:
                raise StoreError(f"table name {name!r} is reserved for the digests publishing records")
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
        products = {name: _open_group(staged.store, name) for name in bundle.products}
        pins[ARRAY_DIGESTS_TABLE] = write_table(
            self.location.table_uri(ARRAY_DIGESTS_TABLE),
            ARRAY_DIGESTS_TABLE,
            array_digests(staged.store, sorted(bundle.products)),
            storage_options=opts,
            key=key,
        )
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
        status = self.status_ledger().anchor()
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
                "status_ledger": {"head": status.head, "count": status.count},
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
        self,
        products: Mapping[str, xr.Dataset],
        versions: Mapping[str, int],
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        total = sum(len(ds.variables) for ds in products.values()) + len(versions)
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total)

        for name, ds in sorted(products.items()):
            out.update(hashing.dataset_hashes(name, ds, on_variable=step))
        for name, version in sorted(versions.items()):
            arrow = read_arrow(
                self.location.table_uri(name), version, storage_options=self.location.delta_storage_options()
            )
            out[f"table:{name}"] = hashing.table_hash(name, arrow)
            step()
        return out

    # -------------------------------------------------------------- status and integrity
    def withdraw(self, ref: str, reason: str, *, actor: str | None = None) -> ReleaseInfo:
        """Mark a release withdrawn: an entry appended to the ``_status`` ledger; the release's
        data stay readable and unchanged."""
        if not reason.strip():
            raise StoreError("a withdrawal needs a reason")
        info = self.resolve(ref)
        if info.withdrawn:
            raise StoreError(
                f"release {info.tag} was already withdrawn on {info.withdrawn_at}: {info.withdrawn_reason}"
            )
        self.status_ledger().append(
            "withdraw",
            {"tag": info.tag, "snapshot_id": info.snapshot_id, "reason": reason.strip()},
            actor=actor or _user(),
        )
        return self.resolve(info.tag)

    def verify(
        self, ref: str = "latest", *, progress: Callable[[int, int], None] | None = None
    ) -> VerifyReport:
        """Check a release against what was recorded when it was published: every stored object
        against its digest, every value hash, the content hash, and the withdrawal ledger's
        chain. Each problem is named; none raises.

        ``progress(done, total)`` is called as products and tables are hashed."""
        ledger = self.status_ledger()
        problems = [f"withdrawal ledger {STATUS_TABLE}: {p}" for p in ledger.verify()]
        try:
            info = self.resolve(ref)
        except IntegrityError:  # the ledger is damaged: check the release data all the same
            info = self._resolve_ignoring_status(ref)
        problems += self._ledger_since_publish(info, ledger)
        recomputed: dict[str, str] = {}
        total = len(info.products) + len(info.tables)
        done = 0
        for name in info.products:
            try:
                recomputed.update(hashing.dataset_hashes(name, self.open_product(name, info)))
            except IntegrityError as exc:
                problems.append(str(exc))
            except (OSError, ValueError, RuntimeError, KeyError, icechunk.IcechunkError) as exc:
                problems.append(f"product {name} cannot be decoded: {type(exc).__name__}: {exc}")
            done += 1
            if progress is not None:
                progress(done, total)
        for name, pin in sorted(info.tables.items()):
            try:
                arrow = read_arrow(
                    self.location.table_uri(name),
                    int(pin["version"]),
                    storage_options=self.location.delta_storage_options(),
                )
                recomputed[f"table:{name}"] = hashing.table_hash(name, arrow)
            except IntegrityError as exc:
                problems.append(str(exc))
            except (OSError, ValueError, DeltaError) as exc:
                problems.append(f"table {name} cannot be read: {type(exc).__name__}: {exc}")
            done += 1
            if progress is not None:
                progress(done, total)
        for name, expected in sorted(info.object_hashes.items()):
            got = recomputed.get(name)
            if got is not None and got != expected:
                problems.append(
                    f"{name}: stored data hash {got[:12]} differs from the one recorded at publishing "
                    f"{expected[:12]}"
                )
        complete = set(recomputed) == set(info.object_hashes)
        combined = hashing.combine(recomputed) if complete else None
        if combined is not None and combined != info.content_hash:
            problems.append(
                f"content hash {combined[:12]} differs from the one recorded at publishing "
                f"{info.content_hash[:12]}"
            )
        return VerifyReport(info, ok=not problems, problems=tuple(problems), recomputed_hash=combined)

    def _resolve_ignoring_status(self, ref: str) -> ReleaseInfo:
        parsed = parse_release_ref(ref)
        infos = [
            info
            for tag in self.repo.list_tags()
            if (info := self._info(tag, self.repo.lookup_tag(tag), {})) is not None
        ]
        infos.sort(key=lambda r: (r.created, r.tag))
        for info in reversed(infos):
            if parsed.latest or info.tag == parsed.tag or info.snapshot_id == parsed.snapshot_id:
                return info
        raise ReleaseNotFound(f"release {ref} not found in {self.location.uri}")

    @staticmethod
    def _ledger_since_publish(info: ReleaseInfo, ledger: Ledger) -> list[str]:
        """The withdrawal ledger must still hold the entries it had when ``info`` was published."""
        recorded = info.status_anchor
        if not recorded or int(recorded.get("count", 0)) == 0:
            return []
        count, head = int(recorded["count"]), str(recorded["head"])
        chain = ledger.chain_unchecked()
        if len(chain) < count or chain[count - 1].entry_hash != head:
            return [
                f"withdrawal ledger {STATUS_TABLE}: it held {count} entries when release {info.tag} was "
                f"published and no longer does ({len(chain)} now): entries were deleted or replaced"
            ]
        return []


def _key_sorted(value: Any) -> Any:
    """``value`` with every mapping's keys in sorted order (lists keep theirs)."""
    if isinstance(value, Mapping):
        return {k: _key_sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_key_sorted(v) for v in value]
    return value


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


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


def _open_group(store: Any, group: str) -> xr.Dataset:
    return xr.open_zarr(store, group=group, consolidated=False, decode_coords="all", chunks={})
