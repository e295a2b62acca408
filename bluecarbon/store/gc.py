"""Garbage collection: remove what failed publishes left behind, never what a release uses.

A publish that dies before its tag leaves (a) Icechunk chunks, manifests and snapshots no
ref reaches, (b) Delta versions no release pins, and sometimes (c) a ``staging-*`` branch.
``collect_garbage`` deletes the stale staging branches (created before a cut-off, so a
publish in progress on an object store is not disturbed), lets Icechunk delete unreachable
objects older than the cut-off, and deletes Delta data files that no release pins.
Everything a tag reaches stays: tags are the roots; so do the store's own append-only tables
(``_status``, the ``_register`` ledger, ``_alerts``) and their ``ledger-*`` anchor branches.
Local stores run it under the writer lock.

A dry run must report what the real run removes. Icechunk's own dry run counts only objects
unreachable *now*, so data a stale branch still holds would be missed: publishing therefore
deletes its staging branch as soon as the staged data are committed (see
``bluecarbon.store.release``), and a branch that dies holds nothing of its own. A stale branch
that does hold an unpublished snapshot (a store written by an older version, or a crash in
the instant the branch is re-created for the release commit) is named in the dry-run report
as data it cannot size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pyarrow.fs as pafs
from deltalake import DeltaTable

from bluecarbon.progress import StageCallback
from bluecarbon.store.release import MAIN, Store

STAGING_PREFIX = "staging-"
#: The stages :func:`collect_garbage` reports to its ``progress`` callback, in order.
STAGES = (
    "stale staging branches",
    "unreachable Icechunk objects",
    "Delta files releases pin",
    "unpinned Delta files",
)


@dataclass
class GcReport:
    cutoff: datetime
    dry_run: bool
    staging_branches: list[str] = field(default_factory=list)
    icechunk_objects_deleted: int = 0
    icechunk_bytes_deleted: int = 0
    delta_files: list[str] = field(default_factory=list)
    delta_bytes: int = 0
    #: Stale branches holding snapshots of their own (their data: not sized by a dry run).
    unsized_branches: list[str] = field(default_factory=list)

    @property
    def bytes_total(self) -> int:
        return self.icechunk_bytes_deleted + self.delta_bytes

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        text = (
            f"{verb} {_size(self.bytes_total)} in all: {len(self.staging_branches)} stale staging "
            f"branch(es), {self.icechunk_objects_deleted} Icechunk object(s) "
            f"({self.icechunk_bytes_deleted:,} bytes), {len(self.delta_files)} unpinned Delta file(s) "
            f"({self.delta_bytes:,} bytes); kept everything reachable from the {MAIN!r} branch and "
            "the release tags"
        )
        if self.dry_run and self.unsized_branches:
            text += (
                f". Not counted: the unpublished data of {len(self.unsized_branches)} stale branch(es) "
                f"({', '.join(self.unsized_branches)}), which the real run also removes"
            )
        return text


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} bytes"


def _created(store: Store, branch: str) -> datetime:
    """When a staging branch was created: the nanosecond stamp its name ends with (a branch
    still at its base snapshot carries that snapshot's older time), else its tip's time."""
    stamp = branch.rsplit("-", 1)[-1]
    if stamp.isdigit() and len(stamp) >= 18:
        return datetime.fromtimestamp(int(stamp) / 1e9, UTC)
    return store.repo.lookup_snapshot(store.repo.lookup_branch(branch)).written_at


def _kept_snapshots(store: Store) -> set[str]:
    """Snapshot ids reachable from ``main`` and the tags."""
    kept: set[str] = set()
    for ancestry in (
        store.repo.ancestry(branch=MAIN),
        *(store.repo.ancestry(tag=t) for t in store.repo.list_tags()),
    ):
        for snap in ancestry:
            if snap.id in kept:
                break
            kept.add(snap.id)
    return kept


def _filesystem(store: Store) -> tuple[pafs.FileSystem, str]:
    loc = store.location
    if loc.is_local:
        return pafs.LocalFileSystem(), str(loc.path / "tables")
    opts = loc.s3
    parsed = urlparse(loc.uri)
    fs = pafs.S3FileSystem(
        access_key=(opts.access_key_id or None) if opts else None,
        secret_key=(opts.secret_access_key.get_secret_value() or None) if opts else None,
        region=opts.region if opts else "us-east-1",
        endpoint_override=(opts.endpoint_url or None) if opts else None,
        scheme="http" if opts and opts.allow_http else "https",
    )
    return fs, f"{parsed.netloc}/{parsed.path.strip('/')}/tables".replace("//", "/")


def _pinned_files(store: Store) -> dict[str, set[str]]:
    """Data files (relative to each table folder) pinned by any release."""
    pinned: dict[str, set[str]] = {}
    opts = store.location.delta_storage_options()
    for release in store.releases():
        for name, pin in release.tables.items():
            uri = store.location.table_uri(name)
            table = DeltaTable(uri, version=int(pin["version"]), storage_options=opts)
            pinned.setdefault(name, set()).update(
                a for a in table.get_add_actions(flatten=True).column("path").to_pylist()
            )
    return pinned


def collect_garbage(
    store: Store,
    *,
    older_than: timedelta = timedelta(hours=1),
    dry_run: bool = False,
    progress: StageCallback | None = None,
) -> GcReport:
    """Remove data of failed publishes older than ``older_than``; see the module docstring.

    ``progress(stage)`` is called as each of :data:`STAGES` starts (see :mod:`bluecarbon.progress`)."""
    say = progress or (lambda _stage: None)
    cutoff = datetime.now(UTC) - older_than
    report = GcReport(cutoff=cutoff, dry_run=dry_run)
    with store.writer_lock(600.0):
        say(STAGES[0])
        if not dry_run:
            store.reconcile()
        kept: set[str] | None = None
        for branch in sorted(store.repo.list_branches()):
            if not branch.startswith(STAGING_PREFIX) or _created(store, branch) >= cutoff:
                continue
            report.staging_branches.append(branch)
            if not dry_run:
                store.repo.delete_branch(branch)
                continue
            kept = _kept_snapshots(store) if kept is None else kept
            if store.repo.lookup_branch(branch) not in kept:
                report.unsized_branches.append(branch)
        say(STAGES[1])
        summary = store.repo.garbage_collect(cutoff, dry_run=dry_run)
        report.icechunk_objects_deleted = int(
            summary.chunks_deleted
            + summary.manifests_deleted
            + summary.snapshots_deleted
            + summary.transaction_logs_deleted
            + summary.attributes_deleted
        )
        report.icechunk_bytes_deleted = int(summary.bytes_deleted)
        say(STAGES[2])
        pinned = _pinned_files(store)
        say(STAGES[3])
        fs, tables_root = _filesystem(store)
        try:
            table_dirs = fs.get_file_info(pafs.FileSelector(tables_root, allow_not_found=True))
        except FileNotFoundError:
            table_dirs = []
        for info in table_dirs:
            name = info.base_name
            if info.type != pafs.FileType.Directory or name.startswith("_"):  # ledgers: append-only
                continue
            keep = pinned.get(name, set())
            for f in fs.get_file_info(pafs.FileSelector(info.path, recursive=True)):
                rel = f.path[len(info.path) + 1 :]
                if (
                    f.type != pafs.FileType.File
                    or rel.startswith("_delta_log")
                    or not rel.endswith(".parquet")
                ):
                    continue
                if rel in keep or f.mtime is None or f.mtime.replace(tzinfo=UTC) >= cutoff:
                    continue
                report.delta_files.append(f"{name}/{rel}")
                report.delta_bytes += int(f.size or 0)
                if not dry_run:
                    fs.delete_file(f.path)
    return report
