"""Where dask computes: the local threaded scheduler, or a dask.distributed cluster.

Library functions build lazy graphs and never choose a scheduler. Callers that run them
(flows, the CLI, notebooks) wrap the work in :func:`compute_on`: with an address, a
``distributed.Client`` becomes the default scheduler for everything computed inside, so the
same code runs on a LocalCluster, a dask-jobqueue cluster on an HPC system or a Kubernetes
cluster; without one, dask's local threaded scheduler is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dask

from bluecarbon.errors import ConfigError


@contextmanager
def compute_on(address: str | None) -> Iterator[str]:
    """Make the dask cluster at ``address`` the default scheduler inside the block.

    Yields a description of where computation runs ("local threads" or the address).
    """
    if not address:
        with dask.config.set(scheduler="threads"):
            yield "local threads"
        return
    from distributed import Client

    try:
        client = Client(address, timeout="30s", set_as_default=False)
    except OSError as exc:
        raise ConfigError(f"cannot reach the dask scheduler at {address!r}: {exc}") from exc
    try:
        with dask.config.set(scheduler=client):
            yield address
    finally:
        client.close()
