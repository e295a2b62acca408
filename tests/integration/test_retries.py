"""Retries only on transient I/O: a real unreachable object store is a TransientIOError that
a flow task retries until the store comes up; bad input fails at once, without retries."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from bluecarbon.errors import InputError, TransientIOError
from bluecarbon.store import S3Options, Store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _options(port: int) -> S3Options:
    return S3Options(
        endpoint_url=f"http://127.0.0.1:{port}",
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        allow_http=True,
    )


@pytest.mark.slow  # waits out the object store client's own timeouts (about 20 s)
def test_unreachable_object_store_is_transient() -> None:
    with pytest.raises(TransientIOError, match="unreachable or busy"):
        Store.open("s3://bluecarbon/x", s3=_options(_free_port()), create=True)


def test_what_counts_as_transient(tmp_path: Path) -> None:
    from bluecarbon.errors import StoreError
    from bluecarbon.store.location import is_transient

    assert is_transient(ConnectionRefusedError()) and is_transient(TimeoutError())
    assert not is_transient(InputError("bad value")) and not is_transient(ValueError())
    with pytest.raises(StoreError, match="no bluecarbon store") as info:
        Store.open(str(tmp_path / "missing"))
    assert not isinstance(info.value, TransientIOError), "a missing local store is not retried"


@pytest.mark.slow
def test_flow_task_retries_transient_errors_only(prefect_harness, tmp_path: Path) -> None:
    import boto3
    from moto.server import ThreadedMotoServer
    from prefect import flow, task

    from flows._tasks import retry_on_transient

    port = _free_port()
    attempts = {"store": 0, "input": 0}
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)

    def start_server_later() -> None:  # the store comes up after the first attempt failed
        server.start()
        boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket="bluecarbon")

    decisions: list[bool] = []

    def policy_then_start(task, task_run, state) -> bool:
        # The store comes up only once the first attempt has failed (Icechunk's own retries
        # take ~18 s to give up on a refused connection), so the retry is what succeeds.
        decision = retry_on_transient(task, task_run, state)
        decisions.append(decision)
        if decision and not server_started.is_set():
            start_server_later()
            server_started.set()
        return decision

    server_started = threading.Event()

    @task(retries=3, retry_delay_seconds=1, retry_condition_fn=policy_then_start)
    def open_store() -> int:
        attempts["store"] += 1
        return len(Store.open("s3://bluecarbon/retry", s3=_options(port), create=True).releases())

    @task(retries=3, retry_delay_seconds=1, retry_condition_fn=retry_on_transient)
    def bad_input() -> None:
        attempts["input"] += 1
        raise InputError("negative harvest", file="x.csv", row=3, column="harvest_t")

    @flow
    def run_both() -> int:
        releases = open_store()
        bad_input()
        return releases

    try:
        with pytest.raises(InputError, match="negative harvest"):
            run_both()
    finally:
        if server_started.is_set():
            server.stop()
    assert decisions[0] is True and attempts["store"] == 2, (
        "the transient failure was retried once, then worked"
    )
    assert attempts["input"] == 1, "bad input is not retried"
