"""Integration fixtures: one real demo run per session, shared by the modules that need a
published demo release (it costs ~1 min on two cores)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_config


class NetworkMonitor:
    """Records outbound connections to anything but loopback while active."""

    def __init__(self) -> None:
        self.remote: list[Any] = []
        self._connect = socket.socket.connect

    def __enter__(self) -> NetworkMonitor:
        monitor = self

        def connect(sock: socket.socket, address: Any) -> Any:
            host = address[0] if isinstance(address, tuple) else address
            if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in (
                "127.0.0.1",
                "::1",
                "localhost",
            ):
                monitor.remote.append(address)
            return monitor._connect(sock, address)

        socket.socket.connect = connect  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        socket.socket.connect = self._connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory, prefect_harness) -> tuple[Path, dict, list]:
    """(project folder, outcome of the first monitoring run, remote connections seen)."""
    from flows.monitoring import monitoring

    folder = tmp_path_factory.mktemp("demo")
    config = write_config(folder)
    with NetworkMonitor() as net:
        outcome = monitoring(config=str(config))
    return folder, outcome, net.remote
