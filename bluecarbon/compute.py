"""Where dask computes: the local threaded scheduler, or a dask.distributed cluster.

Library functions build lazy graphs and never choose a scheduler. Callers that run them
(flows, the CLI, notebooks) wrap the work in :func:`compute_on`: with an address, a
``distributed.Client`` becomes the default scheduler for everything computed inside, so the
same code runs on a LocalCluster, a dask-jobqueue cluster on an HPC system or a Kubernetes
cluster; without one, dask's local threaded scheduler is used.

The scheduler choice is process-wide (``dask.config``), so it is made once for a whole run
(the monitoring flow wraps everything it does), never per task: tasks of one run execute
concurrently in threads, and per-thread set/restore of a global setting would race.
Clients are shared, one per address, reference-counted and closed when the last block
using it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dask

from bluecarbon.errors import ConfigError

_lock = threading.Lock()
_clients: dict[str, tuple[Any, int]] = {}


def _acquire(address: str) -> Any:
    from distributed import Client

    with _lock:
        client, users = _clients.get(address, (None, 0))
        if client is None:
            try:
                client = Client(address, timeout="30s", set_as_default=False)
            except OSError as exc:
                raise ConfigError(f"cannot reach the dask scheduler at {address!r}: {exc}") from exc
        _clients[address] = (client, users + 1)
        return client


def _release(address: str) -> None:
    with _lock:
        client, users = _clients[address]
        if users > 1:
            _clients[address] = (client, users - 1)
            return
        del _clients[address]
    client.close()


@contextmanager
def compute_on(address: str | None) -> Iterator[str]:
    """Make the dask cluster at ``address`` the default scheduler inside the block.

    Yields a description of where computation runs ("local threads" or the address).
    """
    if not address:
        yield "local threads"
        return
    client = _acquire(address)
    try:
        with dask.config.set(scheduler=client):
            yield address
    finally:
        _release(address)
