"""The same store on an S3-compatible object store (moto's server mode, started here).

Object stores get no writer lock: Icechunk's conditional updates (compare-and-swap of
``main``, immutable tags) are what keep concurrent publishes from interleaving.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bluecarbon.errors import StoreError
from bluecarbon.store import S3Options, Store
from bluecarbon.store.gc import collect_garbage
from tests.integration.conftest import warm_work
from tests.unit.store.conftest import make_bundle


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Options]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket="bluecarbon")
    yield S3Options(
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
        allow_http=True,
    )
    server.stop()


def test_publish_read_verify_withdraw_on_s3(s3: S3Options) -> None:
    store = Store.open("s3://bluecarbon/roundtrip", s3=s3, create=True)
    first = store.publish(make_bundle("1" * 64, size=1000))
    assert first.published
    assert not store.publish(make_bundle("1" * 64, size=1000)).published, "identical content is a no-op"
    second = store.publish(make_bundle("2" * 64, size=1000, scale=2.0)).release
    reopened = Store.open("s3://bluecarbon/roundtrip", s3=s3)
    assert [r.tag for r in reopened.releases()] == [first.release.tag, second.tag]
    assert reopened.verify(second.tag).ok
    assert reopened.read_table("parcels", first.release.tag)["parcel_id"].tolist() == ["p-1", "p-2"]
    assert float(reopened.open_product("s/carbon", second)["carbon_stock"].max()) == pytest.approx(200.0)
    reopened.withdraw(second.tag, "test on S3")
    assert reopened.resolve("latest").tag == first.release.tag
    report = collect_garbage(reopened, older_than=timedelta(0))
    assert not report.staging_branches
    assert reopened.verify(first.release.tag).ok


def test_racing_publish_on_s3_fails_cleanly_and_reruns(s3: S3Options) -> None:
    uri = "s3://bluecarbon/race"
    store = Store.open(uri, s3=s3, create=True)
    store.publish(make_bundle("0" * 64, size=1000))
    rival = Store.open(uri, s3=s3)

    def race(message: str) -> None:
        if message.startswith("validating"):
            rival.publish(make_bundle("b" * 64, size=1000, scale=3.0))

    with pytest.raises(StoreError, match=r"another publish moved 'main'.*Rerun"):
        store.publish(make_bundle("a" * 64, size=1000, scale=2.0), progress=race)
    releases = Store.open(uri, s3=s3).releases()
    assert len(releases) == 2, "only the winner of the race was published"
    assert float(store.open_product("s/carbon", releases[-1])["carbon_stock"].max()) == pytest.approx(300.0)
    assert store.read_table("class_totals", releases[-1])["stock_t_c"].iloc[0] == pytest.approx(9.0)
    rerun = Store.open(uri, s3=s3).publish(make_bundle("a" * 64, size=1000, scale=2.0))
    assert rerun.published and Store.open(uri, s3=s3).verify(rerun.release.tag).ok


@pytest.mark.slow  # a monitoring run of its own into moto S3 (about a minute)
def test_monitoring_flow_publishes_to_s3_and_the_cli_and_catalog_read_it(
    s3: S3Options, demo_project, tmp_path, tmp_path_factory, monkeypatch
) -> None:
    """The whole monitoring flow with the store in a bucket: the same release as the local
    demo (same content hash), read back by the CLI (env overrides) and the researcher API."""
    import json
    import shutil

    from typer.testing import CliRunner

    import bluecarbon
    from bluecarbon.cli import app
    from flows.monitoring import monitoring
    from tests.conftest import write_config

    demo_folder, demo_outcome, _ = demo_project
    shutil.copytree(demo_folder / "work", tmp_path / "work")  # cached steps: only publishing runs
    config = write_config(tmp_path, store="s3://bluecarbon/demo")
    config.write_text(
        config.read_text() + f'[s3]\nendpoint_url = "{s3.endpoint_url}"\naccess_key_id = "testing"\n'
        'secret_access_key = "testing"\nallow_http = true\n'
    )
    outcome = monitoring(config=str(config))
    assert outcome["published"]
    assert outcome["release"]["content_hash"] == demo_outcome["release"]["content_hash"]
    assert monitoring(config=str(config))["published"] is False  # rerun: the existing release

    env = {
        "BLUECARBON_STORE_URI": "s3://bluecarbon/demo",
        "BLUECARBON_S3_ENDPOINT_URL": s3.endpoint_url,
        "BLUECARBON_S3_ACCESS_KEY_ID": "testing",
        "BLUECARBON_S3_SECRET_ACCESS_KEY": "testing",
        "BLUECARBON_S3_ALLOW_HTTP": "true",
    }
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))  # no bluecarbon.toml: env only
    listed = CliRunner().invoke(app, ["releases", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [r["tag"] for r in json.loads(listed.output)] == [outcome["release"]["tag"]]
    verified = CliRunner().invoke(app, ["verify", "latest"], env=env)
    assert verified.exit_code == 0, verified.output

    cat = bluecarbon.open_catalog("s3://bluecarbon/demo", s3=s3)
    stock = cat.open("old_tampa_bay/carbon")["carbon_stock"]
    assert stock.chunks is not None  # lazy, from the bucket
    totals = cat.table("class_totals")
    assert set(totals["site"]) >= {"old_tampa_bay", "rufiji_delta", "chn_mariculture"}


@pytest.mark.slow
def test_a_run_with_s3_settings_leaves_the_secret_nowhere(s3: S3Options, demo_project, tmp_path) -> None:
    """The S3 secret used to be a parameter of the publish flow, stored in plain text in
    Prefect's database (and sent to a shared Prefect server). A real ``bluecarbon run`` in a
    fresh process, with its own Prefect home: the secret must appear in no file there, in no
    object of the store, in the catalog, nor in the run's output."""
    import uuid

    import boto3

    from tests.cli_harness import assert_ok, run_cli
    from tests.conftest import write_config

    secret = f"secret-{uuid.uuid4().hex}"
    home = tmp_path / "prefect-home"
    config = write_config(
        tmp_path, store="s3://bluecarbon/no-secret", work=str(warm_work(demo_project[0], tmp_path))
    )
    text = config.read_text()
    config.write_text(
        text[: text.index("[prefect]")]
        + f'[prefect]\nhome = "{home}"\n'
        + f'[s3]\nendpoint_url = "{s3.endpoint_url}"\naccess_key_id = "testing"\n'
        + f'secret_access_key = "{secret}"\nallow_http = true\n'
    )
    env = {"PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "INFO"}
    result = assert_ok(run_cli("run", "-c", config, env=env, timeout=900))
    assert "published new release" in result.stdout
    assert secret not in result.stdout + result.stderr

    needle = secret.encode()
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files), "the run's Prefect database is under its home"
    leaks = [
        str(p)
        for p in [*files, *(tmp_path / "catalog").rglob("*")]
        if p.is_file() and needle in p.read_bytes()
    ]
    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="bluecarbon", Prefix="no-secret/")
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert keys, "the release was written to the bucket"
    leaks += [k for k in keys if needle in client.get_object(Bucket="bluecarbon", Key=k)["Body"].read()]
    assert not leaks, f"the S3 secret was found in {leaks}"
