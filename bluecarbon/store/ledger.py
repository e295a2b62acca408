"""Append-only, hash-chained ledgers in a store: withdrawals, and the sink-rights register.

Why a chain and an anchor: a status or a holding that lives in an ordinary table can be edited or
deleted without a trace (deleting the old ``_status`` table silently un-withdrew every release).
Here every entry carries the hash of the previous one (``prev_hash``) and its own hash over its
content (``entry_hash``), so an edited entry breaks the chain; and after every append the head of
the chain (its hash and length) is committed to an Icechunk branch of the store
(``ledger/<name>``), so a deleted table, a truncated chain or a replaced one no longer matches
the anchor. :meth:`Ledger.verify` reports each of these.

Appends are atomic and serialised: under the store's writer lock (local stores), the entry is
written to the Delta table and the anchor moves with a compare-and-swap on its branch; a writer
that raced and lost gets :class:`~bluecarbon.errors.StoreError` and its row, which no anchor
points to, is never part of the ledger (readers follow the chain back from the anchor).
:meth:`Ledger.append_checked` builds the payload from the chain as read under the lock and at
the anchor the compare-and-swap then expects, so a rule checked against the chain (the register's
"never pledge more than is available") holds for every entry that lands, however writers race.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import icechunk
import pandas as pd
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from bluecarbon.canonical import SIGNED, canonical_sha256
from bluecarbon.errors import IntegrityError, StoreError
from bluecarbon.store.location import StoreLocation

#: Hash of the empty chain (the ``prev_hash`` of the first entry).
GENESIS: Final[str] = "0" * 64
ANCHOR_PREFIX: Final[str] = "ledger-"
META_KEY: Final[str] = "bluecarbon_ledger"
COLUMNS: Final[tuple[str, ...]] = ("seq", "at", "actor", "kind", "payload", "prev_hash", "entry_hash")

#: A lock to hold around an append: a context manager, or a zero-argument factory of one (the
#: store's ``writer_lock`` is a one-shot context manager, so a ledger used for several appends
#: takes a factory).
LockLike = AbstractContextManager[Any] | Callable[[], AbstractContextManager[Any]]


@dataclass(frozen=True)
class Entry:
    """One ledger entry; ``payload`` is a JSON-serialisable mapping."""

    seq: int
    at: str
    actor: str
    kind: str
    payload: Mapping[str, Any]
    prev_hash: str
    entry_hash: str

    @staticmethod
    def digest(seq: int, at: str, actor: str, kind: str, payload: Mapping[str, Any], prev_hash: str) -> str:
        """sha256 of the canonical JSON of an entry's content and its predecessor's hash."""
        body = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "kind": kind,
            "payload": payload,
            "prev_hash": prev_hash,
        }
        return canonical_sha256(body, SIGNED)

    @property
    def intact(self) -> bool:
        return self.entry_hash == self.digest(
            self.seq, self.at, self.actor, self.kind, self.payload, self.prev_hash
        )


@dataclass(frozen=True)
class Anchor:
    """The head of a ledger as committed to its Icechunk branch."""

    head: str
    count: int
    snapshot_id: str | None


class Ledger:
    """A hash-chained ledger named ``name`` in the store at ``location``."""

    def __init__(
        self,
        location: StoreLocation,
        repo: icechunk.Repository,
        name: str,
        *,
        lock: LockLike | None = None,
    ) -> None:
        self.location = location
        self.repo = repo
        self.name = name
        self.branch = f"{ANCHOR_PREFIX}{name.strip('_')}"
        self._lock = lock

    # ---------------------------------------------------------------------- reading
    def anchor(self) -> Anchor:
        """The committed head (an empty chain when the ledger was never written)."""
        if self.branch not in self.repo.list_branches():
            return Anchor(GENESIS, 0, None)
        tip = self.repo.lookup_branch(self.branch)
        meta = (self.repo.lookup_snapshot(tip).metadata or {}).get(META_KEY) or {}
        if meta.get("ledger") != self.name:
            return Anchor(GENESIS, 0, tip)  # the branch's first (empty) commit
        return Anchor(str(meta["head"]), int(meta["count"]), tip)

    def _rows(self) -> list[Entry]:
        try:
            frame = DeltaTable(
                self.location.table_uri(self.name), storage_options=self.location.delta_storage_options()
            ).to_pandas()
        except TableNotFoundError:
            return []
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise IntegrityError(f"ledger {self.name}: table lacks columns {missing}")
        return [
            Entry(
                seq=int(r.seq),
                at=str(r.at),
                actor=str(r.actor),
                kind=str(r.kind),
                payload=json.loads(str(r.payload)),
                prev_hash=str(r.prev_hash),
                entry_hash=str(r.entry_hash),
            )
            for r in frame.itertuples()
        ]

    def entries(self) -> list[Entry]:
        """The anchored chain, oldest first; raises IntegrityError when it does not check out."""
        chain, problems = self._walk()
        if problems:
            raise IntegrityError(f"ledger {self.name} fails verification: " + "; ".join(problems))
        return chain

    def _walk(self, anchor: Anchor | None = None) -> tuple[list[Entry], list[str]]:
        anchor = self.anchor() if anchor is None else anchor
        rows = self._rows()
        by_hash: dict[str, Entry] = {}
        problems: list[str] = []
        for entry in rows:
            if not entry.intact:
                problems.append(f"entry {entry.seq} was edited (its hash no longer matches its content)")
            by_hash.setdefault(entry.entry_hash, entry)
        chain: list[Entry] = []
        head = anchor.head
        while head != GENESIS:
            found = by_hash.get(head)
            if found is None:
                problems.append(
                    f"entry {anchor.count - len(chain)} of {anchor.count} is missing (deleted or replaced)"
                )
                break
            chain.append(found)
            head = found.prev_hash
        chain.reverse()
        if not problems and len(chain) != anchor.count:
            problems.append(f"the chain holds {len(chain)} entries, its anchor {anchor.count}")
        for i, entry in enumerate(chain, start=1):
            if entry.seq != i:
                problems.append(f"entry {entry.seq} is out of sequence (position {i})")
                break
        return chain, problems

    def chain_unchecked(self) -> list[Entry]:
        """The chain from the anchor back, as far as it goes, without judging it."""
        return self._walk()[0]

    def verify(self) -> list[str]:
        """Every problem of the chain against its anchor (empty when intact)."""
        try:
            return self._walk()[1]
        except (StoreError, ValueError, KeyError) as exc:
            return [f"cannot read ledger {self.name}: {exc}"]

    # ---------------------------------------------------------------------- writing
    def append(self, kind: str, payload: Mapping[str, Any], *, actor: str) -> Entry:
        """Append one entry atomically (see the module docstring)."""
        return self.append_checked(kind, lambda _chain: payload, actor=actor)

    def append_checked(
        self,
        kind: str,
        build: Callable[[Sequence[Entry]], Mapping[str, Any]],
        *,
        actor: str,
    ) -> Entry:
        """Append the entry ``build(chain)`` returns, ``chain`` being the verified ledger read under
        the lock at the anchor the append then moves from. ``build`` raises to refuse the append
        (nothing is written)."""
        with self._hold():
            anchor = self.anchor()
            chain, problems = self._walk(anchor)
            if problems:
                raise IntegrityError(f"ledger {self.name} fails verification: " + "; ".join(problems))
            payload = build(chain)
            prev = chain[-1].entry_hash if chain else GENESIS
            seq = len(chain) + 1
            at = datetime.now(UTC).isoformat(timespec="microseconds")
            clean = json.loads(json.dumps(dict(payload), sort_keys=True, allow_nan=False, default=str))
            entry = Entry(seq, at, actor, kind, clean, prev, Entry.digest(seq, at, actor, kind, clean, prev))
            row = pd.DataFrame(
                [
                    {
                        "seq": entry.seq,
                        "at": entry.at,
                        "actor": entry.actor,
                        "kind": entry.kind,
                        "payload": json.dumps(entry.payload, sort_keys=True, ensure_ascii=False),
                        "prev_hash": entry.prev_hash,
                        "entry_hash": entry.entry_hash,
                    }
                ]
            )
            write_deltalake(
                self.location.table_uri(self.name),
                row,
                mode="append",
                storage_options=self.location.delta_storage_options(),
            )
            self._move_anchor(entry, seq, anchor)
            return entry

    def _hold(self) -> AbstractContextManager[Any]:
        lock = self._lock
        if lock is None:
            return nullcontext()
        if isinstance(lock, AbstractContextManager):
            return lock
        return lock()

    def _move_anchor(self, entry: Entry, count: int, anchor: Anchor) -> None:
        if anchor.snapshot_id is None:
            base = self.repo.lookup_branch("main")
            try:
                self.repo.create_branch(self.branch, base)
            except icechunk.IcechunkError as exc:  # another first writer created it first
                raise StoreError(
                    f"another writer started ledger {self.name} at the same time; nothing was written "
                    "by this one. Rerun it."
                ) from exc
        session = self.repo.writable_session(self.branch)
        if anchor.snapshot_id is not None and session.snapshot_id != anchor.snapshot_id:
            raise StoreError(
                f"another writer appended to ledger {self.name}; nothing was written by this one"
            )
        try:
            session.commit(
                f"{self.name} entry {count}",
                metadata={META_KEY: {"ledger": self.name, "head": entry.entry_hash, "count": count}},
                allow_empty=True,
            )
        except icechunk.ConflictError as exc:
            raise StoreError(
                f"another writer appended to ledger {self.name} at the same time; nothing was written by "
                "this one. Rerun it."
            ) from exc

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries())
