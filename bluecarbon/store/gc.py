"""Garbage collection: remove what failed publishes left behind, never what a release uses.

A publish that dies before its tag leaves (a) a ``staging-*`` branch, (b) Icechunk chunks,
manifests and snapshots reachable only from that branch, (c) Delta versions no release pins.
``collect_garbage`` deletes the stale staging branches (older than a cut-off, so a publish in
progress on an object store is not disturbed), lets Icechunk delete unreachable objects older
than the cut-off, and deletes Delta data files that no release pins. Everything a tag reaches
stays: tags are the roots; so do the store's own append-only tables (``_status``, the
``_register`` ledger and its ``ledger-*`` anchor branches, ``_alerts``). Local stores run it
under the writer lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pyarrow.fs as pafs
from deltalake import DeltaTable

from bluecarbon.store.release import MAIN, STATUS_TABLE, Store

STAGING_PREFIX = "staging-"


@dataclass
class GcReport:
    cutoff: datetime
    dry_run: bool
    staging_branches: list[str] = field(default_factory=list)
    icechunk_objects_deleted: int = 0
    icechunk_bytes_deleted: int = 0
    delta_files: list[str] = field(default_factory=list)
    delta_bytes: int = 0

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        return (
            f"{verb} {len(self.staging_branches)} stale staging branch(es), "
            f"{self.icechunk_objects_deleted} Icechunk object(s) ({self.icechunk_bytes_deleted:,} bytes), "
            f"{len(self.delta_files)} unpinned Delta file(s) ({self.delta_bytes:,} bytes); "
            f"kept everything reachable from the {MAIN!r} branch and the release tags"
        )


def _filesystem(store: Store) -> tuple[pafs.FileSystem, str]:
    loc = store.location
    if loc.is_local:
        return pafs.LocalFileSystem(), str(loc.path / "tables")
    opts = loc.s3
    parsed = urlparse(loc.uri)
    fs = pafs.S3FileSystem(
        access_key=(opts.access_key_id or None) if opts else None,
        secret_key=(opts.secret_access_key or None) if opts else None,
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
    store: Store, *, older_than: timedelta = timedelta(hours=1), dry_run: bool = False
) -> GcReport:
    """Remove data of failed publishes older than ``older_than``; see the module docstring."""
    cutoff = datetime.now(UTC) - older_than
    report = GcReport(cutoff=cutoff, dry_run=dry_run)
    with store.writer_lock(600.0):
        if not dry_run:
            store.reconcile()
        for branch in sorted(store.repo.list_branches()):
            if not branch.startswith(STAGING_PREFIX):
                continue
            tip = store.repo.lookup_snapshot(store.repo.lookup_branch(branch))
            if tip.written_at < cutoff:
                report.staging_branches.append(branch)
                if not dry_run:
                    store.repo.delete_branch(branch)
        summary = store.repo.garbage_collect(cutoff, dry_run=dry_run)
        report.icechunk_objects_deleted = int(
            summary.chunks_deleted
            + summary.manifests_deleted
            + summary.snapshots_deleted
            + summary.transaction_logs_deleted
            + summary.attributes_deleted
        )
        report.icechunk_bytes_deleted = int(summary.bytes_deleted)
        pinned = _pinned_files(store)
        fs, tables_root = _filesystem(store)
        try:
            table_dirs = fs.get_file_info(pafs.FileSelector(tables_root, allow_not_found=True))
        except FileNotFoundError:
            table_dirs = []
        for info in table_dirs:
            name = info.base_name
            # "_" tables (_status, _register, _alerts) are the store's own append-only ledgers, no
            # release pins them and every version of them is live
            if info.type != pafs.FileType.Directory or name == STATUS_TABLE or name.startswith("_"):
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
