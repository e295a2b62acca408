"""A schedule served for real: a Prefect server on loopback, `bluecarbon serve` registering
the monitoring deployment on an interval, and a scheduled flow run created and completed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import write_config
from tests.integration.conftest import warm_work

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, procs: list[subprocess.Popen]):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(
                    f"{p.args[:3]} exited while waiting for {what}: {p.stdout.read()[-3000:]}"
                )
        time.sleep(1.0)
    raise AssertionError(f"timed out waiting for {what}")


def test_scheduled_run_is_created_and_executed(demo_project, tmp_path: Path) -> None:
    from bluecarbon.store import Store

    demo_folder, _, _ = demo_project
    config = write_config(tmp_path, work=str(warm_work(demo_folder, tmp_path)))  # warm cache: a quick run
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={k: v for k, v in env.items() if k != "PREFECT_API_URL"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    serve = None
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{api}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(healthy, 180, "the Prefect server", [server])
        serve = subprocess.Popen(
            [str(BIN / "bluecarbon"), "serve", "--interval", "5", "-c", str(config)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def completed_run() -> dict | None:
            body = {"deployments": {"name": {"any_": ["bluecarbon-monitoring"]}}}
            runs = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10).json()
            done = [r for r in runs if r["state_type"] == "COMPLETED"]
            failed = [r for r in runs if r["state_type"] in ("FAILED", "CRASHED")]
            assert not failed, f"scheduled run failed: {failed[0]['state_name']}"
            return done[0] if done else None

        run = _wait(completed_run, 300, "a completed scheduled run", [server, serve])
        assert run["auto_scheduled"] or run["deployment_id"]
        deployment = httpx.get(f"{api}/deployments/{run['deployment_id']}", timeout=10).json()
        assert deployment["name"] == "bluecarbon-monitoring"
        assert deployment["schedules"] and deployment["schedules"][0]["schedule"]["interval"] == 5.0
        releases = Store.open(str(tmp_path / "store")).releases()
        assert len(releases) == 1, "the scheduled run published the release"
    finally:
        for proc in (serve, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT if proc is serve else signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
