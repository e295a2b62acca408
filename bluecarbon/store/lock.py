"""The writer lock of a local store.

Icechunk warns that local-filesystem storage is not safe for concurrent commits, so a local
store admits one publisher at a time: an exclusive ``flock`` on ``<store>/writer.lock``.
The kernel drops the lock when the holder dies (even by SIGKILL), so a crashed publish
never leaves the store locked. The holder writes its pid, host and start time into the file
so a waiting publisher can say who it is waiting for.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bluecarbon.errors import StoreLocked


@contextmanager
def writer_lock(store_dir: Path, *, timeout_s: float = 600.0, poll_s: float = 0.2) -> Iterator[None]:
    """Hold the store's exclusive writer lock; wait up to ``timeout_s`` seconds for it."""
    store_dir.mkdir(parents=True, exist_ok=True)
    path = store_dir / "writer.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(path)
                    raise StoreLocked(
                        f"another publish holds the writer lock of {store_dir} ({holder}); "
                        f"waited {timeout_s:.0f} s. Rerun when it has finished."
                    ) from None
                time.sleep(poll_s)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now(UTC).isoformat()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "holder unknown"
    if not info:
        return "holder unknown"
    return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}"
